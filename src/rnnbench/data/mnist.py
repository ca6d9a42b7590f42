"""MNIST as sequences: pixel-by-pixel (784 steps × 1) and its permuted variant (Le et al. 2015)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from ..records import atomic_savez
from ..training.types import TaskData


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (LeCun's format): magic 0x0000 08 NDIM, dims big-endian, uint8 data."""
    raw = Path(path).read_bytes()
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"{path}: not an IDX uint8 file (magic {raw[:4].hex()})")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} but holds {data.size} values (truncated?)")
    return data.reshape(dims)


def prepare_mnist(raw_dir: str | os.PathLike, out: str | os.PathLike) -> None:
    raw = Path(raw_dir)
    arrays = {
        "x_train": read_idx(raw / "train-images-idx3-ubyte"),
        "y_train": read_idx(raw / "train-labels-idx1-ubyte").astype(np.int64),
        "x_test": read_idx(raw / "t10k-images-idx3-ubyte"),
        "y_test": read_idx(raw / "t10k-labels-idx1-ubyte").astype(np.int64),
    }
    atomic_savez(out, arrays, {"source": "MNIST (LeCun & Cortes)"})


def load_mnist(npz: str | os.PathLike, permuted: bool, n_train: int | None = None, n_test: int | None = None,
               n_val: int = 5000, perm_seed: int = 0) -> TaskData:
    """Pixels scaled to [0, 1], one per step; the last ``n_val`` training images are validation.
    The permuted variant applies one fixed permutation (``perm_seed``) to every image."""
    with np.load(npz) as z:
        x_tr, y_tr, x_te, y_te = z["x_train"], z["y_train"], z["x_test"], z["y_test"]
    x_va, y_va = x_tr[-n_val:], y_tr[-n_val:]
    x_tr, y_tr = x_tr[:-n_val], y_tr[:-n_val]
    if n_train:
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
        x_va, y_va = x_va[: max(1, n_train // 10)], y_va[: max(1, n_train // 10)]
    if n_test:
        x_te, y_te = x_te[:n_test], y_te[:n_test]
    perm = np.random.default_rng(perm_seed).permutation(784) if permuted else np.arange(784)

    def seq(x: np.ndarray) -> np.ndarray:
        return (x.reshape(len(x), 784)[:, perm].astype(np.float32) / 255.0)[..., None]

    return TaskData(
        name="pmnist" if permuted else "mnist", kind="classification",
        x_train=seq(x_tr), y_train=y_tr, x_val=seq(x_va), y_val=y_va, x_test=seq(x_te), y_test=y_te,
        n_outputs=10, source="MNIST" + (f" (permuted, seed {perm_seed})" if permuted else " (pixel by pixel)"),
    )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.mnist")
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    try:
        prepare_mnist(a.raw, a.out)
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {e}")


if __name__ == "__main__":
    main()

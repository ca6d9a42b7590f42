"""Polyphonic music (Boulanger-Lewandowski et al. 2012; the benchmark of Chung et al. 2014).

JSB Chorales, Nottingham, MuseData and Piano-midi.de with their published train/valid/test
splits, as TCN's ``.mat`` files: each sequence a T x 88 binary piano roll (MIDI notes 21-108).

Prepare: all four datasets into one ``.npz`` (rolls bit-packed along the 88 keys, concatenated per
split, with the sequence lengths), so that one prepared file serves every run of the family.

Load (many-to-many next-step prediction): for each sequence x = roll[:-1], y = roll[1:]; sequences
are right-padded to the longest in the split and ``lengths`` = T - 1 masks the padding, so the loss
and NLL only count real steps. ``train_chunk`` (optional) cuts the *training* sequences into
non-overlapping windows of that many steps, each starting from a zero state (the last shorter
window kept): it bounds memory and time at laptop scale. It is not truncated BPTT (which would
carry the state across windows); validation and test always use whole sequences.

``python -m rnnbench.data.music --raw DIR --out FILE``
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from ..records import atomic_savez
from ..training.types import TaskData

KEYS = 88
# dataset key (config) -> (.mat file, display name)
DATASETS = {
    "jsb": ("JSB_Chorales.mat", "JSB Chorales"),
    "nottingham": ("Nottingham.mat", "Nottingham"),
    "musedata": ("MuseData.mat", "MuseData"),
    "pianomidi": ("Piano_midi.mat", "Piano-midi.de"),
}
SPLITS = {"train": "traindata", "val": "validdata", "test": "testdata"}
SOURCE = "Boulanger-Lewandowski et al. 2012 piano rolls (TCN .mat)"


def read_mat(path: str | os.PathLike) -> dict[str, list[np.ndarray]]:
    """{split: [T x 88 uint8 rolls]} from one of the .mat files, checked."""
    from scipy.io import loadmat

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: fetch the 'music' dataset first")
    m = loadmat(path)
    out = {}
    for split, key in SPLITS.items():
        if key not in m:
            raise ValueError(f"{path}: no {key!r} array (keys: {sorted(k for k in m if not k.startswith('__'))})")
        rolls = [np.asarray(r) for r in m[key].ravel()]
        for i, r in enumerate(rolls):
            if r.ndim != 2 or r.shape[1] != KEYS:
                raise ValueError(f"{path}: {key}[{i}] has shape {r.shape}, expected (T, {KEYS})")
            if not np.isin(r, (0, 1)).all():
                raise ValueError(f"{path}: {key}[{i}] is not a binary piano roll")
        out[split] = [r.astype(np.uint8) for r in rolls]
    return out


def prepare_music(raw_dir: str | os.PathLike, out: str | os.PathLike) -> dict:
    arrays, meta = {}, {"source": SOURCE, "datasets": {}}
    for key, (fname, display) in DATASETS.items():
        rolls = read_mat(Path(raw_dir) / fname)
        meta["datasets"][key] = {"name": display, "file": fname}
        for split, seqs in rolls.items():
            lengths = np.asarray([len(r) for r in seqs], dtype=np.int64)
            arrays[f"{key}_{split}_bits"] = np.packbits(np.concatenate(seqs), axis=1)
            arrays[f"{key}_{split}_lengths"] = lengths
            meta["datasets"][key][split] = {"sequences": len(seqs), "steps": int(lengths.sum())}
    atomic_savez(out, arrays, meta)
    return meta


def _split_rolls(z, key: str, split: str) -> list[np.ndarray]:
    bits, lengths = z[f"{key}_{split}_bits"], z[f"{key}_{split}_lengths"]
    flat = np.unpackbits(bits, axis=1, count=KEYS)
    return np.split(flat, np.cumsum(lengths)[:-1])


def _chunks(rolls: list[np.ndarray], k: int) -> list[np.ndarray]:
    """Windows of k + 1 steps overlapping by one, so the k targets of consecutive windows tile the
    sequence exactly (x = w[:-1], y = w[1:])."""
    out = []
    for r in rolls:
        for s in range(0, len(r) - 1, k):
            w = r[s:s + k + 1]
            if len(w) >= 2:
                out.append(w)
    return out


def _pad(rolls: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x = roll[:-1], y = roll[1:], right-padded; lengths = T - 1."""
    lengths = np.asarray([len(r) - 1 for r in rolls], dtype=np.int64)
    if (lengths < 1).any():
        raise ValueError("a sequence needs at least 2 steps for next-step prediction")
    x = np.zeros((len(rolls), int(lengths.max()), KEYS), dtype=np.float32)
    y = np.zeros_like(x)
    for i, r in enumerate(rolls):
        x[i, : len(r) - 1] = r[:-1]
        y[i, : len(r) - 1] = r[1:]
    return x, y, lengths


def load_music(npz: str | os.PathLike, dataset: str, train_chunk: int | None = None) -> TaskData:
    if dataset not in DATASETS:
        raise ValueError(f"unknown music dataset {dataset!r}; known: {', '.join(DATASETS)}")
    with np.load(npz) as z:
        rolls = {split: _split_rolls(z, dataset, split) for split in SPLITS}
    train = _chunks(rolls["train"], int(train_chunk)) if train_chunk else rolls["train"]
    x_tr, y_tr, l_tr = _pad(train)
    x_va, y_va, l_va = _pad(rolls["val"])
    x_te, y_te, l_te = _pad(rolls["test"])
    return TaskData(
        name=f"music-{dataset}", kind="multilabel",
        x_train=x_tr, y_train=y_tr, x_val=x_va, y_val=y_va, x_test=x_te, y_test=y_te,
        lengths_train=l_tr, lengths_val=l_va, lengths_test=l_te, n_outputs=KEYS,
        source=f"{DATASETS[dataset][1]} ({SOURCE})",
        meta={"dataset": dataset, "train_chunk": train_chunk,
              "sequences": {s: len(r) for s, r in rolls.items()},
              "train_windows": len(train),
              "steps": {"train": int(l_tr.sum()), "val": int(l_va.sum()), "test": int(l_te.sum())}},
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.music", description=__doc__.splitlines()[0])
    p.add_argument("--raw", required=True, help="folder holding the four .mat files")
    p.add_argument("--out", required=True, help="prepared .npz to write")
    a = p.parse_args(argv)
    try:
        meta = prepare_music(a.raw, a.out)
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {e}")
    print(json.dumps(meta["datasets"]))


if __name__ == "__main__":
    main()

"""Name -> gender (the lecture's recap, many-to-one): the NLTK Names Corpus 1.3.

Each name is a sequence of characters followed by an END symbol. The alphabet is the lecture's
('a'..'z', 'A'..'Z', ' ', "'", '-', END: 56 symbols; the corpus uses exactly these characters).
Two encodings of the same prepared ids, chosen per run:

* ``onehot``: float (N, T, 56) one-hot vectors, as on the lecture's slide; padding steps are all
  zero and excluded by ``lengths``;
* ``embedding``: int64 (N, T) ids for an ``nn.Embedding`` (0 = padding, 1..56 = the alphabet).

Names listed in both male.txt and female.txt (365 of them, e.g. 'Alexis') have no single label
and are dropped. The held-out split is stratified by label (same female/male ratio in train,
validation and test) and seeded.

``python -m rnnbench.data.names --raw DIR --out FILE [--test-fraction 0.2 --val-fraction 0.1 --seed 0]``
"""
from __future__ import annotations

import argparse
import json
import os
import string
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..training.types import TaskData

ALPHABET = list(string.ascii_lowercase) + list(string.ascii_uppercase) + [" ", "'", "-"]
END = "END"
SYMBOLS = ALPHABET + [END]                     # one-hot position i <-> id i + 1
CLASSES = ("female", "male")                   # label ids 0, 1
SOURCE = "NLTK Names Corpus 1.3 (Kantrowitz & Ross)"


def read_names(raw_dir: str | os.PathLike) -> tuple[list[str], np.ndarray, int]:
    """(names, labels, number dropped as ambiguous) from ``<raw>/names/{female,male}.txt``."""
    raw = Path(raw_dir)
    lists = {}
    for cls in CLASSES:
        path = raw / "names" / f"{cls}.txt"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: fetch the 'names' dataset first")
        lists[cls] = sorted({line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()})
    both = set(lists["female"]) & set(lists["male"])
    names, labels = [], []
    for label, cls in enumerate(CLASSES):
        for n in lists[cls]:
            if n not in both:
                names.append(n)
                labels.append(label)
    bad = sorted({c for n in names for c in n} - set(ALPHABET))
    if bad:
        raise ValueError(f"characters outside the lecture's alphabet: {bad!r}")
    return names, np.asarray(labels, dtype=np.int64), len(both)


def encode(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ids (N, T) int64 with END appended and 0-padding, lengths (N,) including END)."""
    index = {c: i + 1 for i, c in enumerate(SYMBOLS)}
    lengths = np.asarray([len(n) + 1 for n in names], dtype=np.int64)
    ids = np.zeros((len(names), int(lengths.max())), dtype=np.int64)
    for i, n in enumerate(names):
        ids[i, : len(n)] = [index[c] for c in n]
        ids[i, len(n)] = index[END]
    return ids, lengths


def stratified_split(labels: np.ndarray, test_fraction: float, val_fraction: float,
                     seed: int) -> dict[str, np.ndarray]:
    """Indices of train/val/test with each class split in the same proportions."""
    if not (0 < test_fraction < 1 and 0 <= val_fraction < 1 and test_fraction + val_fraction < 1):
        raise ValueError(f"need 0 < test_fraction, 0 <= val_fraction, sum < 1 (got {test_fraction}, {val_fraction})")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * len(idx)))
        n_val = int(round(val_fraction * len(idx)))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    return {k: np.sort(np.concatenate(v)) for k, v in parts.items()}


def prepare_names(raw_dir: str | os.PathLike, out: str | os.PathLike, test_fraction: float = 0.2,
                  val_fraction: float = 0.1, seed: int = 0) -> dict:
    names, labels, dropped = read_names(raw_dir)
    ids, lengths = encode(names)
    split = stratified_split(labels, test_fraction, val_fraction, seed)
    meta = {"source": SOURCE, "classes": list(CLASSES), "symbols": SYMBOLS, "ambiguous_dropped": dropped,
            "test_fraction": test_fraction, "val_fraction": val_fraction, "split_seed": seed,
            "counts": {k: {c: int((labels[v] == i).sum()) for i, c in enumerate(CLASSES)} for k, v in split.items()}}
    with atomic_path(out) as tmp:
        np.savez_compressed(tmp, ids=ids, lengths=lengths, labels=labels, names=np.asarray(names),
                            **{f"idx_{k}": v for k, v in split.items()}, meta=json.dumps(meta))
    return meta


def load_names(npz: str | os.PathLike, encoding: str = "onehot") -> TaskData:
    """The prepared split as one-hot vectors (``onehot``) or ids for an embedding (``embedding``)."""
    if encoding not in ("onehot", "embedding"):
        raise ValueError(f"names encoding must be 'onehot' or 'embedding', got {encoding!r}")
    with np.load(npz) as z:
        ids, lengths, labels = z["ids"], z["lengths"], z["labels"]
        split = {k: z[f"idx_{k}"] for k in ("train", "val", "test")}
        meta = json.loads(str(z["meta"]))
    n_sym = len(SYMBOLS)

    def x(idx: np.ndarray) -> np.ndarray:
        if encoding == "embedding":
            return ids[idx]
        return np.eye(n_sym + 1, dtype=np.float32)[ids[idx]][..., 1:]   # id 0 (padding) -> all zeros

    return TaskData(
        name="names", kind="classification",
        x_train=x(split["train"]), y_train=labels[split["train"]],
        x_val=x(split["val"]), y_val=labels[split["val"]],
        x_test=x(split["test"]), y_test=labels[split["test"]],
        lengths_train=lengths[split["train"]], lengths_val=lengths[split["val"]],
        lengths_test=lengths[split["test"]],
        n_outputs=len(CLASSES), vocab_size=n_sym + 1 if encoding == "embedding" else None,
        source=meta["source"],
        meta={"encoding": encoding, "alphabet_size": n_sym, "classes": meta["classes"],
              "ambiguous_dropped": meta["ambiguous_dropped"], "counts": meta["counts"],
              "majority_test_accuracy": float(max(np.mean(labels[split["test"]] == c) for c in (0, 1)))},
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.data.names", description=__doc__.splitlines()[0])
    p.add_argument("--raw", required=True, help="folder holding names/male.txt and names/female.txt")
    p.add_argument("--out", required=True, help="prepared .npz to write")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        meta = prepare_names(a.raw, a.out, a.test_fraction, a.val_fraction, a.seed)
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: {e}")
    print(json.dumps(meta["counts"]))


if __name__ == "__main__":
    main()

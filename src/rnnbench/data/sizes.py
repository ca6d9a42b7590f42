"""What each task trains and evaluates on, counted without loading it: sequences and padded steps
per split, features and outputs, for the plan (:mod:`rnnbench.plan`) to cost a run before it runs.

Each task's function (named in :mod:`rnnbench.data.tasks`) reads the shapes of its prepared file
when there is one, else the documented constants below; :attr:`Sizes.source` says which.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..runspec import RunSpec

# ------------------------------------------------------------------ documented constants
# (sequences, padded steps) per split when no prepared file is there to read.
# UCI HAR: 7,352 training windows of 21 subjects, 2,947 test windows of 9, 128 steps × 9 channels;
# the training subjects held out for validation (har.val_subjects) take about that share of them.
# The HAPT-derived equivalent (config/offline.yaml) has about the same (10,411 windows in all).
HAR_TRAIN, HAR_TEST, HAR_SUBJECTS, HAR_T, HAR_F = 7352, 2947, 21, 128, 9
# MNIST: 60,000 training images (the last 5,000 are validation, rnnbench.data.mnist), 10,000 test,
# one pixel per step.
MNIST_TRAIN, MNIST_VAL, MNIST_TEST, MNIST_T = 60000, 5000, 10000, 784
# names (rnnbench.data.names): 7,213 unambiguous names, stratified 0.7 / 0.1 / 0.2 by default,
# padded to the longest name + END = 16 steps; 56 one-hot symbols.
NAMES_TOTAL, NAMES_T, NAMES_SYMBOLS = 7213, 16, 56
# music (rnnbench.data.music, the TCN .mat files): per split (sequences, frames, longest);
# x = roll[:-1], so a sequence of L frames is L - 1 steps. Counted from the prepared file.
MUSIC = {
    "jsb": {"train": (229, 13807, 129), "val": (76, 4602, 144), "test": (77, 4725, 160)},
    "nottingham": {"train": (694, 176561, 1788), "val": (173, 45513, 1473), "test": (170, 44463, 1793)},
    "musedata": {"train": (524, 245202, 3457), "val": (135, 82755, 3723), "test": (124, 64339, 4273)},
    "pianomidi": {"train": (87, 75911, 3857), "val": (12, 8540, 1637), "test": (25, 19036, 2645)},
}
MUSIC_KEYS = 88
# IMDb (rnnbench.data.imdb): 25,000 labelled training reviews (n_train null = all but n_val) and
# 25,000 test reviews, each padded or cut to max_len ids.
IMDB_TRAIN, IMDB_TEST = 25000, 25000


@dataclass(frozen=True)
class Split:
    n: int        # sequences
    T: int        # padded steps each

    @property
    def steps(self) -> int:
        return self.n * self.T


@dataclass(frozen=True)
class Sizes:
    train: Split
    val: Split
    test: Split
    input_size: int            # features per step (one-hot / channels), or the vocabulary for ids
    n_outputs: int
    vocab: bool = False        # inputs are ids through an embedding
    source: str = ""           # where the sizes come from
    kind: str = ""             # classification | regression | multilabel: the task's (rnnbench.data.tasks)


def _npz(path: Path) -> Any:
    import numpy as np

    return np.load(path, allow_pickle=False)


def _cached(cache: dict, key: Any, read):
    if key not in cache:
        cache[key] = read()
    return cache[key]


def har_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    if prepared is not None and prepared.exists():
        def read():
            with _npz(prepared) as z:
                return {k: z[k].shape for k in ("x_train", "x_val", "x_test")}
        s = _cached(cache, prepared, read)
        return Sizes(Split(s["x_train"][0], s["x_train"][1]), Split(s["x_val"][0], s["x_val"][1]),
                     Split(s["x_test"][0], s["x_test"][1]), s["x_train"][2], 6, source=f"prepared {prepared.name}")
    val = round(HAR_TRAIN * int((config.get("har") or {}).get("val_subjects", 4)) / HAR_SUBJECTS)
    return Sizes(Split(HAR_TRAIN - val, HAR_T), Split(val, HAR_T), Split(HAR_TEST, HAR_T), HAR_F, 6,
                 source="constant (UCI HAR 7,352 train windows)")


def adding_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    T, n_tr, n_te = adding_settings(spec)
    return Sizes(Split(n_tr, T), Split(n_te, T), Split(n_te, T), 2, 1, source="generated (config)")


#: the adding problem's own (seq_len, n_train, n_test), where a run's spec leaves them out (RunSpec: None)
ADDING_DEFAULTS = (100, 10000, 1000)


def adding_settings(spec: Mapping[str, Any]) -> tuple[int, int, int]:
    """(seq_len, n_train, n_test) of an adding-problem run: what its job generates (the defaults
    the job and the plan share)."""
    s = RunSpec.from_dict(spec)
    return tuple(int(d if v is None else v) for v, d in zip((s.seq_len, s.n_train, s.n_test), ADDING_DEFAULTS))


def mnist_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    n_tr, n_va, n_te = MNIST_TRAIN - MNIST_VAL, MNIST_VAL, MNIST_TEST
    s = RunSpec.from_dict(spec)
    if s.n_train:
        n_tr = min(n_tr, int(s.n_train))
        n_va = min(n_va, max(1, n_tr // 10))
    if s.n_test:
        n_te = min(n_te, int(s.n_test))
    return Sizes(Split(n_tr, MNIST_T), Split(n_va, MNIST_T), Split(n_te, MNIST_T), 1, 10,
                 source="constant (MNIST 60,000 × 784)")


def names_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    emb = RunSpec.from_dict(spec).encoding == "embedding"
    if prepared is not None and prepared.exists():
        def read():
            with _npz(prepared) as z:
                return int(z["ids"].shape[1]), len(z["idx_train"]), len(z["idx_val"]), len(z["idx_test"])
        T, n_tr, n_va, n_te = _cached(cache, prepared, read)
        source = f"prepared {prepared.name}"
    else:
        nd = config.get("names_data") or {}
        n_te = round(NAMES_TOTAL * float(nd.get("test_fraction", 0.2)))
        n_va = round(NAMES_TOTAL * float(nd.get("val_fraction", 0.1)))
        T, n_tr, source = NAMES_T, NAMES_TOTAL - n_te - n_va, "constant (NLTK names, 7,213)"
    return Sizes(Split(n_tr, T), Split(n_va, T), Split(n_te, T), NAMES_SYMBOLS + (1 if emb else 0), 2,
                 vocab=emb, source=source)


def music_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    s = RunSpec.from_dict(spec)
    ds = s.dataset
    if ds not in MUSIC:
        raise ValueError(f"unknown music dataset {ds!r}; known: {', '.join(MUSIC)}")
    chunk = s.train_chunk
    key = (prepared, ds, chunk)
    if key not in cache:
        if prepared is not None and prepared.exists():
            with _npz(prepared) as z:
                lengths = {s: [int(v) for v in z[f"{ds}_{s}_lengths"]] for s in ("train", "val", "test")}
            splits = {s: Split(len(v), max(v) - 1) for s, v in lengths.items()}
            if chunk:
                k = int(chunk)
                windows = sum(math.ceil((L - 1) / k) for L in lengths["train"])
                splits["train"] = Split(windows, min(k, max(lengths["train"]) - 1))
            source = f"prepared {prepared.name}"
        else:
            m = MUSIC[ds]
            splits = {s: Split(n, longest - 1) for s, (n, frames, longest) in m.items()}
            if chunk:
                n, frames, longest = m["train"]
                k = int(chunk)   # about half a window of remainder per sequence
                splits["train"] = Split(int((frames - n) / k + n / 2), min(k, longest - 1))
            source = "constant (Boulanger-Lewandowski piano rolls)"
        cache[key] = (splits, source)
    splits, source = cache[key]
    return Sizes(splits["train"], splits["val"], splits["test"], MUSIC_KEYS, MUSIC_KEYS, source=source)


def imdb_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], prepared: Path | None, cache: dict) -> Sizes:
    im = config.get("imdb") or {}
    n_va = int(im.get("n_val") or 0)
    n_tr = int(im["n_train"]) if im.get("n_train") else IMDB_TRAIN - n_va
    n_te = int(im["n_test"]) if im.get("n_test") else IMDB_TEST
    T = int(im.get("max_len", 200))
    return Sizes(Split(n_tr, T), Split(n_va, T), Split(n_te, T), int(im.get("vocab_size", 20000)), 2,
                 vocab=True, source="config imdb: sizes (null = aclImdb 25,000 / 25,000)")

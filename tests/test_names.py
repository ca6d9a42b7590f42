"""Name -> gender: preparation from the real NLTK corpus (shapes, alphabet, stratified split) and a
tiny run through the shared train entry."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rnnbench.data.fetch import fetch
from rnnbench.data.names import SYMBOLS, encode, load_names, prepare_names, stratified_split


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, mirror):
    tmp = tmp_path_factory.mktemp("names")
    fetch("names", tmp / "raw", mirror, allow_network=False)
    meta = prepare_names(tmp / "raw", tmp / "names.npz", test_fraction=0.2, val_fraction=0.1, seed=0)
    return tmp / "names.npz", meta


def test_alphabet_is_the_lectures_56_symbols():
    assert len(SYMBOLS) == 56 and SYMBOLS[-1] == "END"
    ids, lengths = encode(["Al", "Bo-b"])
    assert lengths.tolist() == [3, 5]
    assert ids[0, 2] == SYMBOLS.index("END") + 1 and ids[0, 3:].tolist() == [0, 0]


def test_prepared_counts_and_stratified_split(prepared):
    path, meta = prepared
    assert meta["ambiguous_dropped"] == 365            # names in both lists have no single label
    counts = meta["counts"]
    total = {c: sum(counts[s][c] for s in counts) for c in ("female", "male")}
    # female.txt lists 5,001 lines but one name twice; duplicates count once
    assert total == {"female": 5000 - 365, "male": 2943 - 365}
    for split in ("train", "val", "test"):              # same class ratio in every split
        share = counts[split]["male"] / (counts[split]["male"] + counts[split]["female"])
        assert share == pytest.approx(total["male"] / sum(total.values()), abs=0.01)
    with np.load(path) as z:
        idx = [set(z[f"idx_{s}"].tolist()) for s in ("train", "val", "test")]
    assert not (idx[0] & idx[1] or idx[0] & idx[2] or idx[1] & idx[2])
    assert sum(map(len, idx)) == sum(total.values())


def test_onehot_and_embedding_encodings(prepared):
    path, _ = prepared
    one = load_names(path, "onehot")
    assert one.x_train.dtype == np.float32 and one.x_train.shape[-1] == 56 and one.vocab_size is None
    # one 1 per real step (characters + END), nothing on padding
    assert (one.x_train.sum(-1) == (np.arange(one.x_train.shape[1]) < one.lengths_train[:, None])).all()
    emb = load_names(path, "embedding")
    assert emb.x_train.dtype == np.int64 and emb.vocab_size == 57 and emb.input_size == 57
    assert (emb.x_train.argmax(-1) >= 0).all() and emb.x_train.max() == 56
    assert set(np.unique(one.y_test)) == {0, 1}


def test_stratified_split_rejects_bad_fractions():
    with pytest.raises(ValueError):
        stratified_split(np.array([0, 1, 0, 1]), 0.6, 0.5, 0)


def test_tiny_run_every_cell_type(prepared, tmp_path):
    from rnnbench.grid import expand
    from rnnbench.train import run

    path, _ = prepared
    runs = expand([{"name": "t", "task": "names", "cells": ["rnn_tanh", "lstm"], "hidden": 8, "epochs": 1,
                    "batch_size": 256, "encoding": "onehot", "diagnostics": False},
                   {"name": "e", "task": "names", "cells": ["gru"], "hidden": 8, "epochs": 1, "batch_size": 256,
                    "encoding": "embedding", "embedding_dim": 4, "diagnostics": False}], family="names")
    for rid, spec in runs.items():
        rec = run(spec, str(path), tmp_path / rid, "cpu", 1)
        assert rec["status"] == "ok" and 0.0 <= rec["final"]["test_accuracy"] <= 1.0
        assert json.loads((tmp_path / rid / "metrics.json").read_text())["family"] == "names"

"""Polyphonic music: preparation of the four real datasets (splits as published, 88 keys,
next-step targets), the NLL definition, and a tiny run with the paper's optimiser settings."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnbench.data.fetch import fetch
from rnnbench.data.music import KEYS, _chunks, load_music, prepare_music

# (train, valid, test) sequences of the Boulanger-Lewandowski splits (mirror MANIFEST)
SPLITS = {"jsb": (229, 76, 77), "nottingham": (694, 173, 170), "musedata": (524, 135, 124), "pianomidi": (87, 12, 25)}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, mirror):
    tmp = tmp_path_factory.mktemp("music")
    fetch("music", tmp / "raw", mirror, allow_network=False)
    meta = prepare_music(tmp / "raw", tmp / "music.npz")
    return tmp / "music.npz", meta


def test_published_split_sizes(prepared):
    _, meta = prepared
    for ds, (tr, va, te) in SPLITS.items():
        d = meta["datasets"][ds]
        assert (d["train"]["sequences"], d["val"]["sequences"], d["test"]["sequences"]) == (tr, va, te)
    assert meta["datasets"]["jsb"]["test"]["steps"] == 4725


def test_next_step_targets_and_lengths(prepared):
    path, _ = prepared
    d = load_music(path, "jsb")
    assert d.kind == "multilabel" and d.x_train.shape[-1] == KEYS and d.y_train.shape == d.x_train.shape
    assert len(d.x_train) == 229 and len(d.x_test) == 77
    # y is x shifted by one step; padding after length is zero in both
    assert np.array_equal(d.y_train[0, : d.lengths_train[0] - 1], d.x_train[0, 1: d.lengths_train[0]])
    assert d.x_train[0, d.lengths_train[0]:].sum() == 0
    assert int(d.lengths_test.sum()) == 4725 - 77       # one prediction per step but the first
    assert set(np.unique(d.x_train)) <= {0.0, 1.0}


def test_training_windows_tile_the_targets(prepared):
    path, _ = prepared
    whole = load_music(path, "jsb")
    cut = load_music(path, "jsb", train_chunk=16)
    assert cut.x_train.shape[1] == 16 and int(cut.lengths_train.sum()) == int(whole.lengths_train.sum())
    assert np.array_equal(cut.x_val, whole.x_val)      # validation and test stay whole
    roll = np.arange(40)[:, None] * np.ones((1, 2))
    windows = _chunks([roll], 16)
    targets = np.concatenate([w[1:, 0] for w in windows])
    assert targets.tolist() == list(range(1, 40))


def test_nll_is_summed_over_keys_and_averaged_over_real_steps():
    from rnnbench.training.loop import task_loss

    logits = torch.zeros(1, 3, KEYS)                    # p = 0.5 for every key
    y = torch.zeros(1, 3, KEYS)
    nll = task_loss("multilabel", logits, y, torch.tensor([2]))
    assert float(nll) == pytest.approx(KEYS * np.log(2.0))
    manual = F.binary_cross_entropy_with_logits(logits[:, :2], y[:, :2], reduction="sum") / 2
    assert float(nll) == pytest.approx(float(manual))


def test_tiny_run_rmsprop_global_clip(prepared, tmp_path):
    from rnnbench.grid import expand
    from rnnbench.train import run

    path, _ = prepared
    spec = next(iter(expand([{"name": "m", "task": "music", "cells": ["lstm"], "hidden": 36, "datasets": ["jsb"],
                              "optimizer": "rmsprop", "lr": 0.01, "global_clipnorm": 1.0, "train_chunk": 50,
                              "bias": "single", "epochs": 2, "batch_size": 64, "patience": 5,
                              "diagnostics": False}], family="music").values()))
    rec = run(spec, str(path), tmp_path / "m", "cpu", 1)
    assert rec["status"] == "ok" and rec["metric"] == "nll"
    # LSTM(36) on 88 keys with one bias per gate: 4·36·(88+36+1) + 36·88 + 88
    assert rec["params"]["total"] == 4 * 36 * (88 + 36 + 1) + 36 * 88 + 88
    assert 0 < rec["best"]["test_nll"] < KEYS * np.log(2.0)   # better than p = 0.5 everywhere

"""The HAR factorial's aggregation (cell × clipping × dropout heatmap) and the own-grids summary,
on synthetic run records (no training)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rnnbench.report.factorial import factorial_table, heatmap, setting_label
from rnnbench.report.own_grids import own_records, summary

CELLS = ("rnn_tanh", "irnn", "nprnn", "lstm", "gru")
SETTINGS = [(None, 0.0, 0.0), (0.5, 0.0, 0.0), (None, 0.25, 0.25), (0.5, 0.25, 0.25)]


def record(cell, clip, d, rd, seed, acc, status="ok", grid=None):
    grid = grid or ("har_factorial_dropout" if d else "har_factorial")
    return {"run_id": f"{grid}/{cell}_L1_clip{clip or 'none'}_drop{d:g}_rdrop{rd:g}_torch/seed{seed}",
            "family": "recurrent", "grid": grid, "task": "har", "cell": cell, "backend": "torch", "seed": seed,
            "status": status, "metric": "accuracy", "source": "hapt",
            "final": {"test_accuracy": acc}, "best": {"test_accuracy": acc},
            "task_meta": {"majority_test_accuracy": 0.18, "class_names": list("abcdef")},
            "config": {"clipvalue": clip, "dropout": d, "recurrent_dropout": rd, "epochs": 10}, "params": {"total": 9}}


def synthetic():
    """acc = 0.5 + 0.1·(cell index) + 0.02·(setting index) + seed noise; irnn unclipped seed 2 diverged."""
    recs = []
    for i, cell in enumerate(CELLS):
        for j, (clip, d, rd) in enumerate(SETTINGS):
            for seed, noise in enumerate((-0.01, 0.0, 0.01)):
                diverged = cell == "irnn" and clip is None and d == 0 and seed == 2
                recs.append(record(cell, clip, d, rd, seed, float("nan") if diverged else 0.5 + 0.1 * i / 2 + 0.02 * j
                                   + noise, status="diverged" if diverged else "ok"))
    recs.append(record("lstm", None, 0.0, 0.0, 0, 0.99, grid="har_lecture"))   # another grid: not read
    return recs


def test_one_row_per_cell_and_setting_with_t_intervals():
    t = factorial_table(synthetic())
    assert len(t) == 20
    assert list(dict.fromkeys(t["cell"])) == list(CELLS)              # the lecture's order
    assert list(t["setting"][:4]) == [setting_label(*s) for s in SETTINGS]
    row = t[(t["cell"] == "lstm") & (t["setting"] == setting_label(0.5, 0.25, 0.25))].iloc[0]
    m = 0.5 + 0.1 * 3 / 2 + 0.02 * 3
    h = stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)   # sd of (-0.01, 0, 0.01) is 0.01
    assert row["n"] == 3 and row["diverged"] == 0
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((m, m - h, m + h))
    assert row["test_accuracy"] == f"{m:.3f} [{m - h:.3f}, {m + h:.3f}]"


def test_a_diverged_run_counts_at_its_majority_baseline():
    t = factorial_table(synthetic())
    row = t[(t["cell"] == "irnn") & (t["setting"] == setting_label(None, 0.0, 0.0))].iloc[0]
    assert row["diverged"] == 1 and row["n"] == 3
    assert row["mean"] == pytest.approx(np.mean([0.55 - 0.01, 0.55, 0.18]))


def test_no_factorial_runs_give_an_empty_table_and_a_figure_that_says_so(tmp_path):
    t = factorial_table([record("lstm", None, 0.0, 0.0, 0, 0.9, grid="har_lecture")])
    assert t.empty and "cell" in t.columns
    assert heatmap(t, tmp_path / "h.png").exists()


def test_heatmap_is_drawn(tmp_path):
    p = heatmap(factorial_table(synthetic()), tmp_path / "h.png")
    assert p.stat().st_size > 10_000


def test_own_grids_are_the_grids_no_claim_reads(tmp_path):
    recs = synthetic() + [record("gru", None, 0.0, 0.0, s, 0.7 + s / 100, grid="my_experiment") for s in range(2)]
    own = own_records(recs, claimed={"har_factorial", "har_factorial_dropout", "har_lecture"})
    assert {r["grid"] for r in own} == {"my_experiment"}
    s = summary(own)
    assert len(s) == 1 and s.iloc[0]["runs"] == 2
    assert s.iloc[0]["test_mean"] == pytest.approx(0.705)
    assert s.iloc[0]["configuration"] == "gru_L1_clipnone_drop0_rdrop0_torch"

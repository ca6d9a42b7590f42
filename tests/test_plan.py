"""rnnbench.plan: counts from the workflow's own expansion, cost linear in epochs, errors that name
the key, and a calibration cache that is reused (measurements mocked: no timing here)."""
from __future__ import annotations

import json

import pytest

from rnnbench import grid, plan
from rnnbench.grid import expand

TINY = "tests/data/config-tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return plan.load_workflow([plan.REPO / TINY])


def fake_measure(calls):
    def measure(kind, what):
        calls.append((kind, what))
        if kind == "rnn":
            return {"train_s_per_step": 1e-6, "eval_s_per_step": 2e-7, "path": "fake"}
        return {"words_per_s": 1e6, "vocab_s_per_token": 1e-7, "path": "fake"}
    return measure


def test_tiny_counts_match_the_grid_expansion(tiny, tmp_path):
    cfg = tiny.config
    for family in plan.SEQUENCE_FAMILIES:          # the workflow's runs are rnnbench.grid.expand's
        assert list(tiny.runs[family]) == list(expand(cfg.get(family), family=family))
    w2v = cfg["word2vec"]
    if hasattr(grid, "expand_word2vec"):
        assert tiny.w2v_runs == list(grid.expand_word2vec(w2v))
    # the main product, then one run from each extra grid (gensim_iter, sample 0)
    assert len(tiny.w2v_runs) == (len(w2v["impls"]) * len(w2v["archs"]) * len(w2v["losses"])
                                  * len(w2v["seeds"])) + len(w2v["extra_grids"])
    assert {"gensim_iter-cbow-ns-seed1", "ours-cbow-ns-sample0-seed1"} <= set(tiny.w2v_runs)
    jobs, meta = plan.plan_jobs(tiny, None, data_root=tmp_path)   # empty root: documented constants
    n_runs = sum(len(r) for r in tiny.runs.values()) + len(tiny.w2v_runs)
    assert len(jobs) == n_runs
    steps = {j.run_id: j.train_steps for j in jobs}
    # adding_tiny: epochs 2 x n_train 256 x T 20, for each of its 3 cells
    adding = [r for r in tiny.runs["recurrent"] if r.startswith("adding_tiny/")]
    assert len(adding) == 3 and all(steps[r] == 2 * 256 * 20 for r in adding)
    # har_tiny from the documented constants: 7,352 windows less 4 of 21 subjects' share, 128 steps
    har_train = plan.HAR_TRAIN - round(plan.HAR_TRAIN * 4 / plan.HAR_SUBJECTS)
    har = [r for r in tiny.runs["recurrent"] if r.startswith("har_tiny/")]
    assert len(har) == 4 and all(steps[r] == 2 * har_train * 128 for r in har)
    assert meta["sources"][har[0]].startswith("constant")
    # imdb_tiny: 1 epoch x 200 reviews x 40 tokens; word2vec: 100k-token prefix x 1 epoch
    assert all(steps[r] == 200 * 40 for r in tiny.runs["embedding"])
    assert all(steps[f"word2vec/{r}"] == 100_000 for r in tiny.w2v_runs)
    rows = plan.summarise(jobs, meta)
    assert sum(r.runs for r in rows) == n_runs
    assert sum(r.train_steps for r in rows) == sum(steps.values())


def test_cost_is_linear_in_epochs(tmp_path):
    calls = []
    cal = plan.Calibration(tmp_path / "cal.json", cpu="test cpu", measure=fake_measure(calls))

    def cost(epochs):
        entry = {"name": "g", "task": "adding", "cells": ["lstm", "gru"], "seq_len": 30, "n_train": 100,
                 "n_test": 10, "epochs": epochs, "batch_size": 10, "seeds": [0, 1]}
        wf = plan.Workflow(config={}, runs={"recurrent": expand([entry])}, w2v_runs=[], threads={"train": 1})
        jobs, _ = plan.plan_jobs(wf, cal, data_root=tmp_path)
        t = plan.totals(jobs, cores=2)
        return t.train_steps, t.core_h
    (s1, c1), (s2, c2), (s3, c3) = cost(5), cost(10), cost(15)
    assert s2 == 2 * s1 and s3 == 3 * s1 == 3 * 5 * 100 * 30 * 4
    assert c3 - c2 == pytest.approx(c2 - c1) and c2 > c1 > 0
    assert len(calls) == 2                       # one measurement per shape (lstm, gru), then cached


def test_unknown_key_is_an_error_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recurrent:\n  - {name: x, task: adding, cells: [lstm], epochz: 3}\n")
    assert plan.main(["--no-calibrate", "--configfile", str(bad)]) == 2
    assert "epochz" in capsys.readouterr().err


def test_unknown_cell_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recurrent:\n  - {name: x, task: adding, cells: [lstmm]}\n")
    with pytest.raises(plan.PlanError, match="lstmm"):
        plan.load_workflow([bad])


def test_calibration_cache_is_reused(tmp_path, monkeypatch):
    path = tmp_path / "cal.json"
    shape = plan.Shape("torch", "lstm", 9, None, 32, 1, 6, "classification", False, 0.0, 0.0, "double", 1, "auto", 128, 64)
    # the measurement itself, with the timer mocked: a batch of 128 x 64 steps "takes" 0.0128 s
    monkeypatch.setattr(plan.calibration, "_best_time", lambda fn, repeats=plan.CAL_REPEATS: 0.0128)
    entry = plan.measure_torch(shape)
    assert entry["train_s_per_step"] == pytest.approx(0.0128 / (128 * 64))
    calls = []
    cal = plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls))
    cal.get("rnn", shape)
    cal.get("rnn", shape)
    assert len(calls) == 1 and cal.measured and not cal.cached
    again = plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls))
    assert again.get("rnn", shape)["path"] == "fake" and len(calls) == 1 and again.cached
    other_cpu = plan.Calibration(path, cpu="cpu B", measure=fake_measure(calls))
    other_cpu.get("rnn", shape)
    assert len(calls) == 2                       # keyed by the CPU
    forced = plan.Calibration(path, cpu="cpu A", force=True, measure=fake_measure(calls))
    forced.get("rnn", shape)
    forced.get("rnn", shape)
    assert len(calls) == 3                       # --calibrate measures again, once
    assert set(json.loads(path.read_text())) == {"cpu A", "cpu B"}


def test_list_schedule():
    jobs = [plan.Job("f", "g", f"r{i}", 1, s, None, 0) for i, s in enumerate([4.0, 3.0, 3.0, 2.0])]
    assert plan.makespan(jobs, 2, lambda j: j.cpu_s) == pytest.approx(6.0)
    # a job that waits for another starts after it
    jobs.append(plan.Job("f", "g", "late", 1, 5.0, None, 0, depends_on="r3"))
    assert plan.makespan(jobs, 2, lambda j: j.cpu_s) >= 2.0 + 5.0

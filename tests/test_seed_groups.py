"""The seeds of an arm as one job: the grid groups runs that differ only in their seed, and a
group's job writes each seed's record where and as its run alone writes it."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnnbench.grid import (GridError, expand, expand_word2vec, group_id, group_resources, groups, split, stage_prefix,
                           staged, word2vec_groups)
from rnnbench.train import member_specs, run, run_group

def read_history(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


ENTRY = {"name": "g", "task": "adding", "hidden": 8, "seq_len": 12, "n_train": 96, "n_test": 32, "epochs": 3,
         "batch_size": 32, "lr": 0.01, "seeds": [0, 1, 2]}


def test_groups_are_the_seeds_of_one_arm():
    runs = expand([{**ENTRY, "cells": ["lstm", "gru"], "clipvalue": [None, 0.5]},
                   {**ENTRY, "name": "k", "cells": ["lstm"], "backend": "keras"}])
    gs = groups(runs)
    torch_groups = [g for g in gs.values() if g["backend"] == "torch"]
    assert len(torch_groups) == 4 and all(g["seeds"] == [0, 1, 2] for g in torch_groups)
    assert sum(len(g["run_ids"]) for g in gs.values()) == len(runs)
    keras = [g for g in gs.values() if g["backend"] == "keras"]
    assert len(keras) == 3 and all(len(g["seeds"]) == 1 for g in keras)   # one seed per process
    for g in gs.values():
        for spec in member_specs(g):
            assert spec == runs[spec["run_id"]]        # each member's spec is its run's own
    assert group_id("g/lstm_L1_clipnone_drop0_rdrop0_torch/seed2") == "g/lstm_L1_clipnone_drop0_rdrop0_torch"
    with pytest.raises(GridError):
        group_id("no-seed-here")
    r = group_resources(torch_groups[0], 1, "laptop")
    assert r["runtime"] == 3 * group_resources({"seeds": [0]}, 1, "laptop")["runtime"]
    assert r["mem_mb"] > group_resources({"seeds": [0]}, 1, "laptop")["mem_mb"]


def test_a_run_two_grid_entries_name_trains_once(tmp_path):
    """An arm two entries list (same settings, same seeds: har_clip's clipvalue-0.5 LSTM is har_lecture's)
    is one group: the second entry's runs are aliases of the first's and train nothing; an entry sharing
    only some seeds trains the others; the alias record is the trained one under its own name."""
    from rnnbench.records import alias

    runs = expand([{**ENTRY, "cells": ["lstm", "gru"], "clipvalue": [None, 0.5]},
                   {**ENTRY, "name": "again", "cells": ["lstm"], "clipvalue": 0.5, "seeds": [1, 2, 3]}])
    gs = groups(runs)
    first = "g/lstm_L1_clip0.5_drop0_rdrop0_torch"
    assert gs[first]["aliases"] == {f"again/lstm_L1_clip0.5_drop0_rdrop0_torch/seed{s}": f"{first}/seed{s}"
                                    for s in (1, 2)}
    assert gs["again/lstm_L1_clip0.5_drop0_rdrop0_torch"]["seeds"] == [3]     # only seed 3 trains there
    assert sum(len(g["run_ids"]) + len(g.get("aliases", {})) for g in gs.values()) == len(runs)
    assert [s["run_id"] for s in member_specs(gs[first])] == [f"{first}/seed{s}" for s in (0, 1, 2)]
    # the record under the alias: the trained run's numbers, its own name and config
    (group,) = groups(expand([{**ENTRY, "cells": ["lstm"], "clipvalue": 0.5, "seeds": [1]}])).values()
    trained = tmp_path / "groups"
    run_group(group, None, trained, "cpu", 1)
    rid, name = f"{first}/seed1", "again/lstm_L1_clip0.5_drop0_rdrop0_torch/seed1"
    rec = alias(trained / rid, tmp_path / name, runs[name])
    src = json.loads((trained / rid / "metrics.json").read_text())
    assert rec["run_id"] == name and rec["grid"] == "again" and rec["config"] == runs[name]
    assert rec["trained_as"] == rid and rec["final"] == src["final"] and rec.get("group") == src.get("group")
    assert (tmp_path / name / "history.csv").read_text() == (trained / rid / "history.csv").read_text()
    other = {**runs[name], "lr": 0.02}
    with pytest.raises(ValueError, match="their specs differ in lr"):
        alias(trained / rid, tmp_path / "wrong", other)
    assert not (tmp_path / "wrong").exists()


def test_seeds_per_job_splits_an_arm_into_jobs_of_consecutive_seeds():
    """seeds_per_job: at most N seeds of an arm per job, consecutive, each part keyed by its seed range
    and its arm; its records staged inside its own job folder; aliases stay with the run they name."""
    runs = expand([{**ENTRY, "cells": ["lstm"], "seeds": [0, 1, 2, 3, 4]},
                   {**ENTRY, "name": "again", "cells": ["lstm"], "seeds": [3, 4]},
                   {**ENTRY, "name": "small", "cells": ["gru"], "seeds": [7, 8]}])
    whole = groups(runs)
    arm = "g/lstm_L1_clipnone_drop0_rdrop0_torch"
    gs = groups(runs, seeds_per_job=2)
    assert list(gs) == [f"seeds0-1/{arm}", f"seeds2-3/{arm}", f"seeds4/{arm}", "small/gru_L1_clipnone_drop0_rdrop0_torch"]
    assert [g["seeds"] for g in gs.values()] == [[0, 1], [2, 3], [4], [7, 8]]   # an arm within N: unchanged
    assert all(g["group_id"] == arm for g in list(gs.values())[:3])
    assert [r for g in gs.values() for r in g["run_ids"]] == [r for g in whole.values() for r in g["run_ids"]]
    # the aliases (again's seeds 3, 4 are g's) go with the part that trains their run
    assert gs[f"seeds2-3/{arm}"]["aliases"] == {"again/lstm_L1_clipnone_drop0_rdrop0_torch/seed3": f"{arm}/seed3"}
    assert gs[f"seeds4/{arm}"]["aliases"] == {"again/lstm_L1_clipnone_drop0_rdrop0_torch/seed4": f"{arm}/seed4"}
    assert "aliases" not in gs[f"seeds0-1/{arm}"]
    # where the job writes: <groups>/<prefix>/<run id>, inside its output folder <groups>/<job id>
    assert stage_prefix(f"seeds2-3/{arm}", gs[f"seeds2-3/{arm}"]) == "seeds2-3"
    assert staged(f"seeds2-3/{arm}", gs[f"seeds2-3/{arm}"]) == {f"{arm}/seed{s}": f"seeds2-3/{arm}/seed{s}" for s in (2, 3)}
    assert staged(arm, whole[arm])[f"{arm}/seed0"] == f"{arm}/seed0" and stage_prefix(arm, whole[arm]) == ""
    for jid, g in gs.items():
        assert all(p.startswith(jid + "/") for p in staged(jid, g).values())
    # resources follow the part, not the arm
    assert group_resources(gs[f"seeds4/{arm}"], 1, "laptop")["runtime"] == group_resources({"seeds": [0]}, 1, "laptop")["runtime"]
    assert groups(runs, seeds_per_job=5) == whole and split(whole, None) == whole
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(GridError, match="seeds_per_job must be a positive integer"):
            split(whole, bad)
    with pytest.raises(GridError, match="does not end in its group id"):
        stage_prefix("seeds0-1/other", whole[arm])


def _same_records(alone: dict, grouped: dict, dirs):
    """Same fields, same history (up to float rounding), same verdict-relevant numbers."""
    assert set(grouped) - {"group"} == set(alone)
    for k in ("run_id", "seed", "status", "diverged_epoch", "epochs_run", "config", "params", "metric"):
        assert grouped[k] == alone[k], k
    assert grouped["final"].keys() == alone["final"].keys() and grouped["best"]["epoch"] == alone["best"]["epoch"]
    for k, v in alone["final"].items():
        assert grouped["final"][k] == pytest.approx(v, rel=1e-3, abs=1e-6), k
    assert set(grouped["diagnostics"]) == set(alone["diagnostics"])
    for k, v in alone["diagnostics"].items():
        assert grouped["diagnostics"][k] == pytest.approx(v, rel=1e-3, abs=1e-9), k
    ha, hg = (read_history(d / "history.csv") for d in dirs)
    assert len(ha) == len(hg)
    for a, b in zip(ha, hg):
        assert set(a) == set(b)
        assert float(b["train_loss"]) == pytest.approx(float(a["train_loss"]), rel=1e-4)
        assert float(b["val_mse"]) == pytest.approx(float(a["val_mse"]), rel=1e-4)


@pytest.mark.parametrize("cell, extra", [("lstm", {"dropout": 0.2, "clipvalue": 0.5}),   # batched
                                         ("bnlstm", {})])                                 # one seed at a time
def test_a_group_job_writes_each_seed_record_as_its_run_alone(tmp_path, cell, extra):
    runs = expand([{**ENTRY, "cells": [cell], **extra}])
    (group,) = groups(runs).values()
    out = tmp_path / "grouped"
    subprocess.run([sys.executable, "-m", "rnnbench.train", "--spec", json.dumps(group), "--outdir", str(out),
                    "--device", "cpu", "--threads", "1"], check=True, capture_output=True, text=True)
    for rid, spec in runs.items():
        alone_dir = tmp_path / "alone" / rid
        run(spec, None, alone_dir, "cpu", 1)
        alone = json.loads((alone_dir / "metrics.json").read_text())
        grouped = json.loads((out / rid / "metrics.json").read_text())
        _same_records(alone, grouped, (alone_dir, out / rid))
        assert ("group" in grouped) == (cell == "lstm")
    assert not list(out.glob("**/*checkpoint*"))


def test_a_killed_group_resumes_from_its_checkpoint(tmp_path):
    runs = expand([{**ENTRY, "cells": ["gru"], "checkpoint_every": 1, "epochs": 4}])
    (group,) = groups(runs).values()
    whole = run_group(group, None, tmp_path / "whole", "cpu", 1)
    # the group killed after epoch 2: train 2 epochs keeping the checkpoint, then the full run resumes it
    from rnnbench.models.members import build_members
    from rnnbench.train import _member_data, model_spec, train_config
    from rnnbench.training.loop import fit_members

    specs = member_specs(group)
    datas = _member_data(specs, None)
    mspec = model_spec(specs[0], datas[0])
    ck = tmp_path / "part" / group["group_id"] / "group-checkpoint.pt"
    fit_members(build_members(mspec, group["seeds"], "cpu"), datas, [{**train_config(s), "epochs": 2} for s in specs],
                "cpu", log=lambda s: None, checkpoint=ck)
    assert ck.exists()
    lines = []
    import logging

    handler = logging.Handler()
    handler.emit = lambda rec: lines.append(rec.getMessage())
    logging.getLogger("rnnbench.train").addHandler(handler)
    logging.getLogger("rnnbench.train").setLevel(logging.INFO)
    try:
        resumed = run_group(group, None, tmp_path / "part", "cpu", 1)
    finally:
        logging.getLogger("rnnbench.train").removeHandler(handler)
    assert any("resumed" in s for s in lines)
    for a, b in zip(whole, resumed):
        strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
        ha = strip(read_history(tmp_path / "whole" / a["run_id"] / "history.csv"))
        hb = strip(read_history(tmp_path / "part" / b["run_id"] / "history.csv"))
        assert len(ha) == len(hb) == 4
        for ra, rb in zip(ha, hb):    # float rounding may differ with memory layout (aligned SIMD tails)
            assert ra.keys() == rb.keys()
            assert [float(v) for v in rb.values()] == pytest.approx([float(v) for v in ra.values()], rel=1e-6)
    assert not ck.exists()


def test_seeds_per_job_through_the_dag(tmp_path):
    """With seeds_per_job the DAG runs one training job per part of an arm, and each run's record, copied
    from inside its part's job folder, is the record its seed gets in the whole arm's group (alone)."""
    from conftest import REPO

    overlay = tmp_path / "split.yaml"
    entry = {**ENTRY, "name": "split_tiny", "cells": ["lstm"], "epochs": 2, "kernel": "torch"}
    overlay.write_text(json.dumps({"scale": "test", "seeds_per_job": 2, "recurrent": [entry]}))
    arm = "split_tiny/lstm_L1_clipnone_drop0_rdrop0_torch"
    results = tmp_path / "results"
    targets = [str(results / "recurrent" / arm / f"seed{s}" / "metrics.json") for s in (0, 1, 2)]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(overlay),
                           "--config", f"results={results}", f"data={{root: {tmp_path}/data}}", "--", *targets],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in (results / "benchmarks" / "recurrent").iterdir()) == ["seeds0-1", "seeds2"]
    assert (results / "groups" / "recurrent" / "seeds0-1" / arm / "seed1" / "metrics.json").exists()
    (whole,) = groups(expand([entry])).values()
    run_group(whole, None, tmp_path / "whole", "cpu", 1)
    for s in (0, 1, 2):
        got = json.loads(Path(targets[s]).read_text())
        ref = json.loads((tmp_path / "whole" / arm / f"seed{s}" / "metrics.json").read_text())
        assert got["run_id"] == ref["run_id"] and ref["group"]["seeds"] == [0, 1, 2]
        assert (got["group"]["seeds"] == [0, 1]) if s < 2 else ("group" not in got)   # a one-seed part: a run alone
        for k, v in ref["final"].items():
            assert got["final"][k] == pytest.approx(v, rel=1e-5, abs=1e-7), (s, k)


def test_a_word2vec_group_through_the_dag(tmp_path, mirror):
    """word2vec's seeds train as one job per group (split by seeds_per_job, as an arm): each run's record,
    history and vectors land in its own folder, copied from inside its job's folder, and a seed's vectors
    are those of the same seed in another part (workers=1: a deterministic run)."""
    from conftest import REPO, tiny_env

    overlay = tmp_path / "w2v.yaml"
    overlay.write_text(json.dumps({
        "scale": "test", "seeds_per_job": 2,
        "word2vec": {"corpus": "offline-english", "prefix_tokens": 20000, "impls": ["ours"], "archs": ["cbow"],
                     "losses": ["ns"], "seeds": [1, 2, 3], "extra_grids": [], "softmax_cost": None,
                     "epochs": 1, "workers": 1, "vector_size": 16, "kernel": "torch"}}))
    results = tmp_path / "results"
    runs = results / "word2vec" / "offline-english-20000"
    targets = [str(runs / f"ours-cbow-ns-seed{s}" / "metrics.json") for s in (1, 2, 3)]
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(overlay),
                           "--config", f"results={results}", f"data={{root: {tmp_path}/data}}", "--", *targets],
                          cwd=REPO, env=tiny_env(mirror), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = results / "groups" / "word2vec" / "offline-english-20000"
    assert sorted(p.name for p in jobs.iterdir()) == ["seeds1-2", "seeds3"]
    assert sorted(p.name for p in (results / "benchmarks" / "word2vec" / "offline-english-20000").iterdir()) == [
        "seeds1-2", "seeds3"]
    for s in (1, 2, 3):
        rec = json.loads(Path(targets[s - 1]).read_text())
        assert rec["run_id"] == f"ours-cbow-ns-seed{s}" and rec["seed"] == s
        assert rec["group"] == {"id": "ours-cbow-ns", "seeds": [1, 2] if s < 3 else [3]}
        part = "seeds1-2" if s < 3 else "seeds3"
        staged = jobs / part / "ours-cbow-ns" / f"ours-cbow-ns-seed{s}"
        for f in ("metrics.json", "history.csv", "vectors.bin"):
            assert (runs / f"ours-cbow-ns-seed{s}" / f).read_bytes() == (staged / f).read_bytes(), (s, f)
    assert (runs / "ours-cbow-ns-seed1" / "vectors.bin").read_bytes() != (runs / "ours-cbow-ns-seed2" / "vectors.bin").read_bytes()


def test_word2vec_runs_group_by_everything_but_the_seed():
    runs = expand_word2vec({"impls": ["ours", "gensim"], "archs": ["cbow"], "losses": ["hs", "ns"], "seeds": [1, 2, 3],
                            "extra_grids": [{"impls": ["ours"], "losses": ["ns"], "sample": [0], "seeds": [7]}]})
    gs = word2vec_groups(runs)
    assert list(gs) == ["ours-cbow-hs", "ours-cbow-ns", "gensim-cbow-hs", "gensim-cbow-ns", "ours-cbow-ns-sample0"]
    assert gs["ours-cbow-ns"]["seeds"] == [1, 2, 3] and gs["ours-cbow-ns-sample0"]["seeds"] == [7]
    assert gs["ours-cbow-ns-sample0"]["run_ids"] == ["ours-cbow-ns-sample0-seed7"]
    assert sorted(r for g in gs.values() for r in g["run_ids"]) == sorted(runs)
    for g in gs.values():        # each group's settings are each of its runs' but the seed
        for rid, seed in zip(g["run_ids"], g["seeds"]):
            assert runs[rid] == {**{k: v for k, v in g.items() if k not in ("seeds", "run_ids", "group_id")},
                                 "seed": seed, "run_id": rid}
    assert list(word2vec_groups(runs, 2))[:2] == ["seeds1-2/ours-cbow-hs", "seeds3/ours-cbow-hs"]
    with pytest.raises(GridError, match="'ours-cbow-hs' is not its settings' 'ours-cbow-hs-seed1'"):
        word2vec_groups({"ours-cbow-hs": {**runs["ours-cbow-hs-seed1"], "run_id": "ours-cbow-hs"}})

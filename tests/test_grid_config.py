"""Grid expansion and config validation: bad config fails before any job, naming the key."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml
from snakemake.utils import validate

from rnnbench.grid import GridError, expand

SCHEMA = "workflow/schemas/config.schema.yaml"


def entry(**kw):
    base = {"name": "g", "task": "har", "cells": ["lstm", "gru"], "clipvalue": [None, 0.5], "seeds": [0, 1]}
    base.update(kw)
    return base


def test_every_combination_is_one_run_with_a_unique_readable_id():
    runs = expand([entry()])
    assert len(runs) == 2 * 2 * 2
    assert "g/lstm_L1_clipnone_drop0_rdrop0_torch/seed0" in runs
    assert "g/gru_L1_clip0.5_drop0_rdrop0_torch/seed1" in runs
    spec = runs["g/gru_L1_clip0.5_drop0_rdrop0_torch/seed1"]
    assert spec["clipvalue"] == 0.5 and spec["seed"] == 1 and spec["cell"] == "gru"


def test_swept_lr_and_length_enter_the_id():
    runs = expand([entry(cells=["irnn"], clipvalue=None, seeds=[0], lr=[1e-3, 1e-2], seq_len=[50, 100])])
    assert "g/irnn_L1_clipnone_drop0_rdrop0_torch_lr0.001_T50/seed0" in runs and len(runs) == 4


def test_gru_reset_sweep_and_the_reset_before_id():
    runs = expand([entry(cells=["lstm", "gru"], clipvalue=None, seeds=[0], reset_after=[True, False])])
    # the other cells keep the default: the sweep adds the GRU's reset-before run only
    assert sorted(runs) == ["g/gru_L1_clipnone_drop0_rdrop0_torch_resetafter/seed0",
                            "g/gru_L1_clipnone_drop0_rdrop0_torch_resetbefore/seed0",
                            "g/lstm_L1_clipnone_drop0_rdrop0_torch_resetafter/seed0"]
    assert runs["g/gru_L1_clipnone_drop0_rdrop0_torch_resetbefore/seed0"]["reset_after"] is False
    one = expand([entry(cells=["gru"], clipvalue=None, seeds=[0], reset_after=False)])
    assert list(one) == ["g/gru_L1_clipnone_drop0_rdrop0_torch_resetbefore/seed0"]   # named even unswept


def test_dropout_masks_step_is_named_and_the_default_leaves_no_trace():
    """Per-step masks enter the id and the spec; the default (one mask per sequence) leaves both as they were
    before the setting existed, whether it is written or not."""
    plain = expand([entry(cells=["lstm"], clipvalue=None, seeds=[0], dropout=0.25)])
    written = expand([entry(cells=["lstm"], clipvalue=None, seeds=[0], dropout=0.25, dropout_masks="sequence")])
    assert plain == written
    assert list(plain) == ["g/lstm_L1_clipnone_drop0.25_rdrop0_torch/seed0"]
    assert "dropout_masks" not in plain["g/lstm_L1_clipnone_drop0.25_rdrop0_torch/seed0"]
    step = expand([entry(cells=["lstm"], clipvalue=None, seeds=[0], dropout=0.25, dropout_masks=["sequence", "step"])])
    assert sorted(step) == ["g/lstm_L1_clipnone_drop0.25_rdrop0_torch/seed0",
                            "g/lstm_L1_clipnone_drop0.25_rdrop0_torch_masksstep/seed0"]
    assert step["g/lstm_L1_clipnone_drop0.25_rdrop0_torch_masksstep/seed0"]["dropout_masks"] == "step"


def test_arms_are_runs_of_one_grid_that_are_no_product():
    runs = expand([entry(cells=["lstm"], clipvalue=0.5, arms=[
        {"dropout": 0.25, "recurrent_dropout": 0.25, "dropout_masks": "step"},
        {"dropout": 0.25, "recurrent_dropout": 0.0}, {"dropout": 0.0, "recurrent_dropout": 0.25}])])
    assert sorted({r.rpartition("/")[0] for r in runs}) == ["g/lstm_L1_clip0.5_drop0.25_rdrop0.25_torch_masksstep",
                                                            "g/lstm_L1_clip0.5_drop0.25_rdrop0_torch",
                                                            "g/lstm_L1_clip0.5_drop0_rdrop0.25_torch"]
    assert len(runs) == 3 * 2 and all(r["grid"] == "g" and "arms" not in r for r in runs.values())


@pytest.mark.parametrize("bad,message", [
    (entry(cells=["lstm"], dropout=0.25, dropout_masks="step", backend=["keras"]), "backend torch only"),
    (entry(dropout_masks="sometimes"), "dropout_masks must be"),
    (entry(arms=[]), "non-empty list"),
    (entry(arms=[{"seeds": [3]}]), "sets seeds; an arm sets axes only"),
    (entry(arms=[{"clipvalue": 0.1}]), "which the entry sets too"),
    (entry(cells=["lstm", "transformer"]), "unknown cell 'transformer'"),
    (entry(seeds=[]), "axis 'seeds' is empty"),
    (entry(clipvalue=0.5, clipnorm=1.0), "clipvalue or clipnorm"),
    (entry(cells=["lstm"], reset_after=False), "reset-before variant, not for cell 'lstm'"),
    (entry(cells=["bnlstm"], backend=["keras"]), "bnlstm runs with backend torch only"),
])
def test_grid_errors_name_the_problem(bad, message):
    with pytest.raises(GridError, match=message):
        expand([bad])


def test_duplicate_grid_names():
    with pytest.raises(GridError, match="used twice"):
        expand([entry(), entry()])


def _default(repo):
    return yaml.safe_load((repo / "config" / "config.yaml").read_text())


@pytest.mark.parametrize("mutate,needle", [
    (lambda c: c.update(bogus=1), "bogus"),
    (lambda c: c["recurrent"][0].update(epochs="many"), "many"),
    (lambda c: c["recurrent"][0].update(cells=["lstm", "elman"]), "elman"),
    (lambda c: c["recurrent"][0].update(seeds=[]), "seeds"),
    (lambda c: c["har"].update(source="kaggle"), "kaggle"),
    (lambda c: c["recurrent"][0].update(kernel="fastest"), "fastest"),
    (lambda c: c["word2vec"].update(kernel="cuda"), "cuda"),
])
def test_schema_rejects_bad_config(repo, mutate, needle):
    cfg = _default(repo)
    validate(copy.deepcopy(cfg), str(repo / SCHEMA))  # the default is valid
    mutate(cfg)
    with pytest.raises(Exception) as e:
        validate(cfg, str(repo / SCHEMA))
    assert needle in str(e.value)


def test_snakemake_refuses_unknown_key_before_any_job(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recurrent:\n  - {name: x, task: har, cells: [lstm], colour: blue}\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", str(bad),
                           "--config", f"results={tmp_path}/results"],
                          cwd=repo, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "colour" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/full.yaml"])
def test_dry_run_of_shipped_configs(repo, configfile):
    if not (repo / configfile).exists():
        pytest.skip(f"{configfile} not present")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", configfile,
                           "--config", "results=/tmp/rnnbench-dryrun"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "train" in proc.stdout and "report" in proc.stdout


# One bad value per kind of range in the schema: `snakemake -n` refuses it before any job, and its
# message names the key and the value. (The Snakefile validates the merged config in common.smk,
# so the dry run exercises the same path as a real run.)
@pytest.mark.parametrize("overlay,key,value", [
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], lr: -0.1}\n", "lr", "-0.1"),  # positive rate
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], clipvalue: [-1]}\n", "clipvalue", "-1"),  # positive clip
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], dropout: [1.5]}\n", "dropout", "1.5"),  # 0 <= p < 1
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], recurrent_dropout: 1.0}\n", "recurrent_dropout", "1.0"),
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], hidden: [0]}\n", "hidden", "0"),  # positive size
    ("recurrent:\n  - {name: x, task: har, cells: [lstm], batch_size: 0}\n", "batch_size", "0"),  # positive count
    ("names_data: {test_fraction: 1.2}\n", "test_fraction", "1.2"),  # probability in [0, 1]
    ("word2vec: {sample: -0.001}\n", "sample", "-0.001"),  # probability threshold in [0, 1)
    ("word2vec: {sample: [0, 1.0]}\n", "sample", "1.0"),  # a list of them: the grid axis
])
def test_snakemake_dry_run_refuses_out_of_range_values_naming_key_and_value(repo, tmp_path, overlay, key, value):
    bad = tmp_path / "bad.yaml"
    bad.write_text(overlay)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", str(bad),
                           "--config", f"results={tmp_path}/results"],
                          cwd=repo, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert "Error validating config file" in out, out[-2000:]
    assert f"['{key}']" in out and value in out, out[-2000:]
    assert not (tmp_path / "results").exists()


def test_schema_cell_enum_is_the_cell_registry(repo):
    from rnnbench.cells import CELLS

    schema = yaml.safe_load((repo / SCHEMA).read_text())
    assert tuple(schema["definitions"]["cell"]["enum"]) == CELLS


def test_word2vec_grid_is_expanded_by_the_same_product():
    from rnnbench.grid import expand_word2vec

    runs = expand_word2vec({"impls": ["torch", "gensim"], "archs": ["cbow"], "losses": ["hs", "ns"], "seeds": [1, 2]})
    assert len(runs) == 8 and list(runs)[0] == "torch-cbow-hs-seed1"
    assert runs["gensim-cbow-ns-seed2"] == {"impl": "gensim", "arch": "cbow", "loss": "ns", "sample": 0.001,
                                            "seed": 2, "run_id": "gensim-cbow-ns-seed2", "family": "word2vec"}
    assert expand_word2vec(None) == {}


def test_word2vec_sample_axis_and_extra_grids():
    from rnnbench.grid import expand_word2vec, word2vec_run_id

    base = {"impls": ["ours", "gensim"], "archs": ["cbow", "skipgram"], "losses": ["hs", "ns"], "seeds": [1, 2]}
    swept = expand_word2vec({**base, "sample": [0.001, 0]})
    assert len(swept) == 2 * 2 * 2 * 2 * 2
    # the id names sample only off gensim's default: the default's runs keep their ids when it is swept
    assert set(expand_word2vec(base)) < set(swept)
    assert swept["ours-skipgram-ns-sample0-seed2"]["sample"] == 0
    assert list(expand_word2vec({**base, "sample": 1e-5}))[0] == "ours-cbow-hs-sample0.00001-seed1"
    # extra grids: a few runs beside the product, the axes they leave out taken from the main grid
    runs = expand_word2vec({**base, "extra_grids": [{"impls": ["gensim_iter"], "archs": ["cbow"]},
                                                    {"impls": ["ours"], "losses": ["ns"], "sample": [0, 0.001]}]})
    assert len(runs) == 16 + 4 + 4          # ours at 0.001 is already in the main grid: one run, not two
    assert {"gensim_iter-cbow-hs-seed1", "gensim_iter-cbow-ns-seed2", "ours-skipgram-ns-sample0-seed1"} <= set(runs)
    assert word2vec_run_id({"impl": "ours", "arch": "cbow", "loss": "ns", "seed": 3}) == "ours-cbow-ns-seed3"


@pytest.mark.parametrize("cfg,message", [
    ({"sample": [0.001, 1.0]}, r"sample must be a threshold in \[0, 1\).*1\.0"),
    ({"sample": -0.1}, r"sample must be a threshold in \[0, 1\)"),
    ({"extra_grids": [{"impls": ["ours"], "epochs": 2}]}, r"extra_grids\[0\]: unknown key\(s\) epochs"),
    ({"losses": ["softmax"]}, "gensim has no full softmax"),
])
def test_word2vec_grid_errors_name_the_problem(cfg, message):
    from rnnbench.grid import expand_word2vec

    with pytest.raises(GridError, match=message):
        expand_word2vec({"impls": ["ours", "gensim"], "archs": ["skipgram"], "losses": ["ns"], "seeds": [1], **cfg})

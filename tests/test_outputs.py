"""Outputs declared once: each aggregation module's OUTPUTS is what its rule declares and what it
writes, nothing more."""
from __future__ import annotations

import importlib

import pytest

from rnnbench.grid import expand
from rnnbench.report.common import Output, declare
from rnnbench.train import run

MODULES = ("recurrent", "names", "music", "embedding", "word2vec")


def test_paths_expand_placeholders_in_order():
    o = Output("curves", "figures/c_{grid}.png", "curves", "Study")
    assert o.paths("R", grid=["b", "a"]) == ["R/figures/c_b.png", "R/figures/c_a.png"]
    assert Output("t", "tables/t.csv").paths("R") == "R/tables/t.csv"
    assert o.at("R", grid="a").as_posix() == "R/figures/c_a.png"
    with pytest.raises(ValueError, match="no values for grid"):
        o.paths("R")
    known = Output("pca", "figures/p_{group}.png", each=(("group", ("x", "y")),))
    assert known.paths("R") == ["R/figures/p_x.png", "R/figures/p_y.png"]


@pytest.mark.parametrize("family", MODULES)
def test_every_output_has_a_name_and_its_caption_file(family, repo):
    outputs = importlib.import_module(f"rnnbench.report.{family}").OUTPUTS
    names = [o.name for o in outputs]
    assert len(names) == len(set(names)) and "runs" in names and "verdicts" in names
    for o in outputs:
        assert o.path.startswith(("tables/", "figures/"))
        assert (o.caption is None) == (o.category is None)
        if o.caption:
            assert (repo / "workflow" / "report" / f"{o.caption}.rst").exists(), o.caption


@pytest.fixture(scope="module")
def adding_records(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    runs = expand([{"name": "a", "task": "adding", "cells": ["rnn_tanh", "lstm"], "hidden": 4, "seq_len": 8,
                    "n_train": 32, "n_test": 16, "epochs": 1, "batch_size": 16}])
    paths = []
    for rid, spec in runs.items():
        run(spec, None, root / "recurrent" / rid, device_name="cpu", threads=1)
        paths.append(str(root / "recurrent" / rid / "metrics.json"))
    return paths


def test_recurrent_writes_exactly_its_declared_outputs(adding_records, tmp_path):
    from rnnbench.report import recurrent

    written = recurrent.aggregate(adding_records, tmp_path, "test")
    declared = set()
    for o in recurrent.OUTPUTS:
        p = o.paths(str(tmp_path), grid=["a"])
        declared.update([p] if isinstance(p, str) else p)
    on_disk = {str(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == declared
    assert {str(p) for p in written.values()} == declared


@pytest.mark.parametrize("family", ["names", "embedding"])   # music reads fields only its runs have
def test_each_family_writes_exactly_its_declared_outputs(family, adding_records, tmp_path):
    # the adding runs stand in for the family's own: no row of the family's tables is checked here,
    # only which files are written
    module = importlib.import_module(f"rnnbench.report.{family}")
    written = module.aggregate(adding_records, tmp_path, "test")
    declared = {o.paths(str(tmp_path)) for o in module.OUTPUTS}
    assert {str(p) for p in tmp_path.rglob("*") if p.is_file()} == declared
    assert {str(p) for p in written.values()} == declared


def test_declare_reads_the_table_and_refuses_a_bad_line():
    a, b = declare("""
runs      tables/r.csv
pca       figures/p_{group}.png    pca_caption   | Some study
""", group=("x", "y"))
    assert (a.name, a.path, a.caption, a.category) == ("runs", "tables/r.csv", None, None)
    assert (b.caption, b.category) == ("pca_caption", "Some study") and b.paths("R") == ["R/figures/p_x.png", "R/figures/p_y.png"]
    with pytest.raises(ValueError, match="want 'name path'"):
        declare("runs tables/r.csv caption_without_category")
    with pytest.raises(ValueError, match="repeat"):
        declare("runs tables/a.csv\nruns tables/b.csv")

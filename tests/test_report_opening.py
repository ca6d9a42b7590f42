"""The report's opening with the tiny config plus a one-grid overlay of the user's own: the forest
plot first, the user's grid in its own section, above the one line of the claims not run.

Built from the same inputs the document reads — the claims table the engine writes for these runs
and the own-grids table the aggregation writes — on synthetic run records of the configuration's
grids (no training)."""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import yaml

from conftest import REPO
from rnnbench.grid import expand
from rnnbench.claims.engine import claims_table, runs_frame
from rnnbench.report.forest import not_run_summary
from rnnbench.report.opening import opening_blocks
from rnnbench.report.own_grids import claimed_grids, own_records, summary

USER_GRID = {"name": "my_har_width", "task": "har", "cells": ["gru"], "hidden": [16, 64], "epochs": 2,
             "batch_size": 1500, "lr": 0.005}
SEQUENCE_FAMILIES = ("recurrent", "names", "music", "embedding")


def merged_config() -> dict:
    """tests/data/config-tiny.yaml with the overlay ``recurrent: [tiny's grids..., USER_GRID]``."""
    cfg = yaml.safe_load((Path(REPO) / "tests" / "data" / "config-tiny.yaml").read_text())
    over = copy.deepcopy(cfg)
    over["recurrent"] = cfg["recurrent"] + [USER_GRID]
    return over


def synthetic_records(cfg: dict) -> list[dict]:
    recs = []
    for fam in SEQUENCE_FAMILIES:
        for rid, spec in expand(cfg.get(fam), family=fam).items():
            recs.append({"run_id": rid, "family": fam, "grid": spec["grid"], "task": spec["task"],
                         "cell": spec["cell"], "backend": spec["backend"], "seed": spec["seed"], "status": "ok",
                         "metric": "accuracy", "final": {"test_accuracy": 0.5}, "best": {"test_accuracy": 0.5},
                         "config": spec, "params": {"total": 100}, "source": "synthetic",
                         "_path": f"/nonexistent/{rid}/metrics.json"})
    return recs


def blocks_text(blocks) -> list[str]:
    return [f"{b.kind}:{b.content}" for b in blocks]


def test_user_grid_appears_above_the_not_run_line():
    cfg = merged_config()
    recs = synthetic_records(cfg)
    claims = claims_table(runs_frame([]))            # no claim's grid is in the tiny config: all not run
    own = summary(own_records(recs, claimed_grids()))
    assert "my_har_width" in set(own["grid"])
    assert len(own[own["grid"] == "my_har_width"]) == 2   # hidden 16 and 64
    blocks = opening_blocks(claims, own, "test")
    text = blocks_text(blocks)
    forest = next(i for i, t in enumerate(text) if t == "figure:claims_forest.png")
    user = next(i for i, t in enumerate(text) if "`my_har_width`" in t)
    line = next(i for i, t in enumerate(text) if t.startswith("markdown:**Not run:**"))
    assert forest == 0 < user < line
    assert text[user - 1].startswith("html:<h2 id=\"own-grids\"")
    assert "table:own_grids.csv" in text[user:line] and "figure:own_grids_curves.png" in text[user:line]
    # the not-run line is one line naming the grids that would test the claims
    nr = not_run_summary(claims)
    assert blocks[line].content == nr.line() and "\n" not in nr.line()
    assert "`recurrent/har_lecture`" in nr.line() and "`recurrent/har_clip`" in nr.line()


def test_without_own_grids_the_section_is_absent():
    claims = claims_table(runs_frame([]))
    text = blocks_text(opening_blocks(claims, pd.DataFrame(columns=["grid"]), "test"))
    assert not any("own-grids" in t for t in text)
    assert text[0] == "figure:claims_forest.png" and text[-2].startswith("markdown:**Not run:**")
    assert text[-1].startswith("html:<details")


def test_no_claims_table_says_so():
    text = blocks_text(opening_blocks(None, None, "test"))
    assert text == ["markdown:*No claims table: the claims aggregation did not run in this configuration.*"]


def test_columns_that_repeat_one_value_are_said_once():
    from rnnbench.report.doc import constant_line, split_constant

    df = pd.DataFrame({"cell": ["lstm", "gru"], "source": ["hapt", "hapt"], "lr": [0.002, 0.002],
                       "dropout": [None, None], "test": [0.9, 0.8]})
    kept, same = split_constant(df)
    assert list(kept.columns) == ["cell", "test"]
    assert same == {"source": "hapt", "lr": 0.002, "dropout": None}
    assert constant_line(same).startswith("Every row: <code>source</code> = hapt; <code>lr</code> = 0.002")
    one = df.iloc[:1]
    assert split_constant(one)[0].equals(one)                      # one row: nothing repeats
    alike = pd.DataFrame({"a": [1, 1], "b": [2, 2]})
    assert split_constant(alike)[0].equals(alike)                  # nothing would be left: the table stays whole


def test_claim_rows_are_shown_once_each_in_their_section():
    from rnnbench.report.doc import ClaimRows

    claims = pd.DataFrame({"id": ["gk_a", "adding_x", "relu_y", "w_nr", "new_z"],
                           "section": ["LTD", "LTD", "LTD", "W2V", "Other"],
                           "anchor": ["gk", "adding", "adding", "word2vec", ""],
                           "verdict": ["supported", "undecided", "contradicted", "not run", "supported"]})
    cr = ClaimRows(claims)
    assert list(cr.take(prefixes=("relu",))["id"]) == ["relu_y"]
    assert list(cr.take(anchors=("gk", "adding"))["id"]) == ["gk_a", "adding_x"]   # relu_y already shown
    assert cr.take(sections=("W2V",)).empty                                        # not run: the opening's line
    assert cr.shown == {"gk_a", "adding_x", "relu_y"}


def test_claim_rows_found_by_the_lecture_s_words():
    from rnnbench.report.doc import ClaimRows

    claims = pd.DataFrame({"id": ["tanh_vs_relu_adding", "other"], "section": ["LTD", "LTD"],
                           "anchor": ["adding", "adding"], "verdict": ["undecided", "supported"],
                           "quote": ["Use non-saturating activation functions (ReLU or Leaky ReLU)", "x"]})
    assert list(ClaimRows(claims).take(quotes=("Non-Saturating",))["id"]) == ["tanh_vs_relu_adding"]

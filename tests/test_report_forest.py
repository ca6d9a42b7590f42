"""The forest plot the report opens with: one axis for every claim, verdicts read off it, and the
claims not run collapsed into one line (synthetic claims tables; no pipeline)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rnnbench.claims.engine import CLAIM_COLUMNS
from rnnbench.claims.stats import decide_interval
from rnnbench.report.forest import (Boundary, boundary_from_rule, claimed_grids, forest_figure, normalise,
                                    not_run_summary, placed)


def claim(id, section, verdict, estimate=math.nan, lo=math.nan, hi=math.nan, rule="", runs="", kind="effect", why=""):
    row = dict.fromkeys(CLAIM_COLUMNS, "")
    row.update(id=id, section=section, verdict=verdict, estimate=estimate, ci_low=lo, ci_high=hi, rule=rule,
               runs=runs, kind=kind, why=why)
    return row


# rules as the verdict engine words them
NEAR = "95 % CI within 0.9 ± 0.03 → supported; wholly outside → contradicted"
ABOVE = "95 % CI of the difference wholly above 0 → supported; wholly on the other side → contradicted"
BELOW_COL = "95 % CI wholly below majority_baseline 0.6 → supported; wholly on the other side → contradicted"
RATIO = "95 % CI of the ratio wholly above 10 → supported; wholly on the other side → contradicted"
EQUIV = "95 % CI of the difference within ±0.03 → supported; wholly outside → contradicted"


def test_rules_are_read():
    assert boundary_from_rule(NEAR) == Boundary("inside", pytest.approx(0.87), pytest.approx(0.93))
    assert boundary_from_rule(ABOVE) == Boundary("above", 0.0)
    assert boundary_from_rule(BELOW_COL) == Boundary("below", 0.6)
    assert boundary_from_rule(RATIO) == Boundary("above", 10.0, log=True)
    assert boundary_from_rule(EQUIV) == Boundary("inside", -0.03, 0.03)
    assert boundary_from_rule("equals (5376, 198, 5574) → supported; otherwise contradicted") is None


@pytest.mark.parametrize("rule,band", [(NEAR, (0.87, 0.93)), (ABOVE, (0.0, math.inf)), (BELOW_COL, (-math.inf, 0.6)),
                                       (EQUIV, (-0.03, 0.03))])
def test_the_axis_reproduces_every_verdict(rule, band):
    """On the normalised axis a bar wholly right of 0 is supported and wholly left contradicted —
    the engine's own decision on the raw interval, for intervals on both sides and across the edges."""
    b = boundary_from_rule(rule)
    rng = np.random.default_rng(1)
    centre = 0.9 if b.side == "inside" and b.lo > 0 else (0.6 if b.side == "below" else 0.0)
    for _ in range(300):
        m = centre + rng.normal(0, 0.1)
        h = abs(rng.normal(0, 0.05)) + 1e-4
        x, lo, hi = normalise(m, m - h, m + h, b)
        on_axis = "supported" if lo > 0 else "contradicted" if hi < 0 else "undecided"
        assert on_axis == decide_interval(m - h, m + h, band)
        assert lo <= x <= hi


def test_one_sided_units_are_half_widths():
    # difference 0.3 ± 0.1 against 0 (above): 3 half-widths right, bar [2, 4]
    assert normalise(0.3, 0.2, 0.4, Boundary("above", 0.0)) == pytest.approx((3.0, 2.0, 4.0))
    # the same numbers against "below 0": mirrored
    assert normalise(0.3, 0.2, 0.4, Boundary("below", 0.0)) == pytest.approx((-3.0, -4.0, -2.0))
    # a ratio 20 [10, 40] against 10 on the log scale: log 2 / log 2 = 1 half-width; bar [0, 2]
    x, lo, hi = normalise(20.0, 10.0, 40.0, Boundary("above", 10.0, log=True))
    assert (x, lo, hi) == pytest.approx((1.0, 0.0, 2.0))


def test_two_sided_band():
    b = Boundary("inside", 0.87, 0.93)
    # 0.90 ± 0.01: the nearer edge is 0.02 away from each end, 0.03 from the centre → [2, 3] half-widths
    assert normalise(0.90, 0.89, 0.91, b) == pytest.approx((3.0, 2.0, 3.0))
    # 0.80 ± 0.02 lies wholly below the band: distance −0.05 at best, −0.09 at worst
    assert normalise(0.80, 0.78, 0.82, b) == pytest.approx((-3.5, -4.5, -2.5))


def test_no_interval_and_zero_width():
    assert all(math.isnan(v) for v in normalise(0.5, math.nan, math.nan, Boundary("above", 0.0)))
    x, lo, hi = normalise(0.5, 0.5, 0.5, Boundary("above", 0.0))   # every seed alike, clear of the boundary
    assert x == lo == hi == math.inf


def synthetic() -> pd.DataFrame:
    return pd.DataFrame([
        claim("a_sup", "Long-term dependencies", "supported", 0.3, 0.2, 0.4, ABOVE, "recurrent/adding_long [cell=lstm]"),
        claim("a_und", "Long-term dependencies", "undecided", 0.01, -0.1, 0.12, ABOVE, "recurrent/adding_long [cell=irnn]"),
        claim("h_con", "LSTM on human activity recognition", "contradicted", 0.8, 0.78, 0.82, NEAR,
              "recurrent/har_lecture [cell=lstm]"),
        claim("h_exact", "LSTM on human activity recognition", "supported", rule="equals (1, 2) → supported",
              kind="exact", runs="recurrent/har_lecture"),
        claim("m_nr1", "GRU", "not run", rule="", runs="music/music_tanh [dataset=jsb]; music/music_gru [dataset=jsb]"),
        claim("m_nr2", "GRU", "not run", rule="", runs="music/music_tanh [dataset=pianomidi]; music/music_lstm [dataset=pianomidi]"),
        claim("w_nr", "word2vec", "not run", runs="word2vec [impl=ours, arch=cbow]"),
        claim("u_nr", "GRU", "not run", runs="", why="the speech data are not public"),
    ])


def test_placed_keeps_tested_claims_only():
    p = placed(synthetic())
    assert list(p["id"]) == ["a_sup", "a_und", "h_con", "h_exact"]
    assert p.set_index("id").loc["a_sup", "x"] == pytest.approx(3.0)
    assert p.set_index("id").loc["h_con", "x_high"] < 0
    assert bool(p.set_index("id").loc["h_exact", "exact"])


def test_not_run_collapses_into_one_line_naming_the_grids():
    nr = not_run_summary(synthetic())
    assert nr.ids == ("m_nr1", "m_nr2", "w_nr", "u_nr")
    assert nr.grids == ("music/music_tanh", "music/music_gru", "music/music_lstm", "word2vec")
    assert nr.unavailable == ("u_nr",)
    line = nr.line()
    assert "\n" not in line and line.startswith("**Not run:** 3 claims not tested")
    for g in nr.grids:
        assert f"`{g}`" in line
    assert "`u_nr`" in line
    all_run = not_run_summary(synthetic().query("verdict != 'not run'"))
    assert all_run.ids == () and "Every claim" in all_run.line()


def test_claimed_grids_read_every_arm():
    assert claimed_grids(synthetic()) == {"adding_long", "har_lecture", "music_tanh", "music_gru", "music_lstm"}


def test_forest_figure_is_drawn(tmp_path):
    out = forest_figure(synthetic(), tmp_path / "forest.png")
    assert out.exists() and out.stat().st_size > 5000
    empty = forest_figure(synthetic().query("verdict == 'not run'"), tmp_path / "empty.png")
    assert empty.exists()

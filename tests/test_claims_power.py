"""Seeds fixed before the results (issue 19, item 4): the power calculation and the pilot overlay."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rnnbench import claims as C
from rnnbench.claims import power as P
from rnnbench.claims import replicate as R
from rnnbench.claims.register import SMALLEST_EFFECTS, smallest_effect
from rnnbench.claims.rules import _rows

ROOT = Path(__file__).resolve().parents[1]


# ---- the calculation, against hand-computed cases ------------------------------------------------------

def test_seeds_for_sd_1_and_effect_1_at_power_08():
    # one-edged: n = 9 needs (t.975,8 + t.80,8)² = (2.306 + 0.889)² = 10.21 > 9; n = 10: (2.262 + 0.883)² = 9.89 ≤ 10
    assert P.units_needed(1.0, 1.0, 0.8) == 10
    # two-edged (a figure's band, an equivalence margin): q = 0.9; n = 12: (2.201 + 1.363)² = 12.70 > 12;
    # n = 13: (2.179 + 1.356)² = 12.50 ≤ 13
    assert P.units_needed(1.0, 1.0, 0.8, two_edged=True) == 13
    # only sd / effect matters; halving the effect (or doubling the sd) about quadruples n
    assert P.units_needed(2.0, 2.0, 0.8) == 10
    assert P.units_needed(2.0, 1.0, 0.8) == P.units_needed(1.0, 0.5, 0.8) == 34
    # no spread: two units suffice; more power needs more units
    assert P.units_needed(0.0, 1.0, 0.8) == 2
    assert P.units_needed(1.0, 1.0, 0.95) > 10


@pytest.mark.parametrize("args", [(1.0, 0.0, 0.8), (1.0, -1.0, 0.8), (float("nan"), 1.0, 0.8), (1.0, 1.0, 1.0),
                                  (-1.0, 1.0, 0.8)])
def test_bad_input_is_refused(args):
    with pytest.raises(ValueError):
        P.units_needed(*args)


def test_a_hopeless_effect_says_so():
    assert P.units_needed(1e3, 1.0, 0.8) == P.N_MAX + 1


# ---- every claim's smallest effect is data, with its source --------------------------------------------

def test_every_claim_with_a_t_interval_has_a_smallest_effect_and_its_source():
    for c in C.REGISTER:
        if c.role != "claim" or not isinstance(c.test, (C.Near, C.Beyond, C.Paired, C.Equivalent)):
            continue
        e = smallest_effect(c)
        assert e is not None and e.size > 0 and e.source, c.id
    assert smallest_effect(C.by_id()["har_lstm_accuracy"]).size == 0.03        # the figure's tolerance
    assert smallest_effect(C.by_id()["chung_gru_lstm_comparable_jsb"]).size == 0.25   # the equivalence's margin
    assert all(k in C.by_id() for k in SMALLEST_EFFECTS)


# ---- the table on synthetic pilot runs -----------------------------------------------------------------

def _standard(n: int) -> np.ndarray:
    z = np.arange(n, dtype=float) - (n - 1) / 2
    return z / z.std(ddof=1)


def _paired_pilot(claim: C.Claim, sd: float, n: int = 6) -> pd.DataFrame:
    t = claim.test
    base = 0.8 + 0.01 * np.arange(n)
    a = base + 0.05 + sd * _standard(n)
    return pd.DataFrame(_rows(t.a, t.metric, a) + _rows(t.b, t.metric, base))


def test_the_table_on_synthetic_pilot_runs():
    reg = C.by_id()
    paired = reg["dropout_improves_test"]            # Paired, δ = 0.03 (HAR's resolution)
    figure = reg["har_lstm_accuracy"]                # Near 0.90 ± 0.03: two-edged
    runs = pd.concat([_paired_pilot(paired, sd=0.03),
                      pd.DataFrame(_rows(figure.test.arm, "test_accuracy", 0.9 + 0.03 * _standard(3)))],
                     ignore_index=True)
    config = {"recurrent": [{"name": "har_clip", "seeds": list(range(10))}, {"name": "har_dropout", "seeds": [0, 1, 2]}]}
    t = P.power_table(runs, config, 0.8, [paired, figure, reg["w2v_king_queen"], reg["adding_irnn_solves"]])
    assert list(t.columns) == P.COLUMNS
    rows = t.set_index("id")
    p = rows.loc["dropout_improves_test"]
    assert p["pilot_n"] == 6 and p["pilot_sd"] == pytest.approx(0.03)
    assert p["smallest_effect"] == 0.03 and "90%" in p["effect_source"]
    assert p["units_needed"] == 10 and p["seeds_needed"] == 10
    assert p["seeds_configured"] == 3 and not p["enough"]          # the fewer of the two arms' grids
    f = rows.loc["har_lstm_accuracy"]
    assert f["pilot_n"] == 3 and f["pilot_sd"] == pytest.approx(0.03)
    assert f["units_needed"] == 13 and f["seeds_needed"] == 13 and f["seeds_configured"] == 10 and not f["enough"]
    k = rows.loc["w2v_king_queen"]                                  # a per-seed rule: the floor, said so
    assert k["seeds_needed"] == C.MIN_SEEDS and "per-seed" in k["note"]
    a = rows.loc["adding_irnn_solves"]                              # not in the pilot: no sd, said so
    assert a["pilot_n"] == 0 and pd.isna(a["seeds_needed"]) and "no sd" in a["note"]
    # per config entry: the most any claim reading it needs, and which claim that is
    g = P.by_grid(t, config, [paired, figure, reg["w2v_king_queen"], reg["adding_irnn_solves"]]).set_index("grid")
    assert g.loc["recurrent/har_dropout", "seeds_needed"] == 10
    assert g.loc["recurrent/har_dropout", "driven_by"] == "dropout_improves_test"
    assert g.loc["recurrent/har_dropout", "seeds_configured"] == 3
    # the unclipped LSTM of har_clip ("w/o gradient clipping"): the figure's 13 outweighs nothing else there
    assert g.loc["recurrent/har_clip", "seeds_needed"] == 13 and g.loc["recurrent/har_clip", "driven_by"] == "har_lstm_accuracy"
    assert g.loc["word2vec/seeds", "seeds_needed"] == C.MIN_SEEDS            # the floor: no claim needs more
    assert g.loc["word2vec/seeds", "driven_by"] == "(the floor)"


def test_a_quiet_pilot_needs_only_the_rules_floor():
    claim = C.by_id()["dropout_improves_test"]
    t = P.power_table(_paired_pilot(claim, sd=0.001), None, 0.8, [claim])
    assert t["units_needed"].iloc[0] == 2 and t["seeds_needed"].iloc[0] == C.MIN_SEEDS


def test_a_relative_effect_scales_with_the_pilots_level():
    claim = C.by_id()["w2v_cbow_faster"]                          # 10 % of skip-gram's words/s
    t = claim.test
    rows = []
    for arm, v in ((t.a, 2.0e5), (t.b, 1.0e5)):
        for i, r in enumerate(_rows(arm, "words_per_second", np.full(4, v) + 1e3 * _standard(4))):
            rows.append({**r, "arch": arm.where["arch"], "loss": "ns", "sample": 0.001, "seed": i})
    out = P.power_table(pd.DataFrame(rows), None, 0.8, [claim]).iloc[0]
    assert out["smallest_effect"] == pytest.approx(1.0e4)
    assert "10 %" in out["effect_source"]


def test_cli_reads_a_claims_runs_csv_and_writes_the_table(tmp_path, capsys):
    claim = C.by_id()["dropout_improves_test"]
    csv = tmp_path / "tables" / "claims_runs.csv"
    csv.parent.mkdir()
    _paired_pilot(claim, sd=0.03).to_csv(csv, index=False)
    P.main(["--pilot", str(tmp_path), "--config", str(ROOT / "config" / "config.yaml")])
    out = pd.read_csv(tmp_path / "tables" / "power.csv").set_index("id")
    assert out.loc["dropout_improves_test", "seeds_needed"] == 10
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert out.loc["dropout_improves_test", "seeds_configured"] == P.seeds_configured(claim, config) >= 5
    printed = capsys.readouterr().out
    assert "dropout_improves_test" in printed and "per config entry" in printed
    grids = pd.read_csv(tmp_path / "tables" / "power_by_grid.csv").set_index("grid")
    assert grids.loc["recurrent/har_dropout", "seeds_needed"] == 10
    with pytest.raises(SystemExit, match="neither"):
        P.main(["--pilot", str(tmp_path / "tables"), "--config", ""])


# ---- the pilot overlay ---------------------------------------------------------------------------------

def test_the_pilot_overlay_is_generated_from_the_default_config_on_seeds_no_other_run_uses():
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    committed = (ROOT / "config" / "pilot.yaml").read_text()
    assert committed == R.render(cfg, pilot=True), ("config/pilot.yaml is out of date: regenerate it with "
                                                    "`python -m rnnbench.claims.replicate --pilot --write config/pilot.yaml`")
    pilot = yaml.safe_load(committed)
    rep = yaml.safe_load((ROOT / "config" / "replicate.yaml").read_text())
    assert pilot["results"] not in (cfg["results"], rep["results"])

    def seeds(c):
        s = {int(x) for fam in R.SEQUENCE_FAMILIES for e in c.get(fam) or [] for x in e.get("seeds", [])}
        return s | {int(x) for x in (c.get("word2vec") or {}).get("seeds", [])}

    assert not seeds(pilot) & seeds(cfg) and not seeds(pilot) & seeds(rep)
    for fam in R.SEQUENCE_FAMILIES:
        assert {e["name"] for e in pilot.get(fam) or []} == {e["name"] for e in rep.get(fam) or []}
        assert all(len(e["seeds"]) == R.PILOT_SEEDS for e in pilot.get(fam) or [])
    assert pilot["imdb"]["vectors"]["seed"] in pilot["word2vec"]["seeds"]



def test_a_pilot_folder_counts_each_run_once(tmp_path):
    """A group job stages its members' records under groups/, and the member rule copies each to the
    run's folder: the pilot reader reads the copies only (reading both had doubled every seed)."""
    import json

    for seed in (2000, 2001, 2002):
        rid = f"har_lecture/lstm_L1_clip0.5_drop0_rdrop0_torch/seed{seed}"
        rec = {"run_id": rid, "family": "recurrent", "grid": "har_lecture", "task": "har", "cell": "lstm",
               "seed": seed, "status": "ok", "metric": "accuracy", "config": {"hidden": 32, "seed": seed},
               "final": {"test_accuracy": 0.8 + seed % 10 / 100}, "best": {}}
        for where in (tmp_path / "groups" / "recurrent" / rid, tmp_path / "recurrent" / rid):
            where.mkdir(parents=True)
            (where / "metrics.json").write_text(json.dumps(rec))
    runs = P.read_pilot(tmp_path)
    assert sorted(runs["seed"]) == [2000, 2001, 2002]
    dup = tmp_path / "recurrent" / "copy" / "metrics.json"          # the same run id twice: an error naming it
    dup.parent.mkdir(parents=True)
    dup.write_text((tmp_path / "recurrent" / "har_lecture" / "lstm_L1_clip0.5_drop0_rdrop0_torch" / "seed2000" /
                    "metrics.json").read_text())
    with pytest.raises(ValueError, match="recorded twice: har_lecture/lstm"):
        P.read_pilot(tmp_path)

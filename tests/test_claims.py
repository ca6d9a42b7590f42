"""The claims register and the verdict engine, on synthetic run records."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rnnbench import claims as C
from rnnbench.claims import engine as E

ROOT = Path(__file__).resolve().parents[1]


def record(tmp: Path, run_id: str, *, grid="g", cell="lstm", seed=0, test=0.9, val=None, family="recurrent",
           metric="accuracy", status="ok", history=None, **cfg) -> dict:
    d = tmp / run_id.replace("/", "_")
    d.mkdir(parents=True)
    hist = history if history is not None else [test]
    with open(d / "history.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch", f"val_{metric}"])
        w.writerows([i + 1, v] for i, v in enumerate(hist))
    final = {} if status == "diverged" else {f"test_{metric}": test, f"val_{metric}": val if val is not None else test,
                                             f"train_eval_{metric}": cfg.pop("train", test)}
    rec = {"run_id": run_id, "family": family, "grid": grid, "task": "har", "cell": cell, "seed": seed,
           "status": status, "metric": metric, "final": final, "best": {f"test_{metric}": test},
           "params": {"recurrent": 100, "head": 10, "total": 110},
           "task_meta": {"class_names": list("abcdef"), "baseline_mse_measured": 0.167},
           "config": {"layers": 1, "clipvalue": None, "lr": 0.001, **cfg}, "_path": str(d / "metrics.json")}
    return rec


def arm_runs(tmp, values, **kw):
    return [record(tmp, f"{kw.get('cell', 'lstm')}{kw.get('clipvalue')}{kw.get('lr')}/s{i}", seed=i, test=v, **kw)
            for i, v in enumerate(values)]


def verdict_of(test, recs):
    claim = C.Claim("x", "s", "q", "src", "effect", test)
    return E.evaluate(claim, E.runs_frame(recs))


A, B = C.Arm("recurrent", "g", {"cell": "lstm"}), C.Arm("recurrent", "g", {"cell": "gru"})


@pytest.mark.parametrize("shift, expected", [(0.05, "supported"), (0.0, "undecided"), (-0.05, "contradicted")])
def test_paired_effect_decides_by_the_interval(tmp_path, shift, expected):
    rng = np.random.default_rng(1)
    base = 0.8 + rng.normal(0, 0.02, 6)
    noise = rng.normal(0, 0.005, 6)
    recs = arm_runs(tmp_path, base + shift + noise, cell="lstm") + arm_runs(tmp_path, base, cell="gru")
    row = verdict_of(C.Paired(A, B, "test_accuracy"), recs)
    assert row["verdict"] == expected, row
    assert row["n"] == 6


def test_effects_need_five_paired_seeds(tmp_path):
    recs = arm_runs(tmp_path, [0.9, 0.91, 0.92, 0.93], cell="lstm") + arm_runs(tmp_path, [0.5, 0.5, 0.5, 0.5],
                                                                               cell="gru")
    row = verdict_of(C.Paired(A, B, "test_accuracy"), recs)
    assert row["verdict"] == "undecided" and "≥ 5" in row["why"]


def test_pairs_are_matched_on_seed(tmp_path):
    # the same values, but b's seeds shifted: only the common seeds pair up
    recs = arm_runs(tmp_path, [0.9] * 6, cell="lstm") + [record(tmp_path, f"gru/s{i}", cell="gru", seed=i + 3, test=0.5)
                                                         for i in range(6)]
    row = verdict_of(C.Paired(A, B, "test_accuracy"), recs)
    assert row["n"] == 3


@pytest.mark.parametrize("values, expected", [([0.89, 0.90, 0.91, 0.90, 0.895], "supported"),
                                              ([0.80, 0.81, 0.80, 0.79, 0.805], "contradicted"),
                                              ([0.80, 0.95, 0.70, 0.99, 0.9], "undecided"),
                                              ([0.89, 0.90, 0.91, 0.90], "undecided"),   # figures need 5 seeds too
                                              ([0.90], "undecided")])
def test_figure_against_source_value(tmp_path, values, expected):
    row = verdict_of(C.Near(A, "test_accuracy", 0.90, 0.03), arm_runs(tmp_path, values))
    assert row["verdict"] == expected, row
    if len(values) < C.MIN_SEEDS:
        assert "≥ 5" in row["why"]


@pytest.mark.parametrize("diff, expected", [(0.0, "supported"), (0.2, "contradicted")])
def test_equivalence(tmp_path, diff, expected):
    rng = np.random.default_rng(2)
    base = 0.8 + rng.normal(0, 0.02, 5)
    recs = arm_runs(tmp_path, base + diff + rng.normal(0, 0.003, 5), cell="lstm") + arm_runs(tmp_path, base,
                                                                                             cell="gru")
    assert verdict_of(C.Equivalent(A, B, "test_accuracy", 0.03), recs)["verdict"] == expected


def test_threshold_may_be_a_column_of_the_runs(tmp_path):
    recs = arm_runs(tmp_path, [0.7, 0.71, 0.72, 0.7, 0.71])
    for r in recs:
        r["task_meta"]["majority_test_accuracy"] = 0.6
    row = verdict_of(C.Beyond(A, "test_accuracy", "majority_baseline", "above"), recs)
    assert row["verdict"] == "supported" and "0.6" in row["rule"]


def test_a_diverged_adding_run_counts_at_the_baseline(tmp_path):
    recs = [record(tmp_path, f"a/s{i}", seed=i, test=0.001, metric="mse") for i in range(3)]
    recs.append(record(tmp_path, "a/s9", seed=9, metric="mse", status="diverged"))
    runs = E.runs_frame(recs)
    assert runs["test_mse"].iloc[-1] == pytest.approx(0.167)
    row = E.evaluate(C.Claim("x", "s", "q", "src", "effect",
                             C.Beyond(A, "log10_test_mse", np.log10(0.05), "below")), runs)
    assert "3 of 4" in row["evidence"] and "1 diverged" in row["evidence"]


def test_drop_statistic_and_divergence(tmp_path):
    ok = record(tmp_path, "r/ok", history=[0.5, 0.8, 0.6, 0.85])
    div = record(tmp_path, "r/div", history=[0.5, 0.9], status="diverged")
    runs = E.runs_frame([ok, div])
    assert runs["max_val_drop"].tolist() == pytest.approx([0.2, 0.9 - 1 / 6])


def test_early_epochs_read_the_validation_curve(tmp_path):
    """The convergence claims compare the validation metric after the same early epochs."""
    ok = record(tmp_path, "r/ok", history=[0.5, 0.6, 0.7, 0.8, 0.82, 0.9])
    short = record(tmp_path, "r/short", history=[0.5, 0.6])                    # stopped after 2 epochs
    div = record(tmp_path, "r/div", history=[0.5, 0.7], status="diverged")    # diverged in epoch 3
    runs = E.runs_frame([ok, short, div]).set_index("run_id")
    assert runs.loc["r/ok", "val_metric_e1"] == 0.5 and runs.loc["r/ok", "val_metric_e5"] == 0.82
    assert runs.loc["r/short", "val_metric_e2"] == 0.6 and np.isnan(runs.loc["r/short", "val_metric_e5"])
    assert runs.loc["r/div", "val_metric_e2"] == 0.7
    assert runs.loc["r/div", "val_metric_e5"] == pytest.approx(1 / 6)          # a diverged classifier: chance


def test_spread_uses_a_bootstrap_over_seeds_within_each_lr(tmp_path):
    rng = np.random.default_rng(3)
    recs = []
    for lr, (mu_a, mu_b) in {0.01: (0.3, 0.85), 0.001: (0.85, 0.86), 0.0001: (0.5, 0.84)}.items():
        recs += arm_runs(tmp_path, mu_a + rng.normal(0, 0.02, 5), cell="lstm", lr=lr)
        recs += arm_runs(tmp_path, mu_b + rng.normal(0, 0.02, 5), cell="gru", lr=lr)
    more = verdict_of(C.Spread(A, B, "test_accuracy"), recs)
    less = verdict_of(C.Spread(B, A, "test_accuracy"), recs)
    assert (more["verdict"], less["verdict"]) == ("supported", "contradicted")


def test_a_claim_whose_runs_are_absent_is_not_run_and_says_which(tmp_path):
    row = verdict_of(C.Paired(A, C.Arm("recurrent", "elsewhere"), "test_accuracy"), arm_runs(tmp_path, [0.9]))
    assert row["verdict"] == "not run" and "recurrent/elsewhere" in row["why"]


def test_register_is_well_formed():
    ids = C.by_id()
    assert len(ids) == len(C.REGISTER)
    for c in C.REGISTER:
        assert c.quote and c.source and c.section
        assert (c.test is None) == (c.not_run is not None)
    with pytest.raises(ValueError, match="either a test or a not_run"):
        C.Claim("bad", "s", "q", "src", "effect", None)


def _config(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_every_claim_runs_in_the_default_config_and_every_family_has_claims():
    cfg = _config(ROOT / "config" / "config.yaml")
    grids = {fam: {e["name"] for e in cfg.get(fam) or []} for fam in ("recurrent", "names", "music", "embedding")}
    for claim in C.REGISTER:
        for arm in claim.arms():
            if arm.family == "word2vec":
                assert cfg.get("word2vec"), claim.id
            else:
                # an arm naming several grids reads the first that ran: one of them runs by default
                assert set(arm.grids) & grids[arm.family], f"{claim.id}: no grid of {arm.grids} in config/config.yaml"
    families = {a.family for c in C.REGISTER for a in c.arms()}
    ran = {f for f, g in grids.items() if g} | ({"word2vec"} if cfg.get("word2vec") else set())
    assert ran <= families, f"families without a claim: {ran - families}"


def test_cli_writes_the_claims_table(tmp_path):
    recs = arm_runs(tmp_path / "runs", [0.9, 0.91])
    paths = []
    for r in recs:
        p = Path(r.pop("_path"))
        p.write_text(json.dumps(r))
        paths.append(str(p))
    E.main(["--outdir", str(tmp_path / "out"), "--scale", "test", *paths])
    import pandas as pd

    t = pd.read_csv(tmp_path / "out" / "tables" / "claims.csv")
    assert list(t["id"]) == [c.id for c in C.REGISTER]
    assert set(t["verdict"]) <= set(E.VERDICTS)
    # the columns other readers rely on (the report's forest plot), in their order; additions follow them
    assert list(t.columns[: len(E.CLAIM_COLUMNS)]) == E.CLAIM_COLUMNS == [
        "id", "section", "quote", "source", "kind", "runs", "statistic", "n", "estimate", "ci_low", "ci_high",
        "evidence", "rule", "verdict", "why", "anchor"]
    assert {"role", "origin", "slide", "boundary", "ci_low_adj", "ci_high_adj", "near_boundary"} <= set(t.columns)

    # the README's summary is made from this table: the headline counts claims, the checks sit apart
    from rnnbench.claims import summary

    md = summary.markdown(t, why=True)
    h = E.headline(t)
    assert md.startswith(f"Of {h['claims']} claims in the register, {h['tested']} are tested")
    claim_rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(claim_rows) == len(t)
    assert "| claim | origin | verdict |" in md and "| check | origin | verdict |" in md
    csv = tmp_path / "out" / "tables" / "claims.csv"
    summary.main([str(csv)])
    with pytest.raises(SystemExit, match="no such file"):
        summary.main([str(tmp_path / "absent.csv")])


def _curve_record(tmp, run_id, factors: dict, *, seed, grid, cell, **cfg):
    """A run record whose diagnostics are geometric curves: {diagnostic name: per-step factor}."""
    rec = record(tmp, run_id, grid=grid, cell=cell, seed=seed, metric="mse", test=0.1, **cfg)
    rec["diagnostics"] = {k: list(2.0 * f ** np.arange(100)) for k, f in factors.items()}
    return rec


def test_gk_claims_read_the_fitted_factor_of_each_gain(tmp_path):
    rng = np.random.default_rng(4)
    recs = [_curve_record(tmp_path, f"gk/g{g}/s{s}", {"grad_vs_distance_init": g + rng.normal(0, 0.002)},
                          seed=s, grid="gk_init", cell="rnn_tanh", recurrent_gain=g, init="orthogonal")
            for g in (0.8, 0.9, 1.0, 1.1, 1.2) for s in range(5)]
    runs = E.runs_frame(recs)
    assert runs["grad_decay_factor_init"].to_numpy() == pytest.approx(
        [g for g in (0.8, 0.9, 1.0, 1.1, 1.2) for _ in range(5)], abs=0.01)
    ids = C.by_id()
    for cid in ("gk_factor_below_1", "gk_factor_above_1", "gk_factor_at_1", "gk_orders_with_g"):
        row = E.evaluate(ids[cid], runs)
        assert row["verdict"] == "supported", row
    # a rate that does not follow g: the ordering claim is contradicted
    flat = [_curve_record(tmp_path / "flat", f"gk/g{g}/s{s}", {"grad_vs_distance_init": 1.0 - 0.02 * (g - 1.0)},
                          seed=s, grid="gk_init", cell="rnn_tanh", recurrent_gain=g, init="orthogonal")
            for g in (0.9, 1.1) for s in range(5)]
    assert E.evaluate(ids["gk_orders_with_g"], E.runs_frame(flat))["verdict"] == "contradicted"


@pytest.mark.parametrize("lstm_g, tanh_g, expected", [(0.99, 0.8, "supported"), (0.7, 0.9, "contradicted")])
def test_highway_claim_compares_the_same_gradient_factor_in_both_cells(tmp_path, lstm_g, tanh_g, expected):
    rng = np.random.default_rng(5)
    recs = []
    for s in range(5):
        # the LSTM's forget product says nothing here: like with like, ‖∂L/∂h_t‖'s factor in both cells
        recs.append(_curve_record(tmp_path, f"l/lstm/s{s}", {"grad_vs_distance_final": lstm_g + rng.normal(0, 0.003),
                                                             "forget_product_final": 0.5}, seed=s,
                                  grid="adding_long_gated", cell="lstm"))
        recs.append(_curve_record(tmp_path, f"l/tanh/s{s}", {"grad_vs_distance_final": tanh_g + rng.normal(0, 0.003)},
                                  seed=s, grid="adding_long", cell="rnn_tanh"))
    row = E.evaluate(C.by_id()["lstm_highway_slower_than_tanh"], E.runs_frame(recs))
    assert row["verdict"] == expected and row["n"] == 5, row
    assert row["statistic"] == "paired difference of grad_decay_factor_final (seed)"
    assert row["estimate"] == pytest.approx(lstm_g - tanh_g, abs=0.01)


def test_the_convergence_gate_knows_the_rules_boundary(tmp_path):
    """A clear effect (a − b ≈ 0.1 > 0) read from runs whose validation metric is still moving: only
    movement toward the boundary, fast enough to cross it in as many epochs again, leaves it undecided."""
    flat = [0.80, 0.85, 0.88, 0.88, 0.88, 0.88]
    toward = [0.50, 0.55, 0.60, 0.65, 0.70, 0.75]        # b still rising +0.05 per epoch: 0.3 in 6 more
    slow = [0.72, 0.73, 0.74, 0.745, 0.75, 0.755]          # b still rising, too slowly to close 0.1
    cases = {"toward": (flat, toward, "undecided"), "away": (toward, flat, "supported"),
             "slow": (flat, slow, "supported")}
    for name, (hist_a, hist_b, expected) in cases.items():
        d = tmp_path / name
        recs = [record(d, f"a/s{i}", cell="lstm", seed=i, test=0.9 + 0.01 * (i % 2), history=hist_a, epochs=6)
                for i in range(6)]
        recs += [record(d, f"b/s{i}", cell="gru", seed=i, test=0.8 + 0.01 * (i % 3), history=hist_b, epochs=6)
                 for i in range(6)]
        row = verdict_of(C.Paired(A, B, "test_accuracy"), recs)
        assert row["verdict"] == expected, (name, row)
        if expected == "undecided":
            assert "still moving toward the boundary" in row["why"] and "would be supported" in row["why"]
    # a statistic no training history tracks (a gradient factor at initialisation) is not gated at all
    gk = C.by_id()["gk_saturated_shrinks_at_1"]
    assert "convergence gate" not in E.evaluate(gk, gk.test.synthesise("supported"))["evidence"]
    # early stopping ended the run: it had stopped moving, whatever its last epochs show
    r = record(tmp_path / "es", "c/s0", history=toward, epochs=10, patience=2)
    assert E.runs_frame([r])["val_pace"].iloc[0] == 0.0


def test_the_pace_is_a_slope_fitted_to_the_last_third_of_the_epochs(tmp_path):
    """The gate's pace is the least-squares slope over the run's last third of its epochs (at least
    four): a line gives its slope, and one epoch's wobble at the end (what another kernel path's float
    rounding can make of a flat curve) moves it by a fraction of what a two-epoch difference would."""
    from rnnbench.claims.runs import PACE_EPOCHS, pace_window

    assert [pace_window(n) for n in (5, 12, 13, 20)] == [PACE_EPOCHS, 4, 5, 7]
    line = [0.5 + 0.01 * i for i in range(20)]
    wobble = [0.80] * 19 + [0.79]
    early = [0.3, 0.9] + [0.80] * 18        # what happened before the window does not count
    paces = {name: E.runs_frame([record(tmp_path / name, f"a/{name}", history=h, epochs=20)])["val_pace"].iloc[0]
             for name, h in (("line", line), ("wobble", wobble), ("early", early))}
    assert paces["line"] == pytest.approx(0.01)
    assert paces["wobble"] == pytest.approx(-0.01 * 3 / 28)   # slope of (0,…,0,−0.01) over 7 epochs
    assert abs(paces["wobble"]) < 0.01 / 3                    # a difference over the last 3 epochs: −0.01 / 3
    assert paces["early"] == pytest.approx(0.0, abs=1e-12)
    # no more epochs than the window: no pace to read (the gate says so instead of deciding on it)
    assert math.isnan(E.runs_frame([record(tmp_path / "short", "a/short", history=line[:4], epochs=4)])["val_pace"].iloc[0])


def test_a_verdict_a_short_budget_can_fake_needs_a_positive_control(tmp_path):
    """adding_irnn_solves contradicted (the IRNN at the baseline) stands only if the LSTM of the same budget solved it."""
    claim = C.by_id()["adding_irnn_solves"]
    irnn = claim.test.synthesise("contradicted")
    for lstm_side, expected in (("supported", "contradicted"), ("contradicted", "undecided")):
        runs = pd.concat([irnn, claim.budget.control.synthesise(lstm_side)], ignore_index=True)
        row = E.evaluate(claim, runs)
        assert row["verdict"] == expected, row
        if expected == "undecided":
            assert row["why"].startswith("undecided (budget)") and "Le et al. 2015" in row["why"]
        else:
            assert "positive control" in row["evidence"]


# ---- word2vec: subsampling, the full softmax's step time, gensim as the lecture runs it (issue 13) --------

def w2v_record(impl="ours", arch="cbow", loss="ns", seed=1, sample=0.001, wps=1e6, analogy=5.0, alone=True) -> dict:
    from rnnbench.grid import word2vec_run_id

    run = {"impl": impl, "arch": arch, "loss": loss, "seed": seed, "sample": sample}
    return {**run, "family": "word2vec", "run_id": word2vec_run_id(run), "status": "ok", "corpus": "c",
            "corpus_tokens": 1000, "corpus_prefix_tokens": 1000, "params": {"sample": sample},
            "words_per_second": wps, "analogy": {"total": {"accuracy_pct": analogy}},
            "neighbours": {"samples": [0 if alone else 1] * 2, "alone": alone}}


def step_record(factors: dict[str, list[float]], alone: bool | None = True) -> dict:
    """The step-time job's record: per timed batch, each loss's seconds (the full softmax's 1 s)."""
    n = len(next(iter(factors.values())))
    batches = [{"batch": k + 1, "pairs": 6000, "seconds": {"softmax": 1.0, **{l: 1.0 / f[k] for l, f in factors.items()}}}
               for k in range(n)]
    return {"family": "word2vec", "kind": "step_cost", "run_id": "softmax-cost", "impl": "ours", "arch": "skipgram",
            "loss": "softmax", "seed": 1, "status": "ok", "params": {"sample": 0.001, "negative": 5}, "vocab_size": 30000,
            "batches": batches, "neighbours": {"alone": alone}}


@pytest.mark.parametrize("speedup, expected", [(2.8, "supported"), (1.4, "contradicted")])   # the paper: 2x - 10x
def test_subsampling_speedup_is_a_paired_ratio(speedup, expected):
    rng = np.random.default_rng(5)
    recs = []
    for arch in ("cbow", "skipgram"):
        for seed in (1, 2, 3):
            wps = 1e6 * rng.uniform(0.5, 3)
            recs += [w2v_record(arch=arch, seed=seed, sample=0.0, wps=wps, analogy=5.0),
                     w2v_record(arch=arch, seed=seed, wps=wps * speedup * rng.uniform(0.97, 1.03), analogy=5.5)]
    runs = E.runs_frame(recs)
    row = E.evaluate(C.by_id()["w2v_subsampling_faster"], runs)
    assert row["verdict"] == expected and row["n"] == 6, row
    assert row["estimate"] == pytest.approx(speedup, rel=0.03) and "ratio" in row["evidence"]
    assert E.evaluate(C.by_id()["w2v_subsampling_better"], runs)["n"] == 6


@pytest.mark.parametrize("factors, expected", [
    ([3000, 3500, 2800, 4000, 3300], "supported"),   # above the theory's V / log2 V = 2017 at V = 30,000
    ([30, 35, 28, 40, 33], "contradicted"),          # an order of magnitude, far below the theory's ratio
    ([3000, 3500], "undecided"),                     # two timed batches are too few
])
def test_softmax_cost_claims_read_the_timed_batches(factors, expected):
    runs = E.runs_frame([step_record({"hs": factors, "ns": [2 * f for f in factors]}),
                         w2v_record(arch="skipgram", loss="hs")])
    assert (runs["kind"] == "step_cost").sum() == 3 * len(factors)
    row = E.evaluate(C.by_id()["w2v_softmax_cost_over_hs"], runs)
    assert row["verdict"] == expected, row
    assert row["n"] == len(factors)
    # an arm that names no kind reads training runs only: the timed rows never pair with them
    assert set(E.select(runs, C.Arm("word2vec", None, {"impl": "ours"}))["kind"]) == {"run"}


def test_ours_equals_gensim_reads_the_iterable_reference():
    rng = np.random.default_rng(6)
    recs = []
    for loss in ("hs", "ns"):
        for seed in (1, 2, 3):
            acc = 5 + rng.normal(0, 0.5)
            recs += [w2v_record(loss=loss, seed=seed, analogy=acc + rng.normal(0, 0.05)),
                     w2v_record(impl="gensim_iter", loss=loss, seed=seed, analogy=acc),
                     w2v_record(impl="gensim", loss=loss, seed=seed, analogy=acc + 3.0),   # corpus_file
                     w2v_record(loss=loss, seed=seed, sample=0.0, analogy=acc - 4.0)]     # no partner: unpaired
    row = E.evaluate(C.by_id()["w2v_ours_equals_gensim"], E.runs_frame(recs))
    assert row["verdict"] == "supported" and row["n"] == 6, row
    assert "gensim_iter" in row["runs"]


def test_every_word2vec_arm_has_runs_in_the_default_config():
    from rnnbench.grid import expand_word2vec

    w2v = _config(ROOT / "config" / "config.yaml")["word2vec"]
    runs = list(expand_word2vec(w2v).values())
    for claim in C.REGISTER:
        for arm in claim.arms():
            if arm.family != "word2vec":
                continue
            if arm.where.get("kind") == "step_cost":
                assert w2v.get("softmax_cost"), claim.id
                continue
            keys = [k for k in arm.where if k in ("impl", "arch", "loss", "sample", "seed")]
            assert any(all(r[k] == arm.where[k] for k in keys) for r in runs), f"{claim.id}: {arm.describe()}"


# ---- statistics: Holm within a section, the boundary margin, exact checks, the paper's direction -----------

def _paired_rows(arm_a, arm_b, diffs, metric="test_accuracy"):
    rows = []
    for i, d in enumerate(diffs):
        for arm, v in ((arm_a, 0.5 + 0.01 * i + d), (arm_b, 0.5 + 0.01 * i)):
            rows.append({**arm.row(), "run_id": f"{arm.describe()}/{i}", "seed": i, metric: v, "val_pace": 0.0,
                         "epochs_run": 10})
    return pd.DataFrame(rows)


def test_holm_corrects_within_a_section_and_shows_both_intervals():
    from rnnbench.claims import stats

    spread = np.array([-1.5, -0.9, -0.3, 0.3, 0.9, 1.5])
    arms = [(C.Arm("recurrent", f"g{k}", {"cell": "lstm"}), C.Arm("recurrent", f"g{k}", {"cell": "gru"}))
            for k in range(3)]
    centres = (5.0, 1.4, 1.4)          # one clear effect, two that pass only at the raw 95 %
    runs = pd.concat([_paired_rows(a, b, c + spread) for (a, b), c in zip(arms, centres)], ignore_index=True)
    register = [C.Claim(f"c{k}", "one section", "q", "src", "effect", C.Paired(a, b, "test_accuracy"))
                for k, (a, b) in enumerate(arms)]
    alone = [E.evaluate(c, runs) for c in register]
    assert [r["verdict"] for r in alone] == ["supported"] * 3
    assert all(0.05 / 3 < r["p_value"] < 0.05 for r in alone[1:])
    t = E.claims_table(runs, register).set_index("id")
    assert list(t["verdict"]) == ["supported", "undecided", "undecided"]
    assert "Holm" in t.loc["c1", "why"]
    # raw and adjusted intervals side by side: the adjusted one is wider
    assert t.loc["c1", "ci_low_adj"] < t.loc["c1", "ci_low"] and t.loc["c1", "ci_high_adj"] > t.loc["c1", "ci_high"]
    assert t.loc["c0", "level_adj"] == pytest.approx(1 - 0.05 / 3)
    # the same claims in sections of their own are not corrected
    apart = [C.Claim(c.id, f"section {k}", "q", "src", "effect", c.test) for k, c in enumerate(register)]
    assert list(E.claims_table(runs, apart)["verdict"]) == ["supported"] * 3
    # checks take no part in the correction
    checks = [C.Claim(c.id, c.section, "q", "src", "effect", c.test, role="check") for c in register]
    assert list(E.claims_table(runs, checks)["verdict"]) == ["supported"] * 3
    adj, _ = stats.holm([0.01, 0.04, 0.03])
    assert adj == pytest.approx([0.03, 0.06, 0.06])


def test_a_verdict_near_its_boundary_is_marked():
    from rnnbench.claims import stats

    assert stats.near_boundary(0.01, 1.0, (0.0, np.inf))
    assert not stats.near_boundary(0.5, 1.0, (0.0, np.inf))
    a, b = C.Arm("recurrent", "g", {"cell": "lstm"}), C.Arm("recurrent", "g", {"cell": "gru"})
    spread = np.array([-1.5, -0.9, -0.3, 0.3, 0.9, 1.5])
    near = E.evaluate(C.Claim("x", "s", "q", "src", "effect", C.Paired(a, b, "test_accuracy")),
                      _paired_rows(a, b, 1.25 + spread))
    far = E.evaluate(C.Claim("x", "s", "q", "src", "effect", C.Paired(a, b, "test_accuracy")),
                     _paired_rows(a, b, 5.0 + spread))
    assert near["verdict"] == far["verdict"] == "supported"
    assert near["near_boundary"] and not far["near_boundary"]


def test_a_rank_is_read_per_seed_not_as_a_t_interval():
    rule = C.by_id()["w2v_king_queen"].test
    assert isinstance(rule, C.EverySeed)
    rows = rule.synthesise("supported")
    rows.loc[0, "queen_rank"] = 40.0          # one seed misses the top 5: no longer every seed
    row = E.evaluate(C.by_id()["w2v_king_queen"], rows)
    assert row["verdict"] == "undecided" and "5 of 6 seeds" in row["evidence"]
    assert np.isnan(row["ci_low"])             # no interval on integer ranks


@pytest.mark.parametrize("bias, recurrent, hidden, expected", [
    ("double", 5504, 32, "supported"),       # PyTorch's two bias vectors: 4 × 32 more than Keras
    ("single", 5376, 32, "supported"),       # one bias per gate, as Keras
    ("double", 5376, 32, "contradicted"),    # a count that forgot the second bias is not Keras' count
])
def test_har_params_recounts_the_trained_model(tmp_path, bias, recurrent, hidden, expected):
    rec = record(tmp_path, "har_lecture/lstm/s0", grid="har_lecture", hidden=hidden, bias=bias)
    rec["params"] = {"recurrent": recurrent, "head": 198, "total": recurrent + 198}
    row = E.evaluate(C.by_id()["har_params"], E.runs_frame([rec]))
    assert row["verdict"] == expected, row
    assert row["role"] == "check" and "trained model" in row["evidence"]


def test_the_nprnn_spectrum_check_reads_the_initialiser():
    rows = pd.DataFrame([{**C.Arm("recurrent", "har_talathi", {"cell": "nprnn"}).row(), "run_id": "n/s0",
                          "seed": 0, "hidden": 32}])
    row = E.evaluate(C.by_id()["nprnn_spectrum"], rows)
    assert row["verdict"] == "supported" and "top 1.000000" in row["evidence"], row


def test_a_verdict_where_the_paper_found_a_tie_says_so():
    claim = C.by_id()["chung_lstm_beats_tanh_pianomidi"]
    row = E.evaluate(claim, claim.test.synthesise("supported"))
    assert row["verdict"] == "supported" and "found a tie" in row["why"] and "9.03" in row["paper"]
    agree = C.by_id()["chung_gru_beats_tanh_jsb"]
    assert "found" not in E.evaluate(agree, agree.test.synthesise("supported"))["why"]


def test_the_headline_counts_claims_not_checks():
    t = pd.DataFrame({"role": ["claim", "claim", "claim", "check", "check"],
                      "verdict": ["supported", "undecided", "not run", "supported", "supported"],
                      "near_boundary": [True, False, False, False, False]})
    h = E.headline(t)
    assert (h["claims"], h["tested"], h["decided"], h["checks"], h["checks_passed"]) == (3, 2, 1, 2, 2)
    assert h["near_boundary"] == 1


def test_drops_are_tied_to_the_gradient_norm_of_their_epoch(tmp_path):
    rec = record(tmp_path, "har_clip/lstm/s0", history=[0.5, 0.7, 0.75, 0.6, 0.8, 0.82])
    h = pd.read_csv(tmp_path / "har_clip_lstm_s0" / "history.csv")
    h["grad_norm_max"] = [9.0, 1.0, 1.2, 10.0, 0.8, 1.0]          # the spike is in the epoch of the drop
    h.to_csv(tmp_path / "har_clip_lstm_s0" / "history.csv", index=False)
    assert E.runs_frame([rec])["drop_grad_log10_ratio"].iloc[0] == pytest.approx(np.log10(10.0 / 1.0))
    calm = record(tmp_path, "har_clip/lstm/s1", history=[0.5, 0.7, 0.75, 0.8])   # no drop: no ratio
    assert np.isnan(E.runs_frame([calm])["drop_grad_log10_ratio"].iloc[0])


# ---- the family tables' source-figure rows speak the claims' vocabulary, by the claims' figure rule ----------

def test_source_figure_rows_use_the_claims_vocabulary_and_rule():
    from rnnbench.report.common import verdict

    def row(values):
        return verdict("recurrent", "HAR LSTM", "slide", 0.90, values, 0.03, "test")

    inside = row([0.90, 0.905, 0.895, 0.90, 0.902])
    assert inside["verdict"] == "supported" and inside["ci_low"] > 0.87 and inside["ci_high"] < 0.93
    assert row([0.70, 0.71, 0.69, 0.70, 0.705])["verdict"] == "contradicted"
    assert row([0.85, 0.95, 0.80, 0.99, 0.90])["verdict"] == "undecided"       # straddles an edge
    few = row([0.90, 0.90, 0.90])                                              # too few seeds for any verdict
    assert few["verdict"] == "undecided" and "3 seeds; a verdict needs ≥ 5" in few["note"]
    assert row([])["verdict"] == "not run"
    assert row([float("nan")] * 5)["verdict"] == "not run"

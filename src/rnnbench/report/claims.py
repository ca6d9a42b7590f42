"""The verdict engine: every claim of :mod:`rnnbench.claims` decided from the run records.

``python -m rnnbench.report.claims --outdir RESULTS --scale S metrics.json...`` writes
``tables/claims.csv`` (one row per claim of the register: verdict, evidence, rule) and
``tables/claims_runs.csv`` (the per-run statistics the verdicts read). It reads nothing but the
run records it is given and their ``history.csv``.

Statistics (95 % intervals throughout):

- means over seeds: Student t interval, ``mean ± t(0.975, n−1) · sd / √n``; n ≥ 2;
- effects: the same interval on the paired differences over the same seeds; n ≥ 5 pairs; a ratio
  effect (a speed-up, a cost factor) takes the interval on the pairs' log ratios and reports it as
  the geometric-mean ratio;
- sensitivity (spread): a percentile bootstrap (2,000 resamples, seeds resampled within each
  learning rate, fixed generator) of the difference of the two standard deviations;
- per run, the per-step factor of a curve against distance (the run record's diagnostics:
  ‖∂L/∂h_t‖, the LSTM's ∏ f_τ): exp of the least-squares slope of log(curve) against T − t
  (:func:`decay_factor`): ``grad_decay_factor_init`` / ``_final``, ``forget_decay_factor_init`` /
  ``_final``.

Diverged runs (NaN/Inf loss) are results, not gaps: a diverged classifier counts at the accuracy
of its majority-class baseline (or chance), a diverged adding run at the baseline MSE, and its
largest validation drop is the fall from its best epoch to that level.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..claims import (MIN_PAIRED_SEEDS, REGISTER, Arm, Beyond, Claim, Equivalent, Exact, Near, Paired, Spread)
from ..records import read_records
from .common import aggregation_main, as_float, write_csv

VERDICTS = ("supported", "contradicted", "undecided", "not run")
CLAIM_COLUMNS = ["id", "section", "quote", "source", "kind", "runs", "statistic", "n", "estimate", "ci_low",
                 "ci_high", "evidence", "rule", "verdict", "why", "anchor"]
BOOTSTRAP = 2000

# config keys a claim's arm may match on (absent keys read as the grid defaults)
CONFIG_KEYS = ("layers", "clipvalue", "clipnorm", "dropout", "recurrent_dropout", "lr", "seq_len", "hidden",
               "epochs", "batch_size", "dataset", "embedding", "encoding", "optimizer", "init", "backend",
               "recurrent_gain")
# diagnostics of the run record (curves against distance) -> their per-step factor's column
DECAY_COLUMNS = {f"{curve}_{when}": f"{col}_decay_factor_{when}" for curve, col in
                 (("grad_vs_distance", "grad"), ("forget_product", "forget")) for when in ("init", "final")}


# ---- one flat table of runs ------------------------------------------------------------------------

def _history(record: dict[str, Any]) -> pd.DataFrame:
    p = Path(record["_path"]).with_name("history.csv")
    return pd.read_csv(p) if p.exists() and p.stat().st_size else pd.DataFrame()


def _floor(record: dict[str, Any]) -> float:
    """What a diverged classifier scores: its majority-class baseline, else chance."""
    meta = record.get("task_meta") or {}
    if meta.get("majority_test_accuracy") is not None:
        return float(meta["majority_test_accuracy"])
    names = meta.get("class_names")
    return 1.0 / len(names) if names else float("nan")


def _val_curve(record: dict[str, Any], metric: str) -> np.ndarray:
    """The run's validation metric per epoch (NaN where not finite), read once from history.csv."""
    h = _history(record)
    col = f"val_{metric}"
    return pd.to_numeric(h[col], errors="coerce").to_numpy(dtype=float) if col in h else np.array([])


def _still_improving(record: dict[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> bool:
    """Whether the run's best validation epoch is among its last ones (the last 10 %, at least 2):
    it had not converged when its epochs ran out. A run that early stopping ended, or that
    diverged, has stopped improving."""
    if diverged or vals.size < 2 or not np.isfinite(vals).any():
        return False
    cfg = record.get("config") or {}
    if cfg.get("patience") and cfg.get("epochs") and vals.size < int(cfg["epochs"]):
        return False
    filled = np.where(np.isfinite(vals), vals, -np.inf if metric == "accuracy" else np.inf)
    best = int(np.argmax(filled) if metric == "accuracy" else np.argmin(filled)) + 1
    return best > vals.size - max(2, math.ceil(0.1 * vals.size))


def _max_val_drop(record: dict[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> float:
    """Largest fall of the validation metric between consecutive epochs (accuracy; for a
    loss-like metric, the largest rise); a diverged run falls from its best epoch to the floor."""
    vals = vals[np.isfinite(vals)]
    steps = np.diff(vals) if vals.size > 1 else np.array([0.0])
    drop = float(np.max(-steps if metric == "accuracy" else steps).clip(min=0)) if vals.size else float("nan")
    if diverged and metric == "accuracy":
        best = float(np.max(vals)) if vals.size else _floor(record)
        drop = max(drop if math.isfinite(drop) else 0.0, best - _floor(record))
    return drop


#: the epochs whose validation metric the runs table carries (``val_metric_e<k>``): a claim of faster
#: convergence compares configurations after the same early budget of updates
EARLY_EPOCHS = (1, 2, 3, 5)


def _early(record: dict[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> dict[str, float]:
    """The validation metric after each of :data:`EARLY_EPOCHS` (a classifier that diverged before
    it: its floor; a run that had stopped before it: NaN)."""
    out = {}
    for k in EARLY_EPOCHS:
        v = vals[k - 1] if vals.size >= k else float("nan")
        if diverged and metric == "accuracy" and not math.isfinite(v):
            v = _floor(record)
        out[f"val_metric_e{k}"] = float(v)
    return out


def decay_factor(curve: Any, start: int = 0) -> float:
    """Per-step factor of a curve against distance d = T − t (the lecture's w of w^(t−s)):
    exp(slope) of the least-squares line through log(curve[d]) for d ≥ ``start``. Values that are
    not finite or not > 0 are left out (a gradient that underflowed to 0 says nothing of its
    rate); NaN with fewer than 3 usable points."""
    if curve is None or len(curve) == 0:
        return float("nan")
    y = np.asarray([as_float(v) for v in curve], dtype=float)
    d = np.arange(y.size, dtype=float)
    keep = (d >= start) & np.isfinite(y) & (y > 0)
    if keep.sum() < 3:
        return float("nan")
    return float(math.exp(np.polyfit(d[keep], np.log(y[keep]), 1)[0]))


def sequence_row(r: dict[str, Any]) -> dict[str, Any]:
    cfg = r.get("config") or {}
    metric = r.get("metric", "accuracy")
    final, best = r.get("final") or {}, r.get("best") or {}
    diverged = r.get("status") == "diverged"
    val_curve = _val_curve(r, metric)
    params = r.get("params") or {}
    meta = r.get("task_meta") or {}
    test = as_float(final.get(f"test_{metric}"))
    row = {"family": r.get("family", "recurrent"), "grid": r.get("grid"), "run_id": r["run_id"],
           "task": r.get("task"), "cell": r.get("cell"), "seed": r.get("seed"), "status": r.get("status"),
           "source": r.get("source"), "metric": metric,
           **{k: cfg.get(k) for k in CONFIG_KEYS},
           "params_recurrent": params.get("recurrent"), "params_head": params.get("head"),
           "params_total": params.get("total"),
           "test_metric": test, "best_test_metric": as_float(best.get(f"test_{metric}")),
           "val_metric": as_float(final.get(f"val_{metric}")),
           "majority_baseline": meta.get("majority_test_accuracy"),
           "max_val_drop": _max_val_drop(r, val_curve, metric, diverged),
           **_early(r, val_curve, metric, diverged),
           "still_improving": _still_improving(r, val_curve, metric, diverged),
           **{col: decay_factor((r.get("diagnostics") or {}).get(key)) for key, col in DECAY_COLUMNS.items()},
           "_config": cfg}
    if metric == "accuracy":
        floor = _floor(r)
        row["test_accuracy"] = floor if diverged else test
        row["val_metric"] = floor if diverged else row["val_metric"]
        train = as_float(final.get("train_eval_accuracy"))
        row["train_test_gap"] = train - test if not diverged else float("nan")
    if metric == "mse":
        base = as_float(meta.get("baseline_mse_measured"))
        mse = base if diverged else test
        row["test_mse"] = mse
        row["log10_test_mse"] = math.log10(mse) if mse > 0 else float("nan")
        row["solved"] = bool(mse < 0.05) if math.isfinite(mse) else False
    return row


LECTURE_CAR = ("driver", "motorcycle", "cars", "truck", "taxi", "vehicle", "racing", "automobile", "passenger",
               "glider")


def word2vec_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per training run; the full softmax's step-time record (``kind: step_cost``) gives
    one row per (timed batch, loss), its ``step_seconds``, paired on ``batch`` by the claims."""
    if r.get("kind") == "step_cost":
        base = {"family": "word2vec", "grid": None, "kind": "step_cost", "impl": r.get("impl"), "arch": r.get("arch"),
                "seed": r.get("seed"), "status": r.get("status"), "source": r.get("corpus"),
                "corpus_tokens": r.get("corpus_tokens"), "vocab_size": r.get("vocab_size"),
                "sample": as_float((r.get("params") or {}).get("sample"))}
        return [{**base, "run_id": f"{r['run_id']}/batch{b['batch']}/{loss}", "loss": loss, "batch": b["batch"],
                 "pairs": b["pairs"], "step_seconds": as_float(secs)}
                for b in r.get("batches") or [] for loss, secs in b["seconds"].items()]
    return [word2vec_row(r)]


def word2vec_row(r: dict[str, Any]) -> dict[str, Any]:
    a = r.get("analogy") or {}
    car = [w for w, _ in (r.get("most_similar") or {}).get("car", [])][:10]
    impl = r.get("impl")
    return {"family": "word2vec", "grid": None, "kind": "run", "run_id": r["run_id"],
            # 'torch' was the name of our own core before it gained its C kernel: one name, 'ours'
            "impl": "ours" if impl == "torch" else impl,
            "arch": r.get("arch"), "loss": r.get("loss"), "seed": r.get("seed"), "status": r.get("status"),
            "sample": as_float((r.get("params") or {}).get("sample")),
            "source": r.get("corpus"), "corpus_tokens": r.get("corpus_tokens"),
            # the lecture's figures are gensim on all of text8: a prefix run is not a test of them
            "corpus_part": "prefix" if r.get("corpus_prefix_tokens") else "whole",
            "words_per_second": as_float(r.get("words_per_second")),
            "analogy_total_pct": as_float((a.get("total") or {}).get("accuracy_pct")),
            "analogy_semantic_pct": as_float((a.get("semantic") or {}).get("accuracy_pct")),
            "wordsim353_spearman": as_float((r.get("wordsim353") or {}).get("spearman")),
            "car_overlap": float(len(set(car) & set(LECTURE_CAR))) if car else float("nan"),
            "queen_rank": as_float(r.get("queen_rank")),
            **{f"offset_excess_{g}": as_float(o.get("excess")) for g, o in (r.get("offsets") or {}).items()}}


def runs_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        rows += word2vec_rows(r) if r.get("family") == "word2vec" else [sequence_row(r)]
    return pd.DataFrame(rows)


# ---- selecting an arm's runs -----------------------------------------------------------------------

def _matches(col: pd.Series, value: Any) -> pd.Series:
    if value is None:
        return col.isna()
    num = pd.to_numeric(col, errors="coerce")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and num.notna().any():
        return np.isclose(num.astype(float), float(value), equal_nan=False) & num.notna()
    return col.astype(str) == str(value)


def select(runs: pd.DataFrame, arm: Arm) -> pd.DataFrame:
    if runs.empty:
        return runs
    m = runs["family"] == arm.family
    if arm.grid is not None:
        m &= runs["grid"] == arm.grid
    if "kind" in runs and "kind" not in arm.where:   # training runs, unless the arm names another kind
        m &= runs["kind"].fillna("run") == "run"
    for k, v in arm.where.items():
        if k not in runs:
            return runs.iloc[0:0]
        m &= _matches(runs[k], v)
    return runs[m]


def _at_best_lr(g: pd.DataFrame, metric: str) -> pd.Series:
    """``metric`` of the runs at the learning rate whose mean validation metric is best (chosen on
    validation, read on test)."""
    if g.empty:
        return pd.Series(dtype=float)
    means = g.groupby("lr")["val_metric"].mean()
    lr = means.idxmax() if g["metric"].iloc[0] == "accuracy" else means.idxmin()
    return g[np.isclose(g["lr"].astype(float), float(lr))][metric]


def values(runs: pd.DataFrame, arm: Arm, metric: str) -> pd.DataFrame:
    g = select(runs, arm)
    if metric.endswith("_at_best_lr"):
        base = metric[: -len("_at_best_lr")]
        kept = _at_best_lr(g, base)
        g = g.loc[kept.index].assign(**{metric: kept})
    if metric not in g:
        return g.assign(**{metric: np.nan})
    return g


# ---- statistics ------------------------------------------------------------------------------------

def t_interval(x: Iterable[float]) -> tuple[float, float, float, int]:
    """Mean, 95 % t interval and n of the finite values."""
    from scipy import stats

    a = np.asarray([v for v in x if math.isfinite(v)], dtype=float)
    n = a.size
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(a.mean())
    if n == 1:
        return m, float("nan"), float("nan"), 1
    sd = float(a.std(ddof=1))
    h = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return m, m - h, m + h, n


def decide_interval(lo: float, hi: float, inside: tuple[float, float]) -> str:
    """supported when [lo, hi] lies within ``inside``, contradicted when it misses it entirely."""
    a, b = inside
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "undecided"
    if a <= lo and hi <= b:
        return "supported"
    if hi < a or lo > b:
        return "contradicted"
    return "undecided"


def _pairs(runs: pd.DataFrame, t: Paired | Equivalent) -> tuple[pd.DataFrame, int, int]:
    mb = getattr(t, "metric_b", None) or t.metric
    a = values(runs, t.a, t.metric)
    b = values(runs, t.b, mb)
    keys = list(t.pair_on)
    if a.empty or b.empty or any(k not in a or k not in b for k in keys):
        return pd.DataFrame(columns=["a", "b", "d"]), len(a), len(b)
    j = a[keys + [t.metric]].rename(columns={t.metric: "a"}).merge(
        b[keys + [mb]].rename(columns={mb: "b"}), on=keys)
    if getattr(t, "ratio", None) is None:
        j["d"] = j["a"] - j["b"]
    else:   # log ratio: a value that is not > 0 has none, and drops out as not finite
        with np.errstate(divide="ignore", invalid="ignore"):
            j["d"] = np.log(j["a"].astype(float)) - np.log(j["b"].astype(float))
    return j[np.isfinite(j["d"].astype(float))], len(a), len(b)


def _std_boot(g: pd.DataFrame, metric: str, strata: list[str], rng: np.random.Generator) -> np.ndarray:
    groups = [x[metric].to_numpy(float) for _, x in g.groupby(strata)] if strata else [g[metric].to_numpy(float)]
    out = np.empty(BOOTSTRAP)
    for i in range(BOOTSTRAP):
        out[i] = np.std(np.concatenate([rng.choice(x, x.size) for x in groups]), ddof=1)
    return out


def _exact_statistic(name: str, g: pd.DataFrame) -> tuple[Any, str]:
    if g.empty:
        return None, "no run"
    if name == "keras_params_recurrent_head_total":
        from .recurrent import keras_counts

        cfg = g.iloc[0]["_config"]
        c = keras_counts(cfg, n_inputs=9, n_outputs=6)
        got = (c.get("recurrent"), c.get("head"), c.get("total"))
        if not all(isinstance(x, int) for x in got):
            return None, f"Keras' count is not available here: {c.get('total')}"
        return got, (f"Keras' model.summary() of the model run {g.iloc[0]['run_id']} trained: "
                     f"{got[0]} + {got[1]} = {got[2]} (our PyTorch layer: {g.iloc[0]['params_total']}, "
                     "two bias vectors per gate)")
    if name == "recurrent_param_ratio_irnn_nprnn_lstm":
        per = {c: g[g["cell"] == c]["params_recurrent"].dropna() for c in ("irnn", "nprnn", "lstm")}
        if any(v.empty for v in per.values()):
            return None, "needs irnn, nprnn and lstm runs"
        base = float(per["irnn"].iloc[0])
        got = tuple(round(float(v.iloc[0]) / base, 3) for v in per.values())
        return got, "recurrent-layer parameters " + ", ".join(f"{c} {int(v.iloc[0]):,}" for c, v in per.items())
    raise ValueError(f"unknown exact statistic {name!r}")


def _fmt(v: float, digits: int = 3) -> str:
    return "—" if not math.isfinite(v) else f"{v:.{digits}g}"


def evaluate(claim: Claim, runs: pd.DataFrame) -> dict[str, Any]:
    """One row of the claims table. A claim marked ``converged`` is decided only on runs that had
    stopped improving: if more than half the runs of any of its arms still set their best
    validation score in their last epochs, a supported or contradicted verdict becomes undecided
    (the budget cannot show it either way)."""
    row = _evaluate(claim, runs)
    if not claim.converged or row["verdict"] not in ("supported", "contradicted"):
        return row
    notes, open_arms = [], []
    t = claim.test
    metrics = [getattr(t, "metric", "")] * 2
    if getattr(t, "metric_b", None):
        metrics[1] = t.metric_b
    for arm, metric in zip(claim.arms(), metrics):
        g = values(runs, arm, metric) if metric else select(runs, arm)  # the runs read: at best lr where so
        k = int(g["still_improving"].fillna(False).astype(bool).sum()) if "still_improving" in g else 0
        notes.append(f"{k} of {len(g)} still improving")
        if k * 2 > len(g):
            open_arms.append(arm.describe())
    row["evidence"] += "; runs " + " / ".join(notes)
    if open_arms:
        row["why"] = (f"would be {row['verdict']}, but most runs of {', '.join(open_arms)} were still improving at "
                      f"their last epoch: not converged, so the comparison cannot show the claim either way; "
                      f"{claim.settle or 'more epochs'}")
        row["verdict"] = "undecided"
    return row


def _evaluate(claim: Claim, runs: pd.DataFrame) -> dict[str, Any]:
    row = {"id": claim.id, "section": claim.section, "quote": claim.quote, "source": claim.source,
           "kind": claim.kind, "runs": "; ".join(a.describe() for a in claim.arms()), "statistic": "",
           "n": 0, "estimate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "evidence": "",
           "rule": "", "verdict": "not run", "why": "", "anchor": claim.anchor}
    t = claim.test
    if t is None:
        row["why"] = claim.not_run
        return row
    missing = [a for a in claim.arms() if select(runs, a).empty]
    if missing:
        row["why"] = "no run of " + ", ".join(a.describe() for a in missing) + " in this configuration"
        return row
    settle = claim.settle or "more seeds"

    if isinstance(t, (Near, Beyond)):
        g = values(runs, t.arm, t.metric)
        m, lo, hi, n = t_interval(g[t.metric].astype(float))
        row.update(statistic=f"mean {t.metric} over seeds", n=n, estimate=m, ci_low=lo, ci_high=hi)
        diverged = int((g["status"] == "diverged").sum())
        if isinstance(t, Near):
            band = (t.source - t.tol, t.source + t.tol)
            row["rule"] = f"95 % CI within {t.source:g} ± {t.tol:g} → supported; wholly outside → contradicted"
        else:
            thr = float(pd.to_numeric(g[t.threshold], errors="coerce").mean()) if isinstance(t.threshold, str) \
                else float(t.threshold)
            band = (thr, math.inf) if t.side == "above" else (-math.inf, thr)
            name = t.threshold if isinstance(t.threshold, str) else ""
            row["rule"] = (f"95 % CI wholly {t.side} {name + ' ' if name else ''}{thr:.4g} → supported; "
                           f"wholly on the other side → contradicted")
        row["evidence"] = f"{_fmt(m, 4)} [{_fmt(lo, 4)}, {_fmt(hi, 4)}], n={n}" + (
            f", {diverged} diverged" if diverged else "")
        if "solved" in g and t.metric in ("test_mse", "log10_test_mse"):
            row["evidence"] += f"; solved (MSE < 0.05) in {int(g['solved'].sum())} of {len(g)} seeds"
        verdict = decide_interval(lo, hi, band) if n >= 2 else "undecided"
        row["verdict"] = verdict
        if verdict == "undecided":
            row["why"] = (f"one seed gives no interval; {settle}" if n < 2 else f"the interval straddles the rule's "
                          f"boundary; {settle}")
        return row

    if isinstance(t, (Paired, Equivalent)):
        j, na, nb = _pairs(runs, t)
        m, lo, hi, n = t_interval(j["d"].astype(float))
        ratio = getattr(t, "ratio", None)
        what = t.metric if not getattr(t, "metric_b", None) else f"{t.metric} (a) − {t.metric_b} (b)"
        ma, mb = float(j["a"].mean()) if n else float("nan"), float(j["b"].mean()) if n else float("nan")
        if ratio is None:
            row.update(statistic=f"paired difference of {what} ({', '.join(t.pair_on)})", n=n, estimate=m,
                       ci_low=lo, ci_high=hi)
            row["evidence"] = (f"{_fmt(ma, 4)} vs {_fmt(mb, 4)}; difference {_fmt(m, 3)} [{_fmt(lo, 3)}, "
                               f"{_fmt(hi, 3)}], {n} pairs")
        else:   # the interval of the mean log ratio, read back as a ratio
            m, lo, hi = (math.exp(v) if math.isfinite(v) else float("nan") for v in (m, lo, hi))
            row.update(statistic=f"paired ratio of {what}, a ÷ b, geometric mean ({', '.join(t.pair_on)})", n=n,
                       estimate=m, ci_low=lo, ci_high=hi)
            row["evidence"] = (f"{_fmt(ma, 4)} vs {_fmt(mb, 4)}; ratio {_fmt(m, 3)} [{_fmt(lo, 3)}, "
                               f"{_fmt(hi, 3)}], {n} pairs")
        side = "above" if getattr(t, "direction", "greater") == "greater" else "below"
        if isinstance(t, Paired) and ratio is not None:
            band = (ratio, math.inf) if side == "above" else (-math.inf, ratio)
            row["rule"] = (f"95 % CI of the ratio wholly {side} {ratio:g} → supported; wholly on the other side → "
                           "contradicted")
        elif isinstance(t, Paired):
            band = (0.0, math.inf) if side == "above" else (-math.inf, 0.0)
            row["rule"] = (f"95 % CI of the difference wholly {side} 0 → supported; wholly on the other side → "
                           "contradicted")
        else:
            band = (-t.margin, t.margin)
            row["rule"] = f"95 % CI of the difference within ±{t.margin:g} → supported; wholly outside → contradicted"
        if n < MIN_PAIRED_SEEDS:
            unit = "paired seeds" if "seed" in t.pair_on else f"pairs ({', '.join(t.pair_on)})"
            row["verdict"] = "undecided"
            row["why"] = f"{n} {unit} (runs: {na} and {nb}); effects need ≥ {MIN_PAIRED_SEEDS}; {settle}"
            return row
        row["verdict"] = decide_interval(lo, hi, band)
        if row["verdict"] == "undecided":
            row["why"] = f"the interval straddles the rule's boundary; {settle}"
        return row

    if isinstance(t, Spread):
        ga, gb = values(runs, t.a, t.metric), values(runs, t.b, t.metric)
        strata = [s for s in t.strata if s in ga and s in gb]
        ga, gb = ga[np.isfinite(ga[t.metric].astype(float))], gb[np.isfinite(gb[t.metric].astype(float))]
        sa, sb = float(np.std(ga[t.metric], ddof=1)), float(np.std(gb[t.metric], ddof=1))
        row.update(statistic=f"sd of {t.metric} over {' × '.join(strata + ['seed'])}, difference", n=len(ga) + len(gb),
                   estimate=sa - sb)
        per = min([len(x) for _, x in ga.groupby(strata)] + [len(x) for _, x in gb.groupby(strata)]) if strata \
            else min(len(ga), len(gb))
        row["rule"] = ("bootstrap 95 % CI of sd(a) − sd(b) wholly "
                       f"{'above' if t.direction == 'greater' else 'below'} 0 → supported; the other side → contradicted")
        if per < 3:
            row["verdict"] = "undecided"
            row["why"] = f"fewer than 3 seeds per {', '.join(strata) or 'arm'}; {claim.settle or 'more seeds'}"
            row["evidence"] = f"sd {_fmt(sa)} vs {_fmt(sb)}"
            return row
        rng = np.random.default_rng(0)
        d = _std_boot(ga, t.metric, strata, rng) - _std_boot(gb, t.metric, strata, rng)
        lo, hi = (float(np.percentile(d, q)) for q in (2.5, 97.5))
        row.update(ci_low=lo, ci_high=hi)
        row["evidence"] = (f"sd {_fmt(sa)} ({len(ga)} runs) vs {_fmt(sb)} ({len(gb)} runs); difference "
                           f"{_fmt(sa - sb)} [{_fmt(lo)}, {_fmt(hi)}]")
        band = (0.0, math.inf) if t.direction == "greater" else (-math.inf, 0.0)
        row["verdict"] = decide_interval(lo, hi, band)
        if row["verdict"] == "undecided":
            row["why"] = f"the interval straddles 0; {claim.settle or 'more seeds'}"
        return row

    if isinstance(t, Exact):
        got, how = _exact_statistic(t.statistic, select(runs, t.arm))
        row.update(statistic=t.statistic.replace("_", " "), n=len(select(runs, t.arm)), evidence=how,
                   rule=f"equals {t.expected} → supported; otherwise contradicted")
        if got is None:
            row["verdict"] = "undecided"
            row["why"] = how
        else:
            row["verdict"] = "supported" if tuple(got) == tuple(t.expected) else "contradicted"
            row["evidence"] = f"{got}: {how}"
        return row
    raise TypeError(f"claim {claim.id}: unknown test {type(t).__name__}")


def claims_table(runs: pd.DataFrame, register: list[Claim] = REGISTER) -> pd.DataFrame:
    return pd.DataFrame([evaluate(c, runs) for c in register], columns=CLAIM_COLUMNS)


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    outdir = Path(outdir)
    runs = runs_frame(read_records(paths))
    table = claims_table(runs)
    table.insert(len(table.columns), "scale", scale)
    return {"claims": write_csv(table, outdir / "tables" / "claims.csv"),
            "claims_runs": write_csv(runs.drop(columns=["_config"], errors="ignore"),
                                     outdir / "tables" / "claims_runs.csv")}


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.claims", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

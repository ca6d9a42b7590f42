"""The runs table the claims read: one flat row per run (per timed batch for word2vec's step-time job).

Built from the run records and their ``history.csv`` only (:func:`runs_frame`). :func:`history` is
the one reader of a run's per-epoch history; the report's family modules read it from here too.

Diverged runs (NaN/Inf loss) are results, not gaps: a diverged classifier counts at the accuracy
of its majority-class baseline (or chance), a diverged adding run at the baseline MSE, and its
largest validation drop is the fall from its best epoch to that level.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..grid import _fmt  # run ids and arm descriptions spell values alike
from ..runspec import RunSpec

# run settings a claim's arm may match on, columns of the runs table: every RunSpec setting, so a new one
# is a column without an edit here. A setting the run's spec leaves out reads blank (RunSpec.stated),
# except dropout_masks, which reads its default
CONFIG_KEYS = RunSpec.settings()
# diagnostics of the run record (curves against distance) -> their per-step factor's column
DECAY_COLUMNS = {f"{curve}_{when}": f"{col}_decay_factor_{when}" for curve, col in
                 (("grad_vs_distance", "grad"), ("forget_product", "forget")) for when in ("init", "final")}
#: the epochs whose validation metric the runs table carries (``val_metric_e<k>``): a claim of faster
#: convergence compares configurations after the same early budget of updates
EARLY_EPOCHS = (1, 2, 3, 5)
#: the convergence gate reads the pace of the validation metric as the least-squares slope over a run's
#: last third of its epochs, at least this many: a slope fitted to several epochs rather than the
#: difference of two, whose sign the float rounding of another kernel path could flip (session 12: two
#: JSB verdicts moved through the gate between runs equal to rounding)
PACE_EPOCHS = 4
#: a fall of validation accuracy between consecutive epochs at least this large is a "drop" (the lecture's
#: "drop in performance"); the claim on drops and gradient spikes reads the epochs where one happened
DROP = 0.02
#: a run of the adding problem "solves" it below this test MSE (the baseline, predicting 1, is ≈ 0.167)
ADDING_SOLVED_MSE = 0.05


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class Arm:
    """The runs of one configuration: ``family`` (recurrent, names, music, embedding, word2vec),
    ``grid`` (a grid entry's name; word2vec runs have none: ``None``; a tuple of names: the first of
    them that has runs, so a claim reads a better-suited grid where a config runs it and the default
    one elsewhere) and attribute values the runs must have (columns of the runs table, e.g. ``cell``,
    ``layers``, ``clipvalue``). An arm reads training runs unless it names another ``kind``
    (word2vec's ``step_cost``: the timed steps of the full softmax, HS and NS)."""

    family: str
    grid: str | tuple[str, ...] | None
    where: Mapping[str, Any] = field(default_factory=dict)

    @property
    def grids(self) -> tuple[str, ...]:
        """The grids the arm may read, in order of preference (empty for word2vec's)."""
        if self.grid is None:
            return ()
        return tuple(self.grid) if isinstance(self.grid, tuple) else (self.grid,)

    def describe(self) -> str:
        cond = ", ".join(f"{k}={_fmt(v)}" for k, v in self.where.items())
        head = f"{self.family}/{' or else '.join(self.grids)}" if self.grid else self.family
        return f"{head} [{cond}]" if cond else head

    def row(self) -> dict[str, Any]:
        """The columns a run of this arm has (what synthetic runs of a rule's tests start from: its
        preferred grid)."""
        return {"family": self.family, "grid": self.grids[0] if self.grids else None,
                "kind": self.where.get("kind", "run"), "status": "ok", "metric": "accuracy", **self.where}


# ---- one history reader ------------------------------------------------------------------------

def history(run: str | Path | Mapping[str, Any]) -> pd.DataFrame:
    """A run's per-epoch ``history.csv`` (empty when there is none, or it is empty). ``run``: the run's
    folder, or its record (read from beside ``_path``)."""
    if isinstance(run, Mapping):
        p = Path(run["_path"]).with_name("history.csv")
    else:
        p = Path(run) / "history.csv"
    return pd.read_csv(p) if p.exists() and p.stat().st_size else pd.DataFrame()


def diverged_score(record: Mapping[str, Any]) -> float:
    """What a diverged classifier scores: its majority-class baseline, else chance."""
    meta = record.get("task_meta") or {}
    if meta.get("majority_test_accuracy") is not None:
        return float(meta["majority_test_accuracy"])
    names = meta.get("class_names")
    return 1.0 / len(names) if names else float("nan")


def _val_curve(h: pd.DataFrame, metric: str) -> np.ndarray:
    """The validation metric per epoch (NaN where not finite)."""
    col = f"val_{metric}"
    return pd.to_numeric(h[col], errors="coerce").to_numpy(dtype=float) if col in h else np.array([])


def _max_val_drop(record: Mapping[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> float:
    """Largest fall of the validation metric between consecutive epochs (accuracy; for a
    loss-like metric, the largest rise); a diverged run falls from its best epoch to the floor."""
    vals = vals[np.isfinite(vals)]
    steps = np.diff(vals) if vals.size > 1 else np.array([0.0])
    drop = float(np.max(-steps if metric == "accuracy" else steps).clip(min=0)) if vals.size else float("nan")
    if diverged and metric == "accuracy":
        best = float(np.max(vals)) if vals.size else diverged_score(record)
        drop = max(drop if math.isfinite(drop) else 0.0, best - diverged_score(record))
    return drop


def _early(record: Mapping[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> dict[str, float]:
    """The validation metric after each of :data:`EARLY_EPOCHS` (a classifier that diverged before
    it: its floor; a run that had stopped before it: NaN)."""
    out = {}
    for k in EARLY_EPOCHS:
        v = vals[k - 1] if vals.size >= k else float("nan")
        if diverged and metric == "accuracy" and not math.isfinite(v):
            v = diverged_score(record)
        out[f"val_metric_e{k}"] = float(v)
    return out


def _pace(record: Mapping[str, Any], vals: np.ndarray, metric: str, diverged: bool) -> float:
    """Change per epoch of the validation metric, the least-squares slope over the run's last third of
    its epochs (at least :data:`PACE_EPOCHS`), in the units the claims read it (an MSE as its log10).
    0 for a run that has stopped: it diverged, or early stopping ended it before its epochs ran out;
    NaN with too short a history (no more epochs than the window) or a non-finite value in the window."""
    cfg = RunSpec.from_dict(record.get("config") or {})
    if diverged or (cfg.patience and cfg.epochs and vals.size < int(cfg.epochs)):
        return 0.0
    v = vals.copy()
    if metric == "mse":
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log10(v)
    k = pace_window(v.size)
    if v.size <= k or not np.isfinite(v[-k:]).all():
        return float("nan")
    return float(np.polyfit(np.arange(k, dtype=float), v[-k:], 1)[0])


def pace_window(epochs: int) -> int:
    """How many of a run's last epochs its pace is fitted to: a third of them, at least :data:`PACE_EPOCHS`."""
    return max(PACE_EPOCHS, -(-epochs // 3))


def _drop_gradient_ratio(h: pd.DataFrame, vals: np.ndarray, metric: str) -> float:
    """log10 of the mean gradient norm (per-epoch maximum, before clipping) in the epochs whose validation
    accuracy fell by ≥ :data:`DROP`, over the median in the other epochs (epoch 1 left out of both: its
    gradients are large for another reason). NaN without a drop, or without the column."""
    if metric != "accuracy" or "grad_norm_max" not in h or vals.size < 3:
        return float("nan")
    gn = pd.to_numeric(h["grad_norm_max"], errors="coerce").to_numpy(dtype=float)[: vals.size]
    fall = np.concatenate([[np.nan], vals[:-1] - vals[1:]])
    later = np.arange(vals.size) >= 1
    drop = later & (fall >= DROP) & np.isfinite(gn)
    calm = later & ~(fall >= DROP) & np.isfinite(gn)
    if not drop.any() or not calm.any():
        return float("nan")
    spike, base = float(np.mean(gn[drop])), float(np.median(gn[calm]))
    return math.log10(spike / base) if spike > 0 and base > 0 else float("nan")


def decay_factor(curve: Any, start: int = 0) -> float:
    """Per-step factor of a curve against distance d = T − t (the lecture's w of w^(t−s)):
    exp(slope) of the least-squares line through log(curve[d]) for d ≥ ``start``. Values that are
    not finite or not > 0 are left out (a gradient that underflowed to 0 says nothing of its
    rate); NaN with fewer than 3 usable points."""
    if curve is None or len(curve) == 0:
        return float("nan")
    y = np.asarray([_as_float(v) for v in curve], dtype=float)
    d = np.arange(y.size, dtype=float)
    keep = (d >= start) & np.isfinite(y) & (y > 0)
    if keep.sum() < 3:
        return float("nan")
    return float(math.exp(np.polyfit(d[keep], np.log(y[keep]), 1)[0]))


def sequence_row(r: Mapping[str, Any]) -> dict[str, Any]:
    """One row of a sequence-model run (recurrent, names, music, embedding)."""
    cfg = r.get("config") or {}
    settings = RunSpec.from_dict(cfg)
    metric = r.get("metric", "accuracy")
    final, best = r.get("final") or {}, r.get("best") or {}
    diverged = r.get("status") == "diverged"
    h = history(r)
    val_curve = _val_curve(h, metric)
    params = r.get("params") or {}
    meta = r.get("task_meta") or {}
    test = _as_float(final.get(f"test_{metric}"))
    row = {"family": r.get("family", "recurrent"), "grid": r.get("grid"), "kind": "run", "run_id": r["run_id"],
           "task": r.get("task"), "cell": r.get("cell"), "seed": r.get("seed"), "status": r.get("status"),
           "source": r.get("source"), "metric": metric,
           **{k: settings.stated(k) for k in CONFIG_KEYS},
           # a run at the default carries no key (rnnbench.grid.DROPOUT_MASKS_DEFAULT): it read one mask per sequence
           "dropout_masks": settings.dropout_masks,
           "params_recurrent": params.get("recurrent"), "params_head": params.get("head"),
           "params_total": params.get("total"),
           "test_metric": test, "best_test_metric": _as_float(best.get(f"test_{metric}")),
           "val_metric": _as_float(final.get(f"val_{metric}")),
           "majority_baseline": meta.get("majority_test_accuracy"),
           "max_val_drop": _max_val_drop(r, val_curve, metric, diverged),
           "drop_grad_log10_ratio": _drop_gradient_ratio(h, val_curve, metric),
           **_early(r, val_curve, metric, diverged),
           "epochs_run": int(val_curve.size),
           "val_pace": _pace(r, val_curve, metric, diverged),
           **{col: decay_factor((r.get("diagnostics") or {}).get(key)) for key, col in DECAY_COLUMNS.items()},
           "_config": cfg}
    if metric == "accuracy":
        floor = diverged_score(r)
        row["test_accuracy"] = floor if diverged else test
        row["val_metric"] = floor if diverged else row["val_metric"]
        train = _as_float(final.get("train_eval_accuracy"))
        row["train_test_gap"] = train - test if not diverged else float("nan")
    if metric == "mse":
        base = _as_float(meta.get("baseline_mse_measured"))
        mse = base if diverged else test
        row["test_mse"] = mse
        # chosen on validation (a learning-rate search): a diverged run counts at the baseline there too
        row["val_metric"] = base if diverged else row["val_metric"]
        row["log10_test_mse"] = math.log10(mse) if mse > 0 else float("nan")
        row["solved"] = bool(mse < ADDING_SOLVED_MSE) if math.isfinite(mse) else False
    return row


LECTURE_CAR = ("driver", "motorcycle", "cars", "truck", "taxi", "vehicle", "racing", "automobile", "passenger",
               "glider")


def _alone(r: Mapping[str, Any]) -> bool | None:
    """Whether the run's record says no other rnnbench job ran beside its timings (None: it does not say)."""
    v = (r.get("neighbours") or {}).get("alone")
    return None if v is None else bool(v)


def _other_cores(r: Mapping[str, Any]) -> float:
    """The most cores other programs kept busy in any interval of the run's timings (nan: not measured)."""
    return _as_float((r.get("neighbours") or {}).get("other_cores_max"))


def ran_alone(g: pd.DataFrame) -> pd.Series:
    """Per run: its record says it ran alone (``alone`` True; read back from a CSV as 'True' too)."""
    if "alone" not in g:
        return pd.Series(False, index=g.index)
    return g["alone"].map(lambda v: v is True or v is np.True_ or str(v).strip().lower() in ("true", "1", "1.0"))


def word2vec_rows(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per training run; the full softmax's step-time record (``kind: step_cost``) gives
    one row per (timed batch, loss), its ``step_seconds``, paired on ``batch`` by the claims, and the
    theory's cost ratio of the full softmax over that loss (``theory_ratio``: V / log₂V output units
    for HS, V / (negative + 1) for NS)."""
    if r.get("kind") == "step_cost":
        params = r.get("params") or {}
        v = _as_float(r.get("vocab_size"))
        neg = _as_float(params.get("negative"))
        theory = {"softmax": 1.0, "hs": v / math.log2(v) if v > 1 else float("nan"),
                  "ns": v / (neg + 1) if math.isfinite(neg) else float("nan")}
        base = {"family": "word2vec", "grid": None, "kind": "step_cost", "impl": r.get("impl"), "arch": r.get("arch"),
                "seed": r.get("seed"), "status": r.get("status"), "source": r.get("corpus"),
                "corpus_tokens": r.get("corpus_tokens"), "vocab_size": r.get("vocab_size"),
                "sample": _as_float(params.get("sample")), "alone": _alone(r), "other_cores": _other_cores(r)}
        return [{**base, "run_id": f"{r['run_id']}/batch{b['batch']}/{loss}", "loss": loss, "batch": b["batch"],
                 "pairs": b["pairs"], "step_seconds": _as_float(secs), "theory_ratio": theory.get(loss, float("nan"))}
                for b in r.get("batches") or [] for loss, secs in b["seconds"].items()]
    return [word2vec_row(r)]


def word2vec_row(r: Mapping[str, Any]) -> dict[str, Any]:
    a = r.get("analogy") or {}
    car = [w for w, _ in (r.get("most_similar") or {}).get("car", [])][:10]
    impl = r.get("impl")
    secs = _as_float(r.get("train_seconds"))
    kept = _as_float(r.get("effective_words"))
    return {"family": "word2vec", "grid": None, "kind": "run", "run_id": r["run_id"],
            # 'torch' was the name of our own core before it gained its C kernel: one name, 'ours'
            "impl": "ours" if impl == "torch" else impl,
            "arch": r.get("arch"), "loss": r.get("loss"), "seed": r.get("seed"), "status": r.get("status"),
            "sample": _as_float((r.get("params") or {}).get("sample")),
            "source": r.get("corpus"), "corpus_tokens": r.get("corpus_tokens"),
            # the lecture's figures are gensim on all of text8: a prefix run is not a test of them
            "corpus_part": "prefix" if r.get("corpus_prefix_tokens") else "whole",
            "words_per_second": _as_float(r.get("words_per_second")),
            "alone": _alone(r),   # no other job beside its timing (the record's neighbours)
            "other_cores": _other_cores(r),   # other programs' load beside it, in cores (the same record)
            # the words actually trained on (after subsampling) per second: the cost of a trained word
            "kept_words_per_second": kept / secs if secs > 0 else float("nan"),
            "analogy_total_pct": _as_float((a.get("total") or {}).get("accuracy_pct")),
            "analogy_semantic_pct": _as_float((a.get("semantic") or {}).get("accuracy_pct")),
            "wordsim353_spearman": _as_float((r.get("wordsim353") or {}).get("spearman")),
            "car_overlap": float(len(set(car) & set(LECTURE_CAR))) if car else float("nan"),
            "queen_rank": _as_float(r.get("queen_rank")),
            **{f"offset_excess_{g}": _as_float(o.get("excess")) for g, o in (r.get("offsets") or {}).items()}}


def runs_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
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
    """The arm's runs; an arm naming several grids reads the first of them that holds runs of it."""
    if runs.empty:
        return runs
    if len(arm.grids) > 1:
        for grid in arm.grids:
            g = select(runs, Arm(arm.family, grid, arm.where))
            if not g.empty:
                return g
        return runs.iloc[0:0]
    m = runs["family"] == arm.family
    if arm.grids:
        m &= runs["grid"] == arm.grids[0]
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
    """The arm's runs with ``metric`` as a column (``<m>_at_best_lr``: only the runs at the best
    learning rate, ``<m>`` read there)."""
    g = select(runs, arm)
    if metric.endswith("_at_best_lr"):
        base = metric[: -len("_at_best_lr")]
        kept = _at_best_lr(g, base)
        g = g.loc[kept.index].assign(**{metric: kept})
    if metric not in g:
        return g.assign(**{metric: np.nan})
    return g

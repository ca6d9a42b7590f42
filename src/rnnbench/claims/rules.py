"""The tests a claim can name: a statistic over its arms' runs and the rule that turns it into a verdict.

Each rule class decides its own verdict (:meth:`Rule.decide` → :class:`Outcome`) and knows how to
synthesise runs-table rows that land on a chosen side of its boundary (:meth:`Rule.synthesise`):
the register's generic test hands the engine rows on the other side of every claim's boundary and
sees the verdict flip, and rows inside the boundary band and sees *undecided*.

The verdicts: *supported* / *contradicted* when the 95 % interval lies within the rule's band /
wholly outside it; *undecided* when it straddles an edge, or too few seeds ran.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import numpy as np
import pandas as pd

from . import stats
from .runs import Arm, select, values

#: every verdict other than *undecided* needs this many seeds (pairs, for effects): figures as effects
MIN_SEEDS = 5
MIN_PAIRED_SEEDS = MIN_SEEDS
SIDES = ("supported", "contradicted", "undecided")
#: statistics the training history tracks (its validation twin is in ``history.csv``): the
#: convergence gate can tell whether they were still moving when the epochs ran out
TRACKED = {"test_accuracy", "test_metric", "best_test_metric", "log10_test_mse", "test_mse",
           "test_accuracy_at_best_lr", "log10_test_mse_at_best_lr"}
# six seeds, spread symmetrically: the synthetic arms' mean is exactly their centre
_SPREAD = np.array([-1.5, -0.9, -0.3, 0.3, 0.9, 1.5])


def fmt(v: float, digits: int = 3) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


@dataclass
class Outcome:
    """What a rule makes of the runs: the row's statistic, interval and verdict, and what the engine
    needs to adjust it (``interval``: level → bounds, for Holm; ``band``: the rule's band; ``pace``:
    how far the statistic would move if the budget doubled at its last epochs' pace)."""

    statistic: str = ""
    n: int = 0
    estimate: float = float("nan")
    ci: tuple[float, float] = (float("nan"), float("nan"))
    evidence: str = ""
    rule: str = ""
    verdict: str = "undecided"
    why: str = ""
    band: tuple[float, float] | None = None
    interval: stats.Interval | None = None
    pace: float = float("nan")
    tracked: bool = False   # the statistic is one the training history tracks (the convergence gate applies)
    log: bool = False    # the interval and band are on the log scale of a ratio (shown back as ratios)


class Rule:
    """A claim's test. Subclasses are frozen dataclasses naming their arms and metric."""

    #: rules whose statistic can be synthesised on either side of its boundary (every claim's must)
    synthesisable: ClassVar[bool] = True

    def arms(self) -> list[Arm]:
        raise NotImplementedError

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        raise NotImplementedError

    def synthesise(self, side: str) -> pd.DataFrame:
        """Runs-table rows on which this rule's verdict is ``side`` (one of :data:`SIDES`)."""
        raise NotImplementedError


def _rows(arm: Arm, metric: str, vals: np.ndarray, **extra) -> list[dict[str, Any]]:
    base = arm.row()
    if metric.endswith("_at_best_lr"):   # one learning rate, so it is the best: the metric is read there
        metric = metric[: -len("_at_best_lr")]
        extra = {"lr": 0.001, **extra}
    return [{**base, "run_id": f"{arm.describe()}/s{i}", "seed": i, "batch": i, metric: float(v), "val_metric": float(v),
             "val_pace": 0.0, "epochs_run": 10, **extra} for i, v in enumerate(vals)]


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")


def _mean_pace(g: pd.DataFrame) -> pd.Series:
    """Per run: the change of its validation metric if the epochs doubled at the last epochs' pace."""
    if "val_pace" not in g or "epochs_run" not in g:
        return pd.Series(np.nan, index=g.index)
    return g["val_pace"].astype(float) * g["epochs_run"].astype(float)


# ---- one arm against a value ----------------------------------------------------------------------

@dataclass(frozen=True)
class _OneArm(Rule):
    def arms(self) -> list[Arm]:
        return [self.arm]

    def _band(self, g: pd.DataFrame) -> tuple[float, float]:
        raise NotImplementedError

    def _rule_text(self, band: tuple[float, float]) -> str:
        raise NotImplementedError

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        g = values(runs, self.arm, self.metric)
        x = g[self.metric].astype(float)
        m, lo, hi, n = stats.t_interval(x)
        band = self._band(g)
        o = Outcome(statistic=f"mean {self.metric} over seeds", n=n, estimate=m, ci=(lo, hi), band=band,
                    rule=self._rule_text(band), interval=stats.t_intervals(x))
        diverged = int((g["status"] == "diverged").sum()) if "status" in g else 0
        o.evidence = f"{fmt(m, 4)} [{fmt(lo, 4)}, {fmt(hi, 4)}], n={n}" + (f", {diverged} diverged" if diverged else "")
        if "solved" in g and self.metric in ("test_mse", "log10_test_mse", "log10_test_mse_at_best_lr"):
            o.evidence += f"; solved (MSE < 0.05) in {int(g['solved'].fillna(False).sum())} of {len(g)} seeds"
        if self.metric in TRACKED:
            o.pace, o.tracked = float(_mean_pace(g).mean()), True
        if n < MIN_SEEDS:
            o.why = f"{n} seeds; a verdict needs ≥ {MIN_SEEDS}; {settle}"
            o.interval = None
            return o
        o.verdict = stats.decide_interval(lo, hi, band)
        if o.verdict == "undecided":
            o.why = f"the interval straddles the rule's boundary; {settle}"
        return o

    def _synth_centre(self, side: str) -> tuple[float, float]:
        raise NotImplementedError

    def synthesise(self, side: str) -> pd.DataFrame:
        _check_side(side)
        centre, scale = self._synth_centre(side)
        extra = {}
        if isinstance(getattr(self, "threshold", None), str):
            extra[self.threshold] = self._synth_threshold
        return pd.DataFrame(_rows(self.arm, self.metric, centre + scale * _SPREAD, **extra))


@dataclass(frozen=True)
class Near(_OneArm):
    """A figure against a source value: the 95 % interval of the mean of ``metric`` over the arm's
    runs lies inside [source − tol, source + tol] → supported; wholly outside → contradicted."""

    arm: Arm
    metric: str
    source: float
    tol: float

    def _band(self, g):
        return (self.source - self.tol, self.source + self.tol)

    def _rule_text(self, band):
        return f"95 % CI within {self.source:g} ± {self.tol:g} → supported; wholly outside → contradicted"

    def _synth_centre(self, side):
        return {"supported": (self.source, self.tol / 10), "contradicted": (self.source + 3 * self.tol, self.tol / 10),
                "undecided": (self.source + self.tol, self.tol / 5)}[side]


@dataclass(frozen=True)
class Beyond(_OneArm):
    """A threshold: the 95 % interval of the mean lies wholly on ``side`` ('above' | 'below') of
    ``threshold`` → supported; wholly on the other side → contradicted. ``threshold`` may name a
    column of the runs (e.g. the majority-class baseline each run recorded)."""

    arm: Arm
    metric: str
    threshold: float | str
    side: str
    _synth_threshold: ClassVar[float] = 0.6

    def __post_init__(self):
        if self.side not in ("above", "below"):
            raise ValueError(f"Beyond: side must be 'above' or 'below', got {self.side!r}")

    def _thr(self, g: pd.DataFrame) -> float:
        if isinstance(self.threshold, str):
            return float(pd.to_numeric(g[self.threshold], errors="coerce").mean()) if self.threshold in g \
                else float("nan")
        return float(self.threshold)

    def _band(self, g):
        thr = self._thr(g)
        return (thr, math.inf) if self.side == "above" else (-math.inf, thr)

    def _rule_text(self, band):
        thr = band[0] if self.side == "above" else band[1]
        name = f"{self.threshold} " if isinstance(self.threshold, str) else ""
        return f"95 % CI wholly {self.side} {name}{thr:.4g} → supported; wholly on the other side → contradicted"

    def _synth_centre(self, side):
        thr = self._synth_threshold if isinstance(self.threshold, str) else float(self.threshold)
        s = max(abs(thr) * 0.05, 0.01)
        sign = 1.0 if self.side == "above" else -1.0
        return {"supported": (thr + sign * 5 * s, s), "contradicted": (thr - sign * 5 * s, s),
                "undecided": (thr, s)}[side]


@dataclass(frozen=True)
class EverySeed(Rule):
    """A discrete statistic (a rank, a count) read per seed, not as a mean: ``metric`` on ``side``
    ('above' | 'below', inclusive) of ``threshold`` in every one of ≥ :data:`MIN_SEEDS` seeds →
    supported; in fewer than half of them → contradicted; otherwise undecided."""

    arm: Arm
    metric: str
    threshold: float
    side: str

    def arms(self) -> list[Arm]:
        return [self.arm]

    def _ok(self, x: np.ndarray) -> np.ndarray:
        return x >= self.threshold if self.side == "above" else x <= self.threshold

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        g = values(runs, self.arm, self.metric)
        x = stats.finite(g[self.metric])
        k, n = int(self._ok(x).sum()), int(x.size)
        word = "at least" if self.side == "above" else "at most"
        o = Outcome(statistic=f"seeds with {self.metric} {word} {self.threshold:g}", n=n,
                    estimate=k / n if n else float("nan"),
                    evidence=f"{k} of {n} seeds ({', '.join(fmt(v) for v in x)})",
                    rule=f"{self.metric} {word} {self.threshold:g} in every seed (≥ {MIN_SEEDS} seeds) → supported; "
                         "in fewer than half → contradicted")
        if self.metric in TRACKED:
            o.pace, o.tracked = float(_mean_pace(g).mean()), True
        if n < MIN_SEEDS:
            o.why = f"{n} seeds; a per-seed rule needs ≥ {MIN_SEEDS}; {settle}"
        elif k == n:
            o.verdict = "supported"
        elif 2 * k < n:
            o.verdict = "contradicted"
        else:
            o.why = f"{k} of {n} seeds meet it: neither every seed nor fewer than half; {settle}"
        return o

    def synthesise(self, side: str) -> pd.DataFrame:
        _check_side(side)
        sign = 1.0 if self.side == "above" else -1.0
        good, bad = self.threshold + sign, self.threshold - sign
        n_good = {"supported": 6, "contradicted": 2, "undecided": 4}[side]
        return pd.DataFrame(_rows(self.arm, self.metric, np.array([good] * n_good + [bad] * (6 - n_good))))


# ---- two arms, paired over the same seeds ---------------------------------------------------------

def _pair_values(arm: Arm, pair_on: tuple[str, ...], i: int) -> dict[str, Any]:
    return {k: (i if k in ("seed", "batch") else arm.where.get(k, "p")) for k in pair_on}


@dataclass(frozen=True)
class _TwoArms(Rule):
    def arms(self) -> list[Arm]:
        return [self.a, self.b]

    @property
    def _metric_b(self) -> str:
        return getattr(self, "metric_b", None) or self.metric

    def _pairs(self, runs: pd.DataFrame, log: bool) -> tuple[pd.DataFrame, int, int]:
        mb = self._metric_b
        a = values(runs, self.a, self.metric)
        b = values(runs, self.b, mb)
        keys = list(self.pair_on)
        if a.empty or b.empty or any(k not in a or k not in b for k in keys):
            return pd.DataFrame(columns=["a", "b", "d", "pace"]), len(a), len(b)
        ja = a[keys + [self.metric]].rename(columns={self.metric: "a"}).assign(pa=_mean_pace(a))
        jb = b[keys + [mb]].rename(columns={mb: "b"}).assign(pb=_mean_pace(b))
        j = ja.merge(jb, on=keys)
        if log:   # log ratio: a value that is not > 0 has none, and drops out as not finite
            with np.errstate(divide="ignore", invalid="ignore"):
                j["d"] = np.log(j["a"].astype(float)) - np.log(j["b"].astype(float))
        else:
            j["d"] = j["a"].astype(float) - j["b"].astype(float)
        j["pace"] = j["pa"] - j["pb"]
        return j[np.isfinite(j["d"].astype(float))], len(a), len(b)

    def _band(self, runs: pd.DataFrame) -> tuple[float, float]:
        raise NotImplementedError

    def _rule_text(self, band) -> str:
        raise NotImplementedError

    _log = False

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        j, na, nb = self._pairs(runs, self._log)
        d = j["d"].astype(float)
        m, lo, hi, n = stats.t_interval(d)
        raw = (lo, hi)   # on the scale of the band (a ratio's log)
        what = self.metric if self._metric_b == self.metric else f"{self.metric} (a) − {self._metric_b} (b)"
        ma, mb = (float(j[c].astype(float).mean()) if n else float("nan") for c in ("a", "b"))
        band = self._band(runs)
        o = Outcome(n=n, band=band, rule=self._rule_text(band), interval=stats.t_intervals(d), log=self._log)
        keys = ", ".join(self.pair_on)
        if self._log:   # the interval of the mean log ratio, read back as a ratio
            o.statistic = f"paired ratio of {what}, a ÷ b, geometric mean ({keys})"
            m, lo, hi = (math.exp(v) if math.isfinite(v) else float("nan") for v in (m, lo, hi))
            o.evidence = f"{fmt(ma, 4)} vs {fmt(mb, 4)}; ratio {fmt(m)} [{fmt(lo)}, {fmt(hi)}], {n} pairs"
        else:
            o.statistic = f"paired difference of {what} ({keys})"
            o.evidence = f"{fmt(ma, 4)} vs {fmt(mb, 4)}; difference {fmt(m)} [{fmt(lo)}, {fmt(hi)}], {n} pairs"
            if self.metric in TRACKED and self._metric_b == self.metric:
                o.pace = float(j["pace"].astype(float).mean()) if n else float("nan")
                o.tracked = True
        o.estimate, o.ci = m, (lo, hi)
        if n < MIN_PAIRED_SEEDS:
            unit = "paired seeds" if "seed" in self.pair_on else f"pairs ({keys})"
            o.why = f"{n} {unit} (runs: {na} and {nb}); effects need ≥ {MIN_PAIRED_SEEDS}; {settle}"
            o.interval = None
            return o
        o.verdict = stats.decide_interval(*raw, band)
        if o.verdict == "undecided":
            o.why = f"the interval straddles the rule's boundary; {settle}"
        return o

    def _synth_difference(self, side: str) -> tuple[float, float]:
        raise NotImplementedError

    def _synth_extra(self) -> dict[str, Any]:
        return {}

    def synthesise(self, side: str) -> pd.DataFrame:
        _check_side(side)
        centre, scale = self._synth_difference(side)
        d = centre + scale * _SPREAD
        base = 1.0 + 0.3 * np.arange(6)   # per-seed level, shared by both arms: the pairing removes it
        a = base * np.exp(d) if self._log else base + d
        rows = []
        for arm, metric, vals in ((self.a, self.metric, a), (self.b, self._metric_b, base)):
            for i, r in enumerate(_rows(arm, metric, vals, **self._synth_extra())):
                rows.append({**r, **_pair_values(arm, self.pair_on, i)})
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Paired(_TwoArms):
    """An effect: ``a`` − ``b`` on ``metric``, paired on ``pair_on`` (same seeds); the 95 % interval
    of the mean difference wholly ``direction`` ('greater' | 'less') than 0 → supported, wholly on
    the other side → contradicted. Needs :data:`MIN_PAIRED_SEEDS` pairs. ``metric_b``: read ``b``
    on another column. ``ratio``: compare ``a`` / ``b`` instead (a speed-up, a cost factor): the
    interval of the mean log ratio, read as the geometric-mean ratio, wholly ``direction`` than
    ``ratio`` → supported; a string names a column of ``b``'s runs holding the boundary (a ratio
    the theory predicts for each run)."""

    a: Arm
    b: Arm
    metric: str
    direction: str = "greater"
    pair_on: tuple[str, ...] = ("seed",)
    metric_b: str | None = None
    ratio: float | str | None = None
    _synth_ratio: ClassVar[float] = 100.0

    def __post_init__(self):
        if self.direction not in ("greater", "less"):
            raise ValueError(f"Paired: direction must be 'greater' or 'less', got {self.direction!r}")

    @property
    def _log(self) -> bool:
        return self.ratio is not None

    def _boundary(self, runs: pd.DataFrame) -> float:
        if self.ratio is None:
            return 0.0
        if isinstance(self.ratio, str):
            b = select(runs, self.b)
            return float(pd.to_numeric(b[self.ratio], errors="coerce").mean()) if self.ratio in b else float("nan")
        return float(self.ratio)

    def _band(self, runs):
        # a ratio's boundary is read on the log scale, where its interval lives
        x = self._boundary(runs)
        x = (math.log(x) if x > 0 else float("nan")) if self._log else x
        return (x, math.inf) if self.direction == "greater" else (-math.inf, x)

    def _rule_text(self, band):
        side = "above" if self.direction == "greater" else "below"
        if self._log:
            x = math.exp(band[0] if side == "above" else band[1])
            name = f"{self.ratio} = " if isinstance(self.ratio, str) else ""
            return f"95 % CI of the ratio wholly {side} {name}{fmt(x, 4)} → supported; wholly on the other side → contradicted"
        return f"95 % CI of the difference wholly {side} 0 → supported; wholly on the other side → contradicted"

    def _synth_difference(self, side):
        sign = 1.0 if self.direction == "greater" else -1.0
        edge = math.log(self._synth_ratio if isinstance(self.ratio, str) else float(self.ratio)) if self._log else 0.0
        return {"supported": (edge + sign * 0.5, 0.05), "contradicted": (edge - sign * 0.5, 0.05),
                "undecided": (edge, 0.1)}[side]

    def _synth_extra(self):
        return {self.ratio: self._synth_ratio} if isinstance(self.ratio, str) else {}


@dataclass(frozen=True)
class Equivalent(_TwoArms):
    """Two configurations alike: the 95 % interval of the paired difference lies inside
    [−margin, margin] → supported; wholly outside it → contradicted."""

    a: Arm
    b: Arm
    metric: str
    margin: float
    pair_on: tuple[str, ...] = ("seed",)

    def _band(self, runs):
        return (-self.margin, self.margin)

    def _rule_text(self, band):
        return f"95 % CI of the difference within ±{self.margin:g} → supported; wholly outside → contradicted"

    def _synth_difference(self, side):
        return {"supported": (0.0, self.margin / 10), "contradicted": (3 * self.margin, self.margin / 10),
                "undecided": (self.margin, self.margin / 5)}[side]


@dataclass(frozen=True)
class Spread(_TwoArms):
    """Sensitivity to hyper-parameters: the standard deviation of ``metric`` over all runs of ``a``
    (a learning-rate × seed grid) minus that of ``b``; a bootstrap interval (seeds resampled within
    each value of ``strata``) wholly ``direction`` than 0 → supported, wholly the other way →
    contradicted."""

    a: Arm
    b: Arm
    metric: str
    direction: str = "greater"
    strata: tuple[str, ...] = ("lr",)

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        ga, gb = values(runs, self.a, self.metric), values(runs, self.b, self.metric)
        strata = [s for s in self.strata if s in ga and s in gb]
        ga, gb = (g[np.isfinite(g[self.metric].astype(float))] for g in (ga, gb))
        sa, sb = (float(np.std(g[self.metric].astype(float), ddof=1)) if len(g) > 1 else float("nan")
                  for g in (ga, gb))
        band = (0.0, math.inf) if self.direction == "greater" else (-math.inf, 0.0)
        o = Outcome(statistic=f"sd of {self.metric} over {' × '.join(strata + ['seed'])}, difference",
                    n=len(ga) + len(gb), estimate=sa - sb, band=band,
                    rule=f"bootstrap 95 % CI of sd(a) − sd(b) wholly {'above' if self.direction == 'greater' else 'below'}"
                         " 0 → supported; the other side → contradicted",
                    evidence=f"sd {fmt(sa)} ({len(ga)} runs) vs {fmt(sb)} ({len(gb)} runs)")
        groups = [[x[self.metric].to_numpy(float) for _, x in g.groupby(strata)] if strata
                  else [g[self.metric].to_numpy(float)] for g in (ga, gb)]
        per = min((x.size for gr in groups for x in gr), default=0)
        if per < 3:
            o.why = f"fewer than 3 seeds per {', '.join(strata) or 'arm'}; {settle}"
            return o
        d = stats.bootstrap_std_difference(groups[0], groups[1])
        o.interval = stats.percentile_intervals(d)
        o.ci = o.interval(1 - stats.ALPHA)
        o.evidence += f"; difference {fmt(sa - sb)} [{fmt(o.ci[0])}, {fmt(o.ci[1])}]"
        o.verdict = stats.decide_interval(*o.ci, band)
        if o.verdict == "undecided":
            o.why = f"the interval straddles 0; {settle}"
        return o

    def synthesise(self, side: str) -> pd.DataFrame:
        _check_side(side)
        wide = [0.3, 0.6, 0.9]                  # means far apart across the learning rates
        flat = [0.6, 0.6, 0.6]
        # (a's means, b's means): the sensitive arm is a when sd(a) > sd(b) is the claim
        wide_a = {"supported": self.direction == "greater", "contradicted": self.direction != "greater"}
        means = (wide, wide) if side == "undecided" else ((wide, flat) if wide_a[side] else (flat, wide))
        rows = []
        for arm, arm_means in zip((self.a, self.b), means):
            for lr, mu in zip((0.01, 0.003, 0.001), arm_means):
                rows += [{**r, "lr": lr, "run_id": f"{r['run_id']}/lr{lr}"}
                         for r in _rows(arm, self.metric, mu + 0.01 * _SPREAD)]
        return pd.DataFrame(rows)


# ---- exact figures -------------------------------------------------------------------------------

#: gate blocks per cell: the second bias vector PyTorch adds has this many × hidden entries per layer
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1, "irnn": 1, "nprnn": 1}


def _trained_params_less_second_bias(g: pd.DataFrame) -> tuple[Any, str]:
    """The trained PyTorch model's own count, less the second bias vectors Keras does not have."""
    r = g.iloc[0]
    gates = _GATES.get(str(r["cell"]))
    if gates is None or pd.isna(r.get("params_recurrent")):
        return None, f"no parameter count for cell {r['cell']!r} in {r['run_id']}"
    second = 0 if r.get("bias") == "single" else gates * int(r["hidden"]) * int(r.get("layers") or 1)
    rec, head = int(r["params_recurrent"]) - second, int(r["params_head"])
    return (rec, head, rec + head), (f"the trained model of {r['run_id']}: recurrent {int(r['params_recurrent']):,} "
                                     f"less {second:,} second-bias entries ({r.get('bias') or 'double'} bias) = "
                                     f"{rec:,}, dense {head:,}")


def _param_ratio(g: pd.DataFrame) -> tuple[Any, str]:
    per = {c: g[g["cell"] == c]["params_recurrent"].dropna() for c in ("irnn", "nprnn", "lstm")}
    if any(v.empty for v in per.values()):
        return None, "needs irnn, nprnn and lstm runs"
    base = float(per["irnn"].iloc[0])
    got = tuple(round(float(v.iloc[0]) / base, 3) for v in per.values())
    return got, "recurrent-layer parameters " + ", ".join(f"{c} {int(v.iloc[0]):,}" for c, v in per.items())


def _nprnn_spectrum(g: pd.DataFrame) -> tuple[Any, str]:
    """The np-RNN initialiser at each run's width: its top eigenvalue 1 (to 1e-5) and all others < 1."""
    import torch

    from ..models.initializers import nprnn_matrix

    widths = sorted({int(h) for h in g["hidden"].dropna()})
    if not widths:
        return None, "no np-RNN width in the runs"
    tops, seconds = [], []
    for h in widths:
        ev = torch.linalg.eigvalsh(nprnn_matrix(h, generator=torch.Generator().manual_seed(0),
                                                dtype=torch.float64)).numpy()
        tops.append(float(ev[-1]))
        seconds.append(float(ev[-2]))
    ok = all(abs(t - 1) < 1e-5 for t in tops) and all(s < 1 for s in seconds)
    return ("top = 1, others < 1" if ok else "violated"), (
        "widths " + ", ".join(f"{h}: top {t:.6f}, next {s:.4f}" for h, t, s in zip(widths, tops, seconds)))


EXACT_STATISTICS: dict[str, Callable[[pd.DataFrame], tuple[Any, str]]] = {
    "trained_params_less_second_bias": _trained_params_less_second_bias,
    "recurrent_param_ratio_irnn_nprnn_lstm": _param_ratio,
    "nprnn_spectrum": _nprnn_spectrum,
}


@dataclass(frozen=True)
class Exact(Rule):
    """An exact figure: ``statistic`` (one of :data:`EXACT_STATISTICS`) of the arm's runs equals
    ``expected`` → supported, differs → contradicted. Exact figures are checks of the implementation
    (parameter counts, an initialiser's spectrum): no interval, no synthetic flip."""

    arm: Arm
    statistic: str
    expected: Any
    synthesisable: ClassVar[bool] = False

    def __post_init__(self):
        if self.statistic not in EXACT_STATISTICS:
            raise ValueError(f"unknown exact statistic {self.statistic!r}; known: {sorted(EXACT_STATISTICS)}")

    def arms(self) -> list[Arm]:
        return [self.arm]

    def decide(self, runs: pd.DataFrame, settle: str) -> Outcome:
        g = select(runs, self.arm)
        got, how = EXACT_STATISTICS[self.statistic](g) if not g.empty else (None, "no run")
        o = Outcome(statistic=self.statistic.replace("_", " "), n=len(g), evidence=how,
                    rule=f"equals {self.expected} → supported; otherwise contradicted")
        if got is None:
            o.why = how
            return o
        same = (tuple(got) == tuple(self.expected)) if isinstance(self.expected, tuple) else got == self.expected
        o.verdict = "supported" if same else "contradicted"
        o.evidence = f"{got}: {how}"
        return o


Test = Near | Beyond | EverySeed | Paired | Equivalent | Spread | Exact

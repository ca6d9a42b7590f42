"""The statistics of the verdicts: intervals, the decision against a band, Holm's correction.

- means over seeds: Student t interval, ``mean ± t(1 − α/2, n−1) · sd / √n``;
- a verdict reads an interval against the rule's band (:func:`decide_interval`): inside → supported,
  wholly outside → contradicted, else undecided;
- its p-value (:func:`p_value`) is the smallest α at which the (1 − α) interval decides: intervals
  nest as α falls, so the decision is monotone in α and a bisection finds it;
- within a section of the register, Holm's step-down correction (:func:`holm`): the claim with the
  i-th smallest p of m is read at level 1 − 0.05 / (m − i + 1), and decided only if every claim
  before it in that order was (adjusted p ≤ 0.05).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np

ALPHA = 0.05
#: a decided interval whose nearer end lies within this fraction of its own width of the boundary is
#: marked *near the boundary*: a shift of a tenth of the interval would have left it undecided
NEAR_FRACTION = 0.1

Interval = Callable[[float], tuple[float, float]]   # confidence level -> (low, high)


def finite(x: Iterable[float]) -> np.ndarray:
    return np.asarray([float(v) for v in x if v is not None and math.isfinite(float(v))], dtype=float)


def t_interval(x: Iterable[float], level: float = 1 - ALPHA) -> tuple[float, float, float, int]:
    """Mean, ``level`` t interval and n of the finite values."""
    from scipy import stats

    a = finite(x)
    n = a.size
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(a.mean())
    if n == 1:
        return m, float("nan"), float("nan"), 1
    sd = float(a.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return m, m - h, m + h, n


def t_intervals(x: Iterable[float]) -> Interval:
    """The t interval of ``x`` as a function of the level (for the p-value and Holm)."""
    a = finite(x)
    return lambda level: t_interval(a, level)[1:3]


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


def p_value(interval: Interval, band: tuple[float, float]) -> float:
    """The smallest α at which the (1 − α) interval decides against ``band`` (1.0 if none does)."""
    lo, hi = interval(1 - 1e-12)
    if decide_interval(lo, hi, band) != "undecided":
        return 0.0
    lo, hi = interval(1e-9)
    if decide_interval(lo, hi, band) == "undecided":
        return 1.0
    a, b = 1e-12, 1 - 1e-9          # α: decided at b, not at a
    for _ in range(60):
        mid = (a + b) / 2
        lo, hi = interval(1 - mid)
        if decide_interval(lo, hi, band) == "undecided":
            a = mid
        else:
            b = mid
    return b


def holm(pvalues: Sequence[float]) -> tuple[list[float], list[float]]:
    """Holm's adjusted p-values and, per p, the level its interval is read at (the step-down
    stage: the i-th smallest of m at 1 − α / (m − i + 1)). NaN p-values (no interval) take no part."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and math.isfinite(p)]
    m = len(idx)
    adj = [float("nan")] * len(pvalues)
    level = [float("nan")] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda j: pvalues[j])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adj[i] = running
        level[i] = 1 - ALPHA / (m - rank)
    return adj, level


def near_boundary(lo: float, hi: float, band: tuple[float, float]) -> bool:
    """Whether a decided interval's end nearest to one of the band's edges is within
    :data:`NEAR_FRACTION` of the interval's width of it."""
    width = hi - lo
    if not (math.isfinite(lo) and math.isfinite(hi)) or width <= 0:
        return False
    edges = [e for e in band if math.isfinite(e)]
    gap = min((min(abs(lo - e), abs(hi - e)) for e in edges), default=math.inf)
    return gap <= NEAR_FRACTION * width


def bootstrap_std_difference(a: Sequence[np.ndarray], b: Sequence[np.ndarray], resamples: int = 2000,
                             seed: int = 0) -> np.ndarray:
    """sd(a) − sd(b) over ``resamples`` percentile-bootstrap draws, each stratum (e.g. a learning
    rate's seeds) resampled within itself; a fixed generator, so the table is reproducible."""
    rng = np.random.default_rng(seed)

    def draws(groups):
        out = np.empty(resamples)
        for i in range(resamples):
            out[i] = np.std(np.concatenate([rng.choice(x, x.size) for x in groups]), ddof=1)
        return out

    return draws(a) - draws(b)


def percentile_intervals(d: np.ndarray) -> Interval:
    return lambda level: (float(np.percentile(d, 50 - 50 * level)), float(np.percentile(d, 50 + 50 * level)))

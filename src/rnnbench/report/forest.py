"""The picture the report opens with: every tested claim's interval against its boundary.

``python -m rnnbench.report.forest --claims RESULTS/tables/claims.csv --out RESULTS/figures/claims_forest.png``

One axis serves all claims, whatever their statistic (an accuracy, a paired difference, a ratio, a
per-step factor): each claim's estimate and 95 % interval are placed by their distance from the
claim's boundary, in half-widths of the claim's own interval, oriented so that the claim's side is
to the right. A claim is then *supported* exactly when its whole bar lies right of 0 and
*contradicted* when it lies wholly left of 0 — the engine's rule, read off one axis.

- one-sided rules (a threshold, a paired difference against 0, a ratio against r): x ↦ ±(x − b) / h,
  h = (ci_high − ci_low) / 2; a ratio is compared on the log scale, where its interval was taken;
- two-sided rules (within source ± tol, within ±margin): x ↦ (distance inside the band, to its
  nearer edge) / h, negative outside. The bar runs from the worse of the interval's ends to the best
  point of the interval (the band's centre where the interval holds it);
- exact checks have no interval: a square at the axis' edge on the side of their verdict.

The boundary is read from the claims table's ``rule`` (so a synthetic table, or a register that
grows, needs nothing else); when a rule cannot be read, from the register's test.

Claims this configuration does not test are not drawn: they collapse into one line naming the grids
that would test them (:func:`not_run_summary`).
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: verdict → colour (the claims table's colours, darker for lines on white)
COLOURS = {"supported": "#2e8b3a", "contradicted": "#c0392b", "undecided": "#c79a00", "not run": "#999999"}
#: the axis is cut at ± this many half-widths; a claim beyond it is drawn at the edge with an arrow
LIMIT = 8.0

_NUM = r"(-?\d+(?:\.\d*)?(?:e[-+]?\d+)?)"


@dataclass(frozen=True)
class Boundary:
    """The edge a claim's interval must clear: ``side`` 'above' or 'below' ``lo`` (one-sided),
    or 'inside' [lo, hi] (two-sided); ``log``: compare on the log scale (a ratio)."""

    side: str
    lo: float
    hi: float = math.nan
    log: bool = False


def boundary_from_rule(rule: str) -> Boundary | None:
    """The boundary a rule of the verdict engine states, or None (an exact check, or unreadable)."""
    rule = str(rule or "")
    log = "ratio" in rule
    m = re.search(r"within " + _NUM + r" ± " + _NUM, rule)
    if m:
        c, t = float(m.group(1)), float(m.group(2))
        return Boundary("inside", c - t, c + t, log)
    m = re.search(r"within ±" + _NUM, rule)
    if m:
        t = float(m.group(1))
        return Boundary("inside", -t, t, log)
    m = re.search(r"wholly (above|below) (?:[A-Za-z_]\w* )?" + _NUM, rule)
    if m:
        return Boundary(m.group(1), float(m.group(2)), log=log)
    return None


def boundary_from_register(claim_id: str) -> Boundary | None:
    """The boundary of the register's test of ``claim_id``, read defensively (None when the claim,
    or a numeric boundary, is not there)."""
    try:
        from ..claims import by_id

        t = by_id()[claim_id].test
        return _register_boundary(t)
    except Exception:      # a rule this reader does not know (or a boundary named by a column)
        return None


def _register_boundary(t) -> Boundary | None:
    name = type(t).__name__
    if name == "Near":
        return Boundary("inside", t.source - t.tol, t.source + t.tol)
    if name == "Equivalent":
        return Boundary("inside", -t.margin, t.margin)
    if name == "Beyond" and not isinstance(t.threshold, str):
        return Boundary(t.side, float(t.threshold))
    if name in ("Paired", "Spread"):
        side = "above" if getattr(t, "direction", "greater") == "greater" else "below"
        ratio = getattr(t, "ratio", None)
        return Boundary(side, float(ratio) if ratio is not None else 0.0, log=ratio is not None)
    return None


def boundary_from_column(text: str, rule: str = "") -> Boundary | None:
    """The boundary the claims engine writes (column ``boundary``): '[lo, hi]' (inside), '> x'
    (above), '< x' (below); a ratio's (the rule says so) is compared on the log scale."""
    text, log = str(text or "").strip(), "ratio" in str(rule or "")
    try:
        if text.startswith("[") and text.endswith("]"):
            lo, hi = (float(v) for v in text[1:-1].split(","))
            return Boundary("inside", lo, hi, log)
        if text[:1] in "<>" and text:
            return Boundary("above" if text[0] == ">" else "below", float(text[1:]), log=log)
    except ValueError:
        return None
    return None


def boundary(row: pd.Series | dict) -> Boundary | None:
    """The engine's own boundary where the table has it, else what the rule's text or the register says."""
    return (boundary_from_column(row.get("boundary", ""), row.get("rule", "")) or boundary_from_rule(row.get("rule", ""))
            or boundary_from_register(str(row.get("id", ""))))


def normalise(estimate: float, lo: float, hi: float, b: Boundary) -> tuple[float, float, float]:
    """(estimate, interval low, interval high) as distances from ``b`` in half-widths of [lo, hi],
    the claim's side positive; NaNs when there is no interval. An interval of zero width (every seed
    alike) lies infinitely far from a boundary it does not touch."""
    vals = [estimate, lo, hi]
    edges = [b.lo, b.hi]
    if b.log:
        vals = [math.log(v) if v > 0 else math.nan for v in vals]
        edges = [math.log(e) if e > 0 else math.nan for e in edges]
    est, lo, hi = vals
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return math.nan, math.nan, math.nan
    h = (hi - lo) / 2

    def scaled(d: float) -> float:
        if h > 0:
            return d / h
        return 0.0 if d == 0 else math.copysign(math.inf, d)

    if b.side in ("above", "below"):
        sign = 1.0 if b.side == "above" else -1.0
        ends = sorted(scaled(sign * (v - edges[0])) for v in (lo, hi))
        return scaled(sign * (est - edges[0])), ends[0], ends[1]
    a, c = edges

    def inside(v: float) -> float:
        return min(v - a, c - v)

    best = min(max((a + c) / 2, lo), hi)       # the interval's point nearest the band's centre
    return scaled(inside(est)), scaled(min(inside(lo), inside(hi))), scaled(inside(best))


def placed(claims: pd.DataFrame) -> pd.DataFrame:
    """The tested claims (verdict other than *not run*) with their normalised position: columns
    ``x``, ``x_low``, ``x_high`` (NaN without an interval) and ``exact`` (an exact check)."""
    rows = []
    for _, r in claims[claims["verdict"] != "not run"].iterrows():
        b = boundary(r)
        est, lo, hi = (float(pd.to_numeric(r.get(k), errors="coerce")) for k in ("estimate", "ci_low", "ci_high"))
        x = normalise(est, lo, hi, b) if b is not None else (math.nan,) * 3
        exact = b is None and (str(r.get("kind")) == "exact" or str(r.get("rule", "")).startswith("equals"))
        rows.append({**r.to_dict(), "x": x[0], "x_low": x[1], "x_high": x[2], "exact": exact})
    return pd.DataFrame(rows, columns=list(claims.columns) + ["x", "x_low", "x_high", "exact"])


# ---- claims this configuration does not test ---------------------------------------------------------

@dataclass(frozen=True)
class NotRun:
    ids: tuple[str, ...]             # every claim not run here
    grids: tuple[str, ...]           # the grids (family/grid, or a family without grids) that would test them
    unavailable: tuple[str, ...]     # claims no run here can test (no arms: data or model not available)

    def line(self) -> str:
        if not self.ids:
            return "Every claim of the register was tested by this configuration."
        testable = len(self.ids) - len(self.unavailable)
        parts = []
        if testable:
            parts.append(f"{testable} claim{'s' if testable != 1 else ''} not tested by this configuration; "
                         f"the grid{'s' if len(self.grids) != 1 else ''} "
                         + ", ".join(f"`{g}`" for g in self.grids) + " would test them")
        if self.unavailable:
            parts.append(f"{len(self.unavailable)} cannot run here (" + ", ".join(f"`{i}`" for i in self.unavailable)
                         + ": the reason is in the claim's row)")
        return "**Not run:** " + "; ".join(parts) + "."


def _arm_heads(runs: str) -> list[str]:
    """'recurrent/har_clip [cell=lstm]; word2vec [impl=ours]' → ['recurrent/har_clip', 'word2vec']."""
    return [part.split(" [", 1)[0].strip() for part in str(runs or "").split("; ") if part.strip()]


def not_run_summary(claims: pd.DataFrame) -> NotRun:
    nr = claims[claims["verdict"] == "not run"]
    grids: list[str] = []
    unavailable = []
    for _, r in nr.iterrows():
        heads = _arm_heads(r.get("runs", "") if isinstance(r.get("runs", ""), str) else "")
        if not heads:
            unavailable.append(str(r["id"]))
        for h in heads:
            if h not in grids:
                grids.append(h)
    return NotRun(tuple(map(str, nr["id"])), tuple(grids), tuple(unavailable))


def claimed_grids(claims: pd.DataFrame) -> set[str]:
    """The grid names any claim's arms read (tested or not), from the table's ``runs`` column."""
    out = set()
    for runs in claims.get("runs", pd.Series(dtype=str)).fillna(""):
        for h in _arm_heads(runs):
            if "/" in h:
                out.add(h.split("/", 1)[1])
    return out


# ---- the figure ----------------------------------------------------------------------------------

def forest_figure(claims: pd.DataFrame, out: str | Path) -> Path:
    """Draw the forest plot of ``claims`` (a claims table) to ``out``: one row per tested claim,
    grouped by section in the table's order (the lecture's), coloured by verdict; the claims not
    run here as one line at the foot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .common import save_figure

    p = placed(claims)
    nr = not_run_summary(claims)
    sections = list(dict.fromkeys(p["section"]))
    n_rows = len(p) + len(sections)
    fig, ax = plt.subplots(figsize=(9.5, 1.4 + 0.24 * max(n_rows, 1)))
    y, ticks, labels = 0, [], []
    for sec in sections:
        ax.text(-LIMIT - 0.3, y, sec, ha="left", va="center", fontsize=9, fontweight="bold",
                transform=ax.transData)
        y -= 1
        for _, r in p[p["section"] == sec].iterrows():
            colour = COLOURS.get(r["verdict"], "#333333")
            ticks.append(y)
            labels.append(str(r["id"]))
            if r["exact"]:
                xe = {"supported": LIMIT - 0.5, "contradicted": -LIMIT + 0.5}.get(r["verdict"], 0.0)
                ax.plot([xe], [y], marker="s", color=colour, ms=6)
                ax.text(xe - 0.3 if xe > 0 else xe + 0.3, y, "exact check", fontsize=7, va="center",
                        ha="right" if xe > 0 else "left", color=colour)
            elif not math.isfinite(r["x_low"]):
                ax.text(0.2, y, "no interval (" + (str(r.get("why", "")) or "too few runs")[:60] + ")",
                        fontsize=7, va="center", color=colour)
            else:
                lo, hi = (float(np.clip(v, -LIMIT, LIMIT)) for v in (r["x_low"], r["x_high"]))
                ax.plot([lo, hi], [y, y], color=colour, lw=2.2, solid_capstyle="butt")
                x = float(np.clip(r["x"], -LIMIT, LIMIT))
                ax.plot([x], [y], marker="o", color=colour, ms=4.5)
                for v, edge in ((r["x_high"], LIMIT), (r["x_low"], -LIMIT)):
                    if abs(v) > LIMIT and math.copysign(1, v) == math.copysign(1, edge):
                        ax.annotate("", xy=(edge + math.copysign(0.35, edge), y), xytext=(edge, y),
                                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.2})
            y -= 1
    ax.axvline(0, color="#333333", lw=1)
    ax.set_xlim(-LIMIT - 0.4, LIMIT + 0.4)
    ax.set_ylim(y + 0.5, 0.6)
    ax.set_yticks(ticks, labels, fontsize=7.5)
    ax.set_xlabel("distance from the claim's boundary, in half-widths of its 95 % interval "
                  "(right: the claim's side; bar wholly right of 0 = supported, wholly left = contradicted)",
                  fontsize=8)
    ax.grid(axis="x", color="#eeeeee")
    if nr.ids:   # the one line of the claims not run, wrapped under the axis
        text = textwrap.fill(re.sub(r"[*`]", "", nr.line()), 125)
        ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -36), textcoords="offset points",
                    fontsize=7.5, color="#555555", va="top")
    if p.empty:
        ax.text(0, -0.5, "no claim was tested by this configuration", ha="center", fontsize=9)
    handles = [Line2D([0], [0], color=c, lw=3, label=v) for v, c in COLOURS.items() if v != "not run"]
    ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, fontsize=7.5, frameon=False)
    ax.set_title("The claims, each against its own boundary", fontsize=10, loc="left")
    return save_figure(fig, out)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from .common import read_csv

    ap = argparse.ArgumentParser(prog="python -m rnnbench.report.forest", description=__doc__.splitlines()[0])
    ap.add_argument("--claims", required=True, help="tables/claims.csv of the claims aggregation")
    ap.add_argument("--out", required=True, help="the PNG to write")
    a = ap.parse_args(argv)
    claims = read_csv(a.claims)
    if claims is None or "verdict" not in claims:
        raise SystemExit(f"{a.claims}: not a claims table (no 'verdict' column)")
    if "role" in claims:     # checks of the implementation have their own table, never a place on this axis
        claims = claims[claims["role"].fillna("claim") == "claim"]
    print(forest_figure(claims, a.out))


if __name__ == "__main__":
    main()

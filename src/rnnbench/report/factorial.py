"""The HAR factorial: every cell × clipping × dropout setting, one heatmap of test accuracy.

Reads the recurrent run records of the grid entries named ``har_factorial*`` (config: the five
cells × clipvalue {none, 0.5} × (dropout, recurrent_dropout) {(0, 0), (0.25, 0.25)}) and writes
``tables/har_factorial.csv`` (one row per cell and setting: n, mean test accuracy after the last
epoch and its 95 % t interval over seeds) and ``figures/har_factorial.png`` (cells × settings,
coloured by the mean, each square labelled with its mean and interval). Called by
:mod:`rnnbench.report.recurrent`'s aggregation, which owns the rule.

A diverged run is a result, not a gap: it counts at its majority-class accuracy (chance when the
record has none), as the claims engine counts it, and the row says how many diverged.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..claims.runs import diverged_score   # a diverged run counts at its majority baseline, as the claims read it
from ..runspec import RunSpec
from .common import as_float, save_figure


GRID_PREFIX = "har_factorial"
#: the cells in the lecture's order (simple, the two initialisations, the gated ones)
CELL_ORDER = ("rnn_tanh", "rnn_relu", "irnn", "nprnn", "lstm", "gru")
COLUMNS = ["cell", "setting", "clip", "dropout", "recurrent_dropout", "n", "diverged", "mean", "ci_low", "ci_high",
           "test_accuracy", "epochs", "source"]


def setting_label(clip: Any, dropout: float, recurrent_dropout: float) -> str:
    c = "no clipping" if clip is None or (isinstance(clip, float) and math.isnan(clip)) else f"clipvalue {clip:g}"
    d = "no dropout" if not (dropout or recurrent_dropout) else f"dropout {dropout:g}/{recurrent_dropout:g}"
    return f"{c}, {d}"


def t_interval(values: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    v = values[np.isfinite(values)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size == 1:
        return m, math.nan, math.nan
    h = float(stats.t.ppf(0.975, v.size - 1)) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - h, m + h


def factorial_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        if not str(r.get("grid") or "").startswith(GRID_PREFIX) or r.get("backend", "torch") != "torch":
            continue
        cfg = RunSpec.from_dict(r.get("config") or {})
        diverged = r.get("status") == "diverged"
        acc = as_float((r.get("final") or {}).get("test_accuracy"))
        if diverged or not math.isfinite(acc):
            acc = diverged_score(r) if diverged else acc
        rows.append({"cell": r["cell"], "clip": cfg.clipvalue, "dropout": float(cfg.dropout or 0.0),
                     "recurrent_dropout": float(cfg.recurrent_dropout or 0.0), "acc": acc,
                     "diverged": diverged, "epochs": cfg.stated("epochs"), "source": r.get("source")})
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.DataFrame(rows)
    df["clip_key"] = df["clip"].map(lambda c: -1.0 if c is None or (isinstance(c, float) and math.isnan(c)) else c)
    out = []
    for (cell, ck, d, rd), g in df.groupby(["cell", "clip_key", "dropout", "recurrent_dropout"], sort=True):
        clip = None if ck == -1.0 else ck
        m, lo, hi = t_interval(g["acc"].to_numpy(dtype=float))
        n = int(np.isfinite(g["acc"].to_numpy(dtype=float)).sum())
        out.append({"cell": cell, "setting": setting_label(clip, d, rd), "clip": "none" if clip is None else clip,
                    "dropout": d, "recurrent_dropout": rd, "n": n, "diverged": int(g["diverged"].sum()), "mean": m,
                    "ci_low": lo, "ci_high": hi,
                    "test_accuracy": "—" if not math.isfinite(m) else (
                        f"{m:.3f} [{lo:.3f}, {hi:.3f}]" if math.isfinite(lo) else f"{m:.3f} (n=1)"),
                    "epochs": g["epochs"].iloc[0], "source": g["source"].iloc[0]})
    t = pd.DataFrame(out, columns=COLUMNS)
    order = {c: i for i, c in enumerate(CELL_ORDER)}
    t["_o"] = t["cell"].map(lambda c: order.get(c, len(order)))
    t["_s"] = t["clip"].map(lambda c: 0 if c == "none" else 1) + 2 * (t["dropout"] + t["recurrent_dropout"] > 0)
    return t.sort_values(["_o", "_s"], kind="stable").drop(columns=["_o", "_s"]).reset_index(drop=True)


def heatmap(table: pd.DataFrame, out: str | Path) -> Path:
    """Cells (rows) × settings (columns), coloured by mean test accuracy, labelled mean and 95 % CI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    if table.empty:
        fig, ax = plt.subplots(figsize=(6, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"no run of a {GRID_PREFIX}* grid in this configuration", ha="center", va="center")
        return save_figure(fig, out)
    cells = list(dict.fromkeys(table["cell"]))
    settings = list(dict.fromkeys(table["setting"]))
    grid = np.full((len(cells), len(settings)), np.nan)
    for _, r in table.iterrows():
        grid[cells.index(r["cell"]), settings.index(r["setting"])] = r["mean"]
    fig, ax = plt.subplots(figsize=(2.3 * len(settings) + 1.5, 0.75 * len(cells) + 1.6))
    im = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", aspect="auto", vmin=np.nanmin(grid) if
                   np.isfinite(grid).any() else 0, vmax=np.nanmax(grid) if np.isfinite(grid).any() else 1)
    for _, r in table.iterrows():
        i, j = cells.index(r["cell"]), settings.index(r["setting"])
        text = r["test_accuracy"] + (f"\n{r['diverged']} of {r['n']} diverged" if r["diverged"] else "")
        text = text.replace(" [", "\n[")
        bright = np.isfinite(r["mean"]) and r["mean"] > np.nanmean(grid)
        ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color="black" if bright else "white")
    ax.set_xticks(range(len(settings)), [s.replace(", ", ",\n") for s in settings], fontsize=8)
    ax.set_yticks(range(len(cells)), cells, fontsize=8.5)
    fig.colorbar(im, ax=ax, label="test accuracy (mean over seeds)")
    n = sorted(set(table["n"]))
    ax.set_title(f"HAR: test accuracy after the last epoch, mean [95 % t interval] over "
                 f"{'/'.join(map(str, n))} seeds", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, out)

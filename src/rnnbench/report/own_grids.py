"""The grids no claim reads (a user's own experiment): their summary table and learning curves.

``python -m rnnbench.report.own_grids --outdir RESULTS --scale S metrics.json...`` writes
``tables/own_grids.csv`` (one row per grid and configuration: runs, test metric mean ± std over
seeds) and ``figures/own_grids_curves.png`` (validation metric per epoch, one panel per grid, one
colour per configuration, one line per seed), for the sequence-model runs whose grid entry no claim
of the register (:mod:`rnnbench.claims`) names. It reads nothing but the run records and their
``history.csv``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..records import read_records
from .common import aggregation_main, as_float, fmt_pm, matplotlib_headless, mean_std, save_figure, write_csv

COLUMNS = ["grid", "family", "task", "configuration", "metric", "test", "test_mean", "test_std", "runs", "diverged",
           "epochs", "params_total", "source"]


def claimed_grids() -> set[str]:
    """Every grid name an arm of the register reads (read defensively: a register that fails to
    import claims nothing, and every grid is shown as the user's)."""
    try:
        from ..claims import REGISTER
    except Exception:
        return set()
    return {a.grid for c in REGISTER for a in c.arms() if getattr(a, "grid", None)}


def _configuration(record: dict[str, Any]) -> str:
    """The run id less its grid and seed: 'lstm_L1_clip0.5_drop0_rdrop0_torch'."""
    parts = str(record["run_id"]).split("/")
    return "/".join(parts[1:-1]) if len(parts) > 2 else str(record["run_id"])


def own_records(records: list[dict[str, Any]], claimed: set[str]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("grid") and r.get("grid") not in claimed and r.get("family") != "word2vec"]


def summary(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    df = pd.DataFrame([{"grid": r["grid"], "family": r.get("family"), "task": r.get("task"),
                        "configuration": _configuration(r), "metric": r.get("metric", "accuracy"),
                        # the best validation epoch's weights where the run kept them, else the last epoch's
                        "value": as_float((r.get("best") or {}).get(f"test_{r.get('metric', 'accuracy')}",
                                          (r.get("final") or {}).get(f"test_{r.get('metric', 'accuracy')}"))),
                        "diverged": r.get("status") == "diverged", "epochs": (r.get("config") or {}).get("epochs"),
                        "params_total": (r.get("params") or {}).get("total"), "source": r.get("source")}
                       for r in records])
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    for key, g in df.groupby(["grid", "family", "task", "configuration"], sort=False):
        m, s, n = mean_std(g["value"])
        metric = g["metric"].iloc[0]
        rows.append({**dict(zip(["grid", "family", "task", "configuration"], key)), "metric": metric,
                     "test": fmt_pm(m, s, n, 4 if metric in ("mse", "nll") else 3), "test_mean": m, "test_std": s,
                     "runs": len(g), "diverged": int(g["diverged"].sum()), "epochs": g["epochs"].iloc[0],
                     "params_total": g["params_total"].iloc[0], "source": g["source"].iloc[0]})
    return pd.DataFrame(rows, columns=COLUMNS)


def _history(record: dict[str, Any]) -> pd.DataFrame:
    p = Path(record["_path"]).with_name("history.csv")
    return pd.read_csv(p) if p.exists() and p.stat().st_size else pd.DataFrame()


def curves_figure(records: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib.pyplot as plt

    grids = list(dict.fromkeys(r["grid"] for r in records))
    if not grids:
        fig, ax = plt.subplots(figsize=(6, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "every grid of this configuration is read by a claim", ha="center", va="center")
        return save_figure(fig, out)
    ncols = min(3, len(grids))
    nrows = -(-len(grids) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.4 * nrows), squeeze=False)
    for ax in axes.flat[len(grids):]:
        ax.axis("off")
    for ax, grid in zip(axes.flat, grids):
        recs = [r for r in records if r["grid"] == grid]
        configs = list(dict.fromkeys(_configuration(r) for r in recs))
        colours = plt.cm.tab10(np.arange(len(configs)) % 10)
        metric = recs[0].get("metric", "accuracy")
        for colour, conf in zip(colours, configs):
            for i, r in enumerate(x for x in recs if _configuration(x) == conf):
                h = _history(r)
                col = f"val_{metric}"
                if h.empty or col not in h:
                    continue
                ax.plot(h["epoch"], pd.to_numeric(h[col], errors="coerce"), color=colour, lw=1, alpha=0.8,
                        label=conf if i == 0 else None)
        ax.set_title(f"{grid} ({recs[0].get('task')})", fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"validation {metric}")
        ax.legend(fontsize=6.5)
    fig.suptitle("Grids no claim reads: validation metric per epoch, one line per seed", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out)


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    matplotlib_headless()
    outdir = Path(outdir)
    own = own_records(read_records(paths), claimed_grids())
    return {"own_grids": write_csv(summary(own), outdir / "tables" / "own_grids.csv"),
            "own_grids_curves": curves_figure(own, outdir / "figures" / "own_grids_curves.png")}


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.own_grids", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

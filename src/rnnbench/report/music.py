"""Aggregate the polyphonic-music runs beside Chung, Gulcehre, Cho, Bengio (2014), Table 2.

``python -m rnnbench.report.music --outdir RESULTS --scale S metrics.json...`` writes
``tables/music_runs.csv``, ``tables/music_nll.csv`` (each dataset x cell beside the paper),
``tables/music_ranking.csv`` (which cell is best per dataset, ours and the paper's),
``tables/verdicts_music.csv`` and ``figures/music_nll.png``.

NLL (the paper's and ours): the negative log-likelihood of the next piano-roll step under 88
independent Bernoulli outputs, -Σ_k [y_k log p_k + (1-y_k) log(1-p_k)] (natural log, nats), summed
over keys and averaged over all test time steps of all test sequences. Ours is measured with the
weights of the best validation epoch (early stopping on validation, as the paper).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..records import read_records
from ..runspec import RunSpec
from .common import (aggregation_main, VERDICT_COLUMNS, by_name, declare, fmt_pm, matplotlib_headless, mean_std,
                     save_figure, verdict, write_csv)
from .recurrent import runs_table, write_runs_csv

# What the aggregation writes, in the order of its rule's outputs (workflow/rules/music.smk): name, path,
# and for Snakemake's report caption | category (rnnbench.report.common.declare)
OUTPUTS = declare("""
runs        tables/music_runs.csv
nll         tables/music_nll.csv         music_nll      | Polyphonic music
ranking     tables/music_ranking.csv     music_ranking  | Polyphonic music
figure      figures/music_nll.png        music_figure   | Polyphonic music
verdicts    tables/verdicts_music.csv    verdicts       | Verdicts
""")
OUT = by_name(OUTPUTS)

SOURCE = "Chung, Gulcehre, Cho, Bengio 2014, Table 2 (test NLL per time step)"
# paper: (tanh, GRU, LSTM) test NLL
PAPER = {
    "nottingham": {"rnn_tanh": 3.13, "gru": 3.23, "lstm": 3.20},
    "jsb": {"rnn_tanh": 9.10, "gru": 8.54, "lstm": 8.67},
    "musedata": {"rnn_tanh": 6.23, "gru": 5.99, "lstm": 6.23},
    "pianomidi": {"rnn_tanh": 9.03, "gru": 8.82, "lstm": 9.03},
}
PAPER_UNITS = {"rnn_tanh": 100, "lstm": 36, "gru": 46}
PAPER_PARAMS = "≈20k"
# within this many nats per step we call a figure reproduced: about the spread between the paper's
# cells on one dataset (0.1-0.6), so "supported" means "as close as the cells are to each other"
TOLERANCE = 0.3
DISPLAY = {"jsb": "JSB Chorales", "nottingham": "Nottingham", "musedata": "MuseData", "pianomidi": "Piano-midi.de"}


def music_runs(records: list[dict]) -> pd.DataFrame:
    runs = runs_table(records)
    settings = [RunSpec.from_dict(c) for c in runs["_config"]]
    runs["dataset"] = [s.dataset for s in settings]
    runs["train_chunk"] = [s.train_chunk for s in settings]
    runs["tbptt"] = [s.tbptt for s in settings]
    runs["training"] = [f"truncated BPTT, {int(s.tbptt)}-step chunks" if s.tbptt else "full BPTT" for s in settings]
    runs["params_recurrent"] = [(r.get("params") or {}).get("recurrent") for r in records]
    return runs


def nll_table(runs: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, list[dict]]:
    rows, verdicts = [], []
    ok = runs[runs["backend"] == "torch"]
    for (dataset, cell, training), g in ok.groupby(["dataset", "cell", "training"], sort=False):
        paper = PAPER.get(dataset, {}).get(cell)
        m, s, n = mean_std(g["best_test_metric"])
        epochs = int(g["epochs_run"].max())
        chunk = g["train_chunk"].iloc[0]
        note = (f"{int(g['hidden'].iloc[0])} units, {epochs} epochs max"
                + (f", training windows of {int(chunk)} steps" if chunk == chunk and chunk else ", whole sequences"))
        note += f"; {training}"
        row = {"dataset": DISPLAY.get(dataset, dataset), "cell": cell, "training": training,
               "hidden": int(g["hidden"].iloc[0]),
               "paper_units": PAPER_UNITS.get(cell), "params_total": g["params_total"].iloc[0],
               "params_recurrent": g["params_recurrent"].iloc[0], "paper_params": PAPER_PARAMS,
               "paper_test_nll": paper, "ours_test_nll": fmt_pm(m, s, n, 2), "ours_mean": m, "ours_std": s,
               "runs": len(g), "diverged": int((g["status"] == "diverged").sum()),
               "epochs_run": epochs, "train_chunk": chunk, "source": g["source"].iloc[0]}
        if paper is not None:
            label = f"{DISPLAY.get(dataset, dataset)} {cell}" + ("" if training == "full BPTT" else f" ({training})")
            v = verdict("music", label, SOURCE, paper, g["best_test_metric"],
                        TOLERANCE, scale, note=note)
            verdicts.append(v)
            row.update({"tolerance": TOLERANCE, "verdict": v["verdict"]})
        rows.append(row)
    return pd.DataFrame(rows), verdicts


def ranking_table(nll: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: the cells ordered by test NLL, ours and the paper's (the lecture's point:
    gated units beat tanh, GRU and LSTM comparable)."""
    rows = []
    inv = {v: k for k, v in DISPLAY.items()}
    for ds, g in nll[nll["training"] == "full BPTT"].groupby("dataset", sort=False):  # the paper's setting
        g = g[g["ours_mean"].notna()]
        if g.empty:
            continue
        ours = " < ".join(g.sort_values("ours_mean")["cell"])
        paper = PAPER.get(inv.get(ds, ds), {})
        paper_order = " < ".join(sorted((c for c in paper if c in set(g["cell"])), key=paper.get))
        rows.append({"dataset": ds, "ours (lowest NLL first)": ours, "paper (lowest NLL first)": paper_order,
                     "same best cell": ours.split(" < ")[0] == paper_order.split(" < ")[0] if paper_order else None})
    return pd.DataFrame(rows)


def nll_figure(nll: pd.DataFrame, path: Path) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    nll = nll[nll["training"] == "full BPTT"] if "training" in nll else nll  # the paper's setting
    if nll.empty:   # the rule declares the figure: say so in it rather than leave it out
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no music run finished", ha="center", va="center")
        return save_figure(fig, path)
    datasets = list(dict.fromkeys(nll["dataset"]))
    cells = [c for c in ("rnn_tanh", "gru", "lstm") if c in set(nll["cell"])]
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.2 * len(datasets), 3), squeeze=False)
    for ax, ds in zip(axes[0], datasets):
        g = nll[nll["dataset"] == ds].set_index("cell")
        x = np.arange(len(cells))
        ours = [g.loc[c, "ours_mean"] if c in g.index else np.nan for c in cells]
        err = [g.loc[c, "ours_std"] if c in g.index else 0 for c in cells]
        paper = [g.loc[c, "paper_test_nll"] if c in g.index else np.nan for c in cells]
        ax.bar(x - 0.2, paper, 0.4, label="Chung et al. 2014", color="#999")
        ax.bar(x + 0.2, ours, 0.4, yerr=err, label="ours", color="#4a7ab5")
        ax.set_xticks(x, cells)
        ax.set_title(ds)
        ax.set_ylabel("test NLL per step (nats)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    matplotlib_headless()
    runs = music_runs(read_records(paths))
    nll, verdicts = nll_table(runs, scale)
    return {
        "runs": write_runs_csv(runs, OUT["runs"].at(outdir)),
        "nll": write_csv(nll, OUT["nll"].at(outdir)),
        "ranking": write_csv(ranking_table(nll), OUT["ranking"].at(outdir)),
        "verdicts": write_csv(pd.DataFrame(verdicts, columns=VERDICT_COLUMNS), OUT["verdicts"].at(outdir)),
        "figure": nll_figure(nll, OUT["figure"].at(outdir)),
    }


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.music", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

"""Aggregate the name -> gender runs (the lecture's many-to-one recap).

``python -m rnnbench.report.names --outdir RESULTS --scale S metrics.json...`` writes
``tables/names_runs.csv``, ``tables/names_accuracy.csv`` (test accuracy per cell and encoding,
mean ± std over seeds, beside the majority-class baseline) and ``tables/verdicts_names.csv``.
The lecture shows the model but no accuracy figure: there is no source figure, so the verdict
file holds no rows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..cells import CELLS
from ..records import read_records
from ..runspec import RunSpec
from .common import accuracy_without_figure, aggregation_main, by_name, declare, write_csv, write_no_verdicts
from .recurrent import runs_table, write_runs_csv

# What the aggregation writes, in the order of its rule's outputs (workflow/rules/names.smk): name, path,
# and for Snakemake's report caption | category (rnnbench.report.common.declare)
OUTPUTS = declare("""
runs        tables/names_runs.csv
accuracy    tables/names_accuracy.csv    names_accuracy  | Name to gender
verdicts    tables/verdicts_names.csv
""")
OUT = by_name(OUTPUTS)


def names_runs(records: list[dict]) -> pd.DataFrame:
    runs = runs_table(records)
    runs["encoding"] = [(r.get("task_meta") or {}).get("encoding") for r in records]
    runs["embedding_dim"] = [RunSpec.from_dict(c).embedding_dim for c in runs["_config"]]
    runs["majority_baseline"] = [(r.get("task_meta") or {}).get("majority_test_accuracy") for r in records]
    return runs


def accuracy_table(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (encoding, cell), g in runs.groupby(["encoding", "cell"], sort=False):
        rows.append({
            "encoding": encoding, "cell": cell, "hidden": g["hidden"].iloc[0],
            "embedding_dim": g["embedding_dim"].iloc[0] if encoding == "embedding" else None,
            "params_total": g["params_total"].iloc[0],
            **accuracy_without_figure(g, majority_baseline=g["majority_baseline"].iloc[0]),
        })
    df = pd.DataFrame(rows)
    if not df.empty:
        df["_order"] = df["cell"].map({c: i for i, c in enumerate(CELLS)})
        df = df.sort_values(["encoding", "_order"], kind="stable").drop(columns="_order")
    return df


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    runs = names_runs(read_records(paths))
    return {
        "runs": write_runs_csv(runs, OUT["runs"].at(outdir)),
        "accuracy": write_csv(accuracy_table(runs), OUT["accuracy"].at(outdir)),
        "verdicts": write_no_verdicts(OUT["verdicts"].at(outdir)),  # the lecture gives no figure for this task
    }


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.names", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

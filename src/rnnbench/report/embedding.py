"""Aggregate the IMDb embedding-strategy runs (the lecture's three uses of an embedding layer).

``python -m rnnbench.report.embedding --outdir RESULTS --scale S metrics.json...`` writes
``tables/embedding_runs.csv``, ``tables/embedding_accuracy.csv`` (test accuracy per cell and
strategy, mean ± std over seeds), ``tables/embedding_data.csv`` (vocabulary, OOV rates and word2vec
coverage, as the prepare step measured them) and ``tables/verdicts_embedding.csv``. The lecture
gives no IMDb accuracy: no source figure, so the verdict file holds no rows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..records import read_records
from ..runspec import RunSpec
from .common import accuracy_without_figure, aggregation_main, by_name, declare, write_csv, write_no_verdicts
from .recurrent import runs_table, write_runs_csv

# What the aggregation writes, in the order of its rule's outputs (workflow/rules/embedding.smk): name, path,
# and for Snakemake's report caption | category (rnnbench.report.common.declare)
OUTPUTS = declare("""
runs        tables/embedding_runs.csv
accuracy    tables/embedding_accuracy.csv    embedding_accuracy  | Embedding layer (IMDb)
data        tables/embedding_data.csv        embedding_data      | Embedding layer (IMDb)
verdicts    tables/verdicts_embedding.csv
""")
OUT = by_name(OUTPUTS)

STRATEGY = {"scratch": "(a) trained from scratch", "frozen": "(b) word2vec, frozen",
            "finetuned": "(c) word2vec, fine-tuned"}


def embedding_runs(records: list[dict]) -> pd.DataFrame:
    runs = runs_table(records)
    settings = [RunSpec.from_dict(c) for c in runs["_config"]]
    runs["strategy"] = [s.embedding or "scratch" for s in settings]
    runs["embedding_dim"] = [s.embedding_dim for s in settings]
    runs["params_embedding"] = [(r.get("params") or {}).get("embedding") for r in records]
    return runs


def accuracy_table(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (cell, strategy), g in runs.groupby(["cell", "strategy"], sort=False):
        rows.append({
            "cell": cell, "strategy": STRATEGY.get(strategy, strategy), "hidden": g["hidden"].iloc[0],
            "embedding_dim": g["embedding_dim"].iloc[0],
            "trainable_params": g["params_total"].iloc[0], "trainable_embedding_params": g["params_embedding"].iloc[0],
            **accuracy_without_figure(g, best_epoch_mean=float(pd.to_numeric(g["best_epoch"], errors="coerce").mean())),
        })
    df = pd.DataFrame(rows)
    if not df.empty:
        df = df.sort_values(["cell", "strategy"], kind="stable")
    return df


def data_table(records: list[dict]) -> pd.DataFrame:
    """What the ids mean: one row per split, from the prepare step's own measurements."""
    meta = next((r.get("task_meta") for r in records if r.get("task_meta")), None) or {}
    pre = meta.get("pretrained") or {}
    rows = []
    for split, c in (meta.get("counts") or {}).items():
        rows.append({"split": split, "reviews": c.get("reviews"), "positive": c.get("positive"),
                     "median_tokens": c.get("median_tokens"), "truncated_to_max_len": c.get("truncated"),
                     "oov_token_rate": c.get("oov_token_rate"), "vocab_size (incl. pad, OOV)": meta.get("vocab_size"),
                     "max_len": meta.get("max_len"), "word2vec_vocab_coverage": pre.get("vocab_coverage"),
                     "word2vec_train_token_coverage": pre.get("train_token_coverage"),
                     "word2vec_vectors": pre.get("vectors_file"), "source": meta.get("source")})
    return pd.DataFrame(rows)


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    records = read_records(paths)
    runs = embedding_runs(records)
    return {
        "runs": write_runs_csv(runs, OUT["runs"].at(outdir)),
        "accuracy": write_csv(accuracy_table(runs), OUT["accuracy"].at(outdir)),
        "data": write_csv(data_table(records), OUT["data"].at(outdir)),
        "verdicts": write_no_verdicts(OUT["verdicts"].at(outdir)),  # the lecture gives no IMDb figure
    }


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.report.embedding", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

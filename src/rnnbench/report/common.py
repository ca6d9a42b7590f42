"""Shared pieces of every family's aggregation: run tables, mean ± std, verdicts, figure saving.

A verdict row compares a source figure (lecture slide or paper table, cited) with ours in the claims'
vocabulary and by their rule (:class:`rnnbench.claims.Near`): the 95 % t interval of our mean over seeds
lies within source ± tolerance → ``supported``, wholly outside it → ``contradicted``, else (or with fewer
seeds than a verdict needs) ``undecided``; ``not run`` when no run produced the figure. The row also says
the scale it ran at, so a laptop-scale number is never presented as a reproduction of a full-scale one.
"""
from __future__ import annotations

import itertools
import math
import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..records import aggregation_main, read_csv, write_csv  # noqa: F401 (the family modules' file helpers)



@dataclass(frozen=True)
class Output:
    """One file a family's aggregation writes, declared once: its module writes it at :meth:`at` and
    its rule's ``output:`` is built from :meth:`paths` (``workflow/rules/common.smk``,
    ``aggregation_output``), shown in Snakemake's report under ``category`` when it has a caption."""
    name: str                    # the rule's output name
    path: str                    # under the results folder; a {placeholder} is one file per value
    caption: str | None = None   # workflow/report/<caption>.rst; None: not in Snakemake's report
    category: str | None = None
    each: tuple[tuple[str, tuple[str, ...]], ...] = ()   # placeholder values the module itself knows

    def at(self, outdir: str | os.PathLike, **values: Any) -> Path:
        return Path(outdir) / self.path.format(**values)

    def paths(self, results: str, **values: Sequence[Any]) -> str | list[str]:
        """The path under ``results``, or for a path with placeholders one per combination of their
        values (the module's ``each``, else ``values``), in the order given."""
        fields = [f for _, f, _, _ in string.Formatter().parse(self.path) if f]
        if not fields:
            return f"{results}/{self.path}"
        known = {**dict(self.each), **values}
        missing = [f for f in fields if f not in known]
        if missing:
            raise ValueError(f"output {self.name} ({self.path}): no values for {', '.join(missing)}")
        return [f"{results}/{self.path.format(**dict(zip(fields, combo)))}"
                for combo in itertools.product(*(known[f] for f in fields))]


def declare(table: str, **each: Sequence[Any]) -> tuple[Output, ...]:
    """A module's outputs from a table, one line per file in the order of its rule's outputs:
    ``name  path`` or ``name  path  caption | category`` (the caption file, then Snakemake's report
    section). ``each``: values of a placeholder the module itself knows (others come from the rule)."""
    outputs = []
    for line in table.strip().splitlines():
        left, _, category = line.partition("|")
        fields = left.split()
        if len(fields) not in (2, 3) or (len(fields) == 3) != bool(category.strip()):
            raise ValueError(f"output line {line!r}: want 'name path' or 'name path caption | category'")
        name, path, *caption = fields
        placeholders = tuple((k, tuple(v)) for k, v in each.items() if f"{{{k}}}" in path)
        outputs.append(Output(name, path, caption[0] if caption else None, category.strip() or None, placeholders))
    names = [o.name for o in outputs]
    if len(set(names)) != len(names):
        raise ValueError(f"output names repeat: {', '.join(names)}")
    return tuple(outputs)


def by_name(outputs: Iterable[Output]) -> Mapping[str, Output]:
    return {o.name: o for o in outputs}


VERDICT_COLUMNS = ["family", "experiment", "source", "source_value", "ours_mean", "ours_std", "n", "ci_low",
                   "ci_high", "tolerance", "verdict", "scale", "note"]


# Every family's runs table (tables/<family>_runs.csv) starts with these columns, named and
# ordered the same; the family's own columns follow.
RUN_IDENTITY = ["run_id", "family", "seed", "status", "device", "train_seconds"]


def run_identity(record: dict[str, Any]) -> dict[str, Any]:
    """The columns of :data:`RUN_IDENTITY` from one run record."""
    return {"run_id": record["run_id"], "family": record.get("family"), "seed": record.get("seed"),
            "status": record.get("status", "ok"), "device": record.get("device"),
            "train_seconds": as_float(record.get("train_seconds"))}


def as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def mean_std(values: Iterable[Any]) -> tuple[float, float, int]:
    arr = np.array([as_float(v) for v in values], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan"), float("nan"), 0
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0, int(arr.size)


def fmt_pm(mean: float, std: float, n: int, digits: int = 3, scale: float = 1.0, unit: str = "") -> str:
    if n == 0 or not math.isfinite(mean):
        return "—"
    if n == 1:
        return f"{mean * scale:.{digits}f}{unit} (n=1)"
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}{unit} (n={n})"


def accuracy_over_seeds(g: pd.DataFrame) -> dict[str, Any]:
    """The test accuracy of a group of runs (the best validation epoch's weights), mean ± std over
    seeds, with its run, divergence and epoch counts: the columns every accuracy table shares."""
    m, s, n = mean_std(g["best_test_metric"])
    return {"test_accuracy": fmt_pm(m, s, n), "test_mean": m, "test_std": s, "runs": len(g),
            "diverged": int((g["status"] == "diverged").sum()), "epochs": int(g["epochs"].max())}


def accuracy_without_figure(g: pd.DataFrame, **family_columns: Any) -> dict[str, Any]:
    """The columns that close a row of the accuracy table of a family with no source figure (its
    verdicts are header only, :func:`write_no_verdicts`): :func:`accuracy_over_seeds`, the family's
    own ``family_columns``, then ``lecture_figure`` (none) and the runs' data source."""
    return {**accuracy_over_seeds(g), **family_columns,
            "lecture_figure": "none (no source figure)", "source": g["source"].iloc[0]}


def verdict(family: str, experiment: str, source: str, source_value: float, ours: Sequence[Any],
            tolerance: float, scale: str, note: str = "") -> dict[str, Any]:
    """One source-figure row, decided as the claims decide a figure (one vocabulary for the whole report):
    the 95 % t interval of the mean of ``ours`` over seeds against source_value ± tolerance."""
    from ..claims.rules import MIN_SEEDS
    from ..claims.stats import decide_interval, t_interval

    m, s, n = mean_std(ours)
    _, lo, hi, _ = t_interval(as_float(v) for v in ours)
    why = ""
    if n == 0:
        v = "not run"
    elif n < MIN_SEEDS:
        v, why = "undecided", f"{n} seed{'s' if n > 1 else ''}; a verdict needs ≥ {MIN_SEEDS}"
    else:
        v = decide_interval(lo, hi, (source_value - tolerance, source_value + tolerance))
    return {"family": family, "experiment": experiment, "source": source, "source_value": source_value,
            "ours_mean": m, "ours_std": s, "n": n, "ci_low": lo, "ci_high": hi, "tolerance": tolerance,
            "verdict": v, "scale": scale, "note": "; ".join(x for x in (note, why) if x)}


def write_no_verdicts(path: str | os.PathLike) -> Path:
    """The declared ``verdicts_<family>.csv`` of a family with no source figure in the lecture or a
    cited paper: header only, so the verdict summary reads every family the same way."""
    return write_csv(pd.DataFrame([], columns=VERDICT_COLUMNS), path)


def save_figure(fig, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Path(path)


def matplotlib_headless() -> None:
    import matplotlib

    matplotlib.use("Agg")

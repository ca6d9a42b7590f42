"""Run records: ``metrics.json`` (everything needed to read a run alone) and ``history.csv``.

Aggregation reads only these files. Both are written atomically (:mod:`rnnbench.atomic`), so a
killed job never leaves a half-written record that looks finished.
"""
from __future__ import annotations

import csv
import json
import math
import os
import platform
import socket
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .atomic import atomic_path, write_text

if TYPE_CHECKING:
    import pandas as pd

LIBRARIES = ("torch", "tensorflow", "keras", "gensim", "numpy", "pandas", "snakemake")


def library_versions(names: Iterable[str] = LIBRARIES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = None
    out["python"] = platform.python_version()
    return out


def git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """The commit of the working tree (with ``-dirty`` when it has local changes), or None."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    return {
        "versions": library_versions(),
        "git_commit": git_commit(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _clean(value: Any) -> Any:
    """JSON has no NaN/Inf: a diverged loss is written as the string 'nan'/'inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return _clean(value.item())
    return value


atomic_write_text = write_text  # the name the rest of the project imports


def write_history(path: str | os.PathLike, rows: list[Mapping[str, Any]]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: _clean(v) for k, v in r.items()})


def write_record(path: str | os.PathLike, record: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``metrics.json`` with provenance added; returns what was written."""
    full = dict(record)
    full.setdefault("provenance", provenance())
    atomic_write_text(path, json.dumps(_clean(full), indent=2, sort_keys=False) + "\n")
    return full


def read_records(paths: Iterable[str | os.PathLike]) -> list[dict[str, Any]]:
    out = []
    for p in paths:
        with open(p) as f:
            rec = json.load(f)
        rec.setdefault("_path", str(p))
        out.append(rec)
    return out


def atomic_savez(path: str | os.PathLike, arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    """``np.savez_compressed`` of a prepared dataset (arrays + a ``meta`` JSON string), written to a
    temporary name and renamed into place: a killed or failed prepare step leaves nothing behind."""
    import numpy as np

    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)


# ---- the tables an aggregation writes, and its command line (the families' and the claims')

def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return Path(path)


def read_csv(path: str | os.PathLike) -> pd.DataFrame | None:
    """A table written by :func:`write_csv`, or None when it is absent or holds no columns (a frame
    with no rows and no columns is written as an empty line); a header-only table is an empty frame."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        return None
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None


def aggregation_main(module: str, description: str, aggregate, argv: list[str] | None = None) -> None:
    """The command line every family's aggregation shares:
    ``python -m rnnbench.report.<family> --outdir RESULTS --scale S metrics.json...``."""
    import argparse

    p = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    p.add_argument("--outdir", required=True)
    p.add_argument("--scale", default="laptop")
    p.add_argument("records", nargs="+")
    a = p.parse_args(argv)
    for name, path in aggregate(a.records, a.outdir, a.scale).items():
        print(f"{name}: {path}")


def alias(src: str | os.PathLike, dest: str | os.PathLike, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a run that trains nothing of its own (``rnnbench.grid.groups``' aliases: a run
    named by two grid entries is one run): the record in folder ``src``, of the run that trained, under
    this run's name (``run_id``, ``grid`` and ``config`` from ``spec``), with ``trained_as`` naming the
    run it was trained as; its history copied. An error, and nothing written, when the two specs differ
    in more than their names."""
    from .grid import NAMING, training_key

    src, dest = Path(src), Path(dest)
    with open(src / "metrics.json") as f:
        record = json.load(f)
    if training_key(record["config"]) != training_key(spec):
        differ = sorted(k for k in {*record["config"], *spec} - set(NAMING)
                        if record["config"].get(k) != spec.get(k))
        raise ValueError(f"{spec.get('run_id')!r} is not the run {record.get('run_id')!r} under another name: "
                         f"their specs differ in {', '.join(differ)}")
    history = (src / "history.csv").read_text()
    record.update(run_id=spec["run_id"], grid=spec.get("grid"), config=dict(spec), trained_as=record["run_id"])
    write_text(dest / "history.csv", history)
    return write_record(dest / "metrics.json", record)


def main(argv: list[str] | None = None) -> None:
    """``python -m rnnbench.records alias SRC DEST --spec JSON``: the DAG's step for a run that another
    grid entry's run trains (:func:`alias`)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m rnnbench.records", description=main.__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("alias", help="copy a trained run's record under another run's name")
    a.add_argument("src", help="the folder of the run that trained (its metrics.json and history.csv)")
    a.add_argument("dest", help="this run's folder")
    a.add_argument("--spec", required=True, help="this run's resolved spec as JSON (rnnbench.grid.expand)")
    args = p.parse_args(argv)
    alias(args.src, args.dest, json.loads(args.spec))


if __name__ == "__main__":
    main()

"""Shared test fixtures: where the dataset mirror is, and the repository root."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_path() -> Path | None:
    """$RNNBENCH_MIRROR, else the shared/datasets folder beside the checkout (as CI lays it)."""
    env = os.environ.get("RNNBENCH_MIRROR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "datasets")
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return None


@pytest.fixture(scope="session")
def mirror() -> Path:
    m = mirror_path()
    if m is None:
        pytest.skip("no dataset mirror: set RNNBENCH_MIRROR or lay shared/datasets beside the checkout")
    return m


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The whole DAG on the tiny config and real mirror data, once per test session; returns
    the results folder."""
    mirror = mirror_path()
    if mirror is None:
        pytest.skip("no dataset mirror: set RNNBENCH_MIRROR or lay shared/datasets beside the checkout")
    work = tmp_path_factory.mktemp("e2e")
    env = dict(os.environ, RNNBENCH_MIRROR=str(mirror))
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "tests/data/config-tiny.yaml",
           "--config", f"results={work}/results", f"data={{root: {work}/data}}"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text()[-2000:]}" for p in (work / "results" / "logs").rglob("*.log"))
        pytest.fail(f"snakemake failed:\n{proc.stderr[-4000:]}\n{logs}")
    return work / "results"


def adding_spec(**overrides) -> dict:
    """One resolved adding-problem run spec, made by the pipeline's own grid expansion
    (defaults included), for tests that call the train entry directly."""
    from rnnbench.grid import expand

    entry = {"name": "t", "task": "adding", "cells": ["irnn"], "hidden": 8, "seq_len": 20, "n_train": 64,
             "n_test": 16, "epochs": 2, "batch_size": 32, **overrides}
    (spec,) = expand([entry]).values()
    return spec

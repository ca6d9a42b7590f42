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


def has_c_compiler() -> bool:
    from rnnbench import cbuild

    return cbuild.compiler() is not None


def tiny_env(mirror: Path) -> dict[str, str]:
    """The environment a test runs tests/data/config-tiny.yaml in: the mirror, and where no C compiler
    is on PATH `RNNBENCH_RNN_KERNEL=torch` — the tiny config pins `kernel: native` on one grid, which
    is an error by design without a compiler, so there the whole run takes torch's layers (the records
    say it was requested so)."""
    env = dict(os.environ, RNNBENCH_MIRROR=str(mirror))
    if not has_c_compiler():
        env["RNNBENCH_RNN_KERNEL"] = "torch"
    return env


def native_expected() -> bool:
    """Whether tests should exercise the native kernels: a C compiler is on PATH, or CI demands
    them (RNNBENCH_REQUIRE_NATIVE=1, where a missing compiler must fail, not skip)."""
    return has_c_compiler() or os.environ.get("RNNBENCH_REQUIRE_NATIVE") == "1"


#: a parameter value or test that runs the native kernel: skipped where none can be built
needs_native = pytest.mark.skipif(not native_expected(),
                                  reason="no C compiler on PATH: the native kernels cannot be built here")


def _imports_rnnbench(python: Path) -> bool:
    """Whether this interpreter reaches the environment's rnnbench by itself (PYTHONPATH left out: a
    system python3 that only a developer's PYTHONPATH points at the checkout is not the environment's,
    and dropping its folder would drop /usr/bin's tools too)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        return subprocess.run([str(python), "-c", "import rnnbench"], capture_output=True, timeout=60,
                              env=env).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def path_without_env_python() -> str:
    """$PATH less every folder whose `python` / `python3` can import rnnbench (the environment's
    own interpreter, or a shim that reaches it): what a user has who did not activate it."""
    keep = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        pys = [Path(d) / n for n in ("python", "python3") if (Path(d) / n).exists()]
        if d and not any(_imports_rnnbench(py) for py in pys):
            keep.append(d)
    return os.pathsep.join(keep)


def require_native() -> None:
    """For tests of our C kernels: skip where no C compiler is on PATH (the torch paths run there,
    and their own tests still do); a build failure where one is stays a failure (the caller
    asserts the build). CI sets RNNBENCH_REQUIRE_NATIVE=1: there a missing compiler fails too, so
    the kernels are never silently untested."""
    if not has_c_compiler():
        if os.environ.get("RNNBENCH_REQUIRE_NATIVE") == "1":
            pytest.fail("RNNBENCH_REQUIRE_NATIVE=1 but no C compiler is on PATH")
        pytest.skip("no C compiler on PATH: the native kernels cannot be built here")


@pytest.fixture
def native_kernel():
    require_native()


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
    # Snakemake started by the environment's interpreter with no `python` of that environment on
    # PATH (as `/path/to/env/bin/snakemake` without activating it): every job must still run in it
    env = dict(tiny_env(mirror), PATH=path_without_env_python())
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "tests/data/config-tiny.yaml",
           "--config", f"results={work}/results", f"data={{root: {work}/data}}"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text()[-2000:]}" for p in (work / "results" / "logs").rglob("*.log"))
        pytest.fail(f"snakemake failed:\n{proc.stderr[-4000:]}\n{logs}")
    (work / "snakemake.stderr").write_text(proc.stderr)
    return work / "results"


def adding_spec(**overrides) -> dict:
    """One resolved adding-problem run spec, made by the pipeline's own grid expansion
    (defaults included), for tests that call the train entry directly."""
    from rnnbench.grid import expand

    entry = {"name": "t", "task": "adding", "cells": ["irnn"], "hidden": 8, "seq_len": 20, "n_train": 64,
             "n_test": 16, "epochs": 2, "batch_size": 32, **overrides}
    (spec,) = expand([entry]).values()
    return spec

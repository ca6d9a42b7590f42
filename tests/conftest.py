"""Shared test fixtures: where the dataset mirror is, and the repository root."""
from __future__ import annotations

import os
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


@pytest.fixture
def mirror() -> Path:
    m = mirror_path()
    if m is None:
        pytest.skip("no dataset mirror: set RNNBENCH_MIRROR or lay shared/datasets beside the checkout")
    return m


@pytest.fixture
def repo() -> Path:
    return REPO

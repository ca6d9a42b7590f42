"""The one file writer: renamed into place, and never a rename onto a device (`--out /dev/null`)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rnnbench import atomic


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]
    atomic.write_text(target, "new")
    assert target.read_text() == "new"


def test_a_device_is_written_in_place_never_replaced(monkeypatch):
    def no_rename(*_):
        raise AssertionError("a rename onto /dev/null would replace the device with a regular file")

    monkeypatch.setattr(atomic.os, "replace", no_rename)
    with atomic.atomic_path("/dev/null") as p:
        assert p == Path("/dev/null")
    atomic.write_text("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

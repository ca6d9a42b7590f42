"""A pipeline killed in the middle, rerun, redoes only what was not finished."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, mirror_path, tiny_env


def test_killed_pipeline_reruns_only_unfinished_jobs(tmp_path):
    mirror = mirror_path()
    if mirror is None:
        pytest.skip("no dataset mirror: set RNNBENCH_MIRROR or lay shared/datasets beside the checkout")
    env = tiny_env(mirror)
    base = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "tests/data/config-tiny.yaml",
            "--config", f"results={tmp_path}/results", f"data={{root: {tmp_path}/data}}"]
    runs = tmp_path / "results" / "recurrent"
    proc = subprocess.Popen(base, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 600
    try:
        while time.time() < deadline and proc.poll() is None:
            if len(list(runs.glob("**/metrics.json"))) >= 4:  # 2 jobs run at once: some are surely complete
                break
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # no clean-up chance: the hardest kind of interruption
        proc.wait()
    assert not (tmp_path / "results" / "report" / "report.html").exists(), "the pipeline finished before the kill"

    # a killed Snakemake leaves its lock behind: unlock, then rerun what is incomplete (as the README says)
    unlock = subprocess.run(base + ["--unlock"], cwd=REPO, env=env, capture_output=True, text=True)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    # what Snakemake will redo: jobs that never started, and those running at the kill (incomplete)
    plan = subprocess.run(base + ["--rerun-incomplete", "-n"], cwd=REPO, env=env, capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr[-2000:]
    planned = {path for line in (plan.stdout + plan.stderr).splitlines() if line.strip().startswith("output:")
               for path in re.findall(r"(\S+/recurrent/\S+/metrics\.json)", line)}
    finished = {p: p.stat().st_mtime_ns for p in runs.glob("**/metrics.json") if str(p) not in planned}
    assert finished, "no run had finished (by Snakemake's record) before the kill"
    assert len(planned) < 12, "everything would be redone"

    rerun = subprocess.run(base + ["--rerun-incomplete"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=1500)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    for p, mtime in finished.items():
        assert p.stat().st_mtime_ns == mtime, f"{p} was redone although it had finished"
    assert (tmp_path / "results" / "report" / "report.html").exists()
    assert len(list(runs.glob("**/metrics.json"))) == 12  # every run of config-tiny.yaml (one of them an alias)

"""Snakemake's own CPU time with its default job rate limiter against the workflow profile's, side by side.

    python bench/scheduler_overhead.py                 # 150 jobs of `sleep 2` on 2 cores, A B A B
    python bench/scheduler_overhead.py --jobs 300 --sleep 1 --pairs 3

Snakemake 9 re-runs its scheduling loop once per rate-limiter timespan for every job that has finished
so far (each finish starts a timer that re-arms itself), so the scheduler's passes per second grow
with the jobs finished. profiles/default sets the timespan to 10 s. This script runs a
workflow of trivial jobs (they sleep, so the scheduler is all the CPU there is) twice per pair:

    A  --workflow-profile none                       Snakemake's default, 100 jobs / 1 s
    B  --workflow-profile profiles/default  this project's, 1000 jobs / 10 s

and prints each run's wall time and CPU time (Snakemake's process and what it waited for: the jobs'
shells, a few ms each), then the CPU ratio A / B of the medians and the wall-time difference B - A
(the exit waits for the last timer, up to one timespan).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "default"

SNAKEFILE = """\
rule all:
    input: expand("out/{i}.txt", i=range(int(config["njobs"])))

rule job:
    output: "out/{i}.txt"
    params: sleep=config["sleep"]
    shell: "sleep {params.sleep}; echo {wildcards.i} > {output}"
"""


def run(profile: str, jobs: int, sleep: float, cores: int) -> tuple[float, float]:
    """(wall s, CPU s) of one snakemake run of `jobs` sleeping jobs in a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="rnnbench-sched-") as d:
        Path(d, "Snakefile").write_text(SNAKEFILE)
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--workflow-profile", profile,
               "--config", f"njobs={jobs}", f"sleep={sleep}", "--quiet", "all"]
        log = Path(d, "snakemake.log")
        with log.open("w") as err:   # a file, not a pipe: nobody reads a pipe while wait4 waits
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(f"snakemake failed (exit {code}):\n{log.read_text()[-2000:]}")
        return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=150)
    p.add_argument("--sleep", type=float, default=2.0, help="seconds each job sleeps")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--pairs", type=int, default=2)
    a = p.parse_args()
    from rnnbench.cbuild import machine_line

    print(machine_line())
    import snakemake

    print(f"snakemake {snakemake.__version__}; {a.jobs} jobs of sleep {a.sleep:g} s on {a.cores} cores, "
          f"{a.pairs} pairs A B", flush=True)
    arms = {"A": "none", "B": str(PROFILE)}
    got: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    for i in range(a.pairs):
        for arm, profile in arms.items():
            wall, cpu = run(profile, a.jobs, a.sleep, a.cores)
            got[arm].append((wall, cpu))
            print(f"pair {i + 1} {arm} ({'default 100/1s' if arm == 'A' else 'profile 1000/10s'}): "
                  f"wall {wall:6.1f} s, CPU {cpu:6.2f} s", flush=True)
    med = {arm: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for arm, r in got.items()}
    print(f"median CPU: A {med['A'][1]:.2f} s, B {med['B'][1]:.2f} s; A / B = {med['A'][1] / med['B'][1]:.2f}")
    print(f"median wall: A {med['A'][0]:.1f} s, B {med['B'][0]:.1f} s; B - A = {med['B'][0] - med['A'][0]:+.1f} s")


if __name__ == "__main__":
    main()

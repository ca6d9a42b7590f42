"""The pipeline end to end: wall time and peak memory of a whole config, and the dry-run time of
the full grid.

    RNNBENCH_MIRROR=../shared/datasets python bench/pipeline.py --configfile config/offline.yaml
    RNNBENCH_MIRROR=../shared/datasets python bench/pipeline.py --configfile config/offline.yaml --against HEAD~3
    RNNBENCH_MIRROR=../shared/datasets python bench/pipeline.py --configfile config/offline.yaml config/replicate.yaml \
        --keep DIR --results-name results-replicate
    python bench/pipeline.py --dry-run-only

``--against REV`` runs the same pipeline on another commit too (a temporary ``git worktree``, its
own ``src`` first on PYTHONPATH), that commit first and then this checkout, and prints the wall
time ratio of the pair: the before / after of a change measured side by side in one session.

Runs ``snakemake --cores N`` on a fresh results/data folder (so nothing is reused) and samples the
resident memory of the whole process tree every 0.5 s: prints the wall time, the peak total RSS of
all processes at once and the peak of the largest single process, the number of jobs, and the CPU
time of Snakemake's own process (its scheduler; the jobs run in child processes). Then
times ``snakemake -n`` on config/full.yaml (the DAG of the lecture-scale grid).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    total, largest = 0, 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def run_pipeline(configfiles: list[str], cores: int, workdir: Path, repo: Path = REPO,
                 results_name: str = "results") -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(repo / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--configfile", *configfiles,
           "--config", f"results={workdir}/{results_name}", f"data={{root: {workdir}/data}}"]
    peak = {"total": 0, "largest": 0}
    sched = {"cpu_s": 0.0}  # Snakemake's own process (the scheduler), not its jobs
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total, largest = tree_rss(ps)
            peak["total"] = max(peak["total"], total)
            peak["largest"] = max(peak["largest"], largest)
            try:
                t = ps.cpu_times()
                sched["cpu_s"] = t.user + t.system
            except psutil.Error:
                pass
            time.sleep(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, _ = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    (workdir / "snakemake.log").write_text(out)
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed (exit {proc.returncode}); log: {workdir / 'snakemake.log'}")
    jobs = out.count("Finished jobid")
    return {"wall_s": wall, "peak_total_rss_mb": peak["total"] / 2**20, "peak_process_rss_mb": peak["largest"] / 2**20,
            "jobs": jobs, "scheduler_cpu_s": sched["cpu_s"]}


def dry_run(configfile: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "8", "--configfile", configfile,
                           "--config", "results=/tmp/rnnbench-dryrun-bench"], cwd=REPO, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"dry run of {configfile} failed:\n{proc.stderr[-2000:]}")
    jobs = 0
    for line in proc.stdout.splitlines():
        if line.startswith("total"):
            jobs = int(line.split()[-1])
    return wall, jobs


def report(what: str, configs: list[str], cores: int, r: dict, work: Path, results_name: str = "results") -> None:
    print(f"{what} {' + '.join(configs)} on {cores} cores: {r['jobs']} jobs, wall {r['wall_s'] / 60:.1f} min, "
          f"peak RSS {r['peak_total_rss_mb']:.0f} MB all processes at once, "
          f"{r['peak_process_rss_mb']:.0f} MB largest process; Snakemake's own process {r['scheduler_cpu_s']:.0f} CPU-s "
          f"({r['scheduler_cpu_s'] / r['wall_s']:.0%} of one core); results in {work}/{results_name}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configfile", nargs="*", default=[])
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--keep", default=None, help="folder for results/data (default: a fresh temporary one)")
    p.add_argument("--results-name", default="results", metavar="NAME",
                   help="the results folder's name inside --keep (results-replicate for config/replicate.yaml, so "
                        "that a default run kept in the same folder finds its twin)")
    p.add_argument("--dry-run-only", action="store_true")
    p.add_argument("--against", default=None, metavar="REV", help="also run the pipeline on commit REV, first")
    a = p.parse_args()
    from rnnbench.cbuild import machine_line

    print(machine_line(), flush=True)
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB")
    if not a.dry_run_only:
        work = Path(a.keep or tempfile.mkdtemp(prefix="rnnbench-pipeline-"))
        configs = a.configfile or ["config/config.yaml"]
        before = None
        if a.against:
            tree = work / "against"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), a.against], cwd=REPO, check=True,
                           capture_output=True)
            try:
                before = run_pipeline(configs, a.cores, work / "before", repo=tree)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, capture_output=True)
            report(f"{a.against}: pipeline", configs, a.cores, before, work / "before")
        r = run_pipeline(configs, a.cores, work / "after" if a.against else work, results_name=a.results_name)
        report("this checkout: pipeline", configs, a.cores, r, work / "after" if a.against else work, a.results_name)
        if before is not None:
            print(f"wall time, {a.against} / this checkout: {before['wall_s'] / r['wall_s']:.2f}")
    wall, jobs = dry_run("config/full.yaml")
    print(f"snakemake -n on config/full.yaml: {jobs} jobs planned in {wall:.1f} s")


if __name__ == "__main__":
    main()

"""The pipeline's own sequence-model jobs, `kernel: auto` against `kernel: torch`, side by side.

    RNNBENCH_MIRROR=../shared/datasets python bench/kernel_in_pipeline.py \\
        --configfile config/config.yaml config/offline.yaml --data-root data

For every sequence-model run of the config (recurrent, names, music, embedding; the first seed of
each grid combination, torch backend, cells with a native kernel) this runs the job exactly as the
`train` rule does (``python -m rnnbench.train``, the config's threads) twice, back to back and in
alternating order: once as configured (`kernel: auto` measures native against torch's layers for
each shape, once per machine, and keeps the faster) and once with ``RNNBENCH_RNN_KERNEL=torch``.
It prints each job's training seconds on both, their ratio and the path `auto` took, then the
worst ratio and the geometric mean: `auto` should never be measurably slower than torch's layers
(ratio torch/auto >= ~0.95 within the noise of a shared machine). The prepared data must exist
(run the pipeline, or its prepare rules, first); ``--data-root`` is the config's ``data.root``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from rnnbench.cbuild import machine_line
from rnnbench.cells import REGISTRY
from rnnbench.data.tasks import TASKS
from rnnbench.families import SEQUENCE_FAMILIES
from rnnbench.grid import expand

REPO = Path(__file__).resolve().parents[1]


def merged(paths: list[str]) -> dict:
    """The configs merged as Snakemake merges ``--configfile``s: later files win, key by key."""
    def merge(a: dict, b: dict) -> dict:
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out
    cfg: dict = {}
    for p in paths:
        cfg = merge(cfg, yaml.safe_load(Path(p).read_text()) or {})
    return cfg


def jobs(cfg: dict) -> list[tuple[str, dict]]:
    """(family, spec) of the first seed of every combination whose cell the native kernel runs."""
    out, seen = [], set()
    for family in SEQUENCE_FAMILIES:
        for rid, spec in expand(cfg.get(family) or [], family=family).items():
            key = (family, rid.rsplit("/seed", 1)[0])
            cell = REGISTRY[spec["cell"]]
            if (key in seen or spec["backend"] != "torch" or cell.kernel_code is None
                    or int(spec.get("epochs", 1)) == 0):
                continue
            seen.add(key)
            out.append((family, spec))
    return out


def run(spec: dict, data: str, threads: int, kernel: str | None, workdir: Path) -> dict:
    outdir = workdir / f"{kernel or 'auto'}-{spec['run_id'].replace('/', '_')}"
    env = dict(os.environ)
    env.pop("RNNBENCH_RNN_KERNEL", None)
    if kernel:
        env["RNNBENCH_RNN_KERNEL"] = kernel
    cmd = [sys.executable, "-m", "rnnbench.train", "--spec", json.dumps(spec), "--data", data,
           "--outdir", str(outdir), "--device", "cpu", "--threads", str(threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['run_id']} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rec = json.loads((outdir / "metrics.json").read_text())
    return {"train_s": float(rec["train_seconds"]), "job_s": time.perf_counter() - t0, "path": rec.get("path")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configfile", nargs="+", default=["config/config.yaml"])
    ap.add_argument("--data-root", default="data", help="the config's data.root (holds prepared/)")
    ap.add_argument("--only", default="", help="run ids containing this string only (a quick look)")
    args = ap.parse_args()
    cfg = merged(args.configfile)
    threads = int(cfg.get("threads", 1))
    todo = [(f, s) for f, s in jobs(cfg) if args.only in s["run_id"]]
    print(machine_line())
    print(f"{len(todo)} jobs ({', '.join(args.configfile)}), {threads} thread(s) each, auto and torch back to back\n")
    print(f"{'run':72s} {'auto path':>9s} {'auto s':>8s} {'torch s':>8s} {'torch/auto':>10s}")
    ratios, totals = [], [0.0, 0.0]
    with tempfile.TemporaryDirectory(prefix="rnnbench-kernels-") as tmp:
        for i, (family, spec) in enumerate(todo):
            task_file = TASKS[spec["task"]].prepared_file(cfg)   # the file its job reads (rnnbench.data.tasks)
            data = str(Path(args.data_root) / "prepared" / task_file) if task_file else "none"
            order = [None, "torch"] if i % 2 == 0 else ["torch", None]
            res = {k: run(spec, data, threads, k, Path(tmp)) for k in order}
            a, t = res[None], res["torch"]
            ratio = t["train_s"] / a["train_s"]
            ratios.append(ratio)
            totals[0] += a["train_s"]
            totals[1] += t["train_s"]
            print(f"{family + '/' + spec['run_id']:72s} {a['path']:>9s} {a['train_s']:8.2f} {t['train_s']:8.2f} "
                  f"{ratio:10.2f}", flush=True)
    if ratios:
        gm = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"\ntraining seconds, all jobs: auto {totals[0]:.1f}, torch {totals[1]:.1f} "
              f"(torch/auto {totals[1] / totals[0]:.2f}); per job: worst {min(ratios):.2f}, "
              f"geometric mean {gm:.2f}, {sum(r < 0.95 for r in ratios)} of {len(ratios)} below 0.95")


if __name__ == "__main__":
    main()

"""The seeds of an arm in one job against one job per seed, side by side (issue 21).

    RNNBENCH_MIRROR=../shared/datasets python bench/seed_groups.py --data data/prepared/har-hapt.npz
    python bench/seed_groups.py --data ... --sizes 1,5,10 --epochs 3 --repeats 2 [--avx2]

For each group size S, a HAR LSTM(32) arm (the default config's har_lecture settings: batch 128,
lr 0.002, L2 0.005, clipvalue 0.5) is trained both ways, taking turns A B A B:

  A  one ``python -m rnnbench.train`` process with the group spec (``seeds: [0..S-1]``), as the
     DAG now runs an arm;
  B  S ``python -m rnnbench.train`` processes one after another, one seed each, as it ran before.

Both write the same records. Printed per pair: the wall time of each side and B/A (> 1: the group
is faster), the peak resident memory of the largest process, and from the records the training
seconds of each side (the rest is start-up, data loading, evaluation and diagnostics). Ratios of
paired runs are the figures to quote: the machine may be shared. ``--avx2`` runs every process with
the AVX2 recipe (torch, oneDNN, MKL and the native kernel held to AVX2), as an AVX2-only CPU runs.
The first lines name the CPU and its vector extensions.

``--paths`` instead times, in one process, one training epoch of the S members on each way of
computing them (``stacked``: one batched matmul per step for all members; ``loop``: member after
member through the one-seed model's own kernel), taking turns: the measurement behind the CPU's
default (``loop``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AVX2_ENV = {"RNNBENCH_MARCH": "x86-64-v3", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def cpu_line() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "lscpu not available"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    flags = fields.get("Flags", "").split()
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return f"{fields.get('Model name', '?').strip()}, {fields.get('CPU(s)', '?').strip()} CPUs, {' '.join(isa)}"


def group_spec(seeds: list[int], epochs: int) -> dict:
    from rnnbench.grid import expand, groups   # noqa: E402 (the checkout's src, put on the path by main)

    entry = {"name": "bench", "task": "har", "cells": ["lstm"], "hidden": 32, "layers": [1], "clipvalue": 0.5,
             "seeds": seeds, "epochs": epochs, "batch_size": 128, "lr": 0.002, "l2": 0.005}
    (g,) = groups(expand([entry])).values()
    return g


def timed(cmds: list[list[str]], env: dict) -> tuple[float, float]:
    """Wall seconds of the commands one after another, and the largest peak RSS (MiB) among them."""
    t0 = time.perf_counter()
    peak = 0.0
    for cmd in cmds:
        pid = os.fork()
        if pid == 0:
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    os.dup2(null.fileno(), 2)
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(cmd[:6])} ...")
        peak = max(peak, usage.ru_maxrss / 1024)
    return time.perf_counter() - t0, peak


def train_seconds(outdir: Path, run_ids: list[str]) -> float:
    """The training seconds the records report (a group member's is its share)."""
    return sum(json.loads((outdir / r / "metrics.json").read_text())["train_seconds"] for r in run_ids)


def compare_paths(a) -> None:
    sys.path.insert(0, str(REPO / "src"))
    import torch

    from rnnbench.data.har import load_har
    from rnnbench.models.members import build_members
    from rnnbench.train import member_specs, model_spec, train_config
    from rnnbench.training.loop import fit_members

    torch.set_num_threads(a.threads)
    data = load_har(a.data)
    print(f"cpu: {cpu_line()}; torch CPU capability {torch.backends.cpu.get_cpu_capability()}; "
          f"{a.threads} thread(s); HAR LSTM(32), batch 128, one epoch per measurement")
    print("| S | stacked s | loop s | stacked / loop |")
    print("|---|---|---|---|")
    for s in (int(v) for v in a.sizes.split(",")):
        specs = member_specs(group_spec(list(range(s)), 1))
        mspec, cfgs = model_spec(specs[0], data), [train_config(m) for m in specs]
        times = {"stacked": [], "loop": []}
        for _ in range(a.repeats):
            for path in times:
                members = build_members(mspec, [m["seed"] for m in specs], "cpu", path=path)
                res = fit_members(members, [data] * s, cfgs, "cpu", log=lambda line: None)
                times[path].append(res[0].history[0]["seconds"])
        st, lo = statistics.median(times["stacked"]), statistics.median(times["loop"])
        print(f"| {s} | {st:.1f} | {lo:.1f} | {st / lo:.2f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="the prepared HAR file (data/prepared/har-<source>.npz)")
    p.add_argument("--sizes", default="1,5,10")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--avx2", action="store_true", help="the AVX2 recipe for every process")
    p.add_argument("--paths", action="store_true", help="stacked against loop, in one process (see above)")
    a = p.parse_args()
    if a.paths:
        if a.avx2:
            raise SystemExit("--paths runs in this process: set the AVX2 recipe in the environment instead")
        return compare_paths(a)
    sys.path.insert(0, str(REPO / "src"))
    from rnnbench.train import member_specs
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    if a.avx2:
        env.update(AVX2_ENV)
    print(f"cpu: {cpu_line()}")
    print(f"isa: {'AVX2 recipe ' + ' '.join(f'{k}={v}' for k, v in AVX2_ENV.items()) if a.avx2 else 'as it comes'}; "
          f"{a.threads} thread(s); HAR LSTM(32), batch 128, {a.epochs} epochs; A = one group job, "
          f"B = one job per seed")
    print("| S | A wall s | B wall s | B/A wall | A train s | B train s | B/A train | A peak MiB | B peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = [sys.executable, "-m", "rnnbench.train", "--data", a.data, "--device", "cpu", "--threads", str(a.threads)]
    for s in (int(v) for v in a.sizes.split(",")):
        g = group_spec(list(range(s)), a.epochs)
        singles = member_specs(g)
        rows = []
        for _ in range(a.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                ga, gb = Path(tmp) / "a", Path(tmp) / "b"
                wall_a, peak_a = timed([base + ["--spec", json.dumps(g), "--outdir", str(ga)]], env)
                wall_b, peak_b = timed([base + ["--spec", json.dumps(m), "--outdir", str(gb / m["run_id"])]
                                        for m in singles], env)
                rows.append((wall_a, wall_b, train_seconds(ga, g["run_ids"]), train_seconds(gb, g["run_ids"]),
                             peak_a, peak_b))
        med = [statistics.median(r[i] for r in rows) for i in range(6)]
        ratio = statistics.median(r[1] / r[0] for r in rows)
        ratio_train = statistics.median(r[3] / r[2] for r in rows)
        print(f"| {s} | {med[0]:.1f} | {med[1]:.1f} | {ratio:.2f} | {med[2]:.1f} | {med[3]:.1f} | {ratio_train:.2f} | "
              f"{med[4]:.0f} | {med[5]:.0f} |", flush=True)


if __name__ == "__main__":
    main()

"""Learning curves and per-epoch cost of one config grid, run by run, for sizing the default config.

    python bench/learning_curves.py --config config/config.yaml --overlay config/offline.yaml \\
        --grid har_lecture --filter cell=lstm --seeds 0 1 2 --set epochs=40 --outroot /tmp/lc

Expands the grid with ``rnnbench.grid.expand`` (the pipeline's own expansion), then runs each run
through the pipeline's train entry (``python -m rnnbench.train``) one at a time, one torch thread,
under ``nice``, with the environment of a machine without AVX-512 (``--isa avx2``, the default:
ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell) and the recurrent
kernel path chosen by ``--kernel`` (RNNBENCH_RNN_KERNEL; default ``torch``: PyTorch's own layers).

Cost: CPU seconds (user + sys of the child, from getrusage) and wall seconds, each per run and per
epoch (CPU/epoch = the run's CPU over its epochs, so it includes start-up, data loading and the
gradient diagnostics; wall/epoch = the training loop's mean epoch time from history.csv). CPU time
is the robust number on a shared machine.

Prints one row per run: run id, status, the per-epoch validation metric (compact), best epoch,
final and best-epoch test metric, largest epoch-to-epoch fall of the validation metric (the
clipping claim's drop statistic), train-minus-test gap, CPU and wall s/epoch; and the CPU model.
``--jsonl`` appends one JSON line per run (curve included) for later analysis.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# --src DIR: train from another source tree (e.g. a `git archive` snapshot while the working tree
# is being edited); it must be known before rnnbench is imported
SRC = Path(sys.argv[sys.argv.index("--src") + 1]).resolve() if "--src" in sys.argv[:-1] else REPO / "src"
sys.path.insert(0, str(SRC))

from rnnbench.grid import AXES, expand  # noqa: E402

ISA_ENV = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"},
    "native": {},
}
FAMILIES = ("recurrent", "names", "music", "embedding")
# data files of tasks that are not generated inside the job (as workflow/rules/recurrent.smk)
TASK_DATA = {
    "har": lambda c: f"{c['data']['root']}/prepared/har-{c['har']['source']}.npz",
    "mnist": lambda c: f"{c['data']['root']}/prepared/mnist.npz",
    "pmnist": lambda c: f"{c['data']['root']}/prepared/mnist.npz",
    "names": lambda c: f"{c['data']['root']}/prepared/names.npz",
    "music": lambda c: f"{c['data']['root']}/prepared/music.npz",
    "imdb": lambda c: f"{c['data']['root']}/prepared/imdb.npz",
}


def merge(base: Any, over: Any) -> Any:
    """Snakemake's --configfile overlay: dicts merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return over


def cpu_model() -> str:
    name, flags = platform.processor() or "unknown", ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        for line in text.splitlines():
            if line.startswith("model name") and name in ("unknown", "", "x86_64"):
                name = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1]
    except OSError:
        pass
    isa = "avx512f" if " avx512f" in flags else ("avx2" if " avx2" in flags else "no avx2")
    return f"{name} ({os.cpu_count()} logical CPUs; host ISA {isa})"


def parse_value(text: str) -> Any:
    return yaml.safe_load(text)


def select_runs(cfg: dict, grid: str, filters: list[str], seeds: list[int] | None,
                sets: list[str]) -> list[dict[str, Any]]:
    for family in FAMILIES:
        for entry in cfg.get(family) or []:
            if entry.get("name") != grid:
                continue
            entry = dict(entry)
            if seeds is not None:
                entry["seeds"] = seeds
            for item in sets:
                key, _, value = item.partition("=")
                entry[key] = parse_value(value)
            runs = expand([entry], family)
            out = []
            for spec in runs.values():
                keep = True
                for f in filters:
                    key, _, value = f.partition("=")
                    key = AXES.get(key, key)
                    if str(spec.get(key)) != str(parse_value(value)) and str(spec.get(key)) != value:
                        keep = False
                if keep:
                    out.append(spec)
            return out
    raise SystemExit(f"no grid entry named {grid!r} in {', '.join(FAMILIES)}")


def read_history(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows.append({k: (float(v) if v not in ("", None) else float("nan")) for k, v in r.items()})
    return rows


def largest_drop(curve: list[float], higher_better: bool) -> float:
    drops = [(a - b) if higher_better else (b - a) for a, b in zip(curve, curve[1:])]
    drops = [d for d in drops if math.isfinite(d)]
    return max(drops) if drops else float("nan")


def compact(curve: list[float], metric: str, width: int) -> str:
    fmt = (lambda v: f"{100 * v:.0f}") if metric == "accuracy" else (lambda v: f"{v:.3f}")
    if len(curve) > width:  # keep the first, the last and evenly spaced epochs between
        step = (len(curve) - 1) / (width - 1)
        idx = sorted({round(i * step) for i in range(width)})
        return " ".join(f"{i + 1}:{fmt(curve[i])}" for i in idx)
    return " ".join(fmt(v) for v in curve)


def run_one(spec: dict[str, Any], data: str, outdir: Path, env: dict[str, str], nice: int) -> dict[str, Any]:
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = ["nice", "-n", str(nice), sys.executable, "-m", "rnnbench.train", "--spec", json.dumps(spec),
           "--data", data, "--outdir", str(outdir), "--device", "cpu", "--threads", "1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(outdir / "train.log", "w") as log:
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rec = {}
    if (outdir / "metrics.json").exists():
        rec = json.loads((outdir / "metrics.json").read_text())
    hist = read_history(outdir / "history.csv")
    return {"returncode": proc.returncode, "cpu_s": cpu, "wall_s": wall, "record": rec, "history": hist}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--overlay", action="append", default=[], help="config overlay(s), merged in order")
    p.add_argument("--grid", required=True, help="grid entry name (any sequence family)")
    p.add_argument("--filter", action="append", default=[], help="KEY=VALUE on the resolved spec (cell=lstm)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="replace the entry's seeds")
    p.add_argument("--set", action="append", default=[], help="KEY=YAML override of the entry (epochs=40, lr=[1e-3,1e-2])")
    p.add_argument("--outroot", default="/tmp/learning_curves")
    p.add_argument("--isa", choices=tuple(ISA_ENV), default="avx2")
    p.add_argument("--kernel", default="torch", help="RNNBENCH_RNN_KERNEL (torch | native | auto ...)")
    p.add_argument("--nice", type=int, default=10)
    p.add_argument("--src", default=str(SRC), help="source tree to train from (default: this checkout's src)")
    p.add_argument("--width", type=int, default=12, help="epochs shown per curve")
    p.add_argument("--jsonl", default=None, help="append one JSON line per run here")
    p.add_argument("--dry-run", action="store_true", help="list the runs and stop")
    a = p.parse_args(argv)

    cfg = yaml.safe_load(Path(a.config).read_text())
    for o in a.overlay:
        cfg = merge(cfg, yaml.safe_load(Path(o).read_text()) or {})
    runs = select_runs(cfg, a.grid, a.filter, a.seeds, a.set)
    model = cpu_model()
    print(f"# CPU: {model}; ISA env {a.isa}; RNNBENCH_RNN_KERNEL={a.kernel}; 1 thread; nice {a.nice}")
    print(f"# {len(runs)} run(s) of {a.grid}")
    if a.dry_run:
        for s in runs:
            print(s["run_id"], json.dumps({k: s[k] for k in ("epochs", "batch_size", "lr") if k in s}))
        return

    env = {**os.environ, **ISA_ENV[a.isa], "RNNBENCH_RNN_KERNEL": a.kernel, "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    header = f"{'run':58s} {'status':8s} {'test':>7s} {'bestep':>6s} {'testbest':>8s} {'drop':>6s} {'gap':>6s} " \
             f"{'cpu/ep':>7s} {'wall/ep':>7s} {'cpu_tot':>7s}  val curve"
    print(header, flush=True)
    for spec in runs:
        task = spec["task"]
        data = TASK_DATA[task](cfg) if task in TASK_DATA else "none"
        res = run_one(spec, data, Path(a.outroot) / spec["run_id"], env, a.nice)
        rec, hist = res["record"], res["history"]
        metric = rec.get("metric", "accuracy" if task in ("har", "names", "imdb") else "mse")
        higher = metric == "accuracy"
        curve = [r.get(f"val_{metric}", float("nan")) for r in hist if f"val_{metric}" in r]
        epochs = max(len(hist), 1)
        final, best = rec.get("final") or {}, rec.get("best") or {}
        test = final.get(f"test_{metric}", float("nan"))
        gap = final.get("train_accuracy", float("nan")) - test if higher else float("nan")
        wall_ep = sum(r.get("seconds", 0.0) for r in hist) / epochs
        status = rec.get("status", f"rc={res['returncode']}")
        drop = largest_drop(curve, higher)
        print(f"{spec['run_id']:58s} {status:8s} {test:7.4f} {best.get('epoch', 0):6d} "
              f"{best.get(f'test_{metric}', float('nan')):8.4f} {drop:6.3f} {gap:6.3f} "
              f"{res['cpu_s'] / epochs:7.2f} {wall_ep:7.2f} {res['cpu_s']:7.1f}  {compact(curve, metric, a.width)}",
              flush=True)
        if a.jsonl:
            with open(a.jsonl, "a") as f:
                f.write(json.dumps({
                    "run_id": spec["run_id"], "spec": spec, "status": status, "metric": metric, "test": test,
                    "best": best, "final": final, "drop": drop, "gap": gap, "curve": curve,
                    "train_acc": [r.get("train_accuracy") for r in hist],
                    "grad_norm_max": [r.get("grad_norm_max") for r in hist],
                    "cpu_s": res["cpu_s"], "wall_s": res["wall_s"], "epochs": len(hist),
                    "wall_per_epoch": wall_ep, "cpu_model": model, "diverged_epoch": rec.get("diverged_epoch"),
                    "cause": rec.get("cause"), "baseline": (rec.get("task_meta") or {}).get("baseline_mse_measured"),
                }) + "\n")
    print(f"# CPU: {model}")


if __name__ == "__main__":
    main()

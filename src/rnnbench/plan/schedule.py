"""The plan's jobs: one per run of the workflow with its measured CPU cost and its GPU estimate,
and the list schedule that turns them into wall hours."""
from __future__ import annotations

import heapq
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..cells import REGISTRY
from ..data.sizes import Sizes, Split
from ..families import SEQUENCE_FAMILIES
from ..grid import W2V_DEFAULT_SAMPLE, word2vec_run_id
from .calibration import Calibration, run_shape
from .sizes import CORPUS_TOKENS, dataset_sizes
from .workflow import REPO, Workflow

# assumed, not measured here: what a job spends outside its training loop, which calibration does
# not time: per sequence-model job, process start + imports + data loading + diagnostics + records;
# per word2vec run, the corpus reading and the evaluation (analogies, similarities, neighbours).
# Rounded up from the wall - train gap of run records, so the plan errs long; README, "What each
# config costs", compares it with measured runs.
JOB_OVERHEAD_S = 10.0
W2V_EVAL_S = 15.0


# ------------------------------------------------------------------ GPU estimate (not measured)
# No GPU is measured by this command. A cuDNN recurrent layer at these small hidden sizes is bound
# by kernel launches and the sequential recurrence, not by arithmetic: about STEP_US microseconds
# per time step and layer for forward + backward (a forward step is one small GEMM + one
# elementwise kernel, ~5-10 us each on a current GPU; the backward about twice that), plus
# BATCH_MS per batch (loss, optimiser step, Python), plus the arithmetic at FLOPS when that is
# larger. Recurrent dropout, the reset-before GRU and the BN-LSTM run PyTorch's TorchScript step
# loop on a GPU: STEPWISE_US per step.
# Evaluation batches cost a third of a training batch. Runs go one at a time (the local-gpu
# profile: gpu=1); gensim always runs on the CPU and our word2vec's GPU path is not estimated:
# word2vec is counted at the measured CPU rate on the same --cores, beside the GPU queue.
GPU = {"STEP_US": 30.0, "STEPWISE_US": 250.0, "BATCH_MS": 1.5, "FLOPS": 5e12}


@dataclass
class Job:
    family: str
    grid: str
    run_id: str
    threads: int
    cpu_s: float                 # wall seconds of the job at its threads, on this CPU
    gpu_s: float | None          # GPU estimate (None: runs on the CPU anyway)
    train_steps: int             # sequence-steps (word2vec: tokens × epochs)
    depends_on: str | None = None


@dataclass
class Row:
    family: str
    grid: str
    runs: int = 0
    train_steps: int = 0
    core_s: float = 0.0
    longest_s: float = 0.0
    gpu_s: float = 0.0
    sources: set = field(default_factory=set)
    paths: set = field(default_factory=set)


def _flops_per_step(spec: Mapping[str, Any], sizes: Sizes) -> float:
    gates = {"lstm": 4, "gru": 3}.get(spec["cell"], 1)
    H, L = int(spec["hidden"]), int(spec["layers"])
    F = int(spec.get("embedding_dim") or 0) if sizes.vocab else sizes.input_size
    per_layer = [gates * H * (f + H) for f in [F] + [H] * (L - 1)]
    head = H * sizes.n_outputs if sizes.kind == "multilabel" else 0
    return 6.0 * (sum(per_layer) + head)   # 2 flops per multiply-add, forward + 2× backward


def gpu_seconds(spec: Mapping[str, Any], sizes: Sizes) -> float:
    """The GPU estimate of one run (see :data:`GPU`): launch-bound steps or arithmetic, whichever
    is larger, per batch; evaluation batches at a third."""
    epochs, B = int(spec["epochs"]), int(spec["batch_size"])
    L = int(spec["layers"])
    # the TorchScript step loop: recurrent dropout, and the cells no fused kernel computes
    stepwise = (float(spec.get("recurrent_dropout") or 0) > 0 or spec.get("reset_after") is False
                or not REGISTRY[spec["cell"]].fused)
    step_us = GPU["STEPWISE_US"] if stepwise else GPU["STEP_US"]
    flops = _flops_per_step(spec, sizes)

    def batches(split: Split, batch: int, factor: float) -> float:
        nb = math.ceil(split.n / batch)
        per = max(L * split.T * step_us * 1e-6, batch * split.T * flops / GPU["FLOPS"]) + GPU["BATCH_MS"] * 1e-3
        return nb * per * factor

    ev = min(4096, max(1, sizes.val.n))
    return (epochs * (batches(sizes.train, B, 1.0) + batches(sizes.val, ev, 1 / 3))
            + 2 * batches(sizes.test, 4096, 1 / 3) + JOB_OVERHEAD_S)


def plan_jobs(wf: Workflow, cal: Calibration | None, data_root: Path | None = None) -> tuple[list[Job], dict]:
    """One Job per run of the workflow, with its measured CPU cost and its GPU estimate."""
    config = wf.config
    root = Path(data_root) if data_root else (REPO / (config.get("data") or {}).get("root", "data"))
    threads = wf.threads.get("train", int(config.get("threads", 1)))
    jobs: list[Job] = []
    meta: dict[str, Any] = {"sources": {}, "paths": {}}
    size_cache: dict = {}
    vec = (config.get("imdb") or {}).get("vectors")
    vec_run = word2vec_run_id({**vec, "seed": vec.get("seed", 1)}) if isinstance(vec, dict) else None
    for family in SEQUENCE_FAMILIES:
        for rid, spec in wf.runs.get(family, {}).items():
            sizes = dataset_sizes(spec, config, root, size_cache)
            epochs = int(spec["epochs"])
            train_steps = epochs * sizes.train.steps
            eval_steps = epochs * sizes.val.steps + 2 * sizes.test.steps
            if sizes.kind == "classification":
                eval_steps += sizes.train.steps        # train_eval_<metric> at the end
            cpu_s = float("nan")
            path = "?"
            if cal is not None:
                c = cal.get("rnn", run_shape(spec, sizes, threads))
                cpu_s = train_steps * c["train_s_per_step"] + eval_steps * c["eval_s_per_step"] + JOB_OVERHEAD_S
                path = c.get("path", "?")
            gpu = None if spec.get("backend") == "keras" else gpu_seconds(spec, sizes)
            jobs.append(Job(family, spec["grid"], rid, threads, cpu_s, gpu, train_steps,
                            depends_on=f"word2vec/{vec_run}" if family == "embedding" and vec_run else None))
            meta["sources"][rid] = sizes.source
            meta["paths"][rid] = path
    w2v = config.get("word2vec") or {}
    if wf.w2v_runs:
        tokens = int(w2v.get("prefix_tokens") or CORPUS_TOKENS.get(w2v.get("corpus", "text8"), CORPUS_TOKENS["text8"]))
        epochs = int(w2v.get("epochs", 5))
        workers = wf.threads.get("train_word2vec", int(w2v.get("workers", 2)))
        hyper = {k: w2v[k] for k in ("vector_size", "window", "min_count", "negative", "ns_exponent",
                                     "alpha", "min_alpha", "alpha_decay", "workers", "batch_words") if k in w2v}
        w2v_backend = (os.environ.get("RNNBENCH_W2V_BACKEND") or "").strip() or "auto"   # ours: native / torch
        source = ("config prefix_tokens" if w2v.get("prefix_tokens")
                  else f"constant ({w2v.get('corpus', 'text8')}: {tokens:,} tokens)")
        for rid in wf.w2v_runs:
            run = wf.w2v_grid.get(rid) or _w2v_run_of_id(rid)
            impl, arch, loss = run["impl"], run["arch"], run["loss"]
            cpu_s, path = float("nan"), "?"
            if cal is not None:
                run_hyper = json.dumps({**hyper, "sample": run.get("sample", W2V_DEFAULT_SAMPLE)}, sort_keys=True)
                c = cal.get("w2v", (impl, arch, loss, run_hyper, w2v_backend))
                cpu_s = tokens * epochs / c["words_per_s"] + tokens * c["vocab_s_per_token"] + W2V_EVAL_S
                path = c.get("path", "?")
            jobs.append(Job("word2vec", "word2vec", f"word2vec/{rid}", workers, cpu_s, None, tokens * epochs))
            meta["sources"][f"word2vec/{rid}"] = source
            meta["paths"][f"word2vec/{rid}"] = path
    return jobs, meta


def _w2v_run_of_id(rid: str) -> dict[str, Any]:
    """{impl, arch, loss, sample, seed} of a run id (``rnnbench.grid.word2vec_run_id``'s inverse)."""
    impl, arch, loss, *rest = rid.split("-")
    sample = next((float(x[len("sample"):]) for x in rest if x.startswith("sample")), W2V_DEFAULT_SAMPLE)
    return {"impl": impl, "arch": arch, "loss": loss, "sample": sample, "seed": int(rest[-1][len("seed"):])}


def makespan(jobs: list[Job], cores: int, seconds: Callable[[Job], float]) -> float:
    """Wall seconds of a list schedule on ``cores``: each job takes its threads (at most ``cores``,
    as Snakemake caps them); ready jobs start longest first (a job others wait for goes first,
    with their work counted in its priority), a dependent job when its input is done."""
    if not jobs:
        return 0.0
    ids = {j.run_id: i for i, j in enumerate(jobs)}
    dependents: dict[int, list[int]] = {}
    waiting = {}
    for i, j in enumerate(jobs):
        if j.depends_on and j.depends_on in ids:
            dependents.setdefault(ids[j.depends_on], []).append(i)
            waiting[i] = True
    prio = [seconds(j) + sum(seconds(jobs[k]) * min(jobs[k].threads, cores) for k in dependents.get(i, [])) / cores
            for i, j in enumerate(jobs)]
    ready = sorted((i for i in range(len(jobs)) if i not in waiting), key=lambda i: -prio[i])
    running: list[tuple[float, int]] = []
    free, now = cores, 0.0
    while ready or running:
        started = []
        for i in ready:
            need = min(jobs[i].threads, cores)
            if need <= free:
                free -= need
                heapq.heappush(running, (now + seconds(jobs[i]), i))
                started.append(i)
        ready = [i for i in ready if i not in set(started)]
        if not running:
            break
        now, i = heapq.heappop(running)
        free += min(jobs[i].threads, cores)
        released = dependents.get(i, [])
        if released:
            ready = sorted(ready + released, key=lambda k: -prio[k])
    return now


def summarise(jobs: list[Job], meta: Mapping[str, Any]) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for j in jobs:
        r = rows.setdefault((j.family, j.grid), Row(j.family, j.grid))
        r.runs += 1
        r.train_steps += j.train_steps
        r.core_s += j.cpu_s * j.threads
        r.longest_s = j.cpu_s if math.isnan(j.cpu_s) or math.isnan(r.longest_s) else max(r.longest_s, j.cpu_s)
        r.gpu_s += j.gpu_s if j.gpu_s is not None else 0.0
        r.sources.add(meta["sources"].get(j.run_id, "?"))
        r.paths.add(meta["paths"].get(j.run_id, "?"))
    return list(rows.values())


@dataclass
class Totals:
    runs: int
    train_steps: int
    core_h: float
    wall_h: float
    lower_h: float
    gpu_queue_h: float
    gpu_cpu_side_h: float
    gpu_total_h: float
    keras_runs: int


def totals(jobs: list[Job], cores: int, gpu_slots: int = 1) -> Totals:
    core_s = sum(j.cpu_s * j.threads for j in jobs)
    wall = makespan(jobs, cores, lambda j: j.cpu_s)
    lower = max(core_s / cores, max((j.cpu_s for j in jobs), default=0.0))
    # runs one at a time on the GPU; with slots, that many launch-bound runs overlapping perfectly
    gq = sum(j.gpu_s for j in jobs if j.gpu_s is not None) / max(1, gpu_slots)
    cpu_side = [j for j in jobs if j.gpu_s is None]   # word2vec and Keras runs stay on the CPU
    side = makespan(cpu_side, cores, lambda j: j.cpu_s)
    return Totals(len(jobs), sum(j.train_steps for j in jobs), core_s / 3600, wall / 3600, lower / 3600,
                  gq / 3600, side / 3600, max(gq, side) / 3600, sum(1 for j in jobs if j.family != "word2vec"
                                                                      and j.gpu_s is None))

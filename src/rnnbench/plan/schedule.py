"""The plan's jobs, the DAG's jobs: one per seed group (an arm's seeds in one training job,
``rnnbench.grid.groups``) and one per word2vec run, each with its measured CPU cost and its
modelled GPU cost, and the list schedules that turn them into wall hours on N cores and G GPU slots."""
from __future__ import annotations

import dataclasses
import heapq
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Mapping

from ..cells import REGISTRY
from ..data.sizes import Sizes, Split
from ..families import SEQUENCE_FAMILIES
from ..grid import W2V_DEFAULT_SAMPLE, group_resources, word2vec_run_id
from ..grid import split as split_groups
from ..runspec import RunSpec
from ..word2vec.params import env_kernel
from .calibration import Calibration, run_shape
from .sizes import CORPUS_TOKENS, dataset_sizes
from .workflow import REPO, Workflow

# What a job spends outside the training and evaluation passes that calibration times, measured on
# this machine for issue 21 (default config through offline.yaml, commit d7cee35, 202 sequence-model
# jobs' records): 2.8 s a job to start Python and import torch (TorchDynamo's 1.2 s of it since
# removed from the training path, so this errs long), 2.5 s to load the data, evaluate and write
# the records (its evaluation is also in the calibrated eval steps: errs long again). A group job
# starts once; it loads its data once when its members train together, once per member when they
# train one after another as separate runs (rnnbench.train.run_group: BN-LSTM, truncated BPTT).
# A word2vec job (one group: its seeds one after another in one process) spends, outside the training
# and vocabulary passes that calibration times, W2V_STARTUP_S once (start-up and the corpus read) and
# W2V_EVAL_S per run (evaluation: analogies, similarities, neighbours, records). Medians over the 44
# one-seed word2vec jobs of the default run at 8f22cc1 (2026-12-05 reading of session 15's run,
# 2-core Intel Xeon, AVX2 recipe, 4M-token offline prefix, 2 workers): job wall - train_seconds -
# vocab_seconds - eval_seconds 1.85 s (1.51-1.94, 10th-90th percentile), eval_seconds 1.17 s
# (1.02-1.50). Together 3.0 s per one-seed job, as the 2.8 s this model took per run before groups.
JOB_STARTUP_S = 2.8
DATA_LOAD_S = 2.5
W2V_STARTUP_S = 1.85
W2V_EVAL_S = 1.17


# ------------------------------------------------------------------ GPU model (not measured)
# Every GPU constant, in one place. No GPU was lent when they were set: they are assumptions, not
# measurements; bench/gpu.sh measures what they stand for when one is (step 1: a one-seed HAR
# LSTM(32) on cuDNN; step 4: stacked HAR LSTM(32) groups of S = 10, 50, 200 seeds).
#   STEP_US     one-seed run on cuDNN's fused layer, per time step and layer, forward + backward:
#               bound by kernel launches at these hidden sizes (a forward step is one small GEMM
#               and one elementwise kernel, ~5-10 us each on a current GPU, the backward about twice)
#   STEPWISE_US TorchScript step loop (rnnbench.models.equations), per step and layer, forward +
#               backward: recurrent dropout, the reset-before GRU, the BN-LSTM, and a stacked seed
#               group (path 'stacked': the same loop with a members dimension, one batched matmul
#               per step for all members, so launches do not grow with S)
#   BATCH_MS    per batch: loss, optimiser step (foreach over the stacked weights: launches do not
#               grow with S either), Python
#   FLOPS       the arithmetic rate when the batch is big enough to be bound by it; a stacked
#               group does S members' arithmetic per step
# Evaluation batches cost a third of a training batch. One group job per GPU slot.
GPU = {"STEP_US": 30.0, "STEPWISE_US": 250.0, "BATCH_MS": 1.5, "FLOPS": 5e12}
GPU_SOURCE = ("assumed, not measured: no GPU was lent when these were set; bench/gpu.sh steps 1 and 4 "
              "measure a one-seed and stacked seed groups (S = 10, 50, 200) of the HAR LSTM(32) when one is")


@dataclass
class Job:
    family: str
    grid: str
    job_id: str                  # group id (sequence models) or word2vec/<run id>
    threads: int
    cpu_s: float                 # wall seconds of the job at its threads, on this CPU
    gpu_s: float | None          # GPU model (None: runs on the CPU anyway)
    train_steps: int             # sequence-steps of all its members (word2vec: tokens × epochs)
    depends_on: str | None = None
    members: int = 1             # runs (seeds) the job trains
    stacked: bool = False        # on a GPU, its members train as one stacked model
    s_sat: float | None = None   # stacked: members that come free before arithmetic binds (GPU model)
    gpu_unstacked_s: float | None = None   # GPU model with its members one after another, each as alone


@dataclass
class Row:
    family: str
    grid: str
    runs: int = 0
    jobs: int = 0
    train_steps: int = 0
    core_s: float = 0.0
    longest_s: float = 0.0
    gpu_s: float = 0.0
    sources: set = field(default_factory=set)
    paths: set = field(default_factory=set)


def _flops_per_step(spec: Mapping[str, Any], sizes: Sizes) -> float:
    s = RunSpec.from_dict(spec)
    gates = {"lstm": 4, "gru": 3}.get(s.cell, 1)
    H, L = int(s.hidden), int(s.layers)
    F = int(s.embedding_dim or 0) if sizes.vocab else sizes.input_size
    per_layer = [gates * H * (f + H) for f in [F] + [H] * (L - 1)]
    head = H * sizes.n_outputs if sizes.kind == "multilabel" else 0
    return 6.0 * (sum(per_layer) + head)   # 2 flops per multiply-add, forward + 2× backward


def _stepwise(spec: Mapping[str, Any]) -> bool:
    """A one-seed run in the TorchScript step loop on a GPU: recurrent dropout, per-step dropout masks
    (``dropout_masks: step``), and the cells no fused kernel computes."""
    s = RunSpec.from_dict(spec)
    per_step = s.dropout_masks == "step" and (float(s.dropout or 0) > 0 or float(s.recurrent_dropout or 0) > 0)
    return (float(s.recurrent_dropout or 0) > 0 or per_step or s.reset_after is False
            or not REGISTRY[s.cell].fused)


def _gpu_passes(spec: Mapping[str, Any], sizes: Sizes, step_us: float, members: int) -> float:
    """Seconds of the training and evaluation batches of ``members`` models computed together:
    per batch, the launch-bound step time or the members' arithmetic, whichever is larger, plus
    :data:`GPU` BATCH_MS; evaluation batches at a third."""
    s = RunSpec.from_dict(spec)
    epochs, B, L = int(s.epochs), int(s.batch_size), int(s.layers)
    flops = _flops_per_step(spec, sizes)

    def batches(split: Split, batch: int, factor: float) -> float:
        nb = math.ceil(split.n / batch)
        per = (max(L * split.T * step_us * 1e-6, members * batch * split.T * flops / GPU["FLOPS"])
               + GPU["BATCH_MS"] * 1e-3)
        return nb * per * factor

    ev = min(4096, max(1, sizes.val.n))
    return (epochs * (batches(sizes.train, B, 1.0) + batches(sizes.val, ev, 1 / 3))
            + 2 * batches(sizes.test, 4096, 1 / 3))


def gpu_seconds(spec: Mapping[str, Any], sizes: Sizes) -> float:
    """The GPU model of one run alone (see :data:`GPU`), start-up and data load included."""
    step_us = GPU["STEPWISE_US"] if _stepwise(spec) else GPU["STEP_US"]
    return _gpu_passes(spec, sizes, step_us, 1) + JOB_STARTUP_S + DATA_LOAD_S


def saturation(spec: Mapping[str, Any], sizes: Sizes) -> float:
    """Members a stacked training batch takes before its arithmetic outlasts its launch-bound step
    loop (GPU model): STEPWISE_US × layers × FLOPS / (batch × FLOPs per sequence-step)."""
    s = RunSpec.from_dict(spec)
    return (int(s.layers) * GPU["STEPWISE_US"] * 1e-6 * GPU["FLOPS"]
            / (int(s.batch_size) * _flops_per_step(spec, sizes)))


def group_gpu_seconds(spec: Mapping[str, Any], sizes: Sizes, members: int, batched: bool) -> float:
    """The GPU model of a group job: a batched group of several members trains stacked (one step
    loop for all, members' arithmetic added); a one-seed group, or one whose members cannot be
    batched, trains its members one after another, each as alone. One start-up; data once when
    batched."""
    if batched and members > 1:
        return _gpu_passes(spec, sizes, GPU["STEPWISE_US"], members) + JOB_STARTUP_S + DATA_LOAD_S
    return members * (gpu_seconds(spec, sizes) - JOB_STARTUP_S) + JOB_STARTUP_S


def batched(spec: Mapping[str, Any]) -> bool:
    """Whether a group's seeds train together, by the training code's own rule
    (``rnnbench.models.members.batchable``); Keras runs never do."""
    s = RunSpec.from_dict(spec)
    if s.backend == "keras":
        return False
    from ..models.members import batchable

    model = SimpleNamespace(cell=s.cell, reset_after=s.reset_after is not False)
    return batchable(model, {"tbptt": s.tbptt}) is None


def plan_jobs(wf: Workflow, cal: Calibration | None, data_root: Path | None = None) -> tuple[list[Job], dict]:
    """The DAG's training jobs: one per seed group (its threads from ``rnnbench.grid.group_resources``,
    its members' measured CPU cost, its GPU model) and one per word2vec run."""
    config = wf.config
    root = Path(data_root) if data_root else (REPO / (config.get("data") or {}).get("root", "data"))
    base_threads = int(config.get("threads", wf.threads.get("train", 1)))
    scale = str(config.get("scale", "test"))
    jobs: list[Job] = []
    meta: dict[str, Any] = {"sources": {}, "paths": {}}
    size_cache: dict = {}
    vec = (config.get("imdb") or {}).get("vectors")
    vec_run = word2vec_run_id({**vec, "seed": vec.get("seed", 1)}) if isinstance(vec, dict) else None
    w2v_jobs = wf.word2vec_groups() if wf.w2v_runs else {}
    # the IMDb arms wait for the word2vec job that trains their vectors' run
    vec_job = next((f"word2vec/{jid}" for jid, g in w2v_jobs.items() if vec_run in g["run_ids"]), None)
    for family in SEQUENCE_FAMILIES:
        for gid, group in wf.family_groups(family).items():
            spec = {**group, "seed": group["seeds"][0], "run_id": group["run_ids"][0]}
            settings = RunSpec.from_dict(spec)
            S = len(group["seeds"])
            threads = int(group_resources(group, base_threads, scale)["threads"])
            together = batched(spec)
            sizes = dataset_sizes(spec, config, root, size_cache)
            epochs = int(settings.epochs)
            train_steps = epochs * sizes.train.steps
            eval_steps = epochs * sizes.val.steps + 2 * sizes.test.steps
            if sizes.kind == "classification":
                eval_steps += sizes.train.steps        # train_eval_<metric> at the end
            cpu_s = float("nan")
            path = "?"
            if cal is not None:
                # on a CPU each member runs through the one-seed model's own kernel ('loop' path), so a
                # member costs what its seed costs alone at the group's threads
                c = cal.get("rnn", run_shape(spec, sizes, threads))
                member_s = train_steps * c["train_s_per_step"] + eval_steps * c["eval_s_per_step"]
                cpu_s = S * member_s + JOB_STARTUP_S + DATA_LOAD_S * (1 if together else S)
                path = c.get("path", "?")
            gpu, s_sat, unstacked = None, None, None
            if settings.backend != "keras":
                gpu = group_gpu_seconds(spec, sizes, S, together)
                unstacked = group_gpu_seconds(spec, sizes, S, False)
                s_sat = saturation(spec, sizes) if together and S > 1 else None
            jobs.append(Job(family, settings.grid, gid, threads, cpu_s, gpu, S * train_steps,
                            depends_on=vec_job if family == "embedding" else None,
                            members=S, stacked=s_sat is not None, s_sat=s_sat, gpu_unstacked_s=unstacked))
            meta["sources"][gid] = sizes.source
            meta["paths"][gid] = path
    w2v = config.get("word2vec") or {}
    if wf.w2v_runs:
        tokens = int(w2v.get("prefix_tokens") or CORPUS_TOKENS.get(w2v.get("corpus", "text8"), CORPUS_TOKENS["text8"]))
        epochs = int(w2v.get("epochs", 5))
        workers = wf.threads.get("train_word2vec", int(w2v.get("workers", 2)))
        hyper = {k: w2v[k] for k in ("vector_size", "window", "min_count", "negative", "ns_exponent",
                                     "alpha", "min_alpha", "alpha_decay", "workers", "batch_words") if k in w2v}
        w2v_kernel = env_kernel() or "auto"   # ours: native / torch, as $RNNBENCH_W2V_KERNEL asks (else auto)
        source = ("config prefix_tokens" if w2v.get("prefix_tokens")
                  else f"constant ({w2v.get('corpus', 'text8')}: {tokens:,} tokens)")
        for jid, g in w2v_jobs.items():
            impl, arch, loss, S = g["impl"], g["arch"], g["loss"], len(g["seeds"])
            cpu_s, path = float("nan"), "?"
            if cal is not None:
                run_hyper = json.dumps({**hyper, "sample": g.get("sample", W2V_DEFAULT_SAMPLE)}, sort_keys=True)
                c = cal.get("w2v", (impl, arch, loss, run_hyper, w2v_kernel))
                # the job's seeds one after another; ours builds its vocabulary once for them, gensim per model
                vocabs = 1 if impl == "ours" else S
                cpu_s = (S * (tokens * epochs / c["words_per_s"] + W2V_EVAL_S)
                         + vocabs * tokens * c["vocab_s_per_token"] + W2V_STARTUP_S)
                path = c.get("path", "?")
            job = f"word2vec/{jid}"
            jobs.append(Job("word2vec", "word2vec", job, workers, cpu_s, None, S * tokens * epochs, members=S))
            meta["sources"][job] = source
            meta["paths"][job] = path
    return jobs, meta


def makespan(jobs: list[Job], cores: int, seconds: Callable[[Job], float],
             need: Callable[[Job], int] | None = None) -> float:
    """Wall seconds of a list schedule on ``cores`` units (CPU cores, or GPU slots): each job takes
    ``need(job)`` of them (default its threads), at most ``cores``, as Snakemake caps them; ready
    jobs start longest first (a job others wait for goes first, with their work counted in its
    priority), a dependent job when its input is done (a dependency outside ``jobs`` is taken as met)."""
    if not jobs:
        return 0.0
    units = [min(need(j) if need else j.threads, cores) for j in jobs]
    ids = {j.job_id: i for i, j in enumerate(jobs)}
    dependents: dict[int, list[int]] = {}
    waiting = {}
    for i, j in enumerate(jobs):
        if j.depends_on and j.depends_on in ids:
            dependents.setdefault(ids[j.depends_on], []).append(i)
            waiting[i] = True
    prio = [seconds(j) + sum(seconds(jobs[k]) * units[k] for k in dependents.get(i, [])) / cores
            for i, j in enumerate(jobs)]
    ready = sorted((i for i in range(len(jobs)) if i not in waiting), key=lambda i: -prio[i])
    running: list[tuple[float, int]] = []
    free, now = cores, 0.0
    while ready or running:
        started = []
        for i in ready:
            if units[i] <= free:
                free -= units[i]
                heapq.heappush(running, (now + seconds(jobs[i]), i))
                started.append(i)
        ready = [i for i in ready if i not in set(started)]
        if not running:
            break
        now, i = heapq.heappop(running)
        free += units[i]
        released = dependents.get(i, [])
        if released:
            ready = sorted(ready + released, key=lambda k: -prio[k])
    return now


def summarise(jobs: list[Job], meta: Mapping[str, Any]) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for j in jobs:
        r = rows.setdefault((j.family, j.grid), Row(j.family, j.grid))
        r.runs += j.members
        r.jobs += 1
        r.train_steps += j.train_steps
        r.core_s += j.cpu_s * j.threads
        r.longest_s = j.cpu_s if math.isnan(j.cpu_s) or math.isnan(r.longest_s) else max(r.longest_s, j.cpu_s)
        r.gpu_s += j.gpu_s if j.gpu_s is not None else 0.0
        r.sources.add(meta["sources"].get(j.job_id, "?"))
        r.paths.add(meta["paths"].get(j.job_id, "?"))
    return list(rows.values())


@dataclass
class Totals:
    runs: int
    jobs: int
    train_steps: int
    core_h: float
    wall_h: float
    lower_h: float
    gpu_queue_h: float
    gpu_cpu_side_h: float
    gpu_total_h: float
    keras_runs: int
    gpu_unstacked_queue_h: float = math.nan   # the same GPU queue with no group stacked


def totals(jobs: list[Job], cores: int, gpu_slots: int = 1) -> Totals:
    core_s = sum(j.cpu_s * j.threads for j in jobs)
    calibrated = not any(math.isnan(j.cpu_s) for j in jobs)
    wall = makespan(jobs, cores, lambda j: j.cpu_s) if calibrated else math.nan
    lower = max(core_s / cores, max((j.cpu_s for j in jobs), default=0.0))
    # the GPU queue: one group job per slot, longest first; slots assumed to overlap perfectly
    on_gpu = [j for j in jobs if j.gpu_s is not None]
    gq = makespan(on_gpu, max(1, gpu_slots), lambda j: j.gpu_s, need=lambda j: 1)
    unstacked = makespan(on_gpu, max(1, gpu_slots), lambda j: j.gpu_unstacked_s if j.gpu_unstacked_s is not None
                         else j.gpu_s, need=lambda j: 1)
    cpu_side = [j for j in jobs if j.gpu_s is None]   # word2vec and Keras runs stay on the CPU
    side = makespan(cpu_side, cores, lambda j: j.cpu_s) if calibrated else math.nan
    return Totals(sum(j.members for j in jobs), len(jobs), sum(j.train_steps for j in jobs), core_s / 3600,
                  wall / 3600, lower / 3600, gq / 3600, side / 3600,
                  max(gq, side) / 3600 if calibrated else math.nan,
                  sum(j.members for j in jobs if j.family != "word2vec" and j.gpu_s is None), unstacked / 3600)


#: the seeds_per_job values :func:`split_hint` tries (largest first: fewer jobs, fewer start-ups)
SPLITS = (5, 3, 2, 1)


def split_hint(wf: Workflow, cal: Calibration, cores: int, data_root: Path | None = None,
               base: Totals | None = None) -> tuple[int, Totals, Totals] | None:
    """Where the longest group job, not the cores, sets the CPU wall time (a group trains its seeds one
    after another), the largest ``seeds_per_job`` of :data:`SPLITS` whose plan is within 2 % of the best
    of them, with the plans without and with it; None when the config sets seeds_per_job or splitting
    gains under 5 %."""
    if wf.config.get("seeds_per_job") is not None:
        return None
    if base is None:
        base = totals(plan_jobs(wf, cal, data_root)[0], cores)
    tried = {}
    for k in SPLITS:
        parts = dataclasses.replace(wf, groups={f: split_groups(wf.family_groups(f), k) for f in SEQUENCE_FAMILIES})
        tried[k] = totals(plan_jobs(parts, cal, data_root)[0], cores)
    best = min(t.wall_h for t in tried.values())
    if not best < 0.95 * base.wall_h:
        return None
    k = next(k for k in SPLITS if tried[k].wall_h <= 1.02 * best)
    return k, base, tried[k]

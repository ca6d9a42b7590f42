"""What a config costs before it runs: runs, training steps and estimated hours, from measured costs.

    python -m rnnbench.plan --configfile config/config.yaml [--configfile config/full.yaml ...]
        [--config key=value ...] [--cores 16] [--calibrate]

The config is read the way ``snakemake --configfile A --configfile B --config k=v`` reads it, by
Snakemake itself: the Snakefile is loaded through Snakemake's API (nothing runs), so later files
deep-update earlier ones, the schema validates (an unknown key or a bad value is an error naming
it) and the runs are the workflow's own: ``RUNS`` (``rnnbench.grid.expand`` of every
sequence-model family, in ``workflow/rules/common.smk``) and ``W2V_RUNS`` (impls × archs × losses ×
seeds, in ``workflow/rules/word2vec.smk``), and the threads the rules declare. There is no second
expansion here. (``WorkflowApi._workflow`` is how Snakemake 9's API parses a Snakefile without a
DAG; if it moves, this is the one line to change.)

Per grid entry and in total it prints:

* runs, and training sequence-steps = epochs × training sequences × sequence length (padded, as
  the batches are: music and IMDb sequences are right-padded and the CPU kernel runs the padded
  steps); for word2vec, corpus tokens × epochs;
* CPU core-hours and the wall hours on ``--cores N`` (default 16): jobs run side by side with the
  config's ``threads`` each (word2vec: ``workers``), placed longest first by a list schedule, the
  IMDb runs after the word2vec run whose vectors they read;
* a GPU estimate, labelled *not measured* (see :data:`GPU`).

Costs are measured on this machine (``--calibrate``, and automatically for any shape the cache
lacks): for each (cell, input size, hidden, layers, dropout masks, threads, kernel) of the plan,
forward + backward + Adam step of the real model (``rnnbench.models.seq``, on the kernel path the
pipeline picks on this machine: ``kernel: auto``) on the run's batch (up to :data:`CAL_BATCH`) at
its sequence length capped at :data:`CAL_STEPS`, the median of :data:`CAL_REPEATS` batches, and
forward alone in eval mode for the validation/test passes; word2vec words/s from one-epoch runs of
our trainer and of gensim on a synthetic Zipf corpus; Keras runs from ``train_on_batch`` of the
Keras reference model. Seconds per sequence-step are cached in
``~/.cache/rnnbench/plan-calibration.json`` (``$RNNBENCH_CACHE``), keyed by the CPU (model, vector
extensions, ``RNNBENCH_MARCH``, torch's CPU capability) and the shape. The estimate is an upper
bound on epochs (early stopping ``patience`` may end a run sooner) and assumes this machine's
per-core speed on the target.

Dataset sizes come from the prepared files under ``data.root`` when they exist, else from the
documented constants below; the output says which.
"""
from __future__ import annotations

import argparse
import atexit
import dataclasses
import heapq
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .cells import REGISTRY
from .data.sizes import HAR_SUBJECTS, HAR_TRAIN, Sizes, Split  # noqa: F401 - HAR_*: the documented constants
from .data.tasks import task
from .families import SEQUENCE_FAMILIES
from .grid import W2V_DEFAULT_SAMPLE, word2vec_run_id

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"

# dataset sizes (documented constants and prepared files): rnnbench.data.sizes, one function per
# task, named in rnnbench.data.tasks
# word2vec corpora: text8 and its mirror stand-in (offline-english, text8's exact token count).
CORPUS_TOKENS = {"text8": 17_005_207, "offline-english": 17_005_207}

# ------------------------------------------------------------------ calibration settings
CAL_BATCH = 1500       # training batch of the measurement: the run's own up to this (the lecture's HAR batch;
                       # a 128-row batch under-stated the cost per step of 1500-row batches, whose gate
                       # tensors no longer fit in cache, and can pick another kernel path)
CAL_EVAL_BATCH = 1024  # evaluation chunk of the measurement
CAL_STEPS = 64         # sequence length of the measurement (the run's own when shorter)
CAL_REPEATS = 3        # timed batches after one warm-up; the median counts, not the fastest: the planned
                       # jobs run side by side, each beside busy cores, so a typical batch predicts them
                       # better than the best one (how far a loaded machine runs over the plan: README,
                       # "What each config costs")
W2V_CAL_TOKENS = 300_000   # synthetic Zipf corpus: tokens, word types, exponent
W2V_CAL_TYPES = 20_000
W2V_CAL_ZIPF = 1.0
W2V_CAL_RUNS = 2           # one-epoch runs per setting; their mean counts
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


class PlanError(ValueError):
    """A config the plan cannot read: names the key, grid or value."""


# ================================================================== the workflow's own runs
@dataclass
class Workflow:
    config: dict[str, Any]
    runs: dict[str, dict[str, dict[str, Any]]]      # family -> run id -> resolved spec (rnnbench.grid)
    w2v_runs: list[str]                              # impl-arch-loss[-sampleS]-seedN (word2vec.smk)
    threads: dict[str, int]                          # rule -> declared threads
    configfiles: list[str] = field(default_factory=list)
    w2v_grid: dict[str, dict[str, Any]] = field(default_factory=dict)   # run id -> {impl, arch, loss, sample, seed}


def parse_overrides(entries: Iterable[str] | None) -> dict[str, Any]:
    """``key=value`` pairs as ``snakemake --config`` parses them."""
    from snakemake.cli import parse_config

    try:
        return parse_config(list(entries or []))
    except (ValueError, SystemExit) as e:
        raise PlanError(f"--config: {e}") from None


def load_workflow(configfiles: Iterable[str | os.PathLike], overrides: Mapping[str, Any] | None = None,
                  snakefile: str | os.PathLike = SNAKEFILE) -> Workflow:
    """Load the Snakefile with these configs through Snakemake's API (no job runs) and take the
    config, the expanded runs and the rules' threads from the workflow itself."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    snakefile = Path(snakefile).resolve()
    files = []
    for f in configfiles:
        p = Path(f).resolve()
        if not p.exists():
            raise PlanError(f"config file {f} does not exist")
        files.append(p)
    cwd = os.getcwd()
    try:
        with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            wapi = api.workflow(snakefile=snakefile, workdir=snakefile.parent,
                                resource_settings=ResourceSettings(cores=1),
                                config_settings=ConfigSettings(configfiles=files, config=dict(overrides or {})))
            wf = wapi._workflow          # parses the Snakefile: config merged, validated, grids expanded
            g = wf.globals
            threads = {}
            for rule in ("train", "train_word2vec"):
                try:
                    threads[rule] = int(wf.get_rule(rule).resources["_cores"])
                except Exception:           # noqa: BLE001 - a rule renamed: fall back below
                    pass
            return Workflow(config=dict(g["config"]), runs={f: dict(g["RUNS"].get(f, {})) for f in SEQUENCE_FAMILIES},
                            w2v_runs=list(g.get("W2V_RUNS", [])), threads=threads,
                            configfiles=[str(f) for f in configfiles], w2v_grid=dict(g.get("W2V_GRID", {})))
    except PlanError:
        raise
    except Exception as e:  # noqa: BLE001 - Snakemake wraps schema and grid errors; say them plainly
        raise PlanError(_workflow_error(e)) from None
    finally:
        os.chdir(cwd)


def _workflow_error(e: BaseException, lines: int = 3) -> str:
    """The chain of messages, each cut to its first lines (a schema error goes on to print the
    whole schema and config)."""
    parts, seen = [], set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        msg = "\n".join(str(e).strip().splitlines()[:lines]).strip()
        if msg and msg not in parts:
            parts.append(msg)
        e = e.__cause__ or e.__context__
    return "\n".join(parts) or "the workflow could not be loaded"


# ================================================================== dataset sizes
def dataset_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], data_root: Path,
                  cache: dict | None = None) -> Sizes:
    """The sizes one run trains and evaluates on, by its task's entry in :mod:`rnnbench.data.tasks`:
    from the prepared file under ``data_root`` when there is one, else from the documented
    constants (``source`` says which)."""
    cache = {} if cache is None else cache
    rid = spec.get("run_id", "?")
    try:
        t = task(spec["task"])
        if t.sizes is None:
            raise ValueError(f"no sizes known for task {t.name!r}")
        name = t.prepared_file(config)
        sizes = t.sizes(spec, config, data_root / "prepared" / name if name else None, cache)
    except ValueError as e:
        raise PlanError(f"{rid}: {e}") from None
    return dataclasses.replace(sizes, kind=t.kind)


# ================================================================== shapes and calibration
@dataclass(frozen=True)
class Shape:
    """What a per-step cost depends on, for one run (and the measurement's batch and length)."""
    backend: str               # torch | keras
    cell: str
    input_size: int            # features per step, or the vocabulary
    embedding_dim: int | None
    hidden: int
    layers: int
    n_outputs: int
    kind: str
    many_to_many: bool
    dropout: float
    recurrent_dropout: float
    bias: str
    threads: int
    kernel: str                # the config's kernel (auto | native | torch), as the run asks for it
    batch: int                 # measured batch
    steps: int                 # measured sequence length
    reset_after: bool = True   # False: the lecture's GRU, stepwise (no fused kernel)

    def key(self) -> str:
        f = dataclasses.asdict(self)
        if f["reset_after"]:
            del f["reset_after"]   # the default: keys of the shapes measured before it existed stay valid
        return ",".join(f"{k}={v}" for k, v in f.items())


def run_shape(spec: Mapping[str, Any], sizes: Sizes, threads: int) -> Shape:
    return Shape(
        backend=spec.get("backend", "torch"), cell=spec["cell"], input_size=sizes.input_size,
        embedding_dim=int(spec["embedding_dim"]) if sizes.vocab else None, hidden=int(spec["hidden"]),
        layers=int(spec["layers"]), n_outputs=sizes.n_outputs, kind=sizes.kind,
        many_to_many=sizes.kind == "multilabel", dropout=float(spec.get("dropout") or 0.0),
        recurrent_dropout=float(spec.get("recurrent_dropout") or 0.0), bias=spec.get("bias", "double"),
        threads=threads, kernel=requested_kernel(spec), batch=min(int(spec["batch_size"]), CAL_BATCH), steps=min(sizes.train.T, CAL_STEPS),
        reset_after=spec.get("reset_after", True) is not False)


def requested_kernel(spec: Mapping[str, Any]) -> str:
    """The run's kernel as the model will ask for it (``RNNBENCH_RNN_KERNEL`` overrides the config)."""
    from .models import kernels

    return kernels.requested(spec.get("kernel") or "auto")


def cpu_name() -> str:
    """The CPU the costs belong to: model and vector extensions, and what the code is built and
    dispatched for on it (``RNNBENCH_MARCH``, torch's CPU capability), so that a machine run as an
    AVX2 machine keeps its own costs."""
    import torch

    from .cbuild import cpu_description, march

    return f"{cpu_description()}; -march={march()}; torch {torch.__version__} {torch.backends.cpu.get_cpu_capability()}"


def cache_path() -> Path:
    from .cbuild import cache_dir

    return cache_dir() / "plan-calibration.json"


class Calibration:
    """Seconds per sequence-step (train, eval) per shape and words/s per word2vec setting, for one
    CPU; read from and written to the cache file; measured when missing or when ``force``."""

    def __init__(self, path: Path | None = None, cpu: str | None = None, force: bool = False,
                 measure: Callable[[str, Any], dict] | None = None):
        self.path = Path(path) if path else cache_path()
        self.cpu = cpu or cpu_name()
        self.force = force
        self.measure = measure or _measure
        self.measured: list[str] = []
        self.cached: list[str] = []
        data = {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            pass
        self.data = data if isinstance(data, dict) else {}
        self.entries: dict[str, dict] = self.data.setdefault(self.cpu, {})

    def get(self, kind: str, what: Any) -> dict:
        key = f"{kind}|{what.key() if hasattr(what, 'key') else ','.join(map(str, what))}"
        entry = None if self.force and key not in self.measured else self.entries.get(key)
        if entry is None:
            t0 = time.perf_counter()
            entry = dict(self.measure(kind, what))
            entry["took_s"] = round(time.perf_counter() - t0, 2)
            entry["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            self.entries[key] = entry
            self.measured.append(key)
            self._save()
        elif key not in self.measured and key not in self.cached:
            self.cached.append(key)
        return entry

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
            os.replace(tmp, self.path)
        except OSError:
            pass   # a read-only cache costs a measurement next time


def _measure(kind: str, what: Any) -> dict:
    if kind == "rnn":
        return measure_torch(what) if what.backend == "torch" else measure_keras(what)
    if kind == "w2v":
        return measure_word2vec(*what)
    raise ValueError(kind)


def _best_time(fn: Callable[[], None], repeats: int = CAL_REPEATS) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _inputs(shape: Shape, batch: int, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    B, T = batch, shape.steps
    if shape.embedding_dim:
        x = torch.randint(2, shape.input_size, (B, T), generator=g)
    else:
        x = (torch.rand(B, T, shape.input_size, generator=g) < 0.5).float() if shape.kind == "multilabel" \
            else torch.randn(B, T, shape.input_size, generator=g)
    if shape.kind == "classification":
        y = torch.randint(0, shape.n_outputs, (B,), generator=g)
    elif shape.kind == "regression":
        y = torch.randn(B, shape.n_outputs, generator=g)
    else:
        y = (torch.rand(B, T, shape.n_outputs, generator=g) < 0.1).float()
    return x, y


def measure_torch(shape: Shape) -> dict:
    """Forward + backward + Adam step of the run's model on this machine, on the path the pipeline
    picks (``kernel: auto``), and forward alone in eval mode; seconds per sequence-step."""
    import torch

    from .device import set_threads
    from .models.seq import ModelSpec, build_model
    from .training.loop import make_optimizer, task_loss

    set_threads(shape.threads)
    torch.manual_seed(0)
    model = build_model(ModelSpec(
        cell=shape.cell, input_size=shape.input_size, hidden=shape.hidden, output_size=shape.n_outputs,
        layers=shape.layers, return_sequences=shape.many_to_many, dropout=shape.dropout,
        recurrent_dropout=shape.recurrent_dropout, bias=shape.bias,
        vocab_size=shape.input_size if shape.embedding_dim else None, embedding_dim=shape.embedding_dim,
        kernel=shape.kernel, reset_after=shape.reset_after))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer("adam", params, 1e-3)
    x, y = _inputs(shape, shape.batch)

    def train_batch() -> None:
        model.train()
        loss = task_loss(shape.kind, model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    xe, _ = _inputs(shape, CAL_EVAL_BATCH, seed=1)

    def eval_batch() -> None:
        model.eval()
        with torch.no_grad():
            model(xe)

    train_s = _best_time(train_batch)
    path = getattr(model, "path", "torch")
    eval_s = _best_time(eval_batch)
    return {"train_s_per_step": train_s / (shape.batch * shape.steps),
            "eval_s_per_step": eval_s / (CAL_EVAL_BATCH * shape.steps), "path": str(path),
            "how": f"torch {torch.__version__}, batch {shape.batch} × {shape.steps} steps, "
                   f"{shape.threads} thread(s), median of {CAL_REPEATS}"}


def measure_keras(shape: Shape) -> dict:
    """``train_on_batch`` / ``predict_on_batch`` of the Keras reference model (TensorFlow's own
    threads limited to the job's)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(shape.threads)
        tf.config.threading.set_inter_op_parallelism_threads(shape.threads)
    except RuntimeError:
        pass   # already initialised in this process
    import keras

    from .models.keras_models import build_keras_model
    from .models.seq import ModelSpec
    from .training.keras_fit import _losses

    spec = ModelSpec(cell=shape.cell, input_size=shape.input_size, hidden=shape.hidden,
                     output_size=shape.n_outputs, layers=shape.layers, return_sequences=shape.many_to_many,
                     dropout=shape.dropout, recurrent_dropout=shape.recurrent_dropout, bias=shape.bias,
                     vocab_size=shape.input_size if shape.embedding_dim else None,
                     embedding_dim=shape.embedding_dim, reset_after=shape.reset_after)
    model = build_keras_model(spec, l2=0.005, steps=shape.steps)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=_losses(keras, shape.kind)[0])
    x, y = _inputs(shape, shape.batch)
    x, y = x.numpy(), y.numpy()
    xe = _inputs(shape, CAL_EVAL_BATCH, seed=1)[0].numpy()
    train_s = _best_time(lambda: model.train_on_batch(x, y))
    eval_s = _best_time(lambda: model.predict_on_batch(xe))
    return {"train_s_per_step": train_s / (shape.batch * shape.steps),
            "eval_s_per_step": eval_s / (CAL_EVAL_BATCH * shape.steps), "path": "keras",
            "how": f"keras {keras.__version__} train_on_batch, batch {shape.batch} × {shape.steps} steps"}


_ZIPF_FILE: dict[str, str] = {}


def zipf_corpus(tokens: int = W2V_CAL_TOKENS, types: int = W2V_CAL_TYPES, s: float = W2V_CAL_ZIPF,
                line_tokens: int = 1000) -> str:
    """A synthetic corpus file (Zipf-distributed words w0..wN, 1,000-token lines), made once."""
    key = f"{tokens},{types},{s}"
    if key in _ZIPF_FILE and Path(_ZIPF_FILE[key]).exists():
        return _ZIPF_FILE[key]
    import numpy as np

    rng = np.random.default_rng(0)
    p = 1.0 / np.arange(1, types + 1) ** s
    ids = rng.choice(types, size=tokens, p=p / p.sum())
    words = np.array([f"w{i}" for i in range(types)])
    fd, name = tempfile.mkstemp(prefix="rnnbench-plan-zipf-", suffix=".txt")
    atexit.register(lambda: Path(name).unlink(missing_ok=True))
    with os.fdopen(fd, "w") as f:
        for i in range(0, tokens, line_tokens):
            f.write(" ".join(words[ids[i:i + line_tokens]]) + "\n")
    _ZIPF_FILE[key] = name
    return name


def measure_word2vec(impl: str, arch: str, loss: str, hyper: str, backend: str = "auto") -> dict:
    """Words/s of one short run (1 epoch) of our trainer or gensim on the synthetic corpus."""
    from .word2vec.params import Word2VecParams

    params = {k: v for k, v in json.loads(hyper).items()}
    params["epochs"] = 1
    p = Word2VecParams.for_combination(arch, loss, **params)
    corpus = zipf_corpus()
    quiet = lambda m: None  # noqa: E731
    if impl in ("gensim", "gensim_iter"):
        from .word2vec.gensim_ref import train_gensim

        def once():
            return train_gensim(corpus, p, log=quiet, mode="corpus_file" if impl == "gensim" else "iterable")
    else:
        import torch

        from .word2vec.corpus import read_sentences
        from .word2vec.trainer import train

        sentences = read_sentences(corpus)

        def once():
            return train(sentences, p, torch.device("cpu"), log=quiet, backend=None if backend == "auto" else backend)
    runs = [once() for _ in range(W2V_CAL_RUNS)]     # their mean: one run alone is at the mercy of the neighbours
    r = runs[0]
    backend = getattr(r, "backend", impl)
    tokens = r.raw_words / max(p.epochs, 1)
    train_s = statistics.mean(x.train_seconds for x in runs)
    vocab_s = statistics.mean(x.vocab_seconds for x in runs)
    return {"words_per_s": r.raw_words / train_s, "vocab_s_per_token": vocab_s / tokens,
            "path": backend, "how": f"{tokens:,.0f}-token Zipf corpus ({W2V_CAL_TYPES:,} types), 1 epoch, "
                                    f"{p.workers} worker(s), mean of {W2V_CAL_RUNS}"}


# ================================================================== the plan
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


# ================================================================== output
def _fmt_steps(n: int) -> str:
    for unit, div in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def _h(s: float) -> str:
    return "-" if math.isnan(s) else f"{s / 3600:.2f}"


def render(wf: Workflow, jobs: list[Job], meta: Mapping[str, Any], cal: Calibration | None, cores: int,
           markdown: bool = False, gpu_slots: int = 1) -> str:
    rows = summarise(jobs, meta)
    t = totals(jobs, cores, gpu_slots)
    out = [f"rnnbench plan: {' + '.join(wf.configfiles) or 'config/config.yaml'}"
           + (f"  (scale: {wf.config.get('scale')})" if wf.config.get("scale") else "")]
    if cal is not None:
        state = (f"measured now ({len(cal.measured)} shapes)" if cal.measured and not cal.cached else
                 f"cached ({len(cal.cached)} shapes, {cal.path})" if not cal.measured else
                 f"{len(cal.measured)} measured now, {len(cal.cached)} cached ({cal.path})")
        out.append(f"CPU: {cal.cpu}; per-step costs {state}")
    hdr = ["grid", "runs", "train seq-steps", "CPU core-h", "longest run h", "GPU est. h", "kernel path",
           "dataset sizes from"]
    body = []
    for r in rows:
        body.append([f"{r.family}/{r.grid}" if r.family != r.grid else r.family, str(r.runs),
                     _fmt_steps(r.train_steps), _h(r.core_s), _h(r.longest_s),
                     _h(r.gpu_s) if r.gpu_s else "(CPU)", "/".join(sorted(r.paths)), "; ".join(sorted(r.sources))])
    body.append(["total", str(t.runs), _fmt_steps(t.train_steps), _h(t.core_h * 3600),
                 _h(max((r.longest_s for r in rows), default=0.0)), _h(sum(r.gpu_s for r in rows)), "", ""])
    if markdown:
        out.append("")
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        out += ["| " + " | ".join(b) + " |" for b in body]
        out.append("")
    else:
        widths = [max(len(x[i]) for x in [hdr] + body) for i in range(len(hdr))]
        for k, line in enumerate([hdr] + body):
            if k == len(body):   # before the total line
                out.append("  ".join("-" * w for w in widths))
            out.append("  ".join(c.ljust(w) if i in (0, 6, 7) else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(line, widths))).rstrip())
    thr = wf.threads.get("train", wf.config.get("threads", 1))
    w2v_thr = wf.threads.get("train_word2vec", (wf.config.get("word2vec") or {}).get("workers", 2))
    if cal is None:
        out.append("(counts only: --no-calibrate)")
        return "\n".join(out)
    out.append(f"CPU wall on {cores} cores: {t.wall_h:.2f} h (list schedule, {thr} thread(s) per sequence-model job, "
               f"{w2v_thr} per word2vec job; lower bound {t.lower_h:.2f} h); CPU work {t.core_h:.2f} core-h")
    slots = ("one run at a time" if gpu_slots == 1 else
             f"{gpu_slots} runs sharing it, assumed to overlap perfectly (optimistic)")
    out.append(f"GPU estimate (not measured): {t.gpu_total_h:.2f} h on one GPU = max(GPU queue {t.gpu_queue_h:.2f} h, "
               f"{slots}; CPU-side word2vec/Keras runs {t.gpu_cpu_side_h:.2f} h on {cores} cores); "
               f"launch-bound model: {GPU['STEP_US']:g} us per step and layer (TorchScript step loop "
               f"{GPU['STEPWISE_US']:g} us), {GPU['BATCH_MS']:g} ms per batch, or {GPU['FLOPS']:.0e} FLOP/s if larger")
    out.append(f"Assumed, not measured: {JOB_OVERHEAD_S:g} s per sequence-model job (start, imports, data), "
               f"{W2V_EVAL_S:g} s per word2vec evaluation; epochs are an upper bound where patience may stop early; "
               f"data preparation, aggregation and the report are not counted.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnnbench.plan", description=__doc__.splitlines()[0])
    p.add_argument("--configfile", action="append", default=[],
                   help="config file(s), later ones deep-update earlier ones (as snakemake --configfile); "
                        "the Snakefile's config/config.yaml is always the base")
    p.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="as snakemake --config")
    p.add_argument("--cores", type=int, default=16, help="cores of the machine to plan for (16)")
    p.add_argument("--calibrate", action="store_true", help="measure every shape again, ignoring the cache")
    p.add_argument("--no-calibrate", action="store_true", help="counts only: no costs measured or read")
    p.add_argument("--cache", default=None, help="calibration cache file (default ~/.cache/rnnbench/plan-calibration.json)")
    p.add_argument("--data-root", default=None, help="where prepared data is looked for (default: the config's data.root)")
    p.add_argument("--gpu-slots", type=int, default=1,
                   help="GPU estimate with this many runs sharing the GPU (--resources gpu=N), assumed to overlap (1)")
    p.add_argument("--markdown", action="store_true", help="the table as Markdown")
    p.add_argument("--snakefile", default=str(SNAKEFILE))
    a = p.parse_args(argv)
    if a.cores < 1 or a.gpu_slots < 1:
        p.error("--cores and --gpu-slots must be at least 1")
    try:
        wf = load_workflow(a.configfile, parse_overrides(a.config), a.snakefile)
        cal = None if a.no_calibrate else Calibration(Path(a.cache) if a.cache else None, force=a.calibrate)
        t0 = time.perf_counter()
        jobs, meta = plan_jobs(wf, cal, Path(a.data_root) if a.data_root else None)
        took = time.perf_counter() - t0
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(render(wf, jobs, meta, cal, a.cores, markdown=a.markdown, gpu_slots=a.gpu_slots))
    if cal is not None and cal.measured:
        print(f"(calibration: {len(cal.measured)} measurement(s) in {took:.0f} s, cached in {cal.path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measured costs: seconds per sequence-step of each run shape (forward + backward + optimiser step
of the real model, and forward alone for evaluation) and word2vec words/s, cached per CPU."""
from __future__ import annotations

import atexit
import dataclasses
import functools
import hashlib
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..data.sizes import Sizes
from ..runspec import RunSpec

CAL_BATCH = 1500       # training batch of the measurement: the run's own up to this (the lecture's HAR batch;
                       # a 128-row batch under-stated the cost per step of 1500-row batches, whose gate
                       # tensors no longer fit in cache, and can pick another kernel path)
CAL_EVAL_BATCH = 1024  # evaluation chunk of the measurement
CAL_STEPS = 64         # sequence length of the measurement (the run's own when shorter)
CAL_WARMUP = 2         # untimed batches first: TorchScript's profiling executor (the stepwise loops) compiles on
                       # the first call and optimises after the second; one warm-up left a per-step-mask LSTM
                       # planned at 1.3e-4 s per sequence-step, ~15x its measured steady state
CAL_REPEATS = 3        # timed batches after the warm-up; the median counts, not the fastest: the planned
                       # jobs run side by side, each beside busy cores, so a typical batch predicts them
                       # better than the best one (how far a loaded machine runs over the plan: README,
                       # "What each config costs")
W2V_CAL_TOKENS = 300_000   # synthetic Zipf corpus: tokens, word types, exponent
W2V_CAL_TYPES = 20_000
W2V_CAL_ZIPF = 1.0
W2V_CAL_RUNS = 2           # one-epoch runs per setting; their mean counts


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
    dropout_masks: str = "sequence"   # step: fresh masks at every time step, stepwise in training

    def key(self) -> str:
        f = dataclasses.asdict(self)
        if f["reset_after"]:
            del f["reset_after"]   # the default: keys of the shapes measured before it existed stay valid
        if f["dropout_masks"] == "sequence":
            del f["dropout_masks"]   # likewise
        return ",".join(f"{k}={v}" for k, v in f.items())


def run_shape(spec: Mapping[str, Any], sizes: Sizes, threads: int) -> Shape:
    s = RunSpec.from_dict(spec)
    return Shape(
        backend=s.backend, cell=s.cell, input_size=sizes.input_size,
        embedding_dim=int(s.embedding_dim) if sizes.vocab else None, hidden=int(s.hidden),
        layers=int(s.layers), n_outputs=sizes.n_outputs, kind=sizes.kind,
        many_to_many=sizes.kind == "multilabel", dropout=float(s.dropout or 0.0),
        recurrent_dropout=float(s.recurrent_dropout or 0.0), bias=s.bias,
        threads=threads, kernel=requested_kernel(s), batch=min(int(s.batch_size), CAL_BATCH),
        steps=min(sizes.train.T, CAL_STEPS), reset_after=s.reset_after is not False, dropout_masks=s.dropout_masks)


def requested_kernel(spec: "Mapping[str, Any] | RunSpec") -> str:
    """The run's kernel as the model will ask for it (``RNNBENCH_RNN_KERNEL`` overrides the config)."""
    from ..models import kernels

    s = spec if isinstance(spec, RunSpec) else RunSpec.from_dict(spec)
    return kernels.requested(s.kernel or "auto")


def cpu_name() -> str:
    """The CPU the costs belong to: model and vector extensions, and what the code is built and
    dispatched for on it (``RNNBENCH_MARCH``, torch's CPU capability), so that a machine run as an
    AVX2 machine keeps its own costs."""
    import torch

    from ..cbuild import cpu_description, march

    return f"{cpu_description()}; -march={march()}; torch {torch.__version__} {torch.backends.cpu.get_cpu_capability()}"


@functools.lru_cache(maxsize=None)
def code_identity() -> str:
    """A hash of the code a measurement times: the sequence models and their C kernel, and the
    word2vec trainer and its kernel. A cached cost measured with other code is measured again (the
    reset-before GRU's costs, cached from its stepwise path, outlived the C kernel that replaced it)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for folder in ("models", "word2vec"):
        for f in sorted((root / folder).rglob("*")):
            if f.suffix in (".py", ".c"):
                h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def cache_path() -> Path:
    from ..cbuild import cache_dir

    return cache_dir() / "plan-calibration.json"


class Calibration:
    """Seconds per sequence-step (train, eval) per shape and words/s per word2vec setting, for one
    CPU; read from and written to the cache file; measured when missing or when ``force``."""

    def __init__(self, path: Path | None = None, cpu: str | None = None, force: bool = False,
                 measure: Callable[[str, Any], dict] | None = None, code: str | None = None):
        self.path = Path(path) if path else cache_path()
        self.cpu = cpu or cpu_name()
        self.code = code or code_identity()
        self.stale: list[str] = []   # cached, but measured with other code: measured again
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
        if entry is not None and entry.get("code") != self.code:
            self.stale.append(key)
            entry = None
        if entry is None:
            t0 = time.perf_counter()
            entry = dict(self.measure(kind, what))
            entry["took_s"] = round(time.perf_counter() - t0, 2)
            entry["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            entry["code"] = self.code
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
    for _ in range(CAL_WARMUP):
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

    from ..device import set_threads
    from ..models.seq import ModelSpec, build_model
    from ..training.loop import make_optimizer, task_loss

    set_threads(shape.threads)
    torch.manual_seed(0)
    model = build_model(ModelSpec(
        cell=shape.cell, input_size=shape.input_size, hidden=shape.hidden, output_size=shape.n_outputs,
        layers=shape.layers, return_sequences=shape.many_to_many, dropout=shape.dropout,
        recurrent_dropout=shape.recurrent_dropout, bias=shape.bias,
        vocab_size=shape.input_size if shape.embedding_dim else None, embedding_dim=shape.embedding_dim,
        kernel=shape.kernel, reset_after=shape.reset_after, dropout_masks=shape.dropout_masks))
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

    from ..models.keras_models import build_keras_model
    from ..models.seq import ModelSpec
    from ..training.keras_fit import _losses

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


def measure_word2vec(impl: str, arch: str, loss: str, hyper: str, kernel: str = "auto") -> dict:
    """Words/s of one short run (1 epoch) of our trainer or gensim on the synthetic corpus."""
    from ..word2vec.params import Word2VecParams

    params = {k: v for k, v in json.loads(hyper).items()}
    params["epochs"] = 1
    p = Word2VecParams.for_combination(arch, loss, **params)
    corpus = zipf_corpus()
    quiet = lambda m: None  # noqa: E731
    if impl in ("gensim", "gensim_iter"):
        from ..word2vec.gensim_ref import train_gensim

        def once():
            return train_gensim(corpus, p, log=quiet, mode="corpus_file" if impl == "gensim" else "iterable")
    else:
        import torch

        from ..word2vec.corpus import read_sentences
        from ..word2vec.trainer import train

        sentences = read_sentences(corpus)

        def once():
            return train(sentences, p, torch.device("cpu"), log=quiet, kernel=None if kernel == "auto" else kernel)
    runs = [once() for _ in range(W2V_CAL_RUNS)]     # their mean: one run alone is at the mercy of the neighbours
    r = runs[0]
    path = getattr(r, "path", impl)
    tokens = r.raw_words / max(p.epochs, 1)
    train_s = statistics.mean(x.train_seconds for x in runs)
    vocab_s = statistics.mean(x.vocab_seconds for x in runs)
    return {"words_per_s": r.raw_words / train_s, "vocab_s_per_token": vocab_s / tokens,
            "path": path, "how": f"{tokens:,.0f}-token Zipf corpus ({W2V_CAL_TYPES:,} types), 1 epoch, "
                                    f"{p.workers} worker(s), mean of {W2V_CAL_RUNS}"}

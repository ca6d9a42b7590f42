"""Our word2vec trainer: CBOW / skip-gram × hierarchical softmax / negative sampling (and the full
softmax over the vocabulary that both replace, on the torch path only: no C kernel has it).

Two paths, the same hyper-parameters and results semantics (the record's ``path`` says which ran):

- ``native`` (CPU, the default there): the C kernel of :mod:`.native`, word2vec.c's sequential
  SGD (each pair's update lands before the next pair reads the weights), ``workers`` threads
  sharing the weights without locks (Hogwild, like gensim); with hierarchical softmax each thread
  trains its own copy of the tree's ``native.HOT_ROWS`` most visited rows, synced after each
  sentence (the rows every pair writes: shared, they made two threads 2-2.4x slower than one).
  Deterministic for a seed with ``workers=1``; with more threads the races make runs differ
  slightly, as gensim's do.
- ``torch`` (GPUs, and CPU when the kernel cannot build, or when asked): batched, on any torch
  device (``rnnbench.device.resolve_device``), deterministic for a seed on CPU.

``kernel="auto"`` (the default, config ``word2vec.kernel``; a non-empty ``$RNNBENCH_W2V_KERNEL``
overrides it) runs native on CPU when it builds and, for these hyper-parameters and threads, was
measured faster than the torch path on this machine: one epoch of each on the corpus' first
``AUTO_SAMPLE_TOKENS`` tokens, once per machine (cached beside the built library, as the
recurrent kernels' choice in :mod:`rnnbench.models.kernels`). Otherwise torch, logging why; the
record says which path ran (``path``) and both timings (``kernel``, as the recurrent records do).

Torch path, one epoch: subsample the token stream (one draw per token), then walk it in batches of
``batch_words`` centre tokens; each batch draws its shrunk windows, builds every (centre,
context) pair with tensor operations, and takes one SGD step at the linearly decayed rate
alpha -> min_alpha (decayed over all epochs' raw words, as gensim does).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
import torch

from .._malloc import keep_heap
from .huffman import build_huffman
from .model import Word2VecModel
from .params import TrainResult, Word2VecInputError, Word2VecParams, check_corpus, env_kernel
from .sampling import NegativeSampler, context_matrix, subsample
from .vocab import Vocab, build_vocab, keep_probabilities


def encode(sentences: list[list[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token ids (out-of-vocabulary words dropped, as gensim does before windowing), the
    sentence of each kept token and its raw position in the corpus (for the learning-rate decay)."""
    ids, sent, raw = [], [], []
    offset = 0
    index = vocab.index
    for k, s in enumerate(sentences):
        a = np.fromiter((index.get(w, -1) for w in s), dtype=np.int64, count=len(s))
        keep = np.flatnonzero(a >= 0)
        ids.append(a[keep])
        sent.append(np.full(len(keep), k, dtype=np.int64))
        raw.append(keep + offset)
        offset += len(s)
    return np.concatenate(ids), np.concatenate(sent), np.concatenate(raw)


@dataclasses.dataclass
class Encoded:
    """The corpus as a run trains on it: its vocabulary (``min_count``) and :func:`encode`'s arrays. None
    of it depends on the seed, so the seeds of a group build it once (``rnnbench.word2vec.train.run_group``);
    ``seconds`` is what building it took."""
    vocab: Vocab
    ids: np.ndarray
    sent: np.ndarray
    raw: np.ndarray
    min_count: int
    seconds: float


def encode_corpus(sentences: list[list[str]], min_count: int) -> Encoded:
    t0 = time.perf_counter()
    vocab = build_vocab(sentences, min_count)
    ids, sent, raw = encode(sentences, vocab)
    return Encoded(vocab, ids, sent, raw, min_count, time.perf_counter() - t0)


KERNELS = ("auto", "native", "torch")
AUTO_SAMPLE_TOKENS = 100_000


def choose_kernel(kernel: str, dev: torch.device, softmax: bool = False) -> tuple[str, str, object]:
    """(path, detail, library): ``native`` only on CPU, only if the kernel builds and not for the
    full softmax (the C kernel has HS and NS only); asking for ``native`` where it cannot run is an
    error, ``auto`` falls back to torch with the reason."""
    kernel = kernel or "auto"
    if kernel not in KERNELS:
        raise Word2VecInputError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if kernel == "torch":
        return "torch", "requested", None
    if softmax:
        if kernel == "native":
            raise Word2VecInputError("the native word2vec kernel has no full softmax (HS and NS only): use "
                                     "kernel 'torch' for loss 'softmax'")
        return "torch", "full softmax: no C kernel for it; batched torch path", None
    if dev.type != "cpu":
        if kernel == "native":
            raise Word2VecInputError(f"the native word2vec kernel runs on CPU only, not {dev}")
        return "torch", f"batched torch path on {dev}", None
    from .native import load

    lib, msg = load()
    if lib is None:
        if kernel == "native":
            raise Word2VecInputError(msg)
        return "torch", f"native kernel unavailable ({msg}); batched torch path", None
    return "native", msg, lib


def measured_choice(sentences: list[list[str]], params: Word2VecParams, lib, build: str):
    """native or torch for ``params`` on this machine (a ``rnnbench.models.kernels.Choice``):
    one epoch of each on the corpus' first ``AUTO_SAMPLE_TOKENS`` tokens, cached per machine."""
    from ..models import kernels

    sample, n = [], 0
    for s in sentences:
        sample.append(s)
        n += len(s)
        if n >= AUTO_SAMPLE_TOKENS:
            break
    p = dataclasses.replace(params, epochs=1)
    key = kernels.shape_key("word2vec", sg=p.sg, hs=p.hs, negative=p.negative, window=p.window,
                            D=p.vector_size, workers=p.workers, batch_words=p.batch_words,
                            cbow_mean=p.cbow_mean, tokens=kernels.bucket(n))

    def runs():
        dev = torch.device("cpu")
        quiet = lambda m: None  # noqa: E731
        return {"native": lambda: _train(sample, p, dev, "native", build, lib, quiet),
                "torch": lambda: _train(sample, p, dev, "torch", "", None, quiet)}
    choice = kernels.decide("auto", key, lib, build, runs, repeats=1)
    return choice, n


def train(sentences: list[list[str]], params: Word2VecParams, device="cpu", *,
          log: Callable[[str], None] = print, kernel: str | None = None,
          encoded: Encoded | None = None) -> TrainResult:
    """Train on ``sentences``; ``encoded``: their vocabulary and ids already built (:func:`encode_corpus`,
    shared by a group's seeds; rebuilt here if its ``min_count`` is not the run's)."""
    params.validate()
    raw_total = sum(len(s) for s in sentences)
    check_corpus(raw_total, params.window)
    dev = torch.device(device)
    requested = env_kernel() or kernel or "auto"
    path, path_detail, lib = choose_kernel(requested, dev, softmax=bool(params.softmax))
    choice = None
    if requested == "auto" and path == "native":
        c, n = measured_choice(sentences, params, lib, path_detail)
        choice = {**c.as_record(), "sample_tokens": n,
                  "native_words_per_second": n / c.native_ms * 1e3 if c.native_ms else None,
                  "torch_words_per_second": n / c.torch_ms * 1e3 if c.torch_ms else None}
        if c.path == "torch":
            path, lib = "torch", None
        path_detail = f"{path_detail}; auto: {c.reason}"
    log(f"word2vec path: {path} ({path_detail})")
    result = _train(sentences, params, dev, path, path_detail, lib, log, encoded)
    result.kernel = choice
    return result


def build_model(vocab: Vocab, params: Word2VecParams, dev: torch.device, gen: torch.Generator):
    """(model, Huffman tree or None, noise sampler or None) for the loss ``params`` names."""
    tree = build_huffman(vocab.counts) if params.hs else None
    sampler = NegativeSampler(vocab.counts, params.ns_exponent, dev) if params.negative else None
    model = Word2VecModel(len(vocab), params.vector_size, hs=bool(params.hs), negative=params.negative,
                          tree=tree, sampler=sampler, device=dev, generator=gen, softmax=bool(params.softmax))
    return model, tree, sampler


def batch_step(model: Word2VecModel, toks: torch.Tensor, snt: torch.Tensor, start: int, stop: int,
               params: Word2VecParams, alpha: float, gen: torch.Generator) -> int:
    """One SGD step of the torch path on the centres ``start..stop-1`` of the (subsampled) token
    stream: draw their shrunk windows, build every (centre, context) pair, update. Returns the
    number of pairs."""
    pos, valid = context_matrix(toks, snt, start, stop, params.window, gen)
    rows, cols = valid.nonzero(as_tuple=True)
    context = toks[pos[rows, cols]]
    if params.sg:
        model.skipgram_step(context, toks[start + rows], alpha, gen)
    else:
        has = torch.zeros(stop - start, dtype=torch.bool, device=toks.device)
        has[rows] = True  # a centre with no context word in its window is skipped
        centres = torch.nonzero(has).squeeze(1)
        remap = torch.cumsum(has.long(), 0) - 1
        model.cbow_step(remap[rows], context, toks[start + centres], alpha, gen, cbow_mean=bool(params.cbow_mean))
    return len(rows)


def _train(sentences: list[list[str]], params: Word2VecParams, dev: torch.device, path: str,
           path_detail: str, lib, log: Callable[[str], None], encoded: Encoded | None = None) -> TrainResult:
    raw_total = sum(len(s) for s in sentences)
    if dev.type == "cpu":
        keep_heap()
        torch.set_num_threads(max(1, params.workers))
    gen = torch.Generator(device=dev)
    gen.manual_seed(params.seed)

    t0 = time.perf_counter()
    shared = encoded is not None and encoded.min_count == params.min_count
    if not shared:
        encoded = encode_corpus(sentences, params.min_count)
    vocab, ids_np, sent_np, raw_np = encoded.vocab, encoded.ids, encoded.sent, encoded.raw
    if len(ids_np) <= params.window:
        raise Word2VecInputError(
            f"only {len(ids_np)} tokens remain after min_count={params.min_count}, not more than the "
            f"window ({params.window})")
    model, tree, sampler = build_model(vocab, params, dev, gen)
    ids = torch.as_tensor(ids_np, device=dev)
    sent = torch.as_tensor(sent_np, device=dev)
    rawpos = torch.as_tensor(raw_np, device=dev)
    keep_prob = torch.as_tensor(keep_probabilities(vocab.counts, params.sample), dtype=torch.float32, device=dev)
    # the setup a run needs: a vocabulary built once for a group's seeds counts in each of them
    vocab_seconds = time.perf_counter() - t0 + (encoded.seconds if shared else 0.0)
    log(f"vocabulary: {len(vocab)} words (min_count={params.min_count}) from {raw_total} tokens; "
        f"{len(ids_np)} in-vocabulary tokens; setup {vocab_seconds:.2f}s"
        + (f" (the vocabulary's {encoded.seconds:.2f}s shared with the group's other seeds)" if shared else ""))

    total = params.epochs * raw_total
    if path == "native":
        return _train_native(lib, sentences, params, model, vocab, ids_np, sent_np, tree, sampler,
                             vocab_seconds, raw_total, total, path_detail, log)
    history: list[dict] = []
    effective = 0
    t_start = time.perf_counter()
    with torch.no_grad():
        for epoch in range(params.epochs):
            te = time.perf_counter()
            kept = subsample(ids, keep_prob, gen)
            toks, snt, rp = ids[kept], sent[kept], rawpos[kept]
            n = len(toks)
            effective += n
            pairs = 0
            for start in range(0, n, params.batch_words):
                stop = min(n, start + params.batch_words)
                # progress of the raw corpus at this batch's first centre, like gensim's per-job alpha
                done = epoch * raw_total + int(rp[start]) / params.progress_divisor
                alpha = max(params.min_alpha, params.alpha - (params.alpha - params.min_alpha) * done / total)
                pairs += batch_step(model, toks, snt, start, stop, params, alpha, gen)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            secs = time.perf_counter() - te
            _record_epoch(history, log, epoch, params.epochs, secs, raw_total, n, pairs, alpha)
    train_seconds = time.perf_counter() - t_start
    return TrainResult(words=vocab.words, vectors=model.vectors(), vocab=vocab, train_seconds=train_seconds,
                       vocab_seconds=vocab_seconds, raw_words=total, effective_words=effective, history=history,
                       path="torch", path_detail=path_detail)


def _record_epoch(history: list[dict], log, epoch: int, epochs: int, secs: float, raw_total: int, n: int,
                  pairs: int, alpha: float, suffix: str = "") -> None:
    """One history row and one log line per epoch, the same for both training paths."""
    history.append({"epoch": epoch + 1, "seconds": secs, "raw_words": raw_total, "effective_words": n,
                    "pairs": pairs, "alpha_end": alpha,
                    "words_per_second": raw_total / secs if secs > 0 else float("nan")})
    log(f"epoch {epoch + 1}/{epochs}: {n} tokens after subsampling, {pairs} pairs, "
        f"{secs:.2f}s, {raw_total / secs:,.0f} words/s, alpha {alpha:.5f}{suffix}")


def _train_native(lib, sentences, params: Word2VecParams, model: Word2VecModel, vocab: Vocab,
                  ids_np: np.ndarray, sent_np: np.ndarray, tree, sampler, vocab_seconds: float,
                  raw_total: int, total: int, path_detail: str, log) -> TrainResult:
    from .native import NativeEpochs

    t0 = time.perf_counter()
    n_sent = len(sentences)
    sent_off = np.searchsorted(sent_np, np.arange(n_sent + 1))
    sent_raw = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=n_sent)
    keep = keep_probabilities(vocab.counts, params.sample)
    syn = [None if m is None else m.numpy() for m in (model.syn0, model.syn1, model.syn1neg)]
    runner = NativeEpochs(lib, *syn, ids_np, sent_off, sent_raw, keep, tree=tree, sampler=sampler)
    vocab_seconds += time.perf_counter() - t0
    threads = max(1, params.workers)
    # per-thread generator seeds, from the run's seed (SplitMix64 of seed, epoch, thread)
    def seed_of(epoch: int, t: int) -> int:
        z = (params.seed * 0x9E3779B97F4A7C15 + epoch * 0xBF58476D1CE4E5B9 + t * 0x94D049BB133111EB + 1) % (1 << 64)
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % (1 << 64)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % (1 << 64)
        return (z ^ (z >> 31)) or 1

    history: list[dict] = []
    effective = 0
    t_start = time.perf_counter()
    for epoch in range(params.epochs):
        te = time.perf_counter()
        r = runner.epoch(sg=params.sg, hs=params.hs, negative=params.negative, window=params.window,
                         cbow_mean=params.cbow_mean, alpha=params.alpha, min_alpha=params.min_alpha,
                         # the kernel's alpha runs on (done_before + words done) / total: scaling both by
                         # the divisor slows the within-epoch decay only (alpha_decay='corpus_file')
                         done_before=epoch * raw_total * params.progress_divisor,
                         total=total * params.progress_divisor, threads=threads,
                         seeds=[seed_of(epoch, t) for t in range(threads)])
        secs = time.perf_counter() - te
        if not r["threads_ok"]:
            log("warning: some native word2vec threads could not start; the others took their share")
        n, pairs, alpha = r["effective_words"], r["pairs"], r["alpha_end"]
        effective += n
        _record_epoch(history, log, epoch, params.epochs, secs, raw_total, n, pairs, alpha,
                      f" (native, {threads} threads)")
    train_seconds = time.perf_counter() - t_start
    return TrainResult(words=vocab.words, vectors=model.vectors(), vocab=vocab, train_seconds=train_seconds,
                       vocab_seconds=vocab_seconds, raw_words=total, effective_words=effective, history=history,
                       path="native", path_detail=path_detail)

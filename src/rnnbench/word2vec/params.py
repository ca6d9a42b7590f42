"""Hyper-parameters shared by our trainer and the gensim reference (one dataclass, gensim's names),
and what either returns (:class:`TrainResult`).

Every parameter is documented once here, with gensim 4.4's default unless stated. Free of torch:
the gensim reference runs import this module, not the trainer (torch's import alone is about a
second of each job's start).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:
    from .vocab import Vocab

ARCHS = ("cbow", "skipgram")
LOSSES = ("hs", "ns", "softmax")   # softmax: the full softmax over the vocabulary (ours, torch path only)
# ours: our trainer (its record's path says native C kernel or batched torch); gensim: gensim fed the
# prepared file through corpus_file (its fastest mode: the speed reference); gensim_iter: gensim fed the same
# lines as a sentence iterable, Word2Vec(sentences), as the lecture runs it (the quality reference)
IMPLS = ("ours", "gensim", "gensim_iter")
ALPHA_DECAYS = ("linear", "corpus_file")


class Word2VecInputError(ValueError):
    """Bad input (empty corpus, corpus shorter than the window, empty vocabulary...): a clear
    message, raised before any training starts."""


KERNEL_ENV = "RNNBENCH_W2V_KERNEL"        # overrides the config's word2vec.kernel when set and not empty
OLD_KERNEL_ENV = "RNNBENCH_W2V_BACKEND"   # its name before 'backend' came to mean torch vs Keras only


def env_kernel() -> str | None:
    """``$RNNBENCH_W2V_KERNEL`` (auto | native | torch) if set and not empty; here, free of torch,
    for the trainer and the planner alike. A non-empty ``$RNNBENCH_W2V_BACKEND`` (the old name) is
    an error rather than silently ignored."""
    if (os.environ.get(OLD_KERNEL_ENV) or "").strip():
        raise Word2VecInputError(f"${OLD_KERNEL_ENV} was renamed: set ${KERNEL_ENV} (auto | native | torch) "
                                 f"instead, and unset ${OLD_KERNEL_ENV}")
    return (os.environ.get(KERNEL_ENV) or "").strip() or None


@dataclass(frozen=True)
class Word2VecParams:
    sg: int = 0                 # 1: skip-gram (predict each context word from the centre); 0: CBOW (predict the centre from the mean of its context)
    hs: int = 0                 # 1: hierarchical softmax over a Huffman tree of the counts
    negative: int = 5           # > 0: negative sampling with this many noise words per positive; 0: none (use with hs=1)
    softmax: int = 0            # ours only, torch path: 1 = the full softmax over the whole vocabulary (the output layer
                                #   HS and NS replace; every step touches all V output vectors); needs hs=0, negative=0
    ns_exponent: float = 0.75   # the noise distribution is unigram counts ** ns_exponent
    vector_size: int = 100      # dimensionality of the word vectors
    window: int = 5             # maximum distance between centre and context; each centre draws a shrunk window in 1..window
    min_count: int = 5          # words with fewer occurrences are dropped before training
    sample: float = 1e-3        # frequent-word subsampling threshold (word2vec.c / gensim keep-probability formula); 0 = off
    alpha: float = 0.025        # initial learning rate
    min_alpha: float = 0.0001   # learning rate at the end; it decays linearly over all epochs' words
    alpha_decay: str = "linear"  # ours only. 'linear': by the raw words of all threads (word2vec.c; gensim with a
                                #   sentence iterable, as the lecture ran it). 'corpus_file': as gensim's corpus_file mode
                                #   does it: each of the `workers` threads counts its own words against the whole
                                #   corpus, so alpha falls 1/workers of the way within an epoch and jumps down at the
                                #   next (a sawtooth), which scores differently from linear decay (README, word2vec)
    epochs: int = 5             # passes over the corpus
    seed: int = 1               # random seed (initial vectors, windows, subsampling, noise words)
    workers: int = 2            # gensim worker threads; ours: as many Hogwild threads of the native CPU kernel, or torch
                                #   threads on the torch path (not gensim's 3: 2 cores here)
    cbow_mean: int = 1          # CBOW input = mean (1) or sum (0) of the context vectors
    batch_words: int = 1024     # ours, torch path only (the native CPU kernel is sequential SGD): centre tokens per batched SGD step; larger is faster but its summed
                                #   updates drift further from word2vec's one-pair-at-a-time SGD (gensim's job size is 10,000 words)

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> "Word2VecParams":
        names = {f.name for f in fields(cls)}
        unknown = set(m) - names
        if unknown:
            raise Word2VecInputError(f"unknown word2vec parameter(s): {', '.join(sorted(unknown))}")
        return cls(**dict(m))

    @classmethod
    def for_combination(cls, arch: str, loss: str, **kw: Any) -> "Word2VecParams":
        """arch in {cbow, skipgram}, loss in {hs, ns, softmax}: hs means hs=1, negative=0 (pure HS);
        softmax means softmax=1, hs=0, negative=0."""
        if arch not in ARCHS or loss not in LOSSES:
            raise Word2VecInputError(f"arch must be one of {ARCHS} and loss one of {LOSSES}, got {arch!r}, {loss!r}")
        negative = kw.pop("negative", 5)
        kw.pop("softmax", None)
        return cls(sg=int(arch == "skipgram"), hs=int(loss == "hs"), softmax=int(loss == "softmax"),
                   negative=negative if loss == "ns" else 0, **kw)

    def validate(self) -> None:
        if self.vector_size < 1 or self.window < 1 or self.epochs < 1 or self.min_count < 1:
            raise Word2VecInputError("vector_size, window, epochs and min_count must be >= 1")
        if self.softmax and (self.hs or self.negative):
            raise Word2VecInputError("softmax=1 is the whole output layer: set hs=0 and negative=0 with it")
        if not self.hs and self.negative <= 0 and not self.softmax:
            raise Word2VecInputError("nothing to train: set hs=1, negative > 0 or softmax=1")
        if self.alpha <= 0 or self.min_alpha < 0 or self.min_alpha > self.alpha:
            raise Word2VecInputError("need 0 <= min_alpha <= alpha and alpha > 0")
        if self.sample < 0:
            raise Word2VecInputError(f"sample must be >= 0 (0 = no subsampling), got {self.sample}")
        if self.alpha_decay not in ALPHA_DECAYS:
            raise Word2VecInputError(f"alpha_decay must be one of {ALPHA_DECAYS}, got {self.alpha_decay!r}")

    @property
    def arch(self) -> str:
        return "skipgram" if self.sg else "cbow"

    @property
    def loss(self) -> str:
        return "softmax" if self.softmax else "hs" if self.hs else "ns"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def progress_divisor(self) -> int:
        """How much slower than the words processed alpha's schedule advances within an epoch:
        1 for 'linear', ``workers`` for 'corpus_file'."""
        return max(1, self.workers) if self.alpha_decay == "corpus_file" else 1


@dataclass
class TrainResult:
    words: list[str]
    vectors: np.ndarray
    vocab: Vocab
    train_seconds: float           # wall time of the training loop only
    vocab_seconds: float           # reading ids, vocabulary, Huffman tree, tables
    raw_words: int                 # corpus tokens × epochs (what words/s counts, gensim's raw words)
    effective_words: int           # tokens actually trained on after min_count and subsampling
    history: list[dict] = field(default_factory=list)
    path: str = "torch"            # which code trained: native / torch (/ gensim for the reference)
    path_detail: str = ""          # compiler and flags, or why the native path was not used
    kernel: dict | None = None     # kernel 'auto': the measured choice (both timings)

    @property
    def words_per_second(self) -> float:
        return self.raw_words / self.train_seconds if self.train_seconds > 0 else float("nan")


def check_corpus(n_tokens: int, window: int) -> None:
    if n_tokens == 0:
        raise Word2VecInputError("corpus is empty: no tokens to train on")
    if n_tokens <= window:
        raise Word2VecInputError(
            f"corpus has {n_tokens} tokens, not more than the window ({window}): no centre word "
            f"has a full context; use a longer corpus or a smaller window")

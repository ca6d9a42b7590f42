"""Vocabulary with ``min_count`` and the frequent-word subsampling keep-probabilities."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .params import Word2VecInputError


@dataclass
class Vocab:
    words: list[str]            # sorted by descending count (ties: first occurrence), as gensim
    counts: np.ndarray          # int64, aligned with words
    index: dict[str, int]
    raw_tokens: int             # tokens in the corpus, including the ones below min_count

    def __len__(self) -> int:
        return len(self.words)


def build_vocab(sentences: Iterable[list[str]], min_count: int = 5) -> Vocab:
    counter: Counter[str] = Counter()
    raw = 0
    for s in sentences:
        counter.update(s)
        raw += len(s)
    if raw == 0:
        raise Word2VecInputError("corpus is empty: no tokens to build a vocabulary from")
    kept = [(w, c) for w, c in counter.items() if c >= min_count]
    kept.sort(key=lambda wc: -wc[1])  # stable: ties keep first-occurrence order
    if not kept:
        raise Word2VecInputError(
            f"no word occurs at least min_count={min_count} times in a corpus of {raw} tokens "
            f"({len(counter)} distinct words): the vocabulary is empty")
    words = [w for w, _ in kept]
    return Vocab(words=words, counts=np.array([c for _, c in kept], dtype=np.int64),
                 index={w: i for i, w in enumerate(words)}, raw_tokens=raw)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """P(keep) per word, word2vec.c / gensim: with t = sample * (retained tokens),
    p = (sqrt(c / t) + 1) * t / c, capped at 1. ``sample`` = 0 keeps everything;
    ``sample`` >= 1 is gensim's shorthand t = int(sample * (3 + sqrt 5) / 2)."""
    counts = np.asarray(counts, dtype=np.float64)
    if not sample:
        return np.ones_like(counts)
    t = sample * counts.sum() if sample < 1.0 else float(int(sample * (3 + np.sqrt(5)) / 2))
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * (t / counts))

"""The CPU path of our word2vec: a small C kernel (``word2vec.c`` beside this file: word2vec.c's
sequential SGD, Hogwild across threads like gensim), compiled at first use with the system C
compiler and called via ctypes.

Why: the batched torch path sums a batch's updates computed from the same weights, which (a) is
0.1-0.3x gensim's speed on a 2-core CPU (every batch materialises (pairs, k, D) temporaries)
and (b) breaks skip-gram + hierarchical softmax, whose top Huffman nodes take one huge summed
step. On CPU this kernel replaces it; on GPUs the batched torch path stays.

Built at first use by :mod:`rnnbench.cbuild` (cached per source, compiler and CPU). If it
cannot build, :func:`load` returns the reason and the trainer falls back to the torch path,
logging it.
"""
from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

from .. import cbuild

SOURCE = Path(__file__).with_name("word2vec.c")
# Hierarchical softmax with more than one thread: each thread trains its own copy of this many of
# the most visited inner nodes (the root and the rows below it), synced after each sentence,
# instead of all threads writing the same rows at every pair (word2vec.c's header comment).
HOT_ROWS = 256


@functools.lru_cache(maxsize=None)
def _source() -> tuple[str | None, str]:
    try:
        return SOURCE.read_text(), ""
    except OSError as e:   # e.g. an install that left out the package data
        return None, f"the word2vec kernel's source is missing ({e})"

def _declare(lib: ctypes.CDLL) -> None:
    f = lib.w2v_train_epoch
    P = ctypes.c_void_p
    i64, i32, f32 = ctypes.c_int64, ctypes.c_int32, ctypes.c_float
    f.argtypes = [P, P, P, i64, i64, P, P, P, i64, P, P, P, P, i32, P, P,
                  i32, i32, i32, i32, i32, f32, f32, i64, i64, i32, i32, P, P]
    f.restype = ctypes.c_int


def load() -> tuple[ctypes.CDLL | None, str]:
    """(library, description) or (None, reason it is unavailable). Built once per process."""
    source, why = _source()
    if source is None:
        return None, why
    # fused multiply-add in the dot / update loops (-std=c99 turns contraction off; the dot products
    # and axpy updates are the kernel's hot loops: bench/word2vec_vs_gensim.py measures the effect)
    return cbuild.load("w2v", source, _declare, ["-ffp-contract=fast"])


def _ptr(a: np.ndarray | None) -> int | None:
    return None if a is None else a.ctypes.data


class NativeEpochs:
    """Holds the C-contiguous arrays one training shares across epochs."""

    def __init__(self, lib, syn0: np.ndarray, syn1: np.ndarray | None, syn1neg: np.ndarray | None,
                 ids: np.ndarray, sent_off: np.ndarray, sent_raw: np.ndarray, keep_prob: np.ndarray,
                 tree=None, sampler=None):
        for m in (syn0, syn1, syn1neg):
            assert m is None or (m.dtype == np.float32 and m.flags.c_contiguous and m.flags.writeable)
        self.lib = lib
        self.syn0, self.syn1, self.syn1neg = syn0, syn1, syn1neg
        self.ids = np.ascontiguousarray(ids, dtype=np.int32)
        self.sent_off = np.ascontiguousarray(sent_off, dtype=np.int64)
        self.sent_raw = np.ascontiguousarray(sent_raw, dtype=np.int64)
        self.keep_prob = np.ascontiguousarray(keep_prob, dtype=np.float32)
        if tree is not None:
            self.codes = np.ascontiguousarray(tree.codes, dtype=np.uint8)
            self.points = np.ascontiguousarray(tree.points, dtype=np.int32)
            self.lengths = np.ascontiguousarray(tree.lengths, dtype=np.int32)
            self.depth = int(tree.max_depth)
        else:
            self.codes = self.points = self.lengths = None
            self.depth = 0
        if sampler is not None:
            self.alias_prob = np.ascontiguousarray(sampler.prob.cpu().numpy(), dtype=np.float32)
            self.alias_idx = np.ascontiguousarray(sampler.alias.cpu().numpy(), dtype=np.int32)
        else:
            self.alias_prob = self.alias_idx = None

    def epoch(self, *, sg: int, hs: int, negative: int, window: int, cbow_mean: int, alpha: float,
              min_alpha: float, done_before: int, total: int, threads: int, seeds: list[int],
              hot_rows: int | None = None) -> dict:
        seeds_a = np.ascontiguousarray(np.array(seeds, dtype=np.uint64)[:threads])
        out = np.zeros(3, dtype=np.float64)
        V, D = self.syn0.shape
        rc = self.lib.w2v_train_epoch(
            _ptr(self.syn0), _ptr(self.syn1), _ptr(self.syn1neg), V, D,
            _ptr(self.ids), _ptr(self.sent_off), _ptr(self.sent_raw), len(self.sent_off) - 1,
            _ptr(self.keep_prob), _ptr(self.codes), _ptr(self.points), _ptr(self.lengths), self.depth,
            _ptr(self.alias_prob), _ptr(self.alias_idx), int(sg), int(hs), int(negative), int(window),
            int(cbow_mean), float(alpha), float(min_alpha), int(done_before), int(total), int(threads),
            int(HOT_ROWS if hot_rows is None else hot_rows), _ptr(seeds_a), _ptr(out))
        return {"effective_words": int(out[0]), "pairs": int(out[1]), "alpha_end": float(out[2]),
                "threads_ok": rc == 0}

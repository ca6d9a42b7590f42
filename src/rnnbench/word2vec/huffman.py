"""Huffman tree over the word counts, for hierarchical softmax (word2vec.c's CreateBinaryTree).

Each word's path from the root: ``points`` are inner-node rows of the output matrix (0..V-2),
``codes`` the branch bits. They are padded into (V, max_depth) tensors so a batch of targets
gathers all its paths in one indexing operation.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


@dataclass
class HuffmanTree:
    codes: np.ndarray    # (V, max_depth) uint8, padded with 0
    points: np.ndarray   # (V, max_depth) int64, padded with 0
    lengths: np.ndarray  # (V,) int64: path length of each word

    @property
    def max_depth(self) -> int:
        return self.codes.shape[1]

    def code(self, i: int) -> str:
        return "".join(str(b) for b in self.codes[i, : self.lengths[i]])


def build_huffman(counts: np.ndarray) -> HuffmanTree:
    counts = np.asarray(counts, dtype=np.int64)
    v = len(counts)
    if v == 0:
        raise ValueError("cannot build a Huffman tree over an empty vocabulary")
    if v == 1:  # a lone word: one inner node, one bit (word2vec.c would loop forever)
        return HuffmanTree(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int64), np.ones(1, np.int64))
    # heap of (count, tie-breaker, node); leaves 0..v-1, inner nodes v..2v-2
    heap = [(int(c), i, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * v - 1, dtype=np.int64)
    bit = np.zeros(2 * v - 1, dtype=np.uint8)
    nxt = v
    while len(heap) > 1:
        c1, _, n1 = heapq.heappop(heap)
        c2, _, n2 = heapq.heappop(heap)
        parent[n1], parent[n2] = nxt, nxt
        bit[n2] = 1  # the larger of the two gets bit 1, as in word2vec.c
        heapq.heappush(heap, (c1 + c2, nxt, nxt))
        nxt += 1
    root = 2 * v - 2
    paths_codes, paths_points = [], []
    for w in range(v):
        cs, ps = [], []
        node = w
        while node != root:
            cs.append(bit[node])
            node = parent[node]
            ps.append(node - v)  # inner node -> output row
        paths_codes.append(cs[::-1])
        paths_points.append(ps[::-1])
    lengths = np.array([len(c) for c in paths_codes], dtype=np.int64)
    depth = int(lengths.max())
    codes = np.zeros((v, depth), np.uint8)
    points = np.zeros((v, depth), np.int64)
    for w in range(v):
        codes[w, : lengths[w]] = paths_codes[w]
        points[w, : lengths[w]] = paths_points[w]
    return HuffmanTree(codes, points, lengths)

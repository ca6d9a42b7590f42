"""Random draws of the training: frequent-word subsampling, dynamic windows and noise words.

All of it is vectorised torch on the training device with one seeded ``torch.Generator``, so a
CPU run is bit-for-bit repeatable and no per-word Python loop exists.
"""
from __future__ import annotations

import numpy as np
import torch


class NegativeSampler:
    """Draws noise words from unigram counts ** exponent (word2vec.c / gensim: 0.75), exactly,
    in O(1) per draw with Walker's alias method (Vose's construction): one uniform integer picks a
    column, one uniform real picks the word or its alias. (word2vec.c approximates the same
    distribution with a 10^8-entry table, gensim with a bisected cumulative table.)"""

    def __init__(self, counts: np.ndarray, exponent: float = 0.75, device="cpu"):
        p = np.asarray(counts, dtype=np.float64) ** exponent
        self.probs = p / p.sum()
        prob, alias = _alias_table(self.probs)
        self.prob = torch.as_tensor(prob, dtype=torch.float32, device=device)
        self.alias = torch.as_tensor(alias, dtype=torch.int64, device=device)

    def sample(self, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
        dev = self.prob.device
        col = torch.randint(0, len(self.prob), shape, device=dev, generator=generator)
        u = torch.rand(shape, device=dev, generator=generator)
        return torch.where(u < self.prob[col], col, self.alias[col])


def _alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(p)
    scaled = p * n
    prob = np.ones(n)
    alias = np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias  # leftovers (rounding) keep prob 1: they are their own column


def subsample(ids: torch.Tensor, keep_prob: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Boolean mask of the tokens kept this epoch (one uniform draw per token)."""
    u = torch.rand(ids.shape, device=ids.device, generator=generator, dtype=torch.float32)
    return u < keep_prob[ids]


def window_offsets(window: int, device) -> torch.Tensor:
    """The 2*window relative positions -w..-1, 1..w."""
    d = torch.arange(1, window + 1, device=device)
    return torch.cat([-d.flip(0), d])


def context_matrix(tokens: torch.Tensor, sent: torch.Tensor, start: int, stop: int, window: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Context positions of the centres ``start..stop-1`` of a token stream.

    Each centre draws b uniform in 0..window-1 and uses the shrunk window ``window - b``
    (word2vec.c's ``b = next_random % window``); contexts must lie in the same sentence.
    Returns (ctx, valid): (n, 2*window) absolute positions (clamped where invalid) and a mask.
    """
    n = stop - start
    dev = tokens.device
    eff = window - torch.randint(0, window, (n,), device=dev, generator=generator)
    offs = window_offsets(window, dev)
    centre = torch.arange(start, stop, device=dev)
    pos = centre[:, None] + offs[None, :]
    valid = (offs.abs()[None, :] <= eff[:, None]) & (pos >= 0) & (pos < len(tokens))
    pos = pos.clamp_(0, len(tokens) - 1)
    valid &= sent[pos] == sent[centre][:, None]
    return pos, valid

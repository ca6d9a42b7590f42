"""Random draws of the training: frequent-word subsampling, dynamic windows and noise words.

All of it is vectorised torch on the training device with one seeded ``torch.Generator``, so a
CPU run is bit-for-bit repeatable and no per-word Python loop exists.
"""
from __future__ import annotations

import numpy as np
import torch


class NegativeSampler:
    """Draws noise words from unigram counts ** exponent (word2vec.c / gensim: 0.75), exactly:
    inverse-CDF search of a uniform draw in the cumulative table (gensim's ``cum_table``)."""

    def __init__(self, counts: np.ndarray, exponent: float = 0.75, device="cpu"):
        p = np.asarray(counts, dtype=np.float64) ** exponent
        self.probs = p / p.sum()
        cum = np.cumsum(self.probs)
        cum[-1] = 1.0
        self.cum = torch.as_tensor(cum, dtype=torch.float64, device=device)

    def sample(self, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
        u = torch.rand(shape, dtype=torch.float64, device=self.cum.device, generator=generator)
        return torch.searchsorted(self.cum, u, right=True).clamp_(max=len(self.cum) - 1)


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

"""The tasks' losses: one definition for the loop, its evaluation and the gradient diagnostics."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .tracker import step_mask


def task_loss(kind: str, logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None):
    """Mean loss of a batch: cross-entropy, MSE, or NLL per time step (multilabel).

    Multilabel (polyphonic music): each of the 88 keys is an independent Bernoulli; the negative
    log-likelihood of a step is the sum over keys, averaged over (valid) time steps — the
    per-time-step NLL of Boulanger-Lewandowski et al. 2012 and Chung et al. 2014.
    """
    if kind == "classification":
        return F.cross_entropy(logits, y)
    if kind == "regression":
        return F.mse_loss(logits, y)
    if kind == "multilabel":
        nll = F.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(-1)  # (B, T)
        mask = step_mask(lengths, nll.shape[1])
        if mask is None:
            return nll.mean()
        return (nll * mask).sum() / mask.sum()
    raise ValueError(f"unknown task kind {kind!r}")


def summed_losses(kind: str, logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None):
    """Per member (dim 0 of S stacked members' logits (S, B, ...)): (summed loss, its weight), each (S,).
    The mean loss of member s is ``sum[s] / weight[s]``: :func:`task_loss` of its own batch."""
    s = logits.shape[0]
    if kind == "classification":
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
        return ce.view(s, -1).sum(1), torch.full((s,), float(y.shape[1]), device=logits.device)
    if kind == "regression":
        se = (logits - y).pow(2).reshape(s, y.shape[1], -1).mean(-1)       # mse of each sequence
        return se.sum(1), torch.full((s,), float(y.shape[1]), device=logits.device)
    if kind == "multilabel":
        nll = F.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(-1)   # (S, B, T)
        if lengths is None:
            return nll.sum((1, 2)), torch.full((s,), float(nll.shape[1] * nll.shape[2]), device=logits.device)
        mask = step_mask(lengths.reshape(-1), nll.shape[2]).view_as(nll)
        return (nll * mask).sum((1, 2)), mask.sum((1, 2))
    raise ValueError(f"unknown task kind {kind!r}")


def member_losses(kind: str, logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None):
    """:func:`task_loss` of each member's batch, (S,)."""
    total, weight = summed_losses(kind, logits, y, lengths)
    return total / weight

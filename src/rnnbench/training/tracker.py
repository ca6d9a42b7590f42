"""What the torch loop (:func:`rnnbench.training.loop.fit`) and the Keras trainer
(:func:`rnnbench.training.keras_fit.fit_keras`) share, so both record a run the same way: the
best-epoch and divergence bookkeeping, the final/best test evaluation, the per-step mask of padded
sequences and the throughput figures of the run record.
"""
from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any, Callable

import numpy as np


def step_mask(lengths, steps: int):
    """1.0 at the steps t < length of each sequence and 0.0 after (padding); None when the
    sequences are all full length. A torch tensor gives a float tensor on its device, anything
    else a float64 numpy array."""
    if lengths is None:
        return None
    if type(lengths).__module__.startswith("torch"):
        import torch

        return (torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]).float()
    return (np.arange(steps)[None, :] < np.asarray(lengths)[:, None]).astype(np.float64)


class Tracker:
    """The best validation epoch so far and whether the run diverged.

    ``best`` is the record's ``best`` entry: ``{"epoch", "val_<metric>", "val_loss"}`` (the test
    figures of the best weights are added by :func:`final_and_best`). Higher is better for
    accuracy, lower for mse and nll.
    """

    def __init__(self, metric: str, best: dict[str, Any] | None = None):
        self.metric = metric
        self.higher_better = metric == "accuracy"
        self.best: dict[str, Any] = dict(best or {})
        self.status, self.diverged_epoch, self.cause = "ok", None, None

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    def diverge(self, epoch: int, cause: str) -> None:
        """A non-finite loss or gradient: the run stops and is recorded as diverged (a result)."""
        self.status, self.diverged_epoch, self.cause = "diverged", epoch, cause

    def update(self, epoch: int, val: dict[str, float]) -> bool:
        """Record an epoch's validation figures; True when it is the best so far."""
        key = f"val_{self.metric}"
        v = val[self.metric]
        if self.best and not (v > self.best[key] if self.higher_better else v < self.best[key]):
            return False
        self.best = {"epoch": epoch, key: v, "val_loss": val["loss"]}
        return True

    def stale(self, epoch: int, patience: int | None) -> bool:
        """Early stopping: no validation improvement for ``patience`` epochs (None = never)."""
        return bool(patience) and bool(self.best) and epoch - self.best["epoch"] >= int(patience)


def final_and_best(tracker: Tracker, history: list[dict[str, Any]], test: Callable[[], dict[str, float]],
                   best_weights: Callable[[], AbstractContextManager] | None,
                   more_final: Callable[[], dict[str, float]] | None = None) -> tuple[dict, dict]:
    """The record's ``final`` and ``best`` entries.

    final: the test metric and loss of the final weights (none when the run diverged), then
    ``more_final()`` (the torch loop's eval-mode training accuracy), then the last epoch's ``val_*``
    and ``train_*`` figures. best: the tracker's best epoch with the test metric and loss of its
    weights, evaluated inside ``best_weights()`` (a context that swaps them in and back out; None
    when no epoch finished).
    """
    m = tracker.metric
    final: dict[str, float] = {}
    if not tracker.diverged:
        r = test()
        final = {f"test_{m}": r[m], "test_loss": r["loss"]}
        if more_final is not None:
            final.update(more_final())
        if history:
            final.update({k: v for k, v in history[-1].items() if k.startswith(("val_", "train_"))})
    best = dict(tracker.best)
    if best_weights is not None:
        with best_weights():
            r = test()
        best.update({f"test_{m}": r[m], "test_loss": r["loss"]})
    return final, best


def throughput(history: list[dict[str, Any]], n_train: int, seconds: float) -> dict[str, Any]:
    """Epochs run and training sequences per second over the epochs that trained (finite loss)."""
    trained = sum(1 for r in history if math.isfinite(r.get("train_loss", float("nan"))))
    return {"epochs_run": len(history), "train_sequences_per_second": trained * n_train / seconds if seconds else None}

"""The contract between tasks, trainers (torch loop, Keras reference) and run records."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Kind = Literal["classification", "regression", "multilabel"]


@dataclass
class TaskData:
    """A prepared task, whole in memory (and later whole on the device).

    ``x_*``: float32 (N, T, F) sequences, or int64 (N, T) token ids when ``vocab_size`` is set.
    ``y_*``: int64 (N,) class ids for classification; float32 (N, out) for regression;
    float32 (N, T, out) 0/1 targets for ``multilabel`` (music piano rolls, many-to-many).
    ``lengths_*``: int64 (N,) true lengths of padded sequences (None = all full length);
    for ``multilabel`` the loss and NLL only count steps < length.
    """

    name: str
    kind: Kind
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_outputs: int
    lengths_train: np.ndarray | None = None
    lengths_val: np.ndarray | None = None
    lengths_test: np.ndarray | None = None
    vocab_size: int | None = None
    source: str = ""                  # which dataset/source it came from, e.g. "hapt (HAR-equivalent)"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> int:
        return int(self.vocab_size) if self.vocab_size else int(self.x_train.shape[-1])

    @property
    def metric(self) -> str:
        return {"classification": "accuracy", "regression": "mse", "multilabel": "nll"}[self.kind]


@dataclass
class RunResult:
    """What a trainer returns; :func:`rnnbench.train.run` turns it into a run record."""

    history: list[dict[str, Any]]              # one row per epoch
    status: Literal["ok", "diverged"] = "ok"
    diverged_epoch: int | None = None
    cause: str | None = None                   # e.g. "loss is nan at epoch 7, batch 3"
    final: dict[str, float] = field(default_factory=dict)   # test/val metrics of the final weights
    best: dict[str, float] = field(default_factory=dict)    # best validation epoch and its metrics
    params: dict[str, int] = field(default_factory=dict)    # trainable counts, per layer and total
    path: str = ""                              # which kernel path ran ("cudnn", "stepwise", "keras")
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

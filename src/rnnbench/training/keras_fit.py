"""Keras reference training for ``backend: keras`` runs: the lecture's own toolchain.

``fit_keras`` compiles the Keras model of :func:`rnnbench.models.keras_models.build_keras_model`
with the task's loss from logits and trains it with ``model.fit``. History rows carry the same
keys and the same definitions as the torch loop (``rnnbench.training.loop.fit``): ``train_loss``
is the data loss without the L2 term (Keras' ``loss`` with L2 goes to ``train_loss_with_l2``),
validation/test metrics are computed from the logits in numpy exactly as ``loop.evaluate`` does.
A NaN/Inf loss stops training and returns status 'diverged' -- it never raises.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Any, Callable

import numpy as np

from ..runspec import RunSpec
from .tracker import Tracker, final_and_best, step_mask, throughput
from .types import RunResult, TaskData

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def evaluate_logits(kind: str, logits: np.ndarray, y: np.ndarray,
                    lengths: np.ndarray | None = None) -> dict[str, float]:
    """Loss and metric from logits, as the torch loop's ``evaluate``: mean cross-entropy and
    accuracy; mse; NLL per step (binary cross-entropy summed over outputs, averaged over the
    steps < length)."""
    z = logits.astype(np.float64)
    if kind == "classification":
        m = z.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
        loss = float(np.mean(lse - z[np.arange(len(y)), y]))
        return {"loss": loss, "accuracy": float(np.mean(z.argmax(-1) == y))}
    if kind == "regression":
        loss = float(np.mean((z - y) ** 2))
        return {"loss": loss, "mse": loss}
    if kind == "multilabel":
        bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))     # stable BCE with logits
        nll = bce.sum(-1)
        mask = step_mask(lengths, nll.shape[1])
        mask = np.ones_like(nll) if mask is None else mask
        loss = float((nll * mask).sum() / max(mask.sum(), 1.0))
        return {"loss": loss, "nll": loss}
    raise ValueError(f"unknown task kind {kind!r}")


def _optimizer(keras, cfg: RunSpec):
    kw: dict[str, Any] = {"learning_rate": float(cfg.lr)}
    for k, v in (("clipvalue", cfg.clipvalue), ("clipnorm", cfg.clipnorm),
                 ("global_clipnorm", cfg.global_clipnorm)):   # Keras' own semantics
        if v is not None:
            kw[k] = float(v)
    name = cfg.optimizer
    if name == "adam":
        return keras.optimizers.Adam(**kw)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(**kw)
    if name == "sgd":
        return keras.optimizers.SGD(**kw)
    raise ValueError(f"unknown optimizer {name!r} (adam, rmsprop, sgd)")


def _losses(keras, kind: str):
    """(training loss, data-loss metric) from logits for the task kind."""
    if kind == "classification":
        return (keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="data_loss"))
    if kind == "regression":
        return keras.losses.MeanSquaredError(), keras.metrics.MeanSquaredError(name="data_loss")
    if kind == "multilabel":
        ops = keras.ops

        def nll_per_step(y_true, y_pred):
            # NLL of a step = binary cross-entropy summed over the outputs (notes), Chung et al. 2014
            bce = ops.maximum(y_pred, 0.0) - y_pred * y_true + ops.log1p(ops.exp(-ops.abs(y_pred)))
            return ops.sum(bce, axis=-1)

        return nll_per_step, keras.metrics.MeanMetricWrapper(nll_per_step, name="data_loss")
    raise ValueError(f"unknown task kind {kind!r}")


def fit_keras(spec, data: TaskData, cfg: dict[str, Any], log: Callable[[str], None] = print) -> RunResult:
    """Train the Keras model of ``spec`` on ``data``.

    ``cfg``: the run's training settings (:meth:`rnnbench.runspec.RunSpec.train_config`; a key it
    leaves out reads RunSpec's default): epochs, batch_size, lr, l2 (``kernel_regularizer=l2``),
    clipvalue, clipnorm, global_clipnorm (None or float, Keras optimizer arguments), optimizer
    ('adam'|'rmsprop'|'sgd', Keras defaults otherwise), seed (``keras.utils.set_random_seed``),
    patience (early stopping on the validation metric; None = off).
    """
    import keras

    from ..models.keras_models import build_keras_model, keras_param_counts

    cfg = RunSpec.from_dict(cfg)     # the settings it reads, at RunSpec's defaults where cfg leaves them out
    seed = int(cfg.seed)
    keras.utils.set_random_seed(seed)
    kind, metric = data.kind, data.metric
    masking = data.lengths_train is not None
    steps = int(data.x_train.shape[1])
    l2 = float(cfg.l2)
    model = build_keras_model(spec, l2=l2, masking=masking, steps=steps)
    loss_fn, data_loss = _losses(keras, kind)
    metrics = [data_loss]
    if kind == "classification":
        metrics.append(keras.metrics.SparseCategoricalAccuracy(name="acc"))
    model.compile(optimizer=_optimizer(keras, cfg), loss=loss_fn, metrics=metrics)

    epochs, bs = int(cfg.epochs), int(cfg.batch_size)
    patience = cfg.patience

    def predict(x) -> np.ndarray:
        return np.asarray(model.predict(x, batch_size=max(bs, 256), verbose=0))

    tracker = Tracker(metric)
    best_w: list = []          # the best validation epoch's weights (Keras get_weights), once there is one
    history: list[dict[str, Any]] = []

    class Recorder(keras.callbacks.Callback):
        """Per-epoch rows like the torch loop; stops on a non-finite loss (TerminateOnNaN's test)."""

        def on_epoch_begin(self, epoch, logs=None):
            self.e0 = time.perf_counter()
            self.epoch1 = epoch + 1                    # 1-based, as the torch loop counts

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                tracker.diverge(self.epoch1, f"loss is {float(loss)} at epoch {self.epoch1}, batch {batch}")
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            e = epoch + 1
            if tracker.diverged:
                history.append({"epoch": e, "train_loss": float("nan"), "seconds": time.perf_counter() - self.e0})
                log(f"epoch {e}: diverged ({tracker.cause})")
                return
            val = evaluate_logits(kind, predict(data.x_val), data.y_val, data.lengths_val)
            row = {"epoch": e, "train_loss": float(logs.get("data_loss", float("nan")))}
            if kind == "classification":
                row["train_accuracy"] = float(logs.get("acc", float("nan")))
            row.update({"val_loss": val["loss"], f"val_{metric}": val[metric],
                        "train_loss_with_l2": float(logs.get("loss", float("nan"))),
                        "seconds": time.perf_counter() - self.e0})
            history.append(row)
            log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
            if tracker.update(e, val):
                best_w[:] = [self.model.get_weights()]
            if tracker.stale(e, patience):
                log(f"early stopping: no validation improvement for {patience} epochs")
                self.model.stop_training = True

    rec = Recorder()
    # Masked steps (lengths) are excluded from the loss by Keras' own mask propagation.
    t0 = time.perf_counter()
    model.fit(data.x_train, data.y_train, batch_size=bs, epochs=epochs, shuffle=True, verbose=0,
              callbacks=[rec])
    seconds = time.perf_counter() - t0

    def test() -> dict[str, float]:
        return evaluate_logits(kind, predict(data.x_test), data.y_test, data.lengths_test)

    @contextlib.contextmanager
    def best_weights():
        current = model.get_weights()
        model.set_weights(best_w[0])
        try:
            yield
        finally:
            model.set_weights(current)

    final, best = final_and_best(tracker, history, test, best_weights if best_w else None)
    return RunResult(
        history=history, status=tracker.status, diverged_epoch=tracker.diverged_epoch, cause=tracker.cause,
        final=final, best=best, params=keras_param_counts(spec, l2=l2), path="keras", seconds=seconds,
        extra={**throughput(history, int(data.x_train.shape[0]), seconds),
               "keras_version": keras.__version__, "keras_backend": keras.backend.backend()},
    )

"""The one training loop: every cell, every task, every variant.

Keras semantics where the lecture uses Keras:
- ``l2``: ``kernel_regularizer=l2(λ)`` adds λ·Σw² of each *input* kernel and the Dense kernel to
  the loss (a loss term, not Adam's decoupled weight decay); ``model.kernel_parameters()`` says
  which tensors those are.
- ``clipvalue``: every gradient element clipped to [-v, v] (``clip_grad_value_``);
  ``clipnorm``: each gradient tensor rescaled to norm ≤ c on its own (Keras' per-variable clipnorm);
  ``global_clipnorm``: the whole gradient rescaled to total norm ≤ c (Chung et al. 2014's clipping).
- the gradient norm *before* clipping is recorded every epoch (mean and max over batches): the
  lecture's exploding gradients, measured.

A NaN/Inf loss stops training and returns status ``diverged`` with the epoch and cause: an
expected outcome without clipping, recorded like any other result.
"""
from __future__ import annotations

import contextlib
import copy
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from .._malloc import keep_heap
from ..atomic import atomic_path
from .tracker import Tracker, final_and_best, step_mask, throughput
from .types import RunResult, TaskData

EVAL_CHUNK = 4096


def _to_device(data: TaskData, device) -> dict[str, torch.Tensor | None]:
    """The whole dataset goes to the device once: no per-batch host copies."""
    out: dict[str, torch.Tensor | None] = {}
    for split in ("train", "val", "test"):
        x = getattr(data, f"x_{split}")
        y = getattr(data, f"y_{split}")
        lengths = getattr(data, f"lengths_{split}")
        out[f"x_{split}"] = torch.as_tensor(x, device=device)
        out[f"y_{split}"] = torch.as_tensor(y, device=device)
        out[f"l_{split}"] = None if lengths is None else torch.as_tensor(lengths, device=device)
    return out


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


@torch.no_grad()
def evaluate(model, kind: str, x: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None,
             chunk: int = EVAL_CHUNK) -> dict[str, float]:
    """Loss and the task's metric (accuracy / mse / nll) on a whole split, in chunks."""
    model.eval()
    total_loss, correct, weight = 0.0, 0.0, 0.0
    for i in range(0, x.shape[0], chunk):
        xb, yb = x[i:i + chunk], y[i:i + chunk]
        lb = None if lengths is None else lengths[i:i + chunk]
        logits = model(xb, lb) if lb is not None else model(xb)
        if kind == "multilabel":
            nll = F.binary_cross_entropy_with_logits(logits, yb, reduction="none").sum(-1)
            mask = step_mask(lb, nll.shape[1])
            mask = torch.ones_like(nll) if mask is None else mask
            total_loss += float((nll * mask).sum())
            weight += float(mask.sum())
        else:
            n = xb.shape[0]
            total_loss += float(task_loss(kind, logits, yb)) * n
            weight += n
            if kind == "classification":
                correct += float((logits.argmax(-1) == yb).sum())
    loss = total_loss / max(weight, 1.0)
    out = {"loss": loss}
    if kind == "classification":
        out["accuracy"] = correct / max(weight, 1.0)
    elif kind == "regression":
        out["mse"] = loss
    else:
        out["nll"] = loss
    return out


def l2_penalty(model, l2: float) -> torch.Tensor | float:
    if not l2:
        return 0.0
    return l2 * sum((p * p).sum() for p in model.kernel_parameters())


def _grad_norm(params) -> float:
    norms = [p.grad.detach().norm(2) for p in params if p.grad is not None]
    if not norms:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack(norms), 2))


def make_optimizer(name: str, params, lr: float):
    if name == "adam":
        # Keras' Adam default epsilon is 1e-7 (PyTorch's 1e-8): keep the lecture's optimiser
        return torch.optim.Adam(params, lr=lr, eps=1e-7)
    if name == "rmsprop":
        # Keras RMSprop: rho 0.9, epsilon 1e-7 (PyTorch calls rho "alpha", default 0.99)
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r} (adam, rmsprop, sgd)")


def _clip(params, cfg: dict[str, Any]) -> None:
    if cfg.get("clipvalue") is not None:
        torch.nn.utils.clip_grad_value_(params, float(cfg["clipvalue"]))
    if cfg.get("clipnorm") is not None:
        for p in params:  # Keras clipnorm: each variable's gradient on its own
            if p.grad is not None:
                torch.nn.utils.clip_grad_norm_([p], float(cfg["clipnorm"]))
    if cfg.get("global_clipnorm") is not None:
        torch.nn.utils.clip_grad_norm_(params, float(cfg["global_clipnorm"]))


def _detach(state):
    return [tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in state]


def _tbptt_batch(model, opt, params, kind, xb, yb, lb, k: int, cfg) -> tuple[float, float, list[float], str | None]:
    """Truncated back-propagation through time on one batch of many-to-many sequences (the
    lecture's recap): forward and backward through chunks of ``k`` steps, the state carried from
    chunk to chunk but detached, one optimiser step per chunk. Returns (summed loss × steps,
    valid steps, gradient norms, cause of divergence or None)."""
    state, loss_sum, steps, norms = None, 0.0, 0.0, []
    T = xb.shape[1]
    for s in range(0, T, k):
        lc = None if lb is None else (lb - s).clamp(min=0, max=k)
        if lc is not None and int(lc.max()) == 0:
            break  # every sequence of the batch has ended
        logits, state = model.forward_chunk(xb[:, s:s + k], state)
        state = _detach(state)
        loss = task_loss(kind, logits, yb[:, s:s + k], lc) + l2_penalty(model, float(cfg.get("l2") or 0.0))
        if not torch.isfinite(loss):
            return loss_sum, steps, norms, f"loss is {float(loss)} in the chunk at step {s}"
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norms.append(_grad_norm(params))
        _clip(params, cfg)
        opt.step()
        n_valid = float(lc.sum()) if lc is not None else float(xb.shape[0] * logits.shape[1])
        loss_sum += float(task_loss(kind, logits.detach(), yb[:, s:s + k], lc)) * n_valid
        steps += n_valid
    return loss_sum, steps, norms, None


def fit(model, data: TaskData, cfg: dict[str, Any], device, log: Callable[[str], None] = print,
        checkpoint: str | Path | None = None) -> RunResult:
    """Train ``model`` on ``data``; ``cfg`` keys: epochs, batch_size, lr, optimizer, l2,
    clipvalue, clipnorm, global_clipnorm, seed, patience, checkpoint_every, tbptt (chunk length
    of truncated BPTT for many-to-many tasks; None = full back-propagation through time).

    With ``checkpoint`` set and ``checkpoint_every`` > 0, the model, optimiser, RNG and history
    are saved every N epochs, and a run that finds the file resumes from it.
    """
    kind = data.kind
    if torch.device(device).type == "cpu":
        keep_heap()   # glibc: reuse freed batch buffers instead of faulting fresh pages in every batch
    model.to(device)
    t = _to_device(data, device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(cfg.get("optimizer", "adam"), params, float(cfg.get("lr", 1e-3)))
    epochs, bs = int(cfg["epochs"]), int(cfg["batch_size"])
    gen = torch.Generator(device="cpu").manual_seed(int(cfg.get("seed", 0)))
    metric = data.metric
    patience = cfg.get("patience")
    every = int(cfg.get("checkpoint_every") or 0)
    tbptt = int(cfg.get("tbptt") or 0)
    if tbptt and kind != "multilabel":
        raise ValueError(f"tbptt applies to many-to-many (multilabel) tasks, not {kind!r}")

    # resume: the model, optimiser, RNG, history and best epoch of the last checkpoint
    history: list[dict[str, Any]] = []
    tracker = Tracker(metric)
    best_state = None
    start_epoch = 1
    if checkpoint is not None and Path(checkpoint).exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        history, tracker.best, best_state = state["history"], state["best"], state["best_state"]
        start_epoch = state["epoch"] + 1
        log(f"resumed from {checkpoint} after epoch {state['epoch']}")

    n = t["x_train"].shape[0]
    t0 = time.perf_counter()
    for epoch in range(start_epoch, epochs + 1):
        # train: one pass over a fresh permutation, one optimiser step per batch (per chunk with tbptt)
        model.train()
        e0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen).to(device)
        loss_sum, correct, seen, gnorms = 0.0, 0.0, 0, []
        for bi, i in enumerate(range(0, n, bs)):
            idx = perm[i:i + bs]
            xb, yb = t["x_train"][idx], t["y_train"][idx]
            lb = None if t["l_train"] is None else t["l_train"][idx]
            if tbptt:
                chunk_loss, chunk_steps, chunk_norms, why = _tbptt_batch(model, opt, params, kind, xb, yb, lb,
                                                                         tbptt, cfg)
                gnorms += chunk_norms
                if why is not None or not all(math.isfinite(g) for g in chunk_norms):
                    tracker.diverge(epoch, f"{why or 'gradient norm is not finite'} at epoch {epoch}, batch {bi}")
                    break
                loss_sum += chunk_loss
                seen += chunk_steps
                continue
            logits = model(xb, lb) if lb is not None else model(xb)
            data_loss = task_loss(kind, logits, yb, lb)
            loss = data_loss + l2_penalty(model, float(cfg.get("l2") or 0.0))
            if not torch.isfinite(loss):
                tracker.diverge(epoch, f"loss is {float(loss)} at epoch {epoch}, batch {bi}")
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gn = _grad_norm(params)   # before clipping: the exploding gradients the lecture shows
            gnorms.append(gn)
            if not math.isfinite(gn):
                tracker.diverge(epoch, f"gradient norm is {gn} at epoch {epoch}, batch {bi}")
                break
            _clip(params, cfg)
            opt.step()
            loss_sum += float(data_loss.detach()) * xb.shape[0]
            seen += xb.shape[0]
            if kind == "classification":
                correct += float((logits.detach().argmax(-1) == yb).sum())
        # diverged: a last history row and stop (a result, not an error)
        if tracker.diverged:
            log(f"epoch {epoch}: diverged ({tracker.cause})")
            history.append({"epoch": epoch, "train_loss": float("nan"), "seconds": time.perf_counter() - e0,
                            "grad_norm_mean": float(np.mean(gnorms)) if gnorms else float("nan"),
                            "grad_norm_max": float(np.max(gnorms)) if gnorms else float("nan")})
            break
        # validate and record the epoch's row
        val = evaluate(model, kind, t["x_val"], t["y_val"], t["l_val"])
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / max(seen, 1),
            **({"train_accuracy": correct / max(seen, 1)} if kind == "classification" else {}),
            "val_loss": val["loss"],
            f"val_{metric}": val[metric],
            "grad_norm_mean": float(np.mean(gnorms)),
            "grad_norm_max": float(np.max(gnorms)),
            "lr": opt.param_groups[0]["lr"],
            "seconds": time.perf_counter() - e0,
        }
        history.append(row)
        log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        # keep the best validation epoch's weights
        if tracker.update(epoch, val):
            best_state = copy.deepcopy(model.state_dict())
        # checkpoint every N epochs, so a killed run resumes here
        if checkpoint is not None and every and epoch % every == 0:
            with atomic_path(checkpoint) as tmp:
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "generator": gen.get_state(),
                            "history": history, "best": tracker.best, "best_state": best_state, "epoch": epoch}, tmp)
        # early stopping on validation
        if tracker.stale(epoch, patience):
            log(f"early stopping: no validation improvement for {patience} epochs (best epoch {tracker.best['epoch']})")
            break
    seconds = time.perf_counter() - t0

    # test the final weights and the best epoch's
    def test() -> dict[str, float]:
        return evaluate(model, kind, t["x_test"], t["y_test"], t["l_test"])

    def train_eval() -> dict[str, float]:
        if kind != "classification":
            return {}
        # the training set in eval mode (no dropout masks): the running train accuracy of the
        # last epoch is measured under dropout, so it cannot show a train - test gap
        return {f"train_eval_{metric}": evaluate(model, kind, t["x_train"], t["y_train"], t["l_train"])[metric]}

    @contextlib.contextmanager
    def best_weights():
        current = copy.deepcopy(model.state_dict())
        model.load_state_dict(best_state)
        try:
            yield
        finally:
            model.load_state_dict(current)

    final, best = final_and_best(tracker, history, test, best_weights if best_state is not None else None,
                                 more_final=train_eval)
    return RunResult(
        history=history, status=tracker.status, diverged_epoch=tracker.diverged_epoch, cause=tracker.cause,
        final=final, best=best, path=getattr(model, "path", "torch"), seconds=seconds,
        extra=throughput(history, n, seconds),
    )


def grad_vs_distance(model, data: TaskData, device, n: int = 256) -> list[float]:
    """‖∂loss/∂h_t‖ against the distance T − t: moved to :mod:`rnnbench.models.diagnostics`
    (with the LSTM's forget-gate products); kept here for existing callers."""
    from ..models.diagnostics import grad_vs_distance as measure

    return measure(model, data, device, n)

"""The one training loop: every cell, every task, every variant, one seed or the S seeds of an arm.

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

Members. :func:`fit_members` trains S seeds of one arm at once (:class:`rnnbench.models.members.Members`,
weights stacked on dim 0); :func:`fit` is a group of one (:class:`~rnnbench.models.members.OneMember`,
the model's own kernels). Everything per run is per member: data order (its own generator),
dropout masks, loss, gradient norm, clipping, optimiser state, best epoch, early stopping,
divergence. A member that diverges or stops early is masked — its weights keep their last step,
its later gradients are dropped — and the others train on. The summed loss of the active members
is back-propagated: member s's weights get member s's gradient alone.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from .._malloc import keep_heap
from ..atomic import atomic_path
from ..runspec import RunSpec
from .losses import member_losses, summed_losses, task_loss
from .optim import make_optimizer
from .tracker import Tracker, final_and_best, throughput
from .types import RunResult, TaskData

__all__ = ["fit", "fit_members", "evaluate", "task_loss", "make_optimizer", "l2_penalty"]

EVAL_CHUNK = 4096
SPLITS = ("train", "val", "test")


# ---------------------------------------------------------------- data on the device, per member
def _to_device(datas: list[TaskData], device) -> dict[str, torch.Tensor | None]:
    """The whole dataset goes to the device once: no per-batch host copies. One copy when the
    members share their data (the usual case); stacked (S, N, ...) when each has its own (the
    adding problem generates its sequences from the seed)."""
    shared = all(d is datas[0] for d in datas)
    out: dict[str, torch.Tensor | None] = {"shared": shared}
    for split in SPLITS:
        for key, attr in (("x", "x"), ("y", "y"), ("l", "lengths")):
            arrays = [getattr(d, f"{attr}_{split}") for d in (datas[:1] if shared else datas)]
            if arrays[0] is None:
                out[f"{key}_{split}"] = None
                continue
            t = torch.as_tensor(arrays[0] if shared else np.stack(arrays), device=device)
            out[f"{key}_{split}"] = t
    return out


def _rows(t: dict, name: str, split: str, idx: torch.Tensor) -> torch.Tensor | None:
    """Rows ``idx`` (S, B) of each member's split: (S, B, ...)."""
    v = t[f"{name}_{split}"]
    if v is None:
        return None
    if t["shared"]:
        return v[idx]
    return v[torch.arange(idx.shape[0], device=idx.device)[:, None], idx]


def _chunk(t: dict, name: str, split: str, i: int, j: int, s: int) -> torch.Tensor | None:
    v = t[f"{name}_{split}"]
    if v is None:
        return None
    v = v[i:j] if t["shared"] else v[:, i:j]
    return v.unsqueeze(0).expand(s, *v.shape) if t["shared"] else v


# ---------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate_members(model, kind: str, t: dict, split: str, chunk: int = EVAL_CHUNK,
                     active: list[bool] | None = None) -> list[dict[str, float]]:
    """Loss and the task's metric (accuracy / mse / nll) of each member on a whole split; with
    ``active``, the others' numbers are meaningless (the loop path skips them: Members.forward)."""
    model.eval()
    s = model.size
    if model.stacked:
        chunk = max(256, chunk // s)    # S members' activations at once: the chunk shrinks with S
    n = t[f"x_{split}"].shape[0 if t["shared"] else 1]
    total = torch.zeros(s, dtype=torch.float64)
    weight = torch.zeros(s, dtype=torch.float64)
    correct = torch.zeros(s, dtype=torch.float64)
    for i in range(0, n, chunk):
        xb, yb, lb = (_chunk(t, k, split, i, i + chunk, s) for k in ("x", "y", "l"))
        logits = model(xb, lb, active)
        loss, w = summed_losses(kind, logits, yb, lb)
        total += loss.double().cpu()
        weight += w.double().cpu()
        if kind == "classification":
            correct += (logits.argmax(-1) == yb).sum(1).double().cpu()
    out = []
    for k in range(s):
        loss = float(total[k] / max(float(weight[k]), 1.0))
        r = {"loss": loss}
        if kind == "classification":
            r["accuracy"] = float(correct[k] / max(float(weight[k]), 1.0))
        elif kind == "regression":
            r["mse"] = loss
        else:
            r["nll"] = loss
        out.append(r)
    return out


def evaluate(model, kind: str, x, y, lengths=None, chunk: int = EVAL_CHUNK) -> dict[str, float]:
    """One model's loss and metric on a split (tensors already on the model's device)."""
    from ..models.members import OneMember

    t = {"shared": True, "x_eval": x, "y_eval": y, "l_eval": lengths}
    return evaluate_members(OneMember(model), kind, t, "eval", chunk)[0]


# ---------------------------------------------------------------- L2, gradient norms, clipping
def _per_member(tensor: torch.Tensor, stacked: bool) -> torch.Tensor:
    """(S, -1) view: member s's elements in row s (one row for a one-seed model)."""
    return tensor.reshape(tensor.shape[0] if stacked else 1, -1)


def l2_penalty(model, l2: float) -> torch.Tensor | float:
    """Keras l2 of a one-seed model (a scalar)."""
    if not l2:
        return 0.0
    return l2 * sum((p * p).sum() for p in model.kernel_parameters())


def _member_l2(model, l2: float) -> torch.Tensor | float:
    """Keras l2 of each member, (S,)."""
    if not l2:
        return 0.0
    return l2 * sum(_per_member(p * p, model.stacked).sum(1) for p in model.kernel_parameters())


def _grad_norms(params, stacked: bool) -> torch.Tensor:
    """Each member's total gradient norm (S,), before clipping."""
    norms = [_per_member(p.grad.detach(), stacked).norm(2, dim=1) for p in params if p.grad is not None]
    if not norms:
        return torch.zeros(1)
    return torch.linalg.vector_norm(torch.stack(norms, 1), 2, dim=1)


def _clip(params, cfg: RunSpec) -> None:
    """Keras' clipping of one model's gradients."""
    if cfg.clipvalue is not None:
        torch.nn.utils.clip_grad_value_(params, float(cfg.clipvalue))
    if cfg.clipnorm is not None:
        for p in params:  # Keras clipnorm: each variable's gradient on its own
            if p.grad is not None:
                torch.nn.utils.clip_grad_norm_([p], float(cfg.clipnorm))
    if cfg.global_clipnorm is not None:
        torch.nn.utils.clip_grad_norm_(params, float(cfg.global_clipnorm))


def _scale(grads: list[torch.Tensor], norms: torch.Tensor, max_norm: float) -> None:
    """clip_grad_norm_'s rescaling, per member: coefficient max_norm / (norm + 1e-6), at most 1."""
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.dim() - 1))))


def _clip_members(params, cfg: RunSpec) -> None:
    """Keras' clipping, each member on its own (clipvalue is element-wise: the same for stacks)."""
    grads = [p.grad for p in params if p.grad is not None]
    if cfg.clipvalue is not None:
        v = float(cfg.clipvalue)
        for g in grads:
            g.clamp_(-v, v)
    if cfg.clipnorm is not None:
        for g in grads:
            _scale([g], _per_member(g, True).norm(2, dim=1), float(cfg.clipnorm))
    if cfg.global_clipnorm is not None:
        _scale(grads, _grad_norms(params, True), float(cfg.global_clipnorm))


# ---------------------------------------------------------------- truncated BPTT (one seed only)
def _detach(state):
    return [tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach() for s in state]


def _tbptt_batch(model, opt, params, kind, xb, yb, lb, k: int, cfg: RunSpec) -> tuple[float, float, list[float], str | None]:
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
        loss = task_loss(kind, logits, yb[:, s:s + k], lc) + l2_penalty(model, float(cfg.l2 or 0.0))
        if not torch.isfinite(loss):
            return loss_sum, steps, norms, f"loss is {float(loss)} in the chunk at step {s}"
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norms.append(float(_grad_norms(params, False)[0]))
        _clip(params, cfg)
        opt.step()
        n_valid = float(lc.sum()) if lc is not None else float(xb.shape[0] * logits.shape[1])
        loss_sum += float(task_loss(kind, logits.detach(), yb[:, s:s + k], lc)) * n_valid
        steps += n_valid
    return loss_sum, steps, norms, None


# ---------------------------------------------------------------- the run's state
@dataclass
class _Group:
    """Everything a group's training carries from epoch to epoch (and into a checkpoint)."""
    model: Any                        # Members or OneMember
    opt: Any
    params: list
    orders: list[torch.Generator]     # each member's data order
    trackers: list[Tracker]
    histories: list[list[dict[str, Any]]]
    best_states: list[Any]
    active: list[bool]                # still training: not diverged, not stopped early
    epoch: int = 0                    # the last finished epoch
    gnorms: list[list[float]] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)   # each member's share of the training seconds

    @property
    def size(self) -> int:
        return len(self.active)


def _train_epoch(g: _Group, t: dict, kind: str, cfg: RunSpec, epoch: int, device) -> tuple[list, list, list]:
    """One pass over each member's fresh permutation, one optimiser step per batch (per chunk
    with tbptt). Returns each member's summed loss, examples seen and correct predictions; a
    member whose loss or gradient is not finite is marked diverged and trains no more."""
    model, s = g.model, g.size
    model.train()
    n = t["x_train"].shape[0 if t["shared"] else 1]
    bs, tbptt, l2 = int(cfg.batch_size), int(cfg.tbptt or 0), float(cfg.l2 or 0.0)
    perms = torch.stack([torch.randperm(n, generator=gen) for gen in g.orders]).to(device)
    loss_sum, seen, correct = torch.zeros(s, dtype=torch.float64), [0.0] * s, torch.zeros(s, dtype=torch.float64)
    g.gnorms = [[] for _ in range(s)]
    clip = _clip_members if model.stacked else _clip
    for bi, i in enumerate(range(0, n, bs)):
        idx = perms[:, i:i + bs]
        xb, yb, lb = (_rows(t, k, "train", idx) for k in ("x", "y", "l"))
        if tbptt:       # one seed (members.batchable): the model's own chunked forward
            chunk_loss, chunk_steps, norms, why = _tbptt_batch(model.model, g.opt, g.params, kind, xb[0], yb[0],
                                                               None if lb is None else lb[0], tbptt, cfg)
            g.gnorms[0] += norms
            if why is not None or not all(math.isfinite(v) for v in norms):
                _diverge(g, 0, epoch, f"{why or 'gradient norm is not finite'} at epoch {epoch}, batch {bi}")
                break
            loss_sum[0] += chunk_loss
            seen[0] += chunk_steps
            continue
        logits = model(xb, lb, g.active)   # stopped and diverged members: skipped on the loop path
        data_loss = member_losses(kind, logits, yb, lb)
        loss = data_loss + _member_l2(model, l2)
        finite = torch.isfinite(loss).tolist()
        for k in range(s):
            if g.active[k] and not finite[k]:
                _diverge(g, k, epoch, f"loss is {float(loss[k].detach())} at epoch {epoch}, batch {bi}")
        if not any(g.active):
            break
        active = torch.tensor(g.active, device=loss.device)
        g.opt.zero_grad(set_to_none=True)
        torch.where(active, loss, torch.zeros((), device=loss.device)).sum().backward()
        norms = _grad_norms(g.params, model.stacked).tolist()   # before clipping: the lecture's exploding gradients
        for k in range(s):
            if g.active[k]:
                g.gnorms[k].append(norms[k])
                if not math.isfinite(norms[k]):
                    _diverge(g, k, epoch, f"gradient norm is {norms[k]} at epoch {epoch}, batch {bi}")
        if not any(g.active):
            break
        clip(g.params, cfg)
        g.opt.step(torch.tensor(g.active, device=loss.device) if model.stacked else None)
        keep = torch.tensor(g.active, dtype=torch.float64)
        b = float(idx.shape[1])
        loss_sum += data_loss.detach().double().cpu().nan_to_num(0.0) * b * keep
        seen = [v + b * a for v, a in zip(seen, g.active)]
        if kind == "classification":
            correct += (logits.detach().argmax(-1) == yb).sum(1).double().cpu() * keep
    return loss_sum.tolist(), seen, correct.tolist()


def _diverge(g: _Group, k: int, epoch: int, cause: str) -> None:
    """A non-finite loss or gradient: member k stops, recorded as diverged (a result)."""
    g.trackers[k].diverge(epoch, cause)
    g.active[k] = False


def _record_epoch(g: _Group, t: dict, kind: str, metric: str, epoch: int, sums, seconds: float,
                  trained: list[bool], log: Callable[[str], None]) -> None:
    """Validate the members that trained this epoch and append each one's history row; keep the
    best validation epoch's weights; a member that diverged this epoch gets its last row."""
    loss_sum, seen, correct = sums
    val = evaluate_members(g.model, kind, t, "val", active=g.active) if any(g.active) else None
    for k in range(g.size):
        if not trained[k]:
            continue
        gn = g.gnorms[k]
        if g.trackers[k].diverged:
            g.histories[k].append({"epoch": epoch, "train_loss": float("nan"), "seconds": seconds,
                                   "grad_norm_mean": float(np.mean(gn)) if gn else float("nan"),
                                   "grad_norm_max": float(np.max(gn)) if gn else float("nan")})
            log(f"{_who(g, k)}epoch {epoch}: diverged ({g.trackers[k].cause})")
            continue
        row = {
            "epoch": epoch,
            "train_loss": loss_sum[k] / max(seen[k], 1),
            **({"train_accuracy": correct[k] / max(seen[k], 1)} if kind == "classification" else {}),
            "val_loss": val[k]["loss"],
            f"val_{metric}": val[k][metric],
            "grad_norm_mean": float(np.mean(gn)),
            "grad_norm_max": float(np.max(gn)),
            "lr": g.opt.param_groups[0]["lr"],
            "seconds": seconds,
        }
        g.histories[k].append(row)
        log(_who(g, k) + " ".join(f"{c}={v:.4g}" if isinstance(v, float) else f"{c}={v}" for c, v in row.items()))
        if g.trackers[k].update(epoch, val[k]):
            g.best_states[k] = g.model.member_state(k)


def _who(g: _Group, k: int) -> str:
    return f"member {k}: " if g.size > 1 else ""


def _early_stop(g: _Group, epoch: int, patience, log: Callable[[str], None]) -> None:
    """Early stopping on validation, per member: a stale member stops, the others go on."""
    for k in range(g.size):
        if g.active[k] and g.trackers[k].stale(epoch, patience):
            g.active[k] = False
            log(f"{_who(g, k)}early stopping: no validation improvement for {patience} epochs "
                f"(best epoch {g.trackers[k].best['epoch']})")


def _save_checkpoint(g: _Group, path: Path) -> None:
    """Weights, optimiser, data-order and mask generators, histories and best epochs: a killed
    group resumes here."""
    with atomic_path(path) as tmp:
        torch.save({"model": g.model.state_dict(), "optimizer": g.opt.state_dict(),
                    "orders": [gen.get_state() for gen in g.orders], "masks": g.model.mask_states(),
                    "histories": g.histories, "trackers": [vars(tr) for tr in g.trackers],
                    "best_states": g.best_states, "active": g.active, "epoch": g.epoch}, tmp)


def _resume(g: _Group, path: Path, device, log: Callable[[str], None]) -> None:
    state = torch.load(path, map_location=device, weights_only=False)
    if len(state["active"]) != g.size:
        raise ValueError(f"checkpoint {path} holds {len(state['active'])} members, this group {g.size}")
    g.model.load_state_dict(state["model"])
    g.opt.load_state_dict(state["optimizer"])
    for gen, st in zip(g.orders, state["orders"]):
        gen.set_state(st)
    g.model.set_mask_states(state["masks"])
    g.histories, g.best_states, g.active, g.epoch = (state["histories"], state["best_states"], state["active"],
                                                     state["epoch"])
    for tr, saved in zip(g.trackers, state["trackers"]):
        vars(tr).update(saved)
    log(f"resumed from {path} after epoch {g.epoch}")


# ---------------------------------------------------------------- the loop
def fit(model, data: TaskData, cfg: dict[str, Any], device, log: Callable[[str], None] = print,
        checkpoint: str | Path | None = None) -> RunResult:
    """Train one ``model`` on ``data`` (a group of one, on the model's own kernels); ``cfg``
    keys: epochs, batch_size, lr, optimizer, l2, clipvalue, clipnorm, global_clipnorm, seed,
    patience, checkpoint_every, tbptt (chunk length of truncated BPTT for many-to-many tasks;
    None = full back-propagation through time).

    With ``checkpoint`` set and ``checkpoint_every`` > 0, the model, optimiser, RNG and history
    are saved every N epochs, and a run that finds the file resumes from it.
    """
    from ..models.members import OneMember

    return fit_members(OneMember(model), [data], [cfg], device, log, checkpoint)[0]


def fit_members(model, datas: list[TaskData], cfgs: list[dict[str, Any]], device,
                log: Callable[[str], None] = print, checkpoint: str | Path | None = None) -> list[RunResult]:
    """Train a group (``Members`` or ``OneMember``): member k on ``datas[k]`` with ``cfgs[k]``
    (the same config but for the seed; a key a config leaves out reads RunSpec's default); one
    :class:`RunResult` per member."""
    cfg = RunSpec.from_dict(_group_config(cfgs, model.size, datas))
    seeds = [int(RunSpec.from_dict(c).seed) for c in cfgs]
    kind, metric = datas[0].kind, datas[0].metric
    if torch.device(device).type == "cpu":
        keep_heap()   # glibc: reuse freed batch buffers instead of faulting fresh pages in every batch
    model.to(device)
    t = _to_device(datas, device)
    params = [p for p in model.parameters() if p.requires_grad]
    g = _Group(model=model, opt=make_optimizer(cfg.optimizer, params, float(cfg.lr), stacked=model.stacked),
               params=params, orders=[torch.Generator(device="cpu").manual_seed(seed) for seed in seeds],
               trackers=[Tracker(metric) for _ in cfgs], histories=[[] for _ in cfgs],
               best_states=[None] * model.size, active=[True] * model.size)
    every = int(cfg.checkpoint_every or 0)
    if checkpoint is not None and Path(checkpoint).exists():
        _resume(g, Path(checkpoint), device, log)

    g.shares = [0.0] * model.size
    for epoch in range(g.epoch + 1, int(cfg.epochs) + 1):
        if not any(g.active):
            break
        e0, trained = time.perf_counter(), list(g.active)
        sums = _train_epoch(g, t, kind, cfg, epoch, device)
        _record_epoch(g, t, kind, metric, epoch, sums, time.perf_counter() - e0, trained, log)
        # the epoch's time, split among the members that trained in it (the loop path ran only them)
        dt = time.perf_counter() - e0
        for k in range(g.size):
            g.shares[k] += dt / sum(trained) if trained[k] else 0.0
        g.epoch = epoch
        if checkpoint is not None and every and epoch % every == 0:
            _save_checkpoint(g, Path(checkpoint))
        _early_stop(g, epoch, cfg.patience, log)
    return _results(g, t, kind, metric)


def _group_config(cfgs: list[dict[str, Any]], size: int, datas: list[TaskData]) -> dict[str, Any]:
    """The members' one training config (they differ in the seed only)."""
    if len(cfgs) != size or len(datas) != size:
        raise ValueError(f"a group of {size} members needs {size} configs and datasets, "
                         f"got {len(cfgs)} and {len(datas)}")
    first = {k: v for k, v in cfgs[0].items() if k != "seed"}
    for c in cfgs[1:]:
        rest = {k: v for k, v in c.items() if k != "seed"}
        if rest != first:
            diff = sorted(k for k in set(first) | set(rest) if first.get(k) != rest.get(k))
            raise ValueError(f"the members of a group differ in {', '.join(diff)}: only the seed may differ")
    sizes = {(d.kind, len(d.x_train)) for d in datas}
    if len(sizes) != 1:
        raise ValueError(f"the members' datasets differ in kind or size: {sorted(sizes)}")
    tbptt = int(RunSpec.from_dict(cfgs[0]).tbptt or 0)
    if tbptt and datas[0].kind != "multilabel":
        raise ValueError(f"tbptt applies to many-to-many (multilabel) tasks, not {datas[0].kind!r}")
    if tbptt and size > 1:
        raise ValueError("truncated BPTT trains one seed at a time")
    return cfgs[0]


def _results(g: _Group, t: dict, kind: str, metric: str) -> list[RunResult]:
    """Each member's record: the test metrics of its final weights (the last step it trained) and
    of its best epoch's, the eval-mode training accuracy, throughput."""
    model = g.model
    final_test = evaluate_members(model, kind, t, "test")
    # the training set in eval mode (no dropout masks): the running train accuracy of the last
    # epoch is measured under dropout, so it cannot show a train - test gap
    train_eval = evaluate_members(model, kind, t, "train") if kind == "classification" else None
    best_test = final_test
    if any(st is not None for st in g.best_states):
        current = [model.member_state(k) for k in range(g.size)]
        for k, st in enumerate(g.best_states):
            if st is not None:
                model.load_member_state(k, st)
        best_test = evaluate_members(model, kind, t, "test")
        for k in range(g.size):
            model.load_member_state(k, current[k])
    n = t["x_train"].shape[0 if t["shared"] else 1]
    out = []
    for k in range(g.size):
        shown = {"test": final_test}

        @contextlib.contextmanager
        def best_weights(shown=shown):
            shown["test"] = best_test
            try:
                yield
            finally:
                shown["test"] = final_test

        final, best = final_and_best(
            g.trackers[k], g.histories[k], lambda k=k, shown=shown: shown["test"][k],
            best_weights if g.best_states[k] is not None else None,
            more_final=(lambda k=k: {f"train_eval_{metric}": train_eval[k][metric]}) if train_eval else None)
        tr = g.trackers[k]
        out.append(RunResult(history=g.histories[k], status=tr.status, diverged_epoch=tr.diverged_epoch,
                             cause=tr.cause, final=final, best=best, path=model.path, seconds=g.shares[k],
                             extra=throughput(g.histories[k], n, g.shares[k])))
    return out

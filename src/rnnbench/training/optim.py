"""The optimisers of the training loop: Adam, RMSprop and SGD, written out.

Why not ``torch.optim``: in torch 2.13 ``Optimizer.__init__`` and every ``step`` import
TorchDynamo (``torch._disable_dynamo``, ``_use_grad_for_differentiable``), about 1.2 s of a job's
start-up for a compiler this project never uses. These are the same update rules, op for op, as
torch's single-tensor implementations (what torch runs on CPU; its ``foreach`` variant on a GPU
computes the same formulas), with Keras' defaults set by :func:`make_optimizer`. A test steps
them beside ``torch.optim`` and compares the parameters.

Members. The loop trains S seeds of one arm as one stacked model (dim 0 of every parameter is the
member, :mod:`rnnbench.models.members`). The rules are element-wise, so a stacked tensor's state
is each member's own state. ``step(active)`` updates only the members still training: a member
that diverged or stopped early keeps the weights of its last step and never feeds a non-finite
gradient into the others' state.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor


def _idle_members(active: Optional[Tensor], stacked: bool) -> Optional[Tensor]:
    """The indices of the members not training (dim 0 of a stacked parameter); None when all train."""
    if active is None or bool(active.all()):
        return None
    if not stacked:
        raise ValueError("a per-member mask needs stacked parameters (member dim 0)")
    return (~active.bool()).nonzero().flatten().to("cpu")


class _Optimizer:
    """Parameters, their state, and ``zero_grad`` / ``state_dict`` as torch's optimisers."""

    def __init__(self, params, lr: float, stacked: bool = False):
        self.params: list[Tensor] = [p for p in params]
        self.lr = float(lr)
        self.stacked = stacked
        self.state: list[dict[str, Tensor]] = [{} for _ in self.params]
        self.steps = 0

    @property
    def param_groups(self) -> list[dict]:
        """The lr where the loop's history reads it, as torch's ``opt.param_groups[0]['lr']``."""
        return [{"lr": self.lr}]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def step(self, active: Optional[Tensor] = None) -> None:
        self.steps += 1
        idle = _idle_members(active, self.stacked)
        for p, st in zip(self.params, self.state):
            if p.grad is None:
                continue
            if idle is None:
                self._update(p, p.grad, st)
                continue
            # a stopped member's gradient may be nan: zeroed, it never enters the state, and its
            # weights are put back after the update (in place on its slices: a masked copy of
            # IMDb's (9, 20000, 100) embedding and its gradient cost more than the update itself)
            with torch.no_grad():
                p.grad[idle] = 0.0
                kept = p[idle].clone()
                self._update(p, p.grad, st)
                p[idle] = kept

    def _update(self, p: Tensor, grad: Tensor, st: dict) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"steps": self.steps, "state": [{k: v.clone() for k, v in s.items()} for s in self.state]}

    def load_state_dict(self, sd: dict) -> None:
        self.steps = int(sd["steps"])
        self.state = [{k: v.to(p.device) for k, v in s.items()} for s, p in zip(sd["state"], self.params)]


class Adam(_Optimizer):
    """torch's ``Adam`` (amsgrad off, no weight decay): the same operations in the same order."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8, stacked: bool = False):
        super().__init__(params, lr, stacked)
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = float(eps)

    def _update(self, p, grad, st) -> None:
        if not st:
            st["exp_avg"] = torch.zeros_like(p)
            st["exp_avg_sq"] = torch.zeros_like(p)
        exp_avg, exp_avg_sq = st["exp_avg"], st["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - self.beta1)
        exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        step_size = self.lr / (1 - self.beta1 ** self.steps)
        bias_correction2_sqrt = (1 - self.beta2 ** self.steps) ** 0.5
        denom = exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(self.eps)
        with torch.no_grad():
            p.addcdiv_(exp_avg, denom, value=-step_size)


class RMSprop(_Optimizer):
    """torch's ``RMSprop`` (not centred, no momentum)."""

    def __init__(self, params, lr: float, alpha: float = 0.99, eps: float = 1e-8, stacked: bool = False):
        super().__init__(params, lr, stacked)
        self.alpha, self.eps = float(alpha), float(eps)

    def _update(self, p, grad, st) -> None:
        if not st:
            st["square_avg"] = torch.zeros_like(p)
        square_avg = st["square_avg"]
        square_avg.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)
        avg = square_avg.sqrt().add_(self.eps)
        with torch.no_grad():
            p.addcdiv_(grad, avg, value=-self.lr)


class SGD(_Optimizer):
    """Plain SGD (no momentum)."""

    def _update(self, p, grad, st) -> None:
        with torch.no_grad():
            p.add_(grad, alpha=-self.lr)


def make_optimizer(name: str, params, lr: float, stacked: bool = False) -> _Optimizer:
    """The config's optimiser with Keras' defaults (the lecture's Keras code)."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if name == "adam":
        # Keras' Adam default epsilon is 1e-7 (PyTorch's 1e-8): keep the lecture's optimiser
        return Adam(params, lr=lr, eps=1e-7, stacked=stacked)
    if name == "rmsprop":
        # Keras RMSprop: rho 0.9, epsilon 1e-7 (PyTorch calls rho "alpha", default 0.99)
        return RMSprop(params, lr=lr, alpha=0.9, eps=1e-7, stacked=stacked)
    if name == "sgd":
        return SGD(params, lr=lr, stacked=stacked)
    raise ValueError(f"unknown optimizer {name!r} (adam, rmsprop, sgd)")

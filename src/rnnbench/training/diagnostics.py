"""Gradient diagnostics against distance: the lecture's BPTT and "super-highway" arguments, measured.

Both curves are indexed by the distance d = T − t from the last step T (index 0 = the last step)
and are written into the run record (``diagnostics``) at initialisation and after training.

- :func:`grad_vs_distance`: ‖∂loss/∂h_t‖, mean over sequences. Back-propagation through time
  multiplies d Jacobians ∂h_τ/∂h_{τ−1} = W_hᵀ·g'(z_τ) (lecture, "Backprop Through Time"); in the
  scalar picture the gradient scales as w^d.
- :func:`forget_product_vs_distance` (LSTM): ∏_{τ=t+1}^{T} f_τ, the lecture's
  ∂c_T/∂c_t along the cell state ("Super-Highway for Backprop": c_t = f_t ∗ c_{t−1} + i_t ∗ c̃_t
  ⇒ ∂c_t/∂c_{t−1} = f_t, the direct path, gates held fixed), mean over sequences and units.
  Each factor is in ]0, 1[, so the product only decays, at a rate the network learns.

The per-step factor of such a curve (w of the scalar picture: exp of the least-squares slope of
log(curve) against d) is a statistic of the verdict engine, :func:`rnnbench.claims.runs.decay_factor`.
"""
from __future__ import annotations

import torch

from .losses import task_loss
from .types import TaskData


def _inputs(data: TaskData, device, n: int):
    x = torch.as_tensor(data.x_train[:n], device=device)
    y = torch.as_tensor(data.y_train[:n], device=device)
    lengths = None if data.lengths_train is None else torch.as_tensor(data.lengths_train[:n], device=device)
    return x, y, lengths


def grad_vs_distance(model, data: TaskData, device, n: int = 256) -> list[float]:
    """‖∂loss/∂h_t‖ (mean over ``n`` training sequences) for t = 1..T, indexed by distance T − t.

    The lecture's BPTT argument: the product of T − t Jacobians W_hᵀ·g'(z) vanishes or explodes.
    Uses the model's step loop so every h_t is a node of the graph.
    """
    model.to(device)
    model.eval()  # no dropout masks: the gradient of the deterministic network
    x, y, lengths = _inputs(data, device, n)
    with torch.enable_grad():
        logits, hs = model.hidden_states(x)
        # summed over sequences, so each h_t's gradient is that of its own sequence's loss
        loss = task_loss(data.kind, logits, y, lengths) * x.shape[0]
        grads = torch.autograd.grad(loss, hs, allow_unused=True)
    norms = [0.0 if g is None else float(g.norm(dim=-1).mean()) for g in grads]
    return norms[::-1]  # index = distance T - t


@torch.no_grad()
def forget_gates(model, x: torch.Tensor) -> torch.Tensor:
    """Forget-gate activations f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf) of the top LSTM layer,
    (T, B, H), in evaluation mode (no dropout masks). torch's gate order is i, f, g, o: f is the
    second block of rows of the stacked weights."""
    if model.spec.cell != "lstm":
        raise ValueError(f"forget gates exist in an LSTM, not in {model.spec.cell!r}")
    model.eval()
    h = model._embed(x)
    top = len(model.rnns) - 1
    for i in range(top):
        h = model._stock_layer(i, h, None)
    layer = model.rnns[top]
    gx = model._projections(top, h)                      # (T, B, 4H): W_ih x_t + b_ih
    w_hh, b_hh = layer.weight_hh_l0, layer.bias_hh_l0
    H = model.spec.hidden
    state = gx.new_zeros(gx.shape[1], H)
    c = state
    fs = []
    for xt in gx.unbind(0):
        i_, f_, g_, o_ = (xt + torch.nn.functional.linear(state, w_hh, b_hh)).chunk(4, 1)
        f = torch.sigmoid(f_)
        c = f * c + torch.sigmoid(i_) * torch.tanh(g_)
        state = torch.sigmoid(o_) * torch.tanh(c)
        fs.append(f)
    return torch.stack(fs)


def forget_product_vs_distance(model, data: TaskData, device, n: int = 256) -> list[float]:
    """∏_{τ=t+1}^{T} f_τ (= ∂c_T/∂c_t along the cell state, the lecture's "super-highway"), mean
    over ``n`` training sequences and the units, indexed by distance d = T − t (d = 0: the empty
    product, 1). Top layer of an LSTM; sequences are read to their padded length T."""
    model.to(device)
    x, _, _ = _inputs(data, device, n)
    f = forget_gates(model, x).double()                  # (T, B, H)
    # products over the last d steps: reverse cumulative product, shifted by one step
    rev = torch.cumprod(f.flip(0), dim=0)                # rev[k] = f_T ⋯ f_{T−k}
    means = [1.0] + [float(v) for v in rev.mean(dim=(1, 2))[:-1]]
    return means                                         # index d: ∏ of f_{T−d+1} … f_T


def measure_diagnostics(model, data: TaskData, device, when: str, n: int = 256) -> dict[str, list[float]]:
    """The run record's diagnostics at ``when`` ('init' | 'final'): ``grad_vs_distance_<when>`` for
    every cell, ``forget_product_<when>`` for an LSTM."""
    out = {f"grad_vs_distance_{when}": grad_vs_distance(model, data, device, n)}
    if model.spec.cell == "lstm":
        out[f"forget_product_{when}"] = forget_product_vs_distance(model, data, device, n)
    return out


__all__ = ["measure_diagnostics", "grad_vs_distance", "forget_gates", "forget_product_vs_distance"]

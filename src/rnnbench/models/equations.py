"""Each cell's equations: one step and one loop over time, in torch's weight layout.

The weights are those of a one-layer stock ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (W_ih (G·H, F),
b_ih, W_hh (G·H, H), b_hh); ``xg`` below is W_ih x_t + b_ih, projected for all steps at once
by the caller. These functions are the stepwise path of :class:`~rnnbench.models.seq.SequenceModel`
and its gradient diagnostic; the stock layers and the C kernel compute the same functions.

    rnn_tanh / rnn_relu / irnn / nprnn    h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
    lstm [i f g o]      c_t = σ(f) c_{t-1} + σ(i) tanh(g);   h_t = σ(o) tanh(c_t)
    gru [r z n], reset after (torch, cuDNN, Keras ``reset_after=True``):
                        n = tanh(x_n + r ⊙ (W_hn h_{t-1} + b_hn))
    gru, reset before (the lecture, Keras ``reset_after=False``):
                        n = tanh(x_n + W_hn (r ⊙ h_{t-1}) + b_hn)
                        both: r = σ(x_r + W_hr h + b_hr), z = σ(x_z + W_hz h + b_hz),
                        h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    bnlstm (Cooijmans et al. 2016): the LSTM with batch-normalised projections and cell,
                        [i f g o] = γ_x BN(W_ih x_t) + γ_h BN(W_hh h_{t-1}) + b,
                        h_t = σ(o) tanh(γ_c BN(c_t) + β_c)   (statistics per time step)

Where PyTorch's stock layers differ from the lecture / Keras:

* Biases. torch has two bias vectors per gate (b_ih + b_hh); Keras and the lecture have one
  (Keras GRU with ``reset_after=True``, its default, also has two). ``bias='single'`` keeps
  b_hh at zero and frozen, giving the lecture's / Keras' trainable count (HAR LSTM: 5,574).
* Gate order. torch LSTM i,f,g,o = Keras i,f,c,o (same order). torch GRU r,z,n vs Keras z,r,h.
* GRU reset. torch, cuDNN and Keras' default reset *after* the matmul; the lecture's
  h~ = tanh(W_ch (r * h) + W_cx x + b_c) resets *before* it (Keras ``reset_after=False``: no
  cuDNN kernel and none in torch, so on a GPU it runs stepwise; on a CPU our C kernel computes
  it, cell 4 of ``kernels/recurrence.c``). In the
  reset-before GRU b_hn sits outside the reset, so it only adds to b_in: with ``bias='single'``
  the parameters are exactly Keras ``reset_after=False``'s.
* GRU update. torch and Keras: h = z * h + (1 - z) * h~; the lecture: h = (1 - u) * h + u * h~,
  i.e. u = 1 - z (same family, the gate's meaning flipped).
* Recurrent dropout masks. Keras LSTM/GRU with ``recurrent_dropout > 0`` switch to
  ``implementation=1`` and draw one mask per gate (4 for LSTM, 3 for GRU) for the inputs and for
  h_{t-1} (Gal & Ghahramani's "untied" variant); ``rec_mask`` (B, G, H) here is that mask.
  With ``per_step`` (the run setting ``dropout_masks: step``, naive dropout) the loops take one
  mask per time step instead, (T, B, G, H), and step t uses ``rec_mask[t]``.
"""
from __future__ import annotations

import warnings
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _recurrent(h: Tensor, w_hh: Tensor, b_hh: Tensor, rec_mask: Optional[Tensor]) -> Tensor:
    """W_hh h + b_hh; with ``rec_mask`` (B, G, H) each gate block sees its own masked h.

    Members (S seeds stacked, :mod:`.members`): w_hh (S, G·H, H), b_hh (S, G·H), h (S, B, H),
    rec_mask (S, B, G, H): the same product per member, as one batched matmul."""
    if w_hh.dim() == 3:
        if rec_mask is None:
            return torch.baddbmm(b_hh.unsqueeze(1), h, w_hh.transpose(1, 2))
        s, b, n = h.shape[0], h.shape[1], h.shape[2]
        g = rec_mask.shape[2]
        hm = h.unsqueeze(2) * rec_mask                                  # (S, B, G, H)
        out = torch.einsum("sbgh,sgkh->sbgk", hm, w_hh.view(s, g, n, n))
        return out.reshape(s, b, g * n) + b_hh.unsqueeze(1)
    if rec_mask is None:
        return F.linear(h, w_hh, b_hh)
    g = rec_mask.shape[1]
    n = h.shape[1]
    if g == 1:
        return F.linear(h * rec_mask[:, 0], w_hh, b_hh)
    hm = (h.unsqueeze(1) * rec_mask).transpose(0, 1)               # (G, B, H)
    out = torch.bmm(hm, w_hh.view(g, n, n).transpose(1, 2))        # (G, B, H)
    return out.transpose(0, 1).reshape(h.shape[0], g * n) + b_hh


# ---------------------------------------------------------------- one step of each cell
def rnn_step(xg: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor,
             rec_mask: Optional[Tensor], relu: bool) -> Tensor:
    z = xg + _recurrent(h, w_hh, b_hh, rec_mask)
    return torch.relu(z) if relu else torch.tanh(z)


def lstm_step(xg: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor,
              rec_mask: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    i, f, g, o = (xg + _recurrent(h, w_hh, b_hh, rec_mask)).chunk(4, -1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def gru_step(xg: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor,
             rec_mask: Optional[Tensor]) -> Tensor:
    xr, xz, xn = xg.chunk(3, -1)
    hr, hz, hn = _recurrent(h, w_hh, b_hh, rec_mask).chunk(3, -1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)          # reset after the matmul (torch / cuDNN / Keras default)
    return z * h + (1.0 - z) * n         # Keras/torch: z keeps the old state (lecture: u = 1 - z)


def gru_reset_before_step(xg: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor,
                          rec_mask: Optional[Tensor]) -> Tensor:
    # indexed from the end: members (S, B, ...) and one seed (B, ...) alike
    n_h = h.shape[-1]
    xr, xz, xn = xg.chunk(3, -1)
    # r and z first: the candidate's matmul needs r (two matmuls per step, not one)
    rz_mask = None if rec_mask is None else rec_mask[..., :2, :]
    hr, hz = _recurrent(h, w_hh[..., :2 * n_h, :], b_hh[..., :2 * n_h], rz_mask).chunk(2, -1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    hn_in = h if rec_mask is None else h * rec_mask[..., 2, :]
    n = torch.tanh(xn + _recurrent(r * hn_in, w_hh[..., 2 * n_h:, :], b_hh[..., 2 * n_h:], None))
    return z * h + (1.0 - z) * n


def batch_norm_step(v: Tensor, mean: Tensor, var: Tensor, training: bool, eps: float) -> Tuple[Tensor, Tensor, Tensor]:
    """(v − μ)/√(σ² + ε) with μ, σ² of this step's batch (training) or the given population
    estimates (inference); also returns the statistics used (biased variance, as BN normalises)."""
    if training:
        mean = v.mean(0)
        var = v.var(0, unbiased=False)
    return (v - mean) * torch.rsqrt(var + eps), mean, var


def bnlstm_step(xg_hat: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor, gamma_h: Tensor, gamma_c: Tensor,
                beta_c: Tensor, rec_mask: Optional[Tensor], mean_h: Tensor, var_h: Tensor,
                mean_c: Tensor, var_c: Tensor, training: bool, eps: float
                ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """One BN-LSTM step; ``xg_hat`` = γ_x BN(W_ih x_t) + b (normalised by the caller for all steps
    at once). Returns h, c and the step's statistics of W_hh h_{t-1} and of c_t."""
    ah = _recurrent(h, w_hh, b_hh, rec_mask)    # b_hh is held at 0: BN would remove it
    ah_hat, m_h, v_h = batch_norm_step(ah, mean_h, var_h, training, eps)
    i, f, g, o = (xg_hat + gamma_h * ah_hat).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    c_hat, m_c, v_c = batch_norm_step(c, mean_c, var_c, training, eps)
    h = torch.sigmoid(o) * torch.tanh(gamma_c * c_hat + beta_c)
    return h, c, m_h, v_h, m_c, v_c


# ---------------------------------------------------------------- loops over time
# gx: (T, B, G*H) precomputed input projections; return (T, B, H). The rnn, lstm and gru loops
# (reset after) also run S stacked members: gx (T, S, B, G*H), weights (S, ...), out (T, S, B, H).
# The steps come from gx.unbind(0), not gx[t]: the backward of each gx[t] would allocate and add
# a zero tensor the size of all of gx (O(T²) work), while unbind's backward is one stack.
# ``per_step``: ``rec_mask`` holds one mask per step on a leading T axis (T, [S,] B, G, H); the
# masks carry no gradient, so indexing them costs none of the above.


def _step_mask(rec_mask: Optional[Tensor], per_step: bool, t: int) -> Optional[Tensor]:
    if per_step and rec_mask is not None:
        return rec_mask[t]
    return rec_mask

def _zero_state(gx: Tensor, w_hh: Tensor) -> Tensor:
    """h_0 = 0: (B, H) from gx (T, B, G·H), or (S, B, H) for members' gx (T, S, B, G·H)."""
    shape = list(gx.shape[1:-1])
    shape.append(w_hh.shape[-1])
    return gx.new_zeros(shape)


def _scan(gx: Tensor, w_hh: Tensor, b_hh: Tensor, rec_mask: Optional[Tensor], cell: str, flag: bool,
          per_step: bool) -> Tensor:
    """All steps of one layer from h_0 = 0 (and c_0 = 0): ``cell`` 'rnn' (``flag``: ReLU, else tanh),
    'lstm' (``flag`` unused) or 'gru' (``flag``: reset after the matmul, else before it, the lecture's).
    One loop for the three cells: TorchScript takes no function argument, so the step is chosen per step
    by name (a string compare, nothing beside the step's matmul)."""
    h = _zero_state(gx, w_hh)
    c = h
    out: List[Tensor] = []
    t = 0
    for xt in gx.unbind(0):
        m = _step_mask(rec_mask, per_step, t)
        if cell == "lstm":
            h, c = lstm_step(xt, h, c, w_hh, b_hh, m)
        elif cell == "gru":
            h = gru_step(xt, h, w_hh, b_hh, m) if flag else gru_reset_before_step(xt, h, w_hh, b_hh, m)
        else:
            h = rnn_step(xt, h, w_hh, b_hh, m, flag)
        out.append(h)
        t += 1
    return torch.stack(out)


def rnn_loop(gx: Tensor, w_hh: Tensor, b_hh: Tensor, rec_mask: Optional[Tensor], relu: bool,
             per_step: bool = False) -> Tensor:
    return _scan(gx, w_hh, b_hh, rec_mask, "rnn", relu, per_step)


def lstm_loop(gx: Tensor, w_hh: Tensor, b_hh: Tensor, rec_mask: Optional[Tensor], per_step: bool = False) -> Tensor:
    return _scan(gx, w_hh, b_hh, rec_mask, "lstm", False, per_step)


def gru_loop(gx: Tensor, w_hh: Tensor, b_hh: Tensor, rec_mask: Optional[Tensor], reset_after: bool,
             per_step: bool = False) -> Tensor:
    return _scan(gx, w_hh, b_hh, rec_mask, "gru", reset_after, per_step)


def bnlstm_loop(gx_hat: Tensor, w_hh: Tensor, b_hh: Tensor, gamma_h: Tensor, gamma_c: Tensor, beta_c: Tensor,
                rec_mask: Optional[Tensor], mean_h: Tensor, var_h: Tensor, mean_c: Tensor, var_c: Tensor,
                training: bool, eps: float, per_step: bool = False) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """All steps of a BN-LSTM layer. ``mean_*``/``var_*`` (T_max, ·) are the population
    estimates per step, used in inference (steps past T_max use the last row, as Cooijmans et
    al.). Returns the outputs and the (T, ·) batch statistics of training, for the running
    estimates (empty in inference)."""
    h = gx_hat.new_zeros(gx_hat.shape[1], w_hh.shape[1])
    c = h
    cap = mean_h.shape[0] - 1
    out: List[Tensor] = []
    mh: List[Tensor] = []
    vh: List[Tensor] = []
    mc: List[Tensor] = []
    vc: List[Tensor] = []
    t = 0
    for xt in gx_hat.unbind(0):
        s = min(t, cap)
        h, c, m_h, v_h, m_c, v_c = bnlstm_step(xt, h, c, w_hh, b_hh, gamma_h, gamma_c, beta_c,
                                               _step_mask(rec_mask, per_step, t),
                                               mean_h[s], var_h[s], mean_c[s], var_c[s], training, eps)
        out.append(h)
        if training:
            mh.append(m_h)
            vh.append(v_h)
            mc.append(m_c)
            vc.append(v_c)
        t += 1
    if not training:
        return torch.stack(out), mean_h[:0], var_h[:0], mean_c[:0], var_c[:0]
    return torch.stack(out), torch.stack(mh), torch.stack(vh), torch.stack(mc), torch.stack(vc)


def _script(fns: dict) -> dict:
    # TorchScript loops run a few per cent faster than Python ones on CPU (bench/recurrent_kernels.py
    # measures the paths). torch 2.13 marks torch.jit.script deprecated (for torch.compile, which on
    # CPU needs a C++ toolchain and minutes of compile per shape); it still works: silence just that.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*deprecated", category=DeprecationWarning)
        return {k: torch.jit.script(f) for k, f in fns.items()}


# the stepwise path's loop of each equation family (TorchScript-compiled)
LOOPS = _script({"rnn": rnn_loop, "lstm": lstm_loop, "gru": gru_loop, "bnlstm": bnlstm_loop})

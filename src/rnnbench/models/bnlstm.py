"""Recurrent batch normalisation (Cooijmans et al. 2016, "Recurrent Batch Normalization").

The BN-LSTM normalises the input projection W_x x_t, the recurrent projection W_h h_{t-1} and
the cell c_t (before its tanh) over the batch, separately at each time step:

    [i f g o] = γ_x BN(W_x x_t) + γ_h BN(W_h h_{t-1}) + b
    c_t = σ(f) c_{t-1} + σ(i) tanh(g),     h_t = σ(o) tanh(γ_c BN(c_t) + β_c)

as in the paper and the lecture ("batch-normalise hidden state variable h and input x independently
(at each time step); use separate but fixed scaling parameters"; "no separate batch-normalisation of
the long-term memory state c"): the state c carried to the next step is never normalised, BN(c_t)
only feeds the output's tanh. The two projections have no shift of their own (β_x = β_h = 0; b is the gates'
only bias), every γ starts at 0.1 (the paper's fix for vanishing gradients through tanh and σ
of normalised units), β_c at 0. Training normalises with the batch's statistics at step t;
inference with population estimates per step (running averages, as ``nn.BatchNorm1d`` keeps
them: momentum 0.1, unbiased variance), and steps beyond ``max_steps`` use the last step's
estimates. The weights W_x, W_h and b are the LSTM layer's (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``; ``bias_hh_l0`` stays 0 and frozen, since BN would remove it); this module holds
the γ, β and the per-step statistics. The equations run stepwise (:mod:`.equations`): there is
no fused kernel for them.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .equations import batch_norm_step

GAMMA_INIT = 0.1   # Cooijmans et al. 2016, section 4
EPS = 1e-5         # nn.BatchNorm1d's
MOMENTUM = 0.1     # nn.BatchNorm1d's: running = (1 - m) running + m batch


class RecurrentBatchNorm(nn.Module):
    """γ, β and per-time-step statistics of one BN-LSTM layer of ``hidden`` units."""

    def __init__(self, hidden: int, max_steps: int):
        super().__init__()
        if max_steps < 1:
            raise ValueError(f"bn_max_steps must be >= 1, got {max_steps}")
        g = 4 * hidden
        self.gamma_x = nn.Parameter(torch.empty(g))
        self.gamma_h = nn.Parameter(torch.empty(g))
        self.gamma_c = nn.Parameter(torch.empty(hidden))
        self.beta_c = nn.Parameter(torch.empty(hidden))
        for name, n in (("x", g), ("h", g), ("c", hidden)):
            self.register_buffer(f"mean_{name}", torch.zeros(max_steps, n))
            self.register_buffer(f"var_{name}", torch.ones(max_steps, n))
        self.register_buffer("batches", torch.zeros(max_steps, dtype=torch.long))  # updates per step
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for gamma in (self.gamma_x, self.gamma_h, self.gamma_c):
            gamma.fill_(GAMMA_INIT)
        self.beta_c.zero_()
        for name in ("x", "h", "c"):
            getattr(self, f"mean_{name}").zero_()
            getattr(self, f"var_{name}").fill_(1.0)
        self.batches.zero_()

    @property
    def max_steps(self) -> int:
        return self.mean_x.shape[0]

    def _rows(self, stats: Tensor, steps: int) -> Tensor:
        """The population estimates of steps 0..steps-1 (past max_steps: the last one's)."""
        idx = torch.arange(steps, device=stats.device).clamp(max=self.max_steps - 1)
        return stats[idx]

    def inputs(self, wx: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """γ_x BN(W_x x_t) + b for all steps of wx (T, B, 4H) at once, with the per-step (T, 4H)
        statistics used (the batch's in training)."""
        steps = wx.shape[0]
        v, mean, var = batch_norm_step(wx.transpose(0, 1), self._rows(self.mean_x, steps),   # batch first
                                       self._rows(self.var_x, steps), self.training, EPS)
        return self.gamma_x * v.transpose(0, 1) + b, mean, var

    @torch.no_grad()
    def update(self, batch: int, **stats: Tensor) -> None:
        """Fold one training batch's per-step statistics (mean_x=(T, ·), var_x=..., h, c) into
        the running estimates of steps < max_steps. Variances arrive biased (what BN normalises
        with) and are stored unbiased, as nn.BatchNorm1d does."""
        correction = batch / max(batch - 1, 1)
        n = min(next(iter(stats.values())).shape[0], self.max_steps)   # every statistic has a row per step
        for key, value in stats.items():
            value = value[:n].detach()
            if key.startswith("var_"):
                value = value * correction
            getattr(self, key)[:n].mul_(1.0 - MOMENTUM).add_(value, alpha=MOMENTUM)
        self.batches[:n] += 1

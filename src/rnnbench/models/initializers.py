"""Weight initialisers as small named functions, in place on torch tensors (like ``torch.nn.init``).

Shapes follow PyTorch: ``weight_ih`` is (G*H, F) and ``weight_hh`` is (G*H, H), G gate blocks
stacked along dim 0 (LSTM i,f,g,o; GRU r,z,n; plain RNN one block). Keras stores the transposes
(``kernel`` (F, G*H), ``recurrent_kernel`` (H, G*H)), so the Keras defaults below are applied to
the whole stacked matrix exactly as Keras applies them to its whole kernel.
"""
from __future__ import annotations

import math

import torch


@torch.no_grad()
def identity_(w: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """Recurrent weights = ``gain`` * I (IRNN).

    Le, Jaitly & Hinton (2015), "A Simple Way to Initialize Recurrent Networks of Rectified
    Linear Units", arXiv:1504.00941: with ReLU units and W_h = I the state is copied unchanged
    when there is no input, so gradients neither vanish nor explode at initialisation.
    Same as Keras ``initializers.Identity(gain)``.
    """
    if w.dim() != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"identity_ needs a square matrix, got shape {tuple(w.shape)}")
    w.copy_(gain * torch.eye(w.shape[0], dtype=w.dtype, device=w.device))
    return w


def nprnn_matrix(n: int, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The np-RNN matrix (A + I) / e, A = RᵀR / N, R ~ N(0, 1)^{N×N}, e = max eig(A + I).

    Computed in float64 (then cast) so the top eigenvalue is 1 to ~1e-7 after the cast.
    """
    r = torch.randn(n, n, generator=generator, dtype=torch.float64)
    a = r.T @ r / n
    m = a + torch.eye(n, dtype=torch.float64)
    e = torch.linalg.eigvalsh(m).max()
    return (m / e).to(dtype)


@torch.no_grad()
def nprnn_(w: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Recurrent weights = normalised positive-definite matrix (np-RNN).

    Talathi & Vartak (2016), "Improving performance of recurrent neural network with relu
    nonlinearity", arXiv:1511.03771 (ICLR 2016 workshop): W_h = (A + I) / e with A = RᵀR / N,
    R standard Gaussian N×N and e the largest eigenvalue of A + I. W_h is symmetric positive
    definite with top eigenvalue exactly 1 and all others in (0, 1): the dominant direction is
    preserved like IRNN's identity, the others decay.
    """
    if w.dim() != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"nprnn_ needs a square matrix, got shape {tuple(w.shape)}")
    w.copy_(nprnn_matrix(w.shape[0], generator=generator, dtype=w.dtype).to(w.device))
    return w


@torch.no_grad()
def irnn_input_(w: torch.Tensor, std: float = 0.001,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Input weights ~ N(0, std²); Le et al. (2015) use std 0.001 (Keras ``RandomNormal(stddev)``).

    The lecture gives np-RNN only "random weights applied to the inputs", so np-RNN uses the same
    small Gaussian: IRNN and np-RNN then differ only in W_h.
    """
    w.normal_(0.0, std, generator=generator)
    return w


@torch.no_grad()
def glorot_uniform_(w: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Keras ``glorot_uniform`` (Glorot & Bengio 2010): U(±sqrt(6 / (fan_in + fan_out))).

    For a torch (G*H, F) weight, fan_in = F and fan_out = G*H, as for Keras' (F, G*H) kernel.
    """
    fan_out, fan_in = w.shape
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    w.uniform_(-limit, limit, generator=generator)
    return w


@torch.no_grad()
def orthogonal_(w: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Keras ``orthogonal`` (Saxe et al. 2014, arXiv:1312.6120) on the whole stacked matrix.

    torch's (G*H, H) recurrent weight gets orthonormal columns (WᵀW = I), i.e. Keras'
    (H, G*H) recurrent_kernel has orthonormal rows.
    """
    return torch.nn.init.orthogonal_(w, generator=generator)


@torch.no_grad()
def _zero_bias(layer: torch.nn.Module, suffix: str = "_l0") -> None:
    for name in ("bias_ih", "bias_hh"):
        b = getattr(layer, name + suffix, None)
        if b is not None:
            b.zero_()


@torch.no_grad()
def keras_rnn_(layer: torch.nn.RNNBase, generator: torch.Generator | None = None) -> None:
    """Keras ``SimpleRNN`` defaults on a one-layer nn.RNN: glorot kernel, orthogonal recurrent,
    zero bias."""
    glorot_uniform_(layer.weight_ih_l0, generator)
    orthogonal_(layer.weight_hh_l0, generator)
    _zero_bias(layer)


@torch.no_grad()
def keras_lstm_(layer: torch.nn.LSTM, generator: torch.Generator | None = None) -> None:
    """Keras ``LSTM`` defaults: glorot kernel, orthogonal recurrent, zero bias and
    ``unit_forget_bias=True`` (forget-gate bias 1; Jozefowicz et al. 2015, "An Empirical
    Exploration of Recurrent Network Architectures"). torch gate order i,f,g,o = Keras i,f,c,o,
    so the forget block is rows H:2H. The 1 goes into ``bias_ih`` only, so b_ih + b_hh = Keras."""
    keras_rnn_(layer, generator)
    h = layer.hidden_size
    layer.bias_ih_l0[h:2 * h].fill_(1.0)


@torch.no_grad()
def keras_gru_(layer: torch.nn.GRU, generator: torch.Generator | None = None) -> None:
    """Keras ``GRU`` defaults: glorot kernel, orthogonal recurrent, zero biases."""
    keras_rnn_(layer, generator)


@torch.no_grad()
def irnn_layer_(layer: torch.nn.RNN, gain: float = 1.0, input_std: float = 0.001,
                generator: torch.Generator | None = None) -> None:
    """IRNN layer (Le et al. 2015): W_x ~ N(0, input_std²), W_h = gain·I, zero bias."""
    irnn_input_(layer.weight_ih_l0, input_std, generator)
    identity_(layer.weight_hh_l0, gain)
    _zero_bias(layer)


@torch.no_grad()
def nprnn_layer_(layer: torch.nn.RNN, input_std: float = 0.001,
                 generator: torch.Generator | None = None) -> None:
    """np-RNN layer (Talathi & Vartak 2016): W_x ~ N(0, input_std²), W_h = (A+I)/e, zero bias."""
    irnn_input_(layer.weight_ih_l0, input_std, generator)
    nprnn_(layer.weight_hh_l0, generator)
    _zero_bias(layer)


@torch.no_grad()
def gain_orthogonal_layer_(layer: torch.nn.RNN, gain: float = 1.0, input_std: float = 0.001,
                           generator: torch.Generator | None = None) -> None:
    """W_h = gain · Q (Q random orthogonal), W_x ~ N(0, input_std²), zero bias (``init: orthogonal``).

    The lecture's scalar case made a matrix: every singular value of W_h is ``gain``, so in the
    linear regime of tanh (small inputs, g'(z) ≈ 1) each step of back-propagation through time
    scales ‖∂L/∂h‖ by exactly ``gain``: ``gain``^(t−s) over t − s steps (Saxe et al. 2014 use
    scaled orthogonal matrices the same way).
    """
    if gain <= 0:
        raise ValueError(f"gain must be > 0, got {gain!r}")
    irnn_input_(layer.weight_ih_l0, input_std, generator)
    orthogonal_(layer.weight_hh_l0, generator)
    layer.weight_hh_l0.mul_(gain)
    _zero_bias(layer)

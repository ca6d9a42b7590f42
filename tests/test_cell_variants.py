"""The lecture's reset-before GRU and the BN-LSTM (Cooijmans et al. 2016): equations computed by
hand, per-step batch statistics, paths and errors. (Keras parity of the reset-before GRU is in
test_keras_parity.py.)"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbench.models import bnlstm
from rnnbench.models.seq import ModelSpec, build_model


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _np(t):
    return t.detach().double().numpy()


# ---------------------------------------------------------------- reset-before GRU
def test_reset_before_gru_is_the_lecture_equation():
    torch.manual_seed(0)
    m = build_model(ModelSpec("gru", 3, 4, 2, return_sequences=True, reset_after=False, init="torch")).eval()
    x = torch.randn(2, 5, 3)
    layer = m.rnns[0]
    w_ih, w_hh, b_ih, b_hh = (_np(p) for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0,
                                                layer.bias_hh_l0))
    w_r, w_z, w_n = np.split(w_hh, 3)
    b_r, b_z, b_n = np.split(b_hh, 3)
    h = np.zeros((2, 4))
    outs = []
    for t in range(5):
        xr, xz, xn = np.split(_np(x[:, t]) @ w_ih.T + b_ih, 3, axis=1)
        r = _sig(xr + h @ w_r.T + b_r)
        z = _sig(xz + h @ w_z.T + b_z)
        n = np.tanh(xn + (r * h) @ w_n.T + b_n)          # reset before the matmul
        h = z * h + (1 - z) * n
        outs.append(h)
    logits = np.stack(outs, 1) @ _np(m.head.weight).T + _np(m.head.bias)
    np.testing.assert_allclose(_np(m(x)), logits, atol=1e-5)
    _, hs = m.hidden_states(x)
    np.testing.assert_allclose(_np(hs[-1]), h, atol=1e-5)


def test_reset_before_refuses_torchs_fused_layer(monkeypatch):
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "torch")
    m = build_model(ModelSpec("gru", 3, 4, 2, reset_after=False))
    x = torch.randn(2, 5, 3)
    m(x).sum().backward()
    assert m.path == "stepwise"            # torch has no fused layer for it; the C kernel's parity: test_native_rnn.py
    with pytest.raises(ValueError, match="reset-before GRU"):
        m(x, path="stock")
    with pytest.raises(ValueError, match="reset_after=False is the GRU's"):
        ModelSpec("lstm", 3, 4, 2, reset_after=False)


# ---------------------------------------------------------------- BN-LSTM
def _bn(v, mean, var):
    return (v - mean) / np.sqrt(var + bnlstm.EPS)


def _by_hand(m, x, stats=None):
    """The BN-LSTM of Cooijmans et al. in float64: batch statistics per step (``stats`` None),
    else the given per-step population statistics {name: (T, ·) array}. Returns outputs and
    the batch statistics (biased variances) of each step."""
    layer, bn = m.rnns[0], m.bns[0]
    w_ih, w_hh, b = _np(layer.weight_ih_l0), _np(layer.weight_hh_l0), _np(layer.bias_ih_l0)
    gx, gh, gc, bc = (_np(p) for p in (bn.gamma_x, bn.gamma_h, bn.gamma_c, bn.beta_c))
    B, T, _ = x.shape
    H = w_hh.shape[1]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    outs, seen = [], {k: [] for k in ("mean_x", "var_x", "mean_h", "var_h", "mean_c", "var_c")}

    def norm(v, name, t):
        if stats is None:
            mu, var = v.mean(0), v.var(0)
        else:
            s = min(t, stats["mean_" + name].shape[0] - 1)
            mu, var = stats["mean_" + name][s], stats["var_" + name][s]
        seen["mean_" + name].append(mu)
        seen["var_" + name].append(var)
        return _bn(v, mu, var)

    for t in range(T):
        wx = _np(x[:, t]) @ w_ih.T
        wh = h @ w_hh.T
        a = gx * norm(wx, "x", t) + gh * norm(wh, "h", t) + b
        i, f, g, o = np.split(a, 4, axis=1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(gc * norm(c, "c", t) + bc)
        outs.append(h)
    return np.stack(outs, 1), {k: np.stack(v) for k, v in seen.items()}


def _model(max_steps=2):
    torch.manual_seed(0)
    m = build_model(ModelSpec("bnlstm", 3, 4, 2, return_sequences=True, bn_max_steps=max_steps))
    with torch.no_grad():       # γ, β and b away from their initial values, so each one matters
        bn = m.bns[0]
        for p in (bn.gamma_x, bn.gamma_h, bn.gamma_c, bn.beta_c, m.rnns[0].bias_ih_l0):
            p.uniform_(0.2, 1.5)
        m.head.weight.copy_(torch.eye(2, 4))      # logits = the first two units of h
        m.head.bias.zero_()
    return m


def test_bnlstm_initialisation():
    m = build_model(ModelSpec("bnlstm", 3, 4, 2))
    bn = m.bns[0]
    for gamma in (bn.gamma_x, bn.gamma_h, bn.gamma_c):
        assert torch.all(gamma == 0.1)                     # Cooijmans et al.: γ = 0.1
    assert torch.all(bn.beta_c == 0)
    assert torch.all(m.rnns[0].bias_hh_l0 == 0) and not m.rnns[0].bias_hh_l0.requires_grad
    assert torch.all(m.rnns[0].bias_ih_l0[4:8] == 1)       # Keras' unit forget bias


def test_bnlstm_training_uses_each_steps_batch_statistics():
    m = _model().train()
    x = torch.randn(5, 3, 3) * 2 + 1
    out = m(x)
    want, stats = _by_hand(m, x)
    np.testing.assert_allclose(_np(out), want[..., :2], atol=1e-5)
    # running estimates: steps 0 and 1 (max_steps 2) moved by momentum 0.1 towards the batch's,
    # variances stored unbiased (× B/(B-1)), as nn.BatchNorm1d; step 2 has no row of its own
    bn = m.bns[0]
    for name in ("x", "h", "c"):
        mean, var = stats[f"mean_{name}"][:2], stats[f"var_{name}"][:2] * 5 / 4
        np.testing.assert_allclose(_np(getattr(bn, f"mean_{name}")), 0.1 * mean, atol=1e-6)
        np.testing.assert_allclose(_np(getattr(bn, f"var_{name}")), 0.9 + 0.1 * var, atol=1e-6)
    assert bn.batches.tolist() == [1, 1]
    # at step 0, h_{-1} = 0: W_h h has no spread and its normalised value is 0, not NaN
    assert np.all(stats["var_h"][0] == 0) and np.isfinite(_np(out)).all()


def test_bnlstm_inference_uses_population_statistics_per_step():
    m = _model(max_steps=2).train()
    for _ in range(3):
        m(torch.randn(6, 4, 3))
    m.eval()
    x = torch.randn(2, 4, 3)
    bn = m.bns[0]
    pop = {k: _np(getattr(bn, k)) for k in ("mean_x", "var_x", "mean_h", "var_h", "mean_c", "var_c")}
    want, used = _by_hand(m, x, stats=pop)
    np.testing.assert_allclose(_np(m(x)), want[..., :2], atol=1e-5)
    np.testing.assert_array_equal(used["mean_h"][3], pop["mean_h"][1])   # steps >= max_steps: the last row
    before = bn.mean_x.clone()
    m(x)
    assert torch.equal(before, bn.mean_x)                                  # inference never updates them
    logits, hs = m.hidden_states(x)
    np.testing.assert_allclose(_np(hs[-1]), want[:, -1], atol=1e-5)


def test_bnlstm_gradients_reach_gammas_and_paths():
    m = build_model(ModelSpec("bnlstm", 3, 4, 2, layers=2, dropout=0.2, recurrent_dropout=0.2)).train()
    m(torch.randn(5, 6, 3)).sum().backward()
    assert m.path == "stepwise"
    for bn in m.bns:
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in bn.parameters())
    with pytest.raises(ValueError, match="fixed-length"):
        m(torch.randn(5, 6, 3), lengths=torch.tensor([6, 5, 4, 3, 2]))
    with pytest.raises(ValueError, match="no fused layer"):
        m.eval()(torch.randn(5, 6, 3), path="stock")

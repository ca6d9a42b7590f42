"""The diagnostics against distance (rnnbench.training.diagnostics) and the per-step factor the verdict
engine fits to them: the lecture's g^k (W_h = g·Q) and the LSTM's forget-gate products."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnbench.data.adding import load_adding
from rnnbench.grid import expand
from rnnbench.training.diagnostics import (forget_gates, forget_product_vs_distance, grad_vs_distance,
                                         measure_diagnostics)
from rnnbench.models.seq import ModelSpec, build_model
from rnnbench.claims.runs import decay_factor
from rnnbench.training.types import TaskData

CPU = torch.device("cpu")


@pytest.mark.parametrize("factor", [0.7, 0.95, 1.0, 1.08])
def test_decay_factor_recovers_a_geometric_curve(factor):
    curve = 3.0 * factor ** np.arange(60)
    assert decay_factor(curve) == pytest.approx(factor, rel=1e-9)
    # a gradient that underflowed to 0 (or a NaN) says nothing of the rate: left out, not log(0)
    tail = list(curve[:40]) + [0.0] * 15 + [float("nan")] * 5
    assert decay_factor(tail) == pytest.approx(factor, rel=1e-9)
    assert np.isnan(decay_factor([1.0, 0.0])) and np.isnan(decay_factor(None))


def test_gain_orthogonal_init_has_every_singular_value_g():
    m = build_model(ModelSpec(cell="rnn_tanh", input_size=2, hidden=16, output_size=1, init="orthogonal",
                              recurrent_gain=0.9))
    sv = torch.linalg.svdvals(m.rnns[0].weight_hh_l0.detach())
    assert torch.allclose(sv, torch.full_like(sv, 0.9), atol=1e-5)
    w_ih, b_ih = m.rnns[0].weight_ih_l0.detach(), m.rnns[0].bias_ih_l0.detach()
    assert float(w_ih.std()) < 0.01 and float(b_ih.abs().max()) == 0.0


def test_recurrent_gain_is_validated():
    with pytest.raises(ValueError, match="rnn_tanh"):
        ModelSpec(cell="lstm", input_size=2, hidden=4, output_size=1, init="orthogonal")
    with pytest.raises(ValueError, match="init 'orthogonal' only"):
        ModelSpec(cell="rnn_tanh", input_size=2, hidden=4, output_size=1, recurrent_gain=1.1)
    with pytest.raises(ValueError, match="> 0"):
        ModelSpec(cell="rnn_tanh", input_size=2, hidden=4, output_size=1, init="orthogonal", recurrent_gain=0.0)


# Measured (T = 30, H = 16, input std 0.001, n = 64, seeds 0-4): |factor − g| ≤ 2.3e-6 at g = 0.8,
# ≤ 3.4e-5 at g = 1.0, ≤ 4.1e-4 at g = 1.1 (the state grows as 1.1^t and tanh starts to bend;
# at g = 1.2 it bends more: 1.1934-1.1987). The tolerance 0.002 is 5x the largest deviation at the
# gains tested.
@pytest.mark.parametrize("gain", [0.8, 1.0, 1.1])
def test_gradient_factor_at_initialisation_is_g_in_the_linear_regime(gain):
    data = load_adding(30, 64, 8, seed=0)
    torch.manual_seed(0)
    m = build_model(ModelSpec(cell="rnn_tanh", input_size=2, hidden=16, output_size=1, init="orthogonal",
                              recurrent_gain=gain, kernel="torch"))
    assert decay_factor(grad_vs_distance(m, data, CPU, n=64)) == pytest.approx(gain, abs=0.002)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_forget_product_equals_a_hand_computation_on_a_tiny_lstm():
    torch.manual_seed(3)
    H, F, T, B = 2, 1, 4, 3
    m = build_model(ModelSpec(cell="lstm", input_size=F, hidden=H, output_size=1, kernel="torch"))
    with torch.no_grad():   # away from the Keras init, so that every gate depends on x and h
        for p in m.rnns[0].parameters():
            p.uniform_(-1.0, 1.0)
    x = np.random.default_rng(0).normal(size=(B, T, F)).astype(np.float32)
    data = TaskData(name="t", kind="regression", x_train=x, y_train=np.zeros((B, 1), np.float32), x_val=x,
                    y_val=np.zeros((B, 1), np.float32), x_test=x, y_test=np.zeros((B, 1), np.float32), n_outputs=1)
    # by hand, in float64 from the weights: torch's LSTM gate rows are i, f, g, o
    w_ih, w_hh = (getattr(m.rnns[0], k).detach().double().numpy() for k in ("weight_ih_l0", "weight_hh_l0"))
    b = (m.rnns[0].bias_ih_l0 + m.rnns[0].bias_hh_l0).detach().double().numpy()
    fs = np.zeros((T, B, H))
    for s in range(B):
        h, c = np.zeros(H), np.zeros(H)
        for t in range(T):
            z = w_ih @ x[s, t].astype(float) + w_hh @ h + b
            i, f, g, o = _sigmoid(z[:H]), _sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sigmoid(z[3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            fs[t, s] = f
    assert np.allclose(forget_gates(m, torch.as_tensor(x)).numpy(), fs, atol=1e-6)
    expected = [1.0] + [float(np.mean(np.prod(fs[T - d:], axis=0))) for d in range(1, T)]
    got = forget_product_vs_distance(m, data, CPU)
    assert got == pytest.approx(expected, abs=1e-6)
    assert all(0 < v <= 1 for v in got) and got == sorted(got, reverse=True)
    assert set(measure_diagnostics(m, data, CPU, "final")) == {"grad_vs_distance_final", "forget_product_final"}


def test_epochs_zero_records_the_diagnostics_at_initialisation_only(tmp_path):
    from rnnbench.train import run

    spec = next(iter(expand([{"name": "gk", "task": "adding", "cells": ["rnn_tanh"], "init": "orthogonal",
                              "recurrent_gain": [0.9], "seq_len": 12, "n_train": 16, "n_test": 8, "epochs": 0,
                              "hidden": 4, "kernel": "torch"}]).values()))
    rec = run(spec, None, tmp_path, "cpu", 1)
    assert rec["status"] == "ok" and rec["epochs_run"] == 0 and "test_mse" in rec["final"]
    assert list(rec["diagnostics"]) == ["grad_vs_distance_init"]
    assert len(rec["diagnostics"]["grad_vs_distance_init"]) == 12
    assert json.loads((tmp_path / "metrics.json").read_text())["config"]["recurrent_gain"] == 0.9
    assert decay_factor(rec["diagnostics"]["grad_vs_distance_init"]) == pytest.approx(0.9, abs=0.002)


def test_gk_and_highway_figures_from_run_records(tmp_path):
    from rnnbench.report.common import matplotlib_headless
    from rnnbench.report.recurrent import gk_figure, highway_figure

    matplotlib_headless()
    d = np.arange(50)
    recs = [{"run_id": f"gk/{g}/{s}", "grid": "gk_init", "task": "adding", "cell": "rnn_tanh", "backend": "torch",
             "config": {"init": "orthogonal", "recurrent_gain": g},
             "diagnostics": {"grad_vs_distance_init": list(g ** d)}} for g in (0.9, 1.1) for s in range(2)]
    # the gated cells train in their own grid (another learning rate): one panel per task and length
    recs += [{"run_id": f"al/{c}", "grid": "adding_long_gated" if c == "lstm" else "adding_long", "task": "adding",
              "cell": c, "backend": "torch",
              "config": {"init": "keras", "seq_len": 50}, "diagnostics": {"grad_vs_distance_final": list(0.5 ** d) + [0.0] * 5,
                                                            **({"forget_product_final": list(0.99 ** d)}
                                                               if c == "lstm" else {})}}
             for c in ("lstm", "rnn_tanh")]
    for fn, name in ((gk_figure, "gk_vs_distance.png"), (highway_figure, "highway_vs_distance.png")):
        assert fn(recs, tmp_path) == tmp_path / name and (tmp_path / name).stat().st_size > 10_000
    # without the runs: a declared figure that says so
    assert highway_figure(recs[:4], tmp_path / "none").exists()


def test_grad_vs_distance_has_one_value_per_step():
    data = load_adding(seq_len=30, n_train=64, n_test=16, seed=0)
    model = build_model(ModelSpec(cell="rnn_tanh", input_size=2, hidden=8, output_size=1))
    g = grad_vs_distance(model, data, CPU, n=32)
    assert len(g) == 30 and all(np.isfinite(g)) and g[0] > 0

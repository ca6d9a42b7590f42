"""The native CPU recurrence (recurrence.c): same function and same gradients as the torch step
loop for every cell (the lecture's reset-before GRU too), with Keras' dropout masks (one per
sequence, or one per step), padded hidden sizes, stacked layers; fallback and error behaviour."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rnnbench.models import equations, native_rnn, seq
from rnnbench.models.seq import ModelSpec, build_model

from conftest import require_native

CELLS = ["rnn_tanh", "irnn", "lstm", "gru", "gru_reset_before"]


def _cell(name: str) -> tuple[str, bool]:
    """(cell, reset_after) of a test's cell name; 'gru_reset_before' is the lecture's GRU."""
    return ("gru", False) if name == "gru_reset_before" else (name, True)


def _layer(name, *args):
    cell, reset_after = _cell(name)
    return native_rnn.layer(cell, *args, reset_after=reset_after)


def _reference(name, x, w_ih, b_ih, w_hh, b_hh, xmask, hmask):
    """The torch step loop of seq.py on the same parameters and masks, (B, T, H). Masks with a T
    axis ((B, T, GX, F), (B, T, G, H)) are one per step."""
    cell, reset_after = _cell(name)
    g = w_hh.shape[0] // w_hh.shape[1]
    per_step = any(m is not None and m.dim() == 4 for m in (xmask, hmask))
    if xmask is not None and xmask.dim() == 3:
        xmask = xmask.unsqueeze(1)                      # the same mask at every step
    if xmask is None:
        gx = F.linear(x, w_ih, b_ih)
    elif xmask.shape[2] == 1:
        gx = F.linear(x * xmask[:, :, 0], w_ih, b_ih)
    else:
        xm = x.unsqueeze(2) * xmask
        gx = torch.einsum("btgf,ghf->btgh", xm, w_ih.view(g, -1, x.shape[2])).reshape(*x.shape[:2], -1) + b_ih
    gx = gx.transpose(0, 1)
    if hmask is not None and per_step:
        hmask = hmask.transpose(0, 1)                   # the loops take step t's mask as [t]
    if cell == "gru":
        out = equations.gru_loop(gx, w_hh, b_hh, hmask, reset_after, per_step)
    elif cell == "lstm":
        out = equations.lstm_loop(gx, w_hh, b_hh, hmask, per_step)
    else:
        out = equations.rnn_loop(gx, w_hh, b_hh, hmask, cell == "irnn", per_step)
    return out.transpose(0, 1)


def _rel(a, b):
    return ((a - b).abs().max() / (b.abs().max() + 1e-6)).item()


def _assert_matches_step_loop(cell, params, xmask, hmask):
    """The native layer's values and gradients (all of x, W_ih, b_ih, W_hh, b_hh, from h_t and h_T)
    against the torch step loop's; returns (out, ref, dout) for further checks."""
    out, last = _layer(cell, *params, xmask, hmask)
    ref = _reference(cell, *params, xmask, hmask)
    assert out.shape == ref.shape and last.shape == (out.shape[0], out.shape[2])
    assert _rel(out, ref) < 1e-5
    torch.testing.assert_close(last, out[:, -1])
    dout, dlast = torch.randn_like(out), torch.randn_like(last)
    got = torch.autograd.grad((out * dout).sum() + (last * dlast).sum(), params)
    want = torch.autograd.grad((ref * dout).sum() + (ref[:, -1] * dlast).sum(), params, retain_graph=True)
    for name, a, w in zip(["x", "W_ih", "b_ih", "W_hh", "b_hh"], got, want):
        assert a.shape == w.shape
        assert _rel(a, w) < 2e-5, name
    return out, ref, dout


@pytest.fixture(autouse=True)
def _kernel(request, monkeypatch):
    # this module tests the kernels and the fallback themselves: RNNBENCH_RNN_KERNEL (an override
    # for runs) would only replace the path under test
    monkeypatch.delenv("RNNBENCH_RNN_KERNEL", raising=False)
    if request.node.get_closest_marker("torch_path"):
        return                       # a test of what runs without the kernel
    require_native()                 # no C compiler: skipped (a failure in CI)
    lib, msg = native_rnn.load()
    assert lib is not None, msg      # a compiler is there: a build failure is a bug


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("hidden", [16, 12, 32])           # 12: padded to 16 inside
@pytest.mark.parametrize("masks", ["none", "shared", "per_gate", "per_step_shared", "per_step_per_gate"])
def test_layer_matches_step_loop_values_and_gradients(cell, hidden, masks):
    torch.manual_seed(hash((cell, hidden, masks)) % 1000)
    g = seq.CELLS[_cell(cell)[0]][0]
    b, t, f = 11, 6, 5                  # 11 rows: a full block of 8 and a partial one
    x = torch.randn(b, t, f, requires_grad=True)
    w_ih = (torch.randn(g * hidden, f) * 0.3).requires_grad_()
    b_ih = (torch.randn(g * hidden) * 0.1).requires_grad_()
    w_hh = (torch.randn(g * hidden, hidden) * 0.5 / hidden ** 0.5).requires_grad_()
    b_hh = (torch.randn(g * hidden) * 0.1).requires_grad_()
    xmask = hmask = None
    if masks != "none":
        steps = (t,) if masks.startswith("per_step") else ()       # (B, T, ...): a fresh mask every step
        xmask = (torch.rand(b, *steps, 1 if masks.endswith("shared") else g, f) > 0.3).float() / 0.7
        hmask = (torch.rand(b, *steps, g, hidden) > 0.3).float() / 0.7 if masks.endswith("per_gate") else None
    params = [x, w_ih, b_ih, w_hh, b_hh]
    out, ref, _ = _assert_matches_step_loop(cell, params, xmask, hmask)
    assert out.shape == (b, t, hidden)
    # only h_T used (many-to-one) and only the sequence used (stacking) are the same backward
    g_last = torch.autograd.grad(_layer(cell, x, w_ih, b_ih, w_hh, b_hh, xmask, hmask)[1].sum(), params)
    g_ref = torch.autograd.grad(ref[:, -1].sum(), params)
    assert max(_rel(a, w) for a, w in zip(g_last, g_ref)) < 2e-5


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("hidden", [16, 12])
@pytest.mark.parametrize("hmask_kind", ["none", "sequence", "step"])
def test_hoisted_input_side_matches_step_loop_values_and_gradients(cell, hidden, hmask_kind, monkeypatch):
    """A wide input without an input mask: W_ih x_t + b_ih of all steps as one GEMM before the
    kernel, dW_ih and dx as GEMMs after it: the step loop's values and gradients, with or without
    a recurrent mask."""
    monkeypatch.setattr(native_rnn, "HOIST_MIN_RATIO", 2.0)
    torch.manual_seed(hash((cell, hidden, hmask_kind)) % 1000)
    g = seq.CELLS[_cell(cell)[0]][0]
    b, t, f = 11, 6, 2 * hidden + 3
    assert native_rnn.hoists(None, f, hidden) and not native_rnn.hoists(torch.ones(b, 1, f), f, hidden)
    x = torch.randn(b, t, f, requires_grad=True)
    w_ih = (torch.randn(g * hidden, f) * 0.3 / f ** 0.5).requires_grad_()
    b_ih = (torch.randn(g * hidden) * 0.1).requires_grad_()
    w_hh = (torch.randn(g * hidden, hidden) * 0.5 / hidden ** 0.5).requires_grad_()
    b_hh = (torch.randn(g * hidden) * 0.1).requires_grad_()
    steps = (t,) if hmask_kind == "step" else ()
    hmask = None if hmask_kind == "none" else (torch.rand(b, *steps, g, hidden) > 0.3).float() / 0.7
    params = [x, w_ih, b_ih, w_hh, b_hh]
    _, ref, dout = _assert_matches_step_loop(cell, params, None, hmask)
    # a frozen input (an embedding that is not trained): no dx, the same weight gradients
    out2, _ = _layer(cell, x.detach(), w_ih, b_ih, w_hh, b_hh, None, hmask)
    got2 = torch.autograd.grad((out2 * dout).sum(), params[1:])
    want2 = torch.autograd.grad((ref * dout).sum(), params[1:])
    assert max(_rel(a, w) for a, w in zip(got2, want2)) < 2e-5


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dropout_masks", ["sequence", "step"])
def test_model_native_equals_stepwise_in_training_with_dropout(cell, dropout_masks):
    """Whole model, 2 layers, Keras dropout + recurrent_dropout, masks per sequence or per step:
    same masks (same seed, same drawing order), same loss, same gradient for every parameter."""
    name, reset_after = _cell(cell)
    spec = ModelSpec(name, 4, 16, 3, layers=2, dropout=0.3, recurrent_dropout=0.2, bias="single",
                     dropout_masks=dropout_masks, reset_after=reset_after)
    torch.manual_seed(0)
    m = build_model(spec).train()
    x, y = torch.randn(9, 7, 4), torch.randint(0, 3, (9,))
    grads = {}
    for path in ("native", "stepwise"):
        m.zero_grad()
        torch.manual_seed(5)
        loss = F.cross_entropy(m(x, path=path), y)
        loss.backward()
        grads[path] = (loss.item(), [p.grad.clone() if p.grad is not None else None for p in m.parameters()])
    assert grads["native"][0] == pytest.approx(grads["stepwise"][0], rel=1e-5)
    for a, b in zip(grads["native"][1], grads["stepwise"][1]):
        assert (a is None) == (b is None)       # bias='single': b_hh frozen on both paths
        if a is not None:
            assert _rel(a, b) < 2e-5


@pytest.mark.parametrize("cell,gates", [("lstm", 4), ("gru_reset_before", 3)])
def test_threads_do_not_change_the_result(cell, gates):
    torch.manual_seed(0)
    x = torch.randn(37, 9, 3)
    w_ih, b_ih = torch.randn(gates * 32, 3) * 0.3, torch.zeros(gates * 32)
    w_hh, b_hh = torch.randn(gates * 32, 32) * 0.1, torch.zeros(gates * 32)
    hmask = (torch.rand(37, 9, gates, 32) > 0.3).float() / 0.7           # per step
    n = torch.get_num_threads()
    try:
        outs = []
        for threads in (1, 3):
            torch.set_num_threads(threads)
            outs.append(_layer(cell, x, w_ih, b_ih, w_hh, b_hh, None, hmask)[0])
    finally:
        torch.set_num_threads(n)
    torch.testing.assert_close(outs[0], outs[1], atol=0, rtol=0)   # rows never mix: bit-identical


def test_nan_stays_visible():
    """A diverged run must show as NaN/Inf (recorded as 'diverged'), not be clamped away."""
    x = torch.randn(4, 5, 3)
    w_ih = torch.randn(64, 3)
    w_ih[0, 0] = float("nan")
    out, last = native_rnn.layer("lstm", x, w_ih, torch.zeros(64), torch.zeros(64, 16), torch.zeros(64))
    assert torch.isnan(out).any() and torch.isnan(last).any()
    big = native_rnn.layer("irnn", torch.full((2, 50, 1), 1e30), torch.ones(16, 1), torch.zeros(16),
                           torch.eye(16) * 10, torch.zeros(16))[1]
    assert not torch.isfinite(big).any()          # inf, then NaN from 0 * inf in the matmul


def test_fallback_without_compiler_and_env_switch(monkeypatch):
    monkeypatch.setattr(native_rnn, "load", lambda: (None, "no C compiler on PATH (test)"))
    m = build_model(ModelSpec("gru", 3, 4, 2, recurrent_dropout=0.2))
    assert m.path == "stepwise"
    assert m.eval()(torch.randn(2, 5, 3)).shape == (2, 2)
    with pytest.raises(RuntimeError, match="not available: no C compiler"):
        m(torch.randn(2, 5, 3), path="native")
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "native")
    with pytest.raises(RuntimeError, match="no C compiler"):
        _ = m.path
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "fast")
    with pytest.raises(ValueError, match="RNNBENCH_RNN_KERNEL"):
        _ = m.path


def test_rejects_mixed_mask_kinds_and_reset_before_on_other_cells():
    x = torch.randn(2, 3, 4)
    w_ih, w_hh, b = torch.randn(48, 4), torch.randn(48, 16), torch.zeros(48)
    with pytest.raises(ValueError, match="both be per step"):
        native_rnn.layer("gru", x, w_ih, b, w_hh, b, torch.ones(2, 3, 1, 4), torch.ones(2, 3, 16))
    with pytest.raises(ValueError, match="reset_after=False is the GRU's"):
        native_rnn.layer("lstm", x, torch.randn(64, 4), torch.zeros(64), torch.randn(64, 16), torch.zeros(64),
                         reset_after=False)


def test_rejects_non_cpu_float32():
    with pytest.raises(ValueError, match="CPU float32"):
        native_rnn.layer("lstm", torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(64, 4, dtype=torch.float64),
                         torch.zeros(64, dtype=torch.float64), torch.randn(64, 16, dtype=torch.float64),
                         torch.zeros(64, dtype=torch.float64))


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            return next((set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), set())
    except OSError:
        return set()


# each build width this CPU can run: (RNNBENCH_MARCH, the vector width the library must report)
_FLAGS = _cpu_flags()
_WIDTHS = [(m, w) for m, w, need in (("x86-64-v4", 16, {"avx512f", "avx512vl", "avx512bw", "avx512dq"}),
                                     ("x86-64-v3", 8, {"avx2", "fma"}), ("x86-64-v2", 4, {"sse4_2"}))
           if need <= _FLAGS]


@pytest.mark.skipif(not _WIDTHS, reason="not an x86-64 CPU with /proc/cpuinfo flags")
@pytest.mark.parametrize("march,width", _WIDTHS)
@pytest.mark.parametrize("cell", CELLS)
def test_every_build_width_matches_the_step_loop(march, width, cell, monkeypatch):
    """The same parity on each target's vector width and row block (16 / 8 / 4 floats), with
    per-gate masks, a padded width and a partial row block."""
    monkeypatch.setenv("RNNBENCH_MARCH", march)
    lib, msg = native_rnn.load()
    assert lib is not None, msg
    assert f"-march={march}" in msg and native_rnn.vector_width(lib) == width
    torch.manual_seed(3)
    g, hidden = seq.CELLS[_cell(cell)[0]][0], 20          # 20: padded to 32 / 24 / 20
    b, t, f = 13, 5, 6
    x = torch.randn(b, t, f, requires_grad=True)
    w_ih = (torch.randn(g * hidden, f) * 0.3).requires_grad_()
    b_ih = (torch.randn(g * hidden) * 0.1).requires_grad_()
    w_hh = (torch.randn(g * hidden, hidden) * 0.5 / hidden ** 0.5).requires_grad_()
    b_hh = (torch.randn(g * hidden) * 0.1).requires_grad_()
    xmask = (torch.rand(b, g, f) > 0.3).float() / 0.7
    hmask = (torch.rand(b, g, hidden) > 0.3).float() / 0.7
    params = [x, w_ih, b_ih, w_hh, b_hh]
    out, last = _layer(cell, x, w_ih, b_ih, w_hh, b_hh, xmask, hmask)
    ref = _reference(cell, x, w_ih, b_ih, w_hh, b_hh, xmask, hmask)
    assert _rel(out, ref) < 1e-5
    dout = torch.randn_like(out)
    got = torch.autograd.grad((out * dout).sum(), params)
    want = torch.autograd.grad((ref * dout).sum(), params)
    for name, a, w in zip(["x", "W_ih", "b_ih", "W_hh", "b_hh"], got, want):
        assert _rel(a, w) < 2e-5, name


@pytest.mark.torch_path
def test_missing_source_falls_back_with_the_reason(monkeypatch, tmp_path):
    """An install without the package data: the torch path runs and says why."""
    monkeypatch.setattr(native_rnn, "SOURCE", tmp_path / "recurrence.c")
    native_rnn._source.cache_clear()
    try:
        lib, why = native_rnn.load()
        assert lib is None and "source is missing" in why
        m = build_model(ModelSpec("lstm", 3, 16, 2)).train()
        m(torch.randn(4, 5, 3)).sum().backward()
        assert m.path == "stock"
        assert m.kernel_choice.path == "torch" and "source is missing" in m.kernel_choice.reason
        with pytest.raises(RuntimeError, match="source is missing"):
            build_model(ModelSpec("lstm", 3, 16, 2, kernel="native"))(torch.randn(4, 5, 3))
    finally:
        native_rnn._source.cache_clear()

"""Torch sequence models: shapes, parameter counts, initialisers, stepwise == stock, dropout masks."""
from __future__ import annotations

import pytest
import torch

from rnnbench.cells import REGISTRY
from rnnbench.models import initializers as inits
from rnnbench.models import seq
from rnnbench.models.seq import CELLS, ModelSpec, build_model, count_parameters

from conftest import native_expected, needs_native

# the forced paths every cell can take here (the native one where a C compiler built it)
PATHS = ("stepwise", "stock") + (("native",) if native_expected() else ())

ALL_CELLS = list(CELLS)
FUSED_CELLS = [c for c in CELLS if REGISTRY[c].fused]     # those torch's stock layers also compute


def expected_recurrent(cell, f, h, bias):
    g = CELLS[cell][0]
    if cell == "bnlstm":    # one bias per gate whatever ``bias`` says, + γ_x, γ_h (4H each), γ_c, β_c (H each)
        return g * (h * (f + h) + h) + 2 * g * h + 2 * h
    return g * (h * (f + h) + (2 if bias == "double" else 1) * h)


# ---------------------------------------------------------------- shapes and counts
@pytest.mark.parametrize("cell", ALL_CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bias", ["double", "single"])
def test_shapes_and_counts(cell, layers, bias):
    torch.manual_seed(0)
    spec = ModelSpec(cell, input_size=5, hidden=7, output_size=3, layers=layers, bias=bias)
    m = build_model(spec).eval()
    x = torch.randn(4, 6, 5)
    assert m(x).shape == (4, 3)
    m_seq = build_model(ModelSpec(cell, 5, 7, 3, layers=layers, bias=bias, return_sequences=True))
    assert m_seq(x).shape == (4, 6, 3)
    c = count_parameters(m)
    rec = expected_recurrent(cell, 5, 7, bias) + (layers - 1) * expected_recurrent(cell, 7, 7, bias)
    assert c["recurrent"] == rec
    assert c["head"] == 7 * 3 + 3 and c["embedding"] == 0
    assert c["total"] == rec + 24 == sum(p.numel() for p in m.parameters() if p.requires_grad)
    assert [c[f"recurrent_l{i}"] for i in range(layers)][0] == expected_recurrent(cell, 5, 7, bias)


def test_lecture_har_counts():
    """Lecture: LSTM(32) on 9 inputs + Dense(6) = 5,376 + 198 = 5,574 (Keras, one bias per gate)."""
    single = count_parameters(build_model(ModelSpec("lstm", 9, 32, 6, bias="single")))
    assert (single["recurrent"], single["head"], single["total"]) == (5376, 198, 5574)
    double = count_parameters(build_model(ModelSpec("lstm", 9, 32, 6, bias="double")))
    assert double["total"] == 5702  # + 4*32 for PyTorch's second bias vector


def test_embedding_input_and_counts():
    spec = ModelSpec("gru", input_size=50, hidden=8, output_size=2, vocab_size=50, embedding_dim=6)
    m = build_model(spec).eval()
    ids = torch.randint(1, 50, (3, 9))
    assert m(ids).shape == (3, 2)
    c = count_parameters(m)
    assert c["embedding"] == 300 and c["recurrent"] == expected_recurrent("gru", 6, 8, "double")
    assert torch.all(m.embedding.weight[0] == 0)          # padding row
    assert m.embedding.weight.abs().max() <= 0.05          # Keras 'uniform' embedding init


@pytest.mark.parametrize("cell", ["lstm", "irnn"])
def test_lengths_take_the_last_true_step(cell):
    torch.manual_seed(1)
    m = build_model(ModelSpec(cell, 3, 6, 2, layers=2)).eval()
    x = torch.randn(3, 8, 3)
    lengths = torch.tensor([8, 5, 2])
    out = m(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = m(x[b:b + 1, :n])
        torch.testing.assert_close(out[b:b + 1], alone, atol=1e-6, rtol=0)
    for path in PATHS:
        torch.testing.assert_close(m(x, lengths, path=path), out, atol=1e-5, rtol=0)
    ms = build_model(ModelSpec(cell, 3, 6, 2, layers=2, return_sequences=True)).eval()
    a, b = ms(x, lengths, path="stock"), ms(x, lengths, path="stepwise")
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    if native_expected():
        torch.testing.assert_close(ms(x, lengths, path="native"), b, atol=1e-5, rtol=0)
    # past its end a sequence outputs the head's bias only (zero state), on both paths
    torch.testing.assert_close(a[2, 2:], ms.head.bias.expand(6, 2), atol=1e-6, rtol=0)


def test_bad_specs_raise():
    with pytest.raises(ValueError, match="unknown cell"):
        ModelSpec("transformer", 3, 4, 2)
    with pytest.raises(ValueError, match="hidden"):
        ModelSpec("lstm", 3, 0, 2)
    with pytest.raises(ValueError, match="layers"):
        ModelSpec("lstm", 3, 4, 2, layers=0)
    with pytest.raises(ValueError, match="recurrent_dropout"):
        ModelSpec("lstm", 3, 4, 2, recurrent_dropout=1.0)
    with pytest.raises(ValueError, match="embedding_dim"):
        ModelSpec("lstm", 10, 4, 2, vocab_size=10)
    with pytest.raises(ValueError, match="input_size must equal"):
        ModelSpec("lstm", 3, 4, 2, vocab_size=10, embedding_dim=4)
    m = build_model(ModelSpec("lstm", 3, 4, 2))
    with pytest.raises(ValueError, match="expected"):
        m(torch.randn(2, 5, 4))


def test_single_bias_is_frozen_at_zero():
    torch.manual_seed(0)
    m = build_model(ModelSpec("gru", 3, 4, 2, bias="single"))
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=0.1)
    m(torch.randn(5, 6, 3)).sum().backward()
    opt.step()
    b = m.rnns[0].bias_hh_l0
    assert not b.requires_grad and torch.all(b == 0)
    assert m.rnns[0].bias_ih_l0.abs().sum() > 0             # the one trainable bias moved


def test_kernel_parameters_are_input_kernels_and_dense_kernel():
    m = build_model(ModelSpec("lstm", 3, 4, 2, layers=2))
    ks = m.kernel_parameters()
    assert [k is p for k, p in zip(ks, [m.rnns[0].weight_ih_l0, m.rnns[1].weight_ih_l0, m.head.weight])] == [True] * 3
    assert len(ks) == 3


@needs_native
def test_path_attribute_native(monkeypatch):
    # on CPU the native kernel can run every variant; with kernel 'auto' the path is measured at
    # the first batch
    monkeypatch.delenv("RNNBENCH_RNN_KERNEL", raising=False)
    for kw in ({}, {"dropout": 0.3}, {"recurrent_dropout": 0.3}):
        assert build_model(ModelSpec("lstm", 3, 4, 2, kernel="native", **kw)).path == "native"
        assert build_model(ModelSpec("lstm", 3, 4, 2, **kw)).path == "auto"


def test_path_attribute(monkeypatch):
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "torch")
    assert build_model(ModelSpec("lstm", 3, 4, 2)).path == "stock"
    assert build_model(ModelSpec("lstm", 3, 4, 2, dropout=0.3)).path == "stock"
    assert build_model(ModelSpec("lstm", 3, 4, 2, recurrent_dropout=0.3)).path == "stepwise"


# ---------------------------------------------------------------- initialisers
def test_identity_gain():
    w = torch.empty(5, 5)
    inits.identity_(w, gain=0.5)
    assert torch.equal(w, 0.5 * torch.eye(5))
    m = build_model(ModelSpec("irnn", 3, 6, 2, irnn_gain=0.9, input_std=0.01))
    assert torch.equal(m.rnns[0].weight_hh_l0, 0.9 * torch.eye(6))
    assert torch.all(m.rnns[0].bias_ih_l0 == 0) and torch.all(m.rnns[0].bias_hh_l0 == 0)
    with pytest.raises(ValueError):
        inits.identity_(torch.empty(3, 4))


def test_irnn_input_std():
    w = torch.empty(400, 400)
    inits.irnn_input_(w, std=0.001, generator=torch.Generator().manual_seed(0))
    assert abs(w.std().item() - 0.001) < 2e-5 and abs(w.mean().item()) < 2e-5


@pytest.mark.parametrize("n", [2, 16, 64])
def test_nprnn_spd_top_eigenvalue_one(n):
    w = torch.empty(n, n)
    inits.nprnn_(w, generator=torch.Generator().manual_seed(n))
    assert torch.allclose(w, w.T)
    ev = torch.linalg.eigvalsh(w.double())
    assert ev.min() > 0                                   # positive definite
    assert abs(ev.max().item() - 1.0) < 1e-6
    assert torch.all(ev[:-1] < 1.0)
    m = build_model(ModelSpec("nprnn", 3, n, 2))
    ev = torch.linalg.eigvalsh(m.rnns[0].weight_hh_l0.double())
    assert abs(ev.max().item() - 1.0) < 1e-6 and ev.min() > 0


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_keras_defaults(cell):
    torch.manual_seed(0)
    h, f = 8, 5
    m = build_model(ModelSpec(cell, f, h, 3))
    layer = m.rnns[0]
    w = layer.weight_hh_l0                                   # (G*H, H): Keras (H, G*H) transposed
    torch.testing.assert_close(w.T @ w, torch.eye(h), atol=1e-5, rtol=0)
    g = CELLS[cell][0]
    limit = (6.0 / (f + g * h)) ** 0.5
    assert layer.weight_ih_l0.abs().max() <= limit
    expected_b = torch.zeros(g * h)
    if cell == "lstm":
        expected_b[h:2 * h] = 1.0                            # unit_forget_bias: torch i,f,g,o
    assert torch.equal(layer.bias_ih_l0 + layer.bias_hh_l0, expected_b)
    assert torch.all(m.head.bias == 0)


def test_torch_init_is_stock():
    torch.manual_seed(0)
    m = build_model(ModelSpec("lstm", 5, 8, 3, init="torch"))
    b = m.rnns[0].bias_ih_l0
    assert b.abs().max() <= 8 ** -0.5 and b.abs().min() > 0


# ---------------------------------------------------------------- stepwise == stock
@pytest.mark.parametrize("cell", FUSED_CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_stepwise_equals_stock(cell, layers):
    torch.manual_seed(2)
    m = build_model(ModelSpec(cell, 4, 6, 3, layers=layers, input_std=0.5, init="torch"))
    x = torch.randn(5, 9, 4)
    for mode in (m.eval, m.train):          # train(): dropout off, so both are deterministic
        mode()
        a, b = m(x, path="stock"), m(x, path="stepwise")
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
        if native_expected():
            torch.testing.assert_close(m(x, path="native"), b, atol=1e-5, rtol=0)
    logits, hs = m.eval().hidden_states(x)
    torch.testing.assert_close(logits, m(x), atol=1e-5, rtol=0)
    assert len(hs) == 9 and hs[0].shape == (5, 6)


def test_hidden_states_gradients_reach_every_step():
    torch.manual_seed(0)
    m = build_model(ModelSpec("lstm", 3, 5, 2))
    logits, hs = m.hidden_states(torch.randn(4, 10, 3))
    logits.sum().backward()
    norms = [h.grad.norm().item() for h in hs]
    assert all(n > 0 for n in norms)
    # the last state has the direct path to the head: it must carry gradient of the head size
    torch.testing.assert_close(hs[-1].grad, m.head.weight.sum(0).expand(4, 5), atol=1e-6, rtol=0)


# ---------------------------------------------------------------- variational dropout
def _identity_relu_model(w_hh, **kw):
    """IRNN whose output is its state: W_ih = I, given W_hh, zero biases, identity head."""
    m = build_model(ModelSpec("irnn", 6, 6, 6, return_sequences=True, **kw))
    with torch.no_grad():
        m.rnns[0].weight_ih_l0.copy_(torch.eye(6))
        m.rnns[0].weight_hh_l0.copy_(w_hh)
        m.head.weight.copy_(torch.eye(6))
        m.head.bias.zero_()
    return m.train()


@pytest.mark.parametrize("path", ["stock", "stepwise", pytest.param("native", marks=needs_native)])
def test_input_dropout_one_mask_per_sequence(path):
    torch.manual_seed(0)
    m = _identity_relu_model(torch.zeros(6, 6), dropout=0.5)
    x = torch.rand(8, 12, 6) + 0.5                             # positive: relu passes it
    h = m(x, path=path)                                        # h_t = x_t * mask
    dropped = h == 0
    assert torch.all(dropped == dropped[:, :1])                # same units at every step
    assert dropped.any() and (~dropped).any()
    assert len({tuple(r.tolist()) for r in dropped[:, 0]}) > 1  # masks differ between sequences
    kept = ~dropped
    torch.testing.assert_close(h[kept], 2.0 * x[kept])          # inverted dropout scale 1/(1-p)


@pytest.mark.parametrize("kernel", [pytest.param("native", marks=needs_native), "torch"])
def test_recurrent_dropout_one_mask_per_sequence(kernel, monkeypatch):
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", kernel)
    torch.manual_seed(0)
    m = _identity_relu_model(torch.eye(6), recurrent_dropout=0.5)
    x = torch.ones(8, 10, 6)
    h = m(x)                          # h_t = 1 + 2 * m * h_{t-1}: dropped units stay at 1
    assert m.path == ("native" if kernel == "native" else "stepwise")
    stuck = h[:, 1:] == 1.0
    assert torch.all(stuck == stuck[:, :1])                    # same units dropped at every step
    assert stuck.any() and (~stuck).any()
    assert len({tuple(r.tolist()) for r in stuck[:, 0]}) > 1
    m.eval()                                                    # inference: no mask
    torch.testing.assert_close(m(x)[:, -1], torch.full((8, 6), 10.0))


def _record_mask_shapes(monkeypatch) -> list:
    """From now on, the shape of every dropout mask the model draws, in order."""
    shapes = []
    real = seq._dropout_mask

    def spy(ref, shape, p):
        shapes.append(tuple(shape))
        return real(ref, shape, p)

    monkeypatch.setattr(seq, "_dropout_mask", spy)
    return shapes


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_stepwise_masks_are_drawn_once_per_sequence_and_layer(cell, monkeypatch):
    m = build_model(ModelSpec(cell, 4, 5, 2, layers=2, dropout=0.2, recurrent_dropout=0.3)).train()
    m(torch.randn(3, 7, 4))     # kernel 'auto': the first batch of a shape also times both paths
    shapes = _record_mask_shapes(monkeypatch)
    out = m(torch.randn(3, 7, 4))
    g = CELLS[cell][0]
    # per layer: one input mask and one recurrent mask, per gate as Keras implementation=1; no T axis
    assert shapes == [(3, g, 4), (3, g, 5), (3, g, 5), (3, g, 5)]
    out.sum().backward()
    assert m.rnns[0].weight_hh_l0.grad is not None
    shapes.clear()
    m.eval()(torch.randn(3, 7, 4))
    assert shapes == []                                          # inactive at inference


# ---- dropout_masks: step (naive dropout), the opposite of the two tests above

def _distinct_step_patterns(mask: torch.Tensor) -> list[int]:
    """Per sequence of a (B, T, H) boolean tensor, how many different unit patterns its steps show."""
    return [len({tuple(row.tolist()) for row in seq_}) for seq_ in mask]


@pytest.mark.parametrize("kernel", [pytest.param("native", marks=needs_native), "torch"])
def test_input_dropout_fresh_mask_per_step(kernel, monkeypatch):
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", kernel)
    torch.manual_seed(0)
    m = _identity_relu_model(torch.zeros(6, 6), dropout=0.5, dropout_masks="step")
    x = torch.rand(8, 12, 6) + 0.5
    h = m(x)                                                    # h_t = x_t * mask_t
    assert m.path == ("native" if kernel == "native" else "stepwise")   # torch's fused layers take no per-step masks
    dropped = h == 0
    assert dropped.any() and (~dropped).any()
    assert min(_distinct_step_patterns(dropped)) > 1            # other units dropped at other steps, every sequence
    kept = ~dropped
    torch.testing.assert_close(h[kept], 2.0 * x[kept])          # inverted dropout scale 1/(1-p)
    m.eval()                                                    # inference: no mask
    torch.testing.assert_close(m(x), x)


@pytest.mark.parametrize("kernel", [pytest.param("native", marks=needs_native), "torch"])
def test_recurrent_dropout_fresh_mask_per_step(kernel, monkeypatch):
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", kernel)
    torch.manual_seed(0)
    m = _identity_relu_model(torch.eye(6), recurrent_dropout=0.5, dropout_masks="step")
    x = torch.ones(8, 10, 6)
    h = m(x)                          # h_t = 1 + 2 * m_t * h_{t-1}: h_t = 1 exactly where m_t dropped the unit
    assert m.path == ("native" if kernel == "native" else "stepwise")
    reset = h[:, 1:] == 1.0
    assert reset.any() and (~reset).any()
    assert min(_distinct_step_patterns(reset)) > 1              # other units dropped at other steps
    assert not torch.all(reset == reset[:, :1])
    m.eval()                                                    # inference: no mask
    torch.testing.assert_close(m(x)[:, -1], torch.full((8, 6), 10.0))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_step_masks_are_drawn_per_step(cell, monkeypatch):
    m = build_model(ModelSpec(cell, 4, 5, 2, layers=2, dropout=0.2, recurrent_dropout=0.3,
                              dropout_masks="step")).train()
    m(torch.randn(3, 7, 4))     # kernel 'auto': the first batch of a shape also times both paths
    shapes = _record_mask_shapes(monkeypatch)
    out = m(torch.randn(3, 7, 4))
    g = CELLS[cell][0]
    # per layer: the input mask (B, T, G, F), then the recurrent one (T, B, G, H)
    assert shapes == [(3, 7, g, 4), (7, 3, g, 5), (3, 7, g, 5), (7, 3, g, 5)]
    out.sum().backward()
    assert m.rnns[0].weight_hh_l0.grad is not None
    shapes.clear()
    m.eval()(torch.randn(3, 7, 4))
    assert shapes == []                                          # inactive at inference


def test_step_masks_refuse_torchs_fused_layer_in_training_only():
    m = build_model(ModelSpec("lstm", 4, 5, 2, dropout=0.2, dropout_masks="step")).train()
    x = torch.randn(3, 7, 4)
    with pytest.raises(ValueError, match="per-step masks"):
        m(x, path="stock")
    m.eval()
    torch.testing.assert_close(m(x, path="stock"), m(x, path="stepwise"))   # no masks: the same function
    with pytest.raises(ValueError, match="dropout_masks"):
        ModelSpec("lstm", 4, 5, 2, dropout_masks="per-step")

"""Keras reference: same weights -> same outputs as torch; the lecture's summary; fit_keras."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

keras = pytest.importorskip("keras")  # imported once for the module (TensorFlow backend)

from rnnbench.models.keras_models import (NPRNN, build_keras_model, copy_keras_to_torch,  # noqa: E402
                                          copy_torch_to_keras, keras_param_counts, keras_summary)
from rnnbench.models.seq import ModelSpec, build_model, count_parameters  # noqa: E402
from rnnbench.training.keras_fit import evaluate_logits, fit_keras  # noqa: E402
from rnnbench.training.types import RunResult, TaskData  # noqa: E402

CELLS = ["rnn_tanh", "rnn_relu", "irnn", "nprnn", "lstm", "gru"]


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_torch_to_keras_same_outputs(cell, layers):
    # init='torch' and a large input_std: every bias (both torch vectors) and weight is non-trivial
    spec = ModelSpec(cell, 5, 7, 3, layers=layers, dropout=0.2, recurrent_dropout=0.3,
                     init="torch", input_std=0.3)
    torch.manual_seed(layers)
    tm = build_model(spec).eval()
    if cell in ("irnn", "nprnn", "rnn_relu"):
        with torch.no_grad():
            for layer in tm.rnns:
                layer.bias_ih_l0.uniform_(-0.3, 0.3)
                layer.bias_hh_l0.uniform_(-0.3, 0.3)
    km = build_keras_model(spec)
    copy_torch_to_keras(tm, km)
    x = _x((4, 9, 5))
    ours = tm(torch.from_numpy(x)).detach().numpy()
    theirs = np.asarray(km(x, training=False))               # dropout configured, inactive
    assert ours.shape == theirs.shape == (4, 3)
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru", "nprnn"])
def test_keras_to_torch_same_outputs(cell):
    keras.utils.set_random_seed(3)
    spec = ModelSpec(cell, 4, 6, 2, layers=2, return_sequences=True, bias="single" if cell != "gru" else "double")
    km = build_keras_model(spec)
    for lay in km.layers:                 # non-zero biases (the last weight of every layer)
        ws = lay.get_weights()
        lay.set_weights(ws[:-1] + [ws[-1] + np.linspace(-0.2, 0.2, ws[-1].size).reshape(ws[-1].shape)])
    tm = build_model(spec).eval()
    copy_keras_to_torch(km, tm)
    x = _x((3, 8, 4), seed=1)
    np.testing.assert_allclose(tm(torch.from_numpy(x)).detach().numpy(), np.asarray(km(x, training=False)),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("layers", [1, 2])
def test_reset_before_gru_matches_keras_reset_after_false(layers):
    """The lecture's GRU, h~ = tanh(W (r * h) + U x + b), is Keras GRU(reset_after=False): torch's
    two bias rows fold into Keras' one, and Keras' weights load back (one bias -> b_ih)."""
    spec = ModelSpec("gru", 5, 7, 3, layers=layers, return_sequences=True, init="torch",
                     reset_after=False, dropout=0.2, recurrent_dropout=0.3)
    torch.manual_seed(layers)
    tm = build_model(spec).eval()
    km = build_keras_model(spec)
    assert all(lay.reset_after is False for lay in km.layers if isinstance(lay, keras.layers.GRU))
    copy_torch_to_keras(tm, km)
    x = _x((4, 9, 5), seed=layers)
    ours = tm(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, np.asarray(km(x, training=False)), atol=1e-5, rtol=0)
    # reset-before and reset-after are different functions of the same weights
    after = build_model(ModelSpec("gru", 5, 7, 3, layers=layers, return_sequences=True, init="torch")).eval()
    after.load_state_dict(tm.state_dict())
    assert np.abs(after(torch.from_numpy(x)).detach().numpy() - ours).max() > 1e-3
    # and back: Keras' one bias row goes to b_ih (b_hh = 0, so bias='single' accepts it)
    single = build_model(ModelSpec("gru", 5, 7, 3, layers=layers, return_sequences=True, reset_after=False,
                                   bias="single")).eval()
    copy_keras_to_torch(km, single)
    np.testing.assert_allclose(single(torch.from_numpy(x)).detach().numpy(), ours, atol=1e-5, rtol=0)
    assert count_parameters(single)["recurrent"] == keras_param_counts(spec)["recurrent"]


def test_embedding_sequence_parity():
    spec = ModelSpec("gru", 20, 6, 4, vocab_size=20, embedding_dim=5, return_sequences=True)
    torch.manual_seed(0)
    tm = build_model(spec).eval()
    km = build_keras_model(spec)
    copy_torch_to_keras(tm, km)
    ids = np.random.default_rng(0).integers(1, 20, size=(3, 7))
    np.testing.assert_allclose(tm(torch.from_numpy(ids)).detach().numpy(), np.asarray(km(ids, training=False)),
                               atol=1e-5, rtol=0)


def test_lecture_har_summary():
    """Lecture slide: LSTM(32) on 128x9, Dense(6), l2 0.005 -> 5,376 / 198 / 5,574."""
    spec = ModelSpec("lstm", 9, 32, 6)
    km = build_keras_model(spec, l2=0.005, softmax=True, steps=128)
    text = keras_summary(km)
    for n in ("5,376", "198", "Total params: 5,574", "Trainable params: 5,574"):
        assert n in text
    counts = keras_param_counts(spec, l2=0.005)
    assert (counts["recurrent"], counts["head"], counts["total"]) == (5376, 198, 5574)
    assert count_parameters(build_model(ModelSpec("lstm", 9, 32, 6, bias="single")))["total"] == 5574
    assert count_parameters(build_model(spec))["total"] == 5702
    assert len(km.losses) == 2                                # l2 on the LSTM kernel and the Dense kernel


def test_keras_refuses_per_step_dropout_masks():
    """Keras draws one dropout mask per sequence (variational) and has no per-step option: a Keras twin of a
    dropout_masks: step run is refused, not silently trained with the other masks."""
    with pytest.raises(ValueError, match="no per-step mask option"):
        build_keras_model(ModelSpec("lstm", 9, 8, 6, dropout=0.25, recurrent_dropout=0.25, dropout_masks="step"))
    build_keras_model(ModelSpec("lstm", 9, 8, 6, dropout_masks="step"))   # no dropout: no masks, nothing to refuse


def test_keras_initializers():
    keras.utils.set_random_seed(0)
    km = build_keras_model(ModelSpec("lstm", 5, 8, 2))
    kernel, rk, bias = km.layers[0].get_weights()
    np.testing.assert_allclose(rk @ rk.T, np.eye(8), atol=1e-5)       # orthogonal rows (H, 4H)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])
    _, rk_irnn, _ = build_keras_model(ModelSpec("irnn", 5, 8, 2, irnn_gain=0.7)).layers[0].get_weights()
    np.testing.assert_array_equal(rk_irnn, 0.7 * np.eye(8, dtype=np.float32))
    w = np.asarray(NPRNN(seed=1)((16, 16)), dtype=np.float64)
    ev = np.linalg.eigvalsh(w)
    assert np.allclose(w, w.T) and ev.min() > 0 and abs(ev.max() - 1) < 1e-6 and np.all(ev[:-1] < 1)


def _toy(kind="classification", n=64, t=6, f=3, seed=0) -> TaskData:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, t, f)).astype(np.float32)
    if kind == "classification":
        y = (x[:, 0, 0] > 0).astype(np.int64)
        out = 2
    else:
        y = (rng.random((n, t, 4)) > 0.5).astype(np.float32)
        out = 4
    lengths = rng.integers(2, t + 1, size=n).astype(np.int64) if kind == "multilabel" else None
    if lengths is not None:
        x[np.arange(t)[None, :] >= lengths[:, None]] = 0.0    # right padding (Masking(0.0))
    return TaskData("toy", kind, x, y, x[:16], y[:16], x[:16], y[:16], n_outputs=out,
                    lengths_train=lengths, lengths_val=None if lengths is None else lengths[:16],
                    lengths_test=None if lengths is None else lengths[:16])


def _cfg(**kw):
    c = dict(epochs=2, batch_size=16, lr=0.01, l2=0.005, clipvalue=0.5, clipnorm=None, optimizer="adam", seed=0)
    c.update(kw)
    return c


def test_fit_keras_tiny_classification():
    data = _toy()
    res = fit_keras(ModelSpec("lstm", 3, 8, 2), data, _cfg(), log=lambda s: None)
    assert isinstance(res, RunResult) and res.status == "ok" and res.path == "keras"
    assert [r["epoch"] for r in res.history] == [1, 2]
    assert {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"} <= set(res.history[0])
    # L2 is a loss term: Keras' loss with it exceeds the data loss
    assert res.history[0]["train_loss_with_l2"] > res.history[0]["train_loss"]
    assert 0.0 <= res.final["test_accuracy"] <= 1.0 and np.isfinite(res.final["test_loss"])
    assert res.params["total"] == 4 * (8 * (3 + 8) + 8) + (8 * 2 + 2)   # Keras: one bias per gate
    assert res.best["epoch"] in (1, 2) and "test_accuracy" in res.best


def test_fit_keras_multilabel_with_lengths_and_rmsprop():
    data = _toy("multilabel")
    spec = ModelSpec("gru", 3, 5, 4, return_sequences=True, recurrent_dropout=0.2)
    res = fit_keras(spec, data, _cfg(optimizer="rmsprop", clipvalue=None, clipnorm=1.0), log=lambda s: None)
    assert res.status == "ok" and len(res.history) == 2 and "val_nll" in res.history[-1]
    assert np.isfinite(res.final["test_nll"])


def test_fit_keras_reports_divergence_without_raising():
    data = _toy()
    data.x_train = data.x_train.copy()
    data.x_train[:] = np.nan
    res = fit_keras(ModelSpec("rnn_tanh", 3, 4, 2), data, _cfg(epochs=3), log=lambda s: None)
    assert res.status == "diverged" and res.diverged_epoch == 1 and "nan" in res.cause
    assert len(res.history) == 1 and res.final == {}


def test_evaluate_logits_matches_definitions():
    z = np.array([[2.0, 0.0], [0.0, 1.0]])
    out = evaluate_logits("classification", z, np.array([0, 0]))
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(1.0))])
    assert out["accuracy"] == 0.5 and abs(out["loss"] - expected) < 1e-12
    zl = np.zeros((1, 3, 2))
    nll = evaluate_logits("multilabel", zl, np.ones((1, 3, 2)), np.array([2]))["nll"]
    assert abs(nll - 2 * np.log(2.0)) < 1e-12           # 2 notes x log 2 per step, padded step ignored

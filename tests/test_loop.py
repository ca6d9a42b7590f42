"""The one training loop: learning, Keras-style L2 and clipping, divergence as a result,
determinism, checkpoint/resume, and a whole run record."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import adding_spec

from rnnbench.data.adding import load_adding
from rnnbench.models.seq import ModelSpec, build_model
from rnnbench.runspec import RunSpec
from rnnbench.train import run
from rnnbench.training.loop import _clip, fit, l2_penalty
from rnnbench.training.types import TaskData

CPU = torch.device("cpu")


def toy_classification(n=96, T=12, seed=0) -> TaskData:
    """Fixture: the class is the sign of the first step's first feature (a long-range cue)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, T, 3)).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(np.int64)
    return TaskData("toy", "classification", x, y, x[:32], y[:32], x[:32], y[:32], n_outputs=2)


def cfg(**kw):
    c = dict(epochs=5, batch_size=32, lr=0.01, optimizer="adam", l2=0.0, clipvalue=None, clipnorm=None, seed=0)
    c.update(kw)
    return c


def test_loss_goes_down_on_a_tiny_batch():
    torch.manual_seed(0)
    model = build_model(ModelSpec(cell="gru", input_size=3, hidden=16, output_size=2))
    res = fit(model, toy_classification(), cfg(epochs=15), CPU, log=lambda s: None)
    losses = [r["train_loss"] for r in res.history]
    assert res.status == "ok" and losses[-1] < 0.7 * losses[0]
    assert {"grad_norm_mean", "grad_norm_max", "val_accuracy", "seconds"} <= set(res.history[0])
    assert 0.0 <= res.final["test_accuracy"] <= 1.0 and res.best["epoch"] >= 1


def test_l2_is_a_keras_loss_term_on_input_and_dense_kernels_only():
    model = build_model(ModelSpec(cell="lstm", input_size=9, hidden=32, output_size=6))
    kernels = model.kernel_parameters()
    expected = 0.005 * sum(float((p.detach() ** 2).sum()) for p in kernels)
    assert float(l2_penalty(model, 0.005).detach()) == pytest.approx(expected, rel=1e-6)
    names = {n for n, p in model.named_parameters() if any(p is k for k in kernels)}
    assert not any("weight_hh" in n or "bias" in n for n in names)


def test_clipvalue_is_elementwise():
    p = torch.nn.Parameter(torch.zeros(5))
    p.grad = torch.tensor([-3.0, -0.2, 0.0, 0.4, 9.0])
    _clip([p], RunSpec(clipvalue=0.5))
    assert p.grad.tolist() == pytest.approx([-0.5, -0.2, 0.0, 0.4, 0.5])


def test_nan_loss_is_recorded_as_diverged_not_raised():
    data = toy_classification()
    data.x_train = data.x_train.copy()
    data.x_train[5, 3, 1] = np.inf  # any batch holding it produces a non-finite loss
    model = build_model(ModelSpec(cell="rnn_tanh", input_size=3, hidden=8, output_size=2))
    res = fit(model, data, cfg(epochs=3), CPU, log=lambda s: None)
    assert res.status == "diverged" and res.diverged_epoch == 1
    assert "epoch 1" in res.cause and ("nan" in res.cause or "inf" in res.cause)
    assert res.final == {}


def test_same_seed_same_metrics_on_cpu():
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = build_model(ModelSpec(cell="lstm", input_size=3, hidden=8, output_size=2))
        outs.append(fit(model, toy_classification(), cfg(epochs=3, seed=3), CPU, log=lambda s: None))
    a, b = ([{k: v for k, v in r.items() if k != "seconds"} for r in o.history] for o in outs)
    assert a == b and outs[0].final == outs[1].final


def test_checkpoint_resume_gives_the_uninterrupted_result(tmp_path):
    data = toy_classification()

    def model():
        torch.manual_seed(1)
        return build_model(ModelSpec(cell="gru", input_size=3, hidden=8, output_size=2))

    whole = fit(model(), data, cfg(epochs=4), CPU, log=lambda s: None)
    ck = tmp_path / "ck.pt"
    fit(model(), data, cfg(epochs=2, checkpoint_every=1), CPU, log=lambda s: None, checkpoint=ck)  # "killed" after 2
    lines = []
    resumed = fit(model(), data, cfg(epochs=4, checkpoint_every=1), CPU, log=lines.append, checkpoint=ck)
    assert any("resumed" in s for s in lines)
    strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert strip(resumed.history) == strip(whole.history)
    assert resumed.final == pytest.approx(whole.final)


def test_adding_problem_baseline_is_measured():
    d = load_adding(seq_len=50, n_train=2000, n_test=2000, seed=0)
    assert d.x_train.shape == (2000, 50, 2)
    assert (d.x_train[..., 1].sum(1) == 2).all()
    assert d.meta["baseline_mse_measured"] == pytest.approx(1 / 6, abs=0.02)


def test_run_writes_a_self_contained_record(tmp_path):
    spec = adding_spec(clipvalue=0.5)
    run(spec, None, tmp_path, "cpu", 1)
    rec = json.loads((tmp_path / "metrics.json").read_text())
    assert rec["status"] == "ok" and rec["config"]["clipvalue"] == 0.5
    assert rec["params"]["total"] > 0 and "test_mse" in rec["final"]
    assert {"versions", "git_commit"} <= set(rec["provenance"]) and rec["provenance"]["versions"]["torch"]
    assert len(rec["diagnostics"]["grad_vs_distance_init"]) == 20
    assert (tmp_path / "history.csv").read_text().startswith("epoch,")


def toy_music(n=24, T=40, keys=6, seed=0) -> TaskData:
    """Fixture: next-step prediction of a periodic 0/1 pattern, padded to T with lengths."""
    rng = np.random.default_rng(seed)
    base = (np.arange(T + 1)[:, None] % np.arange(2, 2 + keys)[None, :] == 0).astype(np.float32)
    rolls = np.stack([np.roll(base, rng.integers(0, 5), axis=0) for _ in range(n)])
    lengths = rng.integers(T // 2, T + 1, size=n)
    x, y = rolls[:, :-1].copy(), rolls[:, 1:].copy()
    for i, L in enumerate(lengths):
        x[i, L:] = 0
        y[i, L:] = 0
    return TaskData("toy_music", "multilabel", x, y, x, y, x, y, n_outputs=keys,
                    lengths_train=lengths, lengths_val=lengths, lengths_test=lengths)


def test_tbptt_with_a_chunk_as_long_as_the_sequence_is_full_bptt():
    data = toy_music()
    runs = []
    for tb in (None, 40):
        torch.manual_seed(0)
        model = build_model(ModelSpec(cell="lstm", input_size=6, hidden=8, output_size=6, return_sequences=True))
        runs.append(fit(model, data, cfg(epochs=3, batch_size=8, tbptt=tb), CPU, log=lambda s: None))
    assert runs[0].final["test_nll"] == pytest.approx(runs[1].final["test_nll"], rel=1e-5)


def test_tbptt_short_chunks_learn_and_carry_the_state():
    data = toy_music()
    torch.manual_seed(0)
    model = build_model(ModelSpec(cell="gru", input_size=6, hidden=16, output_size=6, return_sequences=True))
    res = fit(model, data, cfg(epochs=12, batch_size=8, lr=0.02, tbptt=10), CPU, log=lambda s: None)
    losses = [r["train_loss"] for r in res.history]
    assert res.status == "ok" and losses[-1] < 0.6 * losses[0]
    # the carried state matters: a chunk started from the carried state predicts better than from zeros
    x = torch.as_tensor(data.x_test[:, :20])
    model.eval()
    with torch.no_grad():
        _, state = model.forward_chunk(x[:, :10])
        carried, _ = model.forward_chunk(x[:, 10:], state)
        fresh, _ = model.forward_chunk(x[:, 10:])
    assert not torch.allclose(carried, fresh)


def test_tbptt_refuses_what_it_cannot_do():
    model = build_model(ModelSpec(cell="lstm", input_size=3, hidden=4, output_size=2))
    with pytest.raises(ValueError, match="many-to-many"):
        fit(model, toy_classification(), cfg(epochs=1, tbptt=5), CPU, log=lambda s: None)

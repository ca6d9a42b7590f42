"""The seeds of an arm trained as one model give each seed's own numbers (issue 21): 3 seeds
trained together and one at a time, 3 epochs, history epoch by epoch and test predictions, for
every batched cell, with clipping and dropout; a diverging or early-stopping member never stops
the others."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbench.device import seed_everything
from rnnbench.models.members import BATCHED_CELLS, build_members
from rnnbench.models.seq import ModelSpec, build_model
from rnnbench.training.loop import fit, fit_members
from rnnbench.training.types import TaskData

CPU = torch.device("cpu")
SEEDS = [0, 1, 2]


def toy(n=160, T=10, seed=0, lengths=False) -> TaskData:
    """A class cue at the first step (long range) plus noise; optionally right-padded sequences."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, T, 3)).astype(np.float32)
    y = ((x[:, 0, 0] + 0.3 * x[:, -1, 1]) > 0).astype(np.int64)
    ln = rng.integers(T // 2, T + 1, size=n).astype(np.int64) if lengths else None
    sl = lambda a: None if a is None else a[:64]  # noqa: E731
    return TaskData("toy", "classification", x, y, x[:64], y[:64], x[64:128], y[64:128], n_outputs=2,
                    lengths_train=ln, lengths_val=sl(ln), lengths_test=None if ln is None else ln[64:128])


VARIANTS = {
    # input dropout (the stock / native path alone) and element-wise clipping
    "dropout+clipvalue": dict(model=dict(dropout=0.25, kernel="auto"), train=dict(clipvalue=0.05)),
    # recurrent dropout (one mask per gate), per-variable clipnorm, L2, two layers
    "rdropout+clipnorm+l2": dict(model=dict(dropout=0.2, recurrent_dropout=0.2, layers=2, kernel="torch"),
                                 train=dict(clipnorm=0.5, l2=0.001)),
}


def cfg(seed, **kw):
    c = dict(epochs=3, batch_size=32, lr=0.01, optimizer="adam", l2=0.0, clipvalue=None, clipnorm=None, seed=seed)
    c.update(kw)
    return c


def alone(spec, data, seed, **kw):
    """The one-seed path as rnnbench.train.run takes it."""
    seed_everything(seed)
    model = build_model(spec)
    return model, fit(model, data, cfg(seed, **kw), CPU, log=lambda s: None)


def predictions(model, data) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        lengths = None if data.lengths_test is None else torch.as_tensor(data.lengths_test)
        x = torch.as_tensor(data.x_test)
        return (model(x, lengths) if lengths is not None else model(x)).argmax(-1).numpy()


def assert_same_run(one, grouped, p_one, p_grouped):
    assert len(one.history) == len(grouped.history)
    for a, b in zip(one.history, grouped.history):
        assert set(a) == set(b)
        for k in ("train_loss", "val_loss", "grad_norm_mean"):
            assert b[k] == pytest.approx(a[k], rel=1e-4), (k, a["epoch"])
        assert abs(a["val_accuracy"] - b["val_accuracy"]) <= 0.02
    assert grouped.status == one.status and grouped.best["epoch"] == one.best["epoch"]
    assert np.mean(p_one == p_grouped) >= 0.99


@pytest.mark.parametrize("path", ["stacked", "loop"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("cell", BATCHED_CELLS)
def test_members_equal_their_seeds_trained_alone(cell, variant, path):
    v = VARIANTS[variant]
    data = toy(lengths=variant.startswith("rdropout"))
    spec = ModelSpec(cell=cell, input_size=3, hidden=8, output_size=2, **v["model"])
    members = build_members(spec, SEEDS, CPU, path=path)
    grouped = fit_members(members, [data] * 3, [cfg(s, **v["train"]) for s in SEEDS], CPU, log=lambda s: None)
    for k, seed in enumerate(SEEDS):
        model, one = alone(spec, data, seed, **v["train"])
        assert_same_run(one, grouped[k], predictions(model, data), predictions(members.member_model(k), data))
        assert grouped[k].final["test_accuracy"] == pytest.approx(one.final["test_accuracy"], abs=0.02)


# the lecture's GRU (reset before the recurrent matmul): the C kernel / stepwise path per member, and the stacked
# loop with its two matmuls per step
@pytest.mark.parametrize("path", ["stacked", "loop"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_reset_before_gru_members_equal_their_seeds_trained_alone(variant, path):
    v = VARIANTS[variant]
    data = toy(lengths=variant.startswith("rdropout"))
    spec = ModelSpec(cell="gru", input_size=3, hidden=8, output_size=2, reset_after=False, **v["model"])
    members = build_members(spec, SEEDS, CPU, path=path)
    grouped = fit_members(members, [data] * 3, [cfg(s, **v["train"]) for s in SEEDS], CPU, log=lambda s: None)
    for k, seed in enumerate(SEEDS):
        model, one = alone(spec, data, seed, **v["train"])
        assert_same_run(one, grouped[k], predictions(model, data), predictions(members.member_model(k), data))


# dropout_masks: step (fresh masks at every time step): input and recurrent masks per gate (LSTM), and input
# masks alone shared by the gates (tanh RNN), on padded sequences; both members' paths draw what each seed draws
@pytest.mark.parametrize("path", ["stacked", "loop"])
@pytest.mark.parametrize("cell,model", [("lstm", dict(dropout=0.2, recurrent_dropout=0.2)),
                                        ("rnn_tanh", dict(dropout=0.25))])
def test_members_with_step_masks_equal_their_seeds_trained_alone(cell, model, path):
    data = toy(lengths=True)
    spec = ModelSpec(cell=cell, input_size=3, hidden=8, output_size=2, dropout_masks="step", **model)
    members = build_members(spec, SEEDS, CPU, path=path)
    grouped = fit_members(members, [data] * 3, [cfg(s) for s in SEEDS], CPU, log=lambda s: None)
    for k, seed in enumerate(SEEDS):
        model_, one = alone(spec, data, seed)
        assert model_.path in ("native", "stepwise")     # the paths that take per-step masks, not torch's fused layer
        assert members.path == ("members-stacked" if path == "stacked" else f"members-loop/{model_.path}")
        assert_same_run(one, grouped[k], predictions(model_, data), predictions(members.member_model(k), data))
        assert grouped[k].final["test_accuracy"] == pytest.approx(one.final["test_accuracy"], abs=0.02)


def test_members_with_their_own_data_and_an_embedding():
    """Per-member datasets (the adding problem draws its sequences from the seed) and token ids
    through an embedding with a padding row."""
    datas = []
    for s in SEEDS:
        r = np.random.default_rng(s)
        x = r.integers(1, 20, size=(96, 8)).astype(np.int64)
        x[:, 6:] = 0
        y = (x[:, 0] > 10).astype(np.int64)
        datas.append(TaskData("ids", "classification", x, y, x[:32], y[:32], x[32:64], y[32:64], n_outputs=2,
                              vocab_size=20))
    spec = ModelSpec(cell="gru", input_size=20, hidden=8, output_size=2, vocab_size=20, embedding_dim=4,
                     dropout=0.1)
    members = build_members(spec, SEEDS, CPU)
    grouped = fit_members(members, datas, [cfg(s) for s in SEEDS], CPU, log=lambda s: None)
    for k, seed in enumerate(SEEDS):
        model, one = alone(spec, datas[k], seed)
        assert_same_run(one, grouped[k], predictions(model, datas[k]), predictions(members.member_model(k), datas[k]))
        assert torch.equal(members.member_model(k).embedding.weight[0], torch.zeros(4))   # padding row untouched


def test_a_diverging_member_is_masked_and_the_others_train_on():
    """Member 1's own training data hold infinite inputs: it diverges in epoch 1, while members 0
    and 2 train all their epochs, each as its seed alone."""
    good = toy()
    bad = toy()
    bad.x_train = bad.x_train.copy()
    bad.x_train[40:] = np.inf
    datas = [good, bad, good]
    spec = ModelSpec(cell="lstm", input_size=3, hidden=8, output_size=2, kernel="torch")
    members = build_members(spec, SEEDS, CPU)
    grouped = fit_members(members, datas, [cfg(s) for s in SEEDS], CPU, log=lambda s: None)
    assert grouped[1].status == "diverged" and grouped[1].diverged_epoch == 1
    assert len(grouped[1].history) == 1 and np.isnan(grouped[1].history[0]["train_loss"])
    for k in (0, 2):
        model, one = alone(spec, good, SEEDS[k])
        assert grouped[k].status == "ok" and len(grouped[k].history) == 3
        assert_same_run(one, grouped[k], predictions(model, good), predictions(members.member_model(k), good))


def test_an_early_stopping_member_stops_alone():
    """Member 1 learns noise (random labels) and stops early; the others train on, each as its
    seed alone on its own data."""
    data = toy(n=320)
    noise = toy(n=320)
    noise.y_train = np.random.default_rng(5).integers(0, 2, size=320)
    noise.y_val = np.random.default_rng(6).integers(0, 2, size=64)
    datas = [data, noise, data]
    spec = ModelSpec(cell="gru", input_size=3, hidden=8, output_size=2)
    kw = dict(epochs=8, patience=2, lr=0.01)
    members = build_members(spec, SEEDS, CPU)
    grouped = fit_members(members, datas, [cfg(s, **kw) for s in SEEDS], CPU, log=lambda s: None)
    runs = [len(g.history) for g in grouped]
    assert runs[1] < max(runs[0], runs[2]), runs
    for k, seed in enumerate(SEEDS):
        model, one = alone(spec, datas[k], seed, **kw)
        assert_same_run(one, grouped[k], predictions(model, datas[k]), predictions(members.member_model(k), datas[k]))


@pytest.mark.parametrize("path", ["stacked", "loop"])
def test_a_stopped_member_costs_nothing_on_the_loop_path(path):
    """After member 1 stops early, the loop path runs members 0 and 2 only (training and
    validation); the stacked path computes all three. Either way each member is its seed alone,
    and a member's training seconds are its share of the epochs it trained."""
    data = toy(n=320)
    noise = toy(n=320)
    noise.y_train = np.random.default_rng(5).integers(0, 2, size=320)
    noise.y_val = np.random.default_rng(6).integers(0, 2, size=64)
    datas = [data, noise, data]
    spec = ModelSpec(cell="lstm", input_size=3, hidden=8, output_size=2, kernel="torch")
    kw = dict(epochs=8, patience=2, lr=0.01)
    members = build_members(spec, SEEDS, CPU, path=path)
    calls = [0, 0, 0]
    inner = members._member_forward

    def counted(k, *args):
        calls[k] += 1
        return inner(k, *args)

    members._member_forward = counted
    grouped = fit_members(members, datas, [cfg(s, **kw) for s in SEEDS], CPU, log=lambda s: None)
    epochs = [len(g.history) for g in grouped]
    assert epochs[1] < max(epochs[0], epochs[2]), epochs
    if path == "loop":
        # 10 batches of 32 and one validation chunk per epoch trained; the test evaluations at the end
        per_epoch, at_end = 10 + 1, calls[1] - 11 * epochs[1]
        assert [calls[k] - per_epoch * epochs[k] for k in range(3)] == [at_end] * 3, (calls, epochs)
    else:
        assert calls == [0, 0, 0]
    for k, seed in enumerate(SEEDS):
        model, one = alone(spec, datas[k], seed, **kw)
        assert_same_run(one, grouped[k], predictions(model, datas[k]), predictions(members.member_model(k), datas[k]))
    assert grouped[1].seconds < grouped[0].seconds or epochs[0] == epochs[1]

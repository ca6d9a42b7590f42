"""kernel: auto | native | torch (rnnbench.models.kernels): the measured choice is written beside
the built library and reused; the faster path wins, a tie goes to torch; what ran and why is in
the record; a decision from the cache draws the same dropout masks as a measured one; word2vec
chooses the same way."""
from __future__ import annotations

import json

import pytest
import torch

from rnnbench.models import kernels, native_rnn
from rnnbench.models.seq import ModelSpec, build_model

from conftest import require_native


@pytest.fixture()
def choices(monkeypatch, tmp_path):
    """Decisions go to a fresh file; the in-process memory starts empty."""
    require_native()
    lib, msg = native_rnn.load()
    assert lib is not None, msg
    monkeypatch.setattr(kernels, "cache_file", lambda lib: tmp_path / "choices.json")
    monkeypatch.setattr(kernels, "_memory", {})
    monkeypatch.delenv("RNNBENCH_RNN_KERNEL", raising=False)
    return tmp_path / "choices.json"


def _fake_timings(monkeypatch, native_ms, torch_ms, calls):
    def fake(runs, repeats=kernels.REPEATS):
        calls.append(sorted(runs))
        return {"native": native_ms, "torch": torch_ms}
    monkeypatch.setattr(kernels, "time_paths", fake)


def test_auto_measures_once_writes_the_cache_and_reuses_it(choices, monkeypatch):
    spec = ModelSpec("gru", 3, 16, 2, dropout=0.2, recurrent_dropout=0.2)
    x = torch.randn(6, 7, 3)
    m = build_model(spec).train()
    assert m.path == "auto"
    m(x).sum().backward()                                # real timings of both paths
    c = m.kernel_choice
    assert c.requested == "auto" and not c.cached and c.path in ("native", "torch")
    assert c.native_ms > 0 and c.torch_ms > 0 and "rdrop=0.2" in c.key
    saved = json.loads(choices.read_text())[c.key]
    assert saved["path"] == c.path and saved["native_ms"] == c.native_ms
    assert m.path == ("native" if c.path == "native" else "stepwise")
    assert m.kernel_record()["choices"][0]["torch_ms"] == c.torch_ms

    calls = []
    _fake_timings(monkeypatch, 1.0, 2.0, calls)          # would choose native: must not be asked
    monkeypatch.setattr(kernels, "_memory", {})          # a new process: only the file remains
    m2 = build_model(spec).train()
    m2(torch.randn(5, 6, 3)).sum().backward()            # the same bucket of shapes
    assert calls == [] and m2.kernel_choice.cached and m2.kernel_choice.path == c.path


@pytest.mark.parametrize("native_ms,torch_ms,expect", [(5.0, 10.0, "native"), (10.0, 5.0, "torch"),
                                                       (9.8, 10.0, "torch")])   # within the margin: torch
def test_the_faster_path_wins_and_a_tie_goes_to_torch(choices, monkeypatch, native_ms, torch_ms, expect):
    calls = []
    _fake_timings(monkeypatch, native_ms, torch_ms, calls)
    m = build_model(ModelSpec("lstm", 3, 16, 2)).train()
    m(torch.randn(4, 5, 3)).sum().backward()
    assert calls == [["native", "torch"]]
    assert m.kernel_choice.path == expect and m.path == ("native" if expect == "native" else "stock")


def test_measuring_draws_no_masks_of_the_run(choices):
    """Same seed, same masks: a first run (which measures) and a second (from the cache) train
    on identical dropout masks, so the cache cannot change a run's random stream."""
    spec = ModelSpec("lstm", 3, 16, 2, dropout=0.3, recurrent_dropout=0.3, kernel="auto")
    x = torch.randn(4, 5, 3)
    outs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = build_model(spec).train()
        outs.append((m(x), m.kernel_choice.cached, torch.rand(1)))
    assert outs[0][1] is False and outs[1][1] is True
    torch.testing.assert_close(outs[0][0], outs[1][0], atol=1e-5, rtol=0)
    assert outs[0][2] == outs[1][2]


def test_requested_kernel_config_env_and_errors(choices, monkeypatch):
    x = torch.randn(4, 5, 3)
    m = build_model(ModelSpec("lstm", 3, 16, 2, kernel="torch")).train()
    m(x)
    assert m.kernel_choice.path == "torch" and m.path == "stock"
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "native")        # the environment overrides the config
    m(x)
    assert m.path == "native" and m.kernel_choice.reason == "kernel: native requested"
    monkeypatch.setenv("RNNBENCH_RNN_KERNEL", "")              # empty: unset, the config's value again
    assert kernels.requested("torch") == "torch" and kernels.requested() == "auto"
    with pytest.raises(ValueError, match="kernel must be one of"):
        ModelSpec("lstm", 3, 16, 2, kernel="fast")


def test_word2vec_auto_is_measured_recorded_and_cached(choices, monkeypatch):
    from rnnbench.word2vec import native
    from rnnbench.word2vec.params import Word2VecParams
    from rnnbench.word2vec.trainer import train

    monkeypatch.delenv("RNNBENCH_W2V_KERNEL", raising=False)
    monkeypatch.delenv("RNNBENCH_W2V_BACKEND", raising=False)
    sents = [[f"w{(i * 7 + j) % 50}" for j in range(20)] for i in range(60)]
    p = Word2VecParams.for_combination("skipgram", "ns", vector_size=8, min_count=1, epochs=1, workers=1)
    res = train(sents, p, log=lambda m: None)
    c = res.kernel
    assert c["requested"] == "auto" and c["path"] == res.path and not c["cached"]
    assert c["native_words_per_second"] > 0 and c["torch_words_per_second"] > 0
    assert c["key"] in json.loads(choices.read_text())
    monkeypatch.setattr(kernels, "_memory", {})
    assert train(sents, p, log=lambda m: None).kernel["cached"]
    monkeypatch.setenv("RNNBENCH_W2V_KERNEL", "")              # empty: unset
    assert train(sents, p, log=lambda m: None, kernel="torch").path == "torch"

    monkeypatch.setattr(native, "SOURCE", choices.parent / "missing.c")
    native._source.cache_clear()
    try:
        res = train(sents, p, log=lambda m: None)
        assert res.path == "torch" and "source is missing" in res.path_detail
    finally:
        native._source.cache_clear()


def test_word2vec_kernel_env_overrides_and_its_old_name_is_refused(monkeypatch):
    """$RNNBENCH_W2V_KERNEL overrides the requested kernel; the variable's old name,
    $RNNBENCH_W2V_BACKEND, set non-empty is a clear error naming the new one, not silently ignored."""
    from rnnbench.word2vec.params import Word2VecInputError, Word2VecParams, env_kernel
    from rnnbench.word2vec.trainer import train

    sents = [[f"w{(i * 7 + j) % 50}" for j in range(20)] for i in range(30)]
    p = Word2VecParams.for_combination("cbow", "ns", vector_size=8, min_count=1, epochs=1, workers=1)
    monkeypatch.delenv("RNNBENCH_W2V_BACKEND", raising=False)
    monkeypatch.setenv("RNNBENCH_W2V_KERNEL", "torch")
    assert env_kernel() == "torch"
    assert train(sents, p, log=lambda m: None, kernel="native").path == "torch"
    monkeypatch.setenv("RNNBENCH_W2V_BACKEND", " ")             # empty (blank): unset, as before
    assert env_kernel() == "torch"
    monkeypatch.setenv("RNNBENCH_W2V_BACKEND", "torch")
    for call in (env_kernel, lambda: train(sents, p, log=lambda m: None, kernel="torch")):
        with pytest.raises(Word2VecInputError, match=r"RNNBENCH_W2V_BACKEND was renamed: set \$RNNBENCH_W2V_KERNEL"):
            call()

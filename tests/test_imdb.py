"""IMDb: text -> ids on a tiny aclImdb-layout tar built here (the real 50,000-review archive takes
seconds to read), pretrained word2vec rows, and the three embedding strategies end to end."""
from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
import torch

from rnnbench.data.imdb import OOV, PAD, load_imdb, load_pretrained, prepare_imdb, tokenize

POS = ["A great film, truly great!<br /><br />Loved it in 1999.", "great acting and a great story",
       "wonderful great fun", "great great great", "what a great wonderful movie", "loved the great cast"]
NEG = ["An awful film. Boring and awful.", "awful awful acting", "boring plot, awful script",
       "terrible and boring", "awful boring mess", "the worst awful film"]


def _tar(path, reviews):
    with tarfile.open(path, "w") as tf:
        for split in ("train", "test"):
            for label, texts in (("pos", POS), ("neg", NEG)):
                for i, text in enumerate(texts):
                    data = text.encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_{8 if label == 'pos' else 2}.txt")
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        extra = tarfile.TarInfo("aclImdb/README")
        extra.size = 2
        tf.addfile(extra, io.BytesIO(b"hi"))


@pytest.fixture
def raw(tmp_path):
    (tmp_path / "raw").mkdir()
    _tar(tmp_path / "raw" / "aclImdb_labelled.tar", None)
    return tmp_path / "raw"


@pytest.fixture
def vectors(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(["great", "awful", "film", "boring"], np.arange(16, dtype=np.float32).reshape(4, 4))
    kv.save(str(tmp_path / "v.kv"))
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    return tmp_path / "v.kv"


def test_tokenize_is_text8_normalisation():
    assert tokenize("Great film!<br />Loved it in 1999.") == \
        ["great", "film", "loved", "it", "in", "one", "nine", "nine", "nine"]


def test_prepare_shapes_balance_vocabulary_and_oov(raw, tmp_path, vectors):
    meta = prepare_imdb(raw, tmp_path / "imdb.npz", n_train=8, n_val=2, n_test=6, max_len=5, vocab_size=6,
                        seed=0, vectors=vectors)
    d = load_imdb(tmp_path / "imdb.npz")
    assert d.x_train.shape == (8, 5) and d.x_val.shape == (2, 5) and d.x_test.shape == (6, 5)
    assert d.x_train.dtype == np.int64 and d.vocab_size == 6 and d.kind == "classification"
    for y in (d.y_train, d.y_val, d.y_test):            # balanced subsets
        assert (y == 1).sum() == (y == 0).sum()
    assert d.x_train.max() < 6 and (d.x_train[np.arange(5)[None] >= d.lengths_train[:, None]] == PAD).all()
    assert (d.x_train[np.arange(5)[None] < d.lengths_train[:, None]] != PAD).all()
    assert meta["counts"]["train"]["oov_token_rate"] > 0      # 4 words + pad + OOV cannot cover the text
    vocab = np.load(tmp_path / "imdb.npz")["vocab"].tolist()
    assert vocab[0] == "great" and len(vocab) == 4            # most frequent training word gets id 2
    m = load_pretrained(tmp_path / "imdb.npz")
    assert m.shape == (6, 4) and (m[PAD] == 0).all()
    assert np.array_equal(m[2], np.arange(4, dtype=np.float32))   # 'great' row = its word2vec vector
    assert np.abs(m[OOV]).max() <= 0.05                         # OOV row: Keras-uniform
    # the word2vec binary format reads to the same rows
    prepare_imdb(raw, tmp_path / "b.npz", 8, 2, 6, 5, 6, 0, vectors=vectors.with_suffix(".bin"))
    assert np.allclose(load_pretrained(tmp_path / "b.npz"), m)


def test_long_reviews_keep_their_last_tokens(raw, tmp_path):
    prepare_imdb(raw, tmp_path / "imdb.npz", n_train=None, n_val=2, n_test=None, max_len=2, vocab_size=50, seed=0)
    z = np.load(tmp_path / "imdb.npz")
    vocab = ["<pad>", "<oov>"] + z["vocab"].tolist()
    texts = {" ".join(tokenize(t)[-2:]) for t in POS + NEG}
    got = {" ".join(vocab[i] for i in row if i) for row in z["x_test"]}
    assert got <= texts and len(z["x_test"]) == 12


def test_errors_are_clear(tmp_path, raw):
    with pytest.raises(FileNotFoundError, match="fetch the 'imdb' dataset"):
        prepare_imdb(tmp_path / "nowhere", tmp_path / "x.npz")
    with pytest.raises(ValueError, match="only"):
        prepare_imdb(raw, tmp_path / "x.npz", n_train=100, n_val=2, n_test=2)
    prepare_imdb(raw, tmp_path / "x.npz", 8, 2, 6, 5, 6, 0)
    with pytest.raises(ValueError, match="no pretrained embedding"):
        load_pretrained(tmp_path / "x.npz")
    assert not list(tmp_path.glob(".imdb.*"))           # no partial file left behind


@pytest.mark.parametrize("strategy", ["scratch", "frozen", "finetuned"])
def test_three_strategies_end_to_end(raw, tmp_path, vectors, strategy):
    from rnnbench.grid import expand
    from rnnbench.models.seq import build_model
    from rnnbench.train import load_task, model_spec, pretrained_embedding, run, train_config
    from rnnbench.training.loop import fit

    prepare_imdb(raw, tmp_path / "imdb.npz", 8, 2, 6, 5, 8, 0, vectors=vectors)
    spec = next(iter(expand([{"name": "e", "task": "imdb", "cells": ["lstm"], "hidden": 4, "embedding": [strategy],
                              "embedding_dim": 4, "epochs": 2, "batch_size": 4, "lr": 0.05,
                              "diagnostics": False}], family="embedding").values()))
    rec = run(spec, str(tmp_path / "imdb.npz"), tmp_path / "run", "cpu", 1)
    assert rec["status"] == "ok" and rec["params"]["embedding"] == (0 if strategy == "frozen" else 8 * 4)
    # the weights themselves: frozen rows stay the word2vec rows, fine-tuned rows move
    data = load_task(spec, str(tmp_path / "imdb.npz"))
    model = build_model(model_spec(spec, data))
    pre = pretrained_embedding(spec, str(tmp_path / "imdb.npz"))
    if pre is not None:
        model.load_embedding(*pre)
    before = model.embedding.weight.detach().clone()
    fit(model, data, train_config(spec), torch.device("cpu"), log=lambda m: None)
    after = model.embedding.weight.detach()
    if strategy == "frozen":
        assert torch.equal(before, after) and torch.equal(after, torch.as_tensor(pre[0]))
    else:
        assert not torch.equal(before, after)

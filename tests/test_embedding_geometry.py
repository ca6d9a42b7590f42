"""The lecture's embedding statements as tests: an embedding layer is a one-hot row times W, and the
geometry statistics the word2vec claims read (pair offsets, the rank of queen)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbench.models.seq import ModelSpec, SequenceModel
from rnnbench.word2vec.evaluate import Embeddings, offsets


def test_embedding_layer_is_one_hot_times_W():
    """h = xᵀW: our models' embedding layer (nn.Embedding) gives exactly the one-hot product."""
    spec = ModelSpec(cell="lstm", input_size=50, hidden=8, output_size=2, vocab_size=50, embedding_dim=6,
                     padding_idx=0)
    model = SequenceModel(spec)
    ids = torch.tensor([[3, 7, 0, 49], [1, 1, 2, 5]])
    one_hot = torch.nn.functional.one_hot(ids, 50).float()
    assert torch.equal(model.embedding(ids), one_hot @ model.embedding.weight)


def test_keras_embedding_is_one_hot_times_W():
    keras = pytest.importorskip("keras")
    layer = keras.layers.Embedding(50, 6)
    ids = np.array([[3, 7, 0, 49]])
    out = np.asarray(layer(ids))
    w = np.asarray(layer.embeddings)
    np.testing.assert_array_equal(out, np.eye(50, dtype=np.float32)[ids] @ w)


def _planted(parallel: bool, seed: int = 0) -> tuple[Embeddings, list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(400)]
    vecs = rng.normal(size=(400, 16))
    pairs = [(f"w{i}", f"w{i + 100}") for i in range(8)]
    if parallel:
        d = 2 * rng.normal(size=16)
        for i in range(8):
            vecs[i + 100] = vecs[i] + d + 0.3 * rng.normal(size=16)
    return Embeddings(words, vecs), pairs


def test_parallel_offsets_stand_out_from_mispaired_and_random_ones():
    emb, pairs = _planted(parallel=True)
    r = offsets(emb, pairs)
    assert r["used"] == 8
    assert r["mean_cos"] > r["mean_cos_mispaired"] > r["mean_cos_random"] - 0.05
    assert r["excess"] > 0.2


def test_unrelated_pairs_show_no_excess():
    emb, pairs = _planted(parallel=False)
    assert abs(offsets(emb, pairs)["excess"]) < 0.05


def test_too_few_pairs_in_vocabulary_give_no_statistic():
    emb, _ = _planted(parallel=True)
    r = offsets(emb, [("w1", "w101"), ("w2", "nope"), ("nope", "w3")])
    assert r["used"] == 1 and r["excess"] is None


def test_rank_of_queen():
    words = ["king", "man", "woman", "queen", "throne", "x"]
    vecs = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 1.1], [0.2, 1, 0.8], [1, 0, 1]], dtype=float)
    emb = Embeddings(words, vecs)
    ranked = [w for w, _ in emb.most_similar(["king", "woman"], ["man"], topn=10)]
    assert emb.rank_of("queen", ["king", "woman"], ["man"]) == ranked.index("queen") + 1
    assert emb.rank_of("missing", ["king", "woman"], ["man"]) is None

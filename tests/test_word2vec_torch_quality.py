"""The batched torch word2vec trainer (the path a GPU runs) against gensim, on the same real corpus
and settings, for CBOW / skip-gram × HS / NS; on CPU, in seconds.

At 5M tokens the bar is the analogy score (torch within 1 point of gensim; ``bench/gpu.sh``
measures it on a GPU). At the 80k tokens a test can afford, analogy accuracy is 0-2 % for both
and says nothing, so the bar here is the similarity structure of the 200 words after the 20
most frequent: the Spearman correlation of all their pairwise cosines between the torch run and
gensim's, against the same correlation between two gensim runs that differ only in the seed
(gensim's own run-to-run agreement). Torch must reach ``AGREEMENT`` times gensim's
self-agreement, for all four combinations; the hierarchical softmax only does since its update
runs in chunks of pairs (``HS_CHUNK_PAIRS``: one summed step of a whole skip-gram batch on the
shared top nodes of the Huffman tree learned next to nothing). One thread each, so every number
here is deterministic.
"""
from __future__ import annotations

import lzma

import numpy as np
import pytest
from scipy.stats import spearmanr

from rnnbench.word2vec.gensim_ref import train_gensim
from rnnbench.word2vec.params import Word2VecParams
from rnnbench.word2vec.trainer import train

TOKENS = 80_000
AGREEMENT = 0.7
WORDS = slice(20, 220)   # past the stop words, still frequent enough to be trained at this size


@pytest.fixture(scope="module")
def corpus(mirror, tmp_path_factory):
    src = mirror / "offline-english" / "offline-english.txt.xz"
    if not src.exists():
        pytest.skip(f"mirror {mirror} lacks offline-english/")
    with lzma.open(src, "rt") as f:                 # the first tokens only: reads ~0.6 MB of text
        toks = f.read(TOKENS * 8).split()[:TOKENS]
    lines = [toks[i:i + 1000] for i in range(0, len(toks), 1000)]
    path = tmp_path_factory.mktemp("w2vq") / "corpus.txt"
    path.write_text("\n".join(" ".join(line) for line in lines) + "\n")
    return lines, path


def _cosines(result, words):
    index = {w: i for i, w in enumerate(result.words)}
    v = result.vectors[[index[w] for w in words]]
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    return (v @ v.T)[np.triu_indices(len(words), 1)]


@pytest.mark.parametrize("arch,loss", [
    ("cbow", "ns"), ("skipgram", "ns"), ("cbow", "hs"), ("skipgram", "hs"),
])
def test_batched_torch_trainer_learns_what_gensim_learns(corpus, arch, loss):
    lines, path = corpus
    kw = dict(vector_size=32, epochs=3, min_count=5)
    quiet = lambda m: None  # noqa: E731
    # one thread each: deterministic (gensim's Hogwild threads race), and spinning OpenMP threads
    # cost seconds on a loaded 2-core machine
    ours = train(lines, Word2VecParams.for_combination(arch, loss, workers=1, seed=1, **kw), log=quiet,
                 kernel="torch")
    g1, g2 = (train_gensim(path, Word2VecParams.for_combination(arch, loss, workers=1, seed=s, **kw), log=quiet)
              for s in (1, 2))
    assert ours.path == "torch"
    words = g1.words[WORDS]
    ref = _cosines(g1, words)
    torch_vs_gensim = spearmanr(_cosines(ours, words), ref)[0]
    gensim_vs_gensim = spearmanr(_cosines(g2, words), ref)[0]
    assert gensim_vs_gensim > 0.6      # the measure itself is informative at this size
    assert torch_vs_gensim >= AGREEMENT * gensim_vs_gensim, (torch_vs_gensim, gensim_vs_gensim)

"""word2vec core: Huffman tree, samplers, subsampling, planted neighbours, determinism, bad input,
and our evaluation against gensim's. Tiny corpora only (the whole file runs in seconds)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from rnnbench.word2vec.corpus import prepare, read_sentences
from rnnbench.word2vec.evaluate import Embeddings, analogies, word_pairs
from rnnbench.word2vec.gensim_ref import check_line_lengths, train_gensim
from rnnbench.word2vec.huffman import build_huffman
from rnnbench.word2vec.params import Word2VecInputError, Word2VecParams
from rnnbench.word2vec.sampling import NegativeSampler, context_matrix, subsample
from rnnbench.word2vec.trainer import train
from rnnbench.word2vec.vocab import keep_probabilities

from conftest import needs_native

MIRROR = Path(os.environ.get("RNNBENCH_MIRROR") or Path(__file__).resolve().parents[2] / "shared" / "datasets")


def zipf_counts(v=300, seed=0):
    rng = np.random.default_rng(seed)
    return np.sort((1e5 / np.arange(1, v + 1) * rng.uniform(0.8, 1.2, v)).astype(np.int64) + 1)[::-1]


def test_huffman_prefix_free_and_frequent_words_shorter():
    counts = zipf_counts()
    tree = build_huffman(counts)
    codes = [tree.code(i) for i in range(len(counts))]
    assert len(set(codes)) == len(codes)
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if i != j:
                assert not b.startswith(a), (a, b)
    lengths = tree.lengths
    assert all(lengths[i] <= lengths[j] for i in range(len(counts)) for j in range(i, len(counts))
               if counts[i] > counts[j])
    # Kraft equality for a full binary tree, and inner nodes indexed 0..V-2
    assert np.isclose(sum(2.0 ** -lengths), 1.0)
    assert tree.points.shape == tree.codes.shape == (len(counts), lengths.max())
    inner = {int(p) for i in range(len(counts)) for p in tree.points[i, : lengths[i]]}
    assert inner == set(range(len(counts) - 1))


def test_negative_sampler_matches_unigram_power():
    counts = zipf_counts(50)
    s = NegativeSampler(counts, 0.75)
    g = torch.Generator().manual_seed(0)
    draws = s.sample((400_000,), g).numpy()
    emp = np.bincount(draws, minlength=len(counts)) / len(draws)
    want = counts ** 0.75 / (counts ** 0.75).sum()
    assert np.abs(emp - want).max() < 3e-3
    # chi-square-like check relative to the sampling error
    z = (emp - want) / np.sqrt(want * (1 - want) / len(draws))
    assert np.abs(z).max() < 5


def test_subsampling_keep_rates_match_formula():
    counts = np.array([50_000, 20_000, 5_000, 1_000, 100, 10])
    sample = 1e-2
    t = sample * counts.sum()
    want = np.minimum(1, (np.sqrt(counts / t) + 1) * t / counts)
    np.testing.assert_allclose(keep_probabilities(counts, sample), want)
    ids = torch.as_tensor(np.repeat(np.arange(len(counts)), 20_000))
    kp = torch.as_tensor(want, dtype=torch.float32)
    kept = subsample(ids, kp, torch.Generator().manual_seed(1))
    rate = np.array([kept[ids == i].float().mean().item() for i in range(len(counts))])
    np.testing.assert_allclose(rate, want, atol=0.015)
    assert np.all(keep_probabilities(counts, 0) == 1)


def test_dynamic_window_shrinks_and_respects_sentences():
    toks = torch.arange(40)
    sent = torch.as_tensor([0] * 20 + [1] * 20)
    pos, valid = context_matrix(toks, sent, 0, 40, 5, torch.Generator().manual_seed(0))
    n_ctx = valid.sum(1)
    assert n_ctx.max() <= 10 and n_ctx.min() >= 1
    assert len(set(n_ctx[5:15].tolist())) > 1  # shrunk windows differ between centres
    centre = torch.arange(40)[:, None].expand_as(pos)
    assert torch.all(sent[pos][valid] == sent[centre][valid])


def planted_corpus(groups=8, size=5, sentences=1200, length=10, seed=0):
    """Each sentence uses the words of one group: a word's planted neighbours are its group."""
    rng = np.random.default_rng(seed)
    words = [[f"g{g}w{i}" for i in range(size)] for g in range(groups)]
    return [list(rng.choice(words[rng.integers(groups)], length)) for _ in range(sentences)], words


def planted_hit_rate(res, words) -> float:
    emb = Embeddings(res.words, res.vectors)
    hits = total = 0
    for group in words:
        for w in group:
            top = {n for n, _ in emb.most_similar([w], topn=len(group) - 1)}
            hits += len(top & set(group))
            total += len(group) - 1
    return hits / total


COMBOS = [("cbow", "ns"), ("cbow", "hs"), ("skipgram", "ns"), ("skipgram", "hs")]


@pytest.mark.parametrize("kernel", [pytest.param("native", marks=needs_native), "torch"])
@pytest.mark.parametrize("arch,loss", COMBOS)
def test_planted_neighbours(arch, loss, kernel):
    sents, words = planted_corpus()
    p = Word2VecParams.for_combination(arch, loss, vector_size=16, window=3, min_count=1, sample=0,
                                       epochs=5, workers=1, batch_words=64)
    res = train(sents, p, log=lambda m: None, kernel=kernel)
    assert res.path == kernel
    assert planted_hit_rate(res, words) > 0.9


@needs_native
@pytest.mark.parametrize("arch,loss", COMBOS)
def test_native_matches_torch_quality(arch, loss):
    """The C kernel (sequential SGD, 2 Hogwild threads) learns the planted neighbours at least
    as well as the batched torch path, on a harder corpus (more groups, noise words)."""
    rng = np.random.default_rng(5)
    words = [[f"g{g}w{i}" for i in range(6)] for g in range(20)]
    noise = [f"n{i}" for i in range(30)]
    sents = []
    for _ in range(2500):
        g = rng.integers(len(words))
        sents.append([str(rng.choice(words[g])) if rng.random() < 0.7 else str(rng.choice(noise)) for _ in range(12)])
    p = Word2VecParams.for_combination(arch, loss, vector_size=24, window=3, min_count=1, sample=0,
                                       epochs=4, workers=2, batch_words=64)
    # the torch path on one thread: its result does not depend on the thread count, and two
    # spinning OpenMP threads on a loaded 2-core machine cost seconds per tiny batch
    rates = {k: planted_hit_rate(train(sents, Word2VecParams(**{**p.as_dict(), "workers": w}), log=lambda m: None,
                                       kernel=k), words) for k, w in (("native", 2), ("torch", 1))}
    assert rates["native"] >= rates["torch"] - 0.03, rates
    assert rates["native"] > 0.8, rates


def test_native_unavailable_falls_back_to_torch(monkeypatch):
    from rnnbench.word2vec import native

    monkeypatch.setattr(native, "load", lambda: (None, "no C compiler on PATH (test)"))
    sents, _ = planted_corpus(sentences=100)
    msgs = []
    p = Word2VecParams.for_combination("cbow", "ns", vector_size=8, min_count=1, epochs=1, workers=1)
    res = train(sents, p, log=msgs.append)
    assert res.path == "torch" and "no C compiler" in res.path_detail
    assert any("no C compiler" in m for m in msgs)
    with pytest.raises(Word2VecInputError, match="no C compiler"):
        train(sents, p, log=msgs.append, kernel="native")


def _native_hs_epoch(arch: str, hot: int, threads: int, sentences: list[list[str]]):
    """(syn1 before, syn0 after, syn1 after, vocabulary size) for one epoch of the C kernel on
    ``sentences`` with hierarchical softmax, every thread seeded alike (so whichever thread takes a
    sentence draws the same windows)."""
    from rnnbench.word2vec import native
    from rnnbench.word2vec.trainer import build_model, encode
    from rnnbench.word2vec.vocab import build_vocab

    lib, why = native.load()
    assert lib is not None, why
    p = Word2VecParams.for_combination(arch, "hs", vector_size=16, window=3, min_count=1, sample=0, epochs=1)
    vocab = build_vocab(sentences, 1)
    ids, sent, _ = encode(sentences, vocab)
    gen = torch.Generator().manual_seed(3)
    model, tree, _ = build_model(vocab, p, torch.device("cpu"), gen)
    with torch.no_grad():  # syn1 starts at zero, as in word2vec.c: start it elsewhere so a lost row shows
        model.syn1.copy_(torch.randn(model.syn1.shape, generator=gen) * 0.1)
    syn0, syn1 = model.syn0.numpy(), model.syn1.numpy()
    before = syn1.copy()
    runner = native.NativeEpochs(lib, syn0, syn1, None, ids, np.searchsorted(sent, np.arange(len(sentences) + 1)),
                                 np.array([len(x) for x in sentences], dtype=np.int64),
                                 keep_probabilities(vocab.counts, 0), tree=tree)
    runner.epoch(sg=p.sg, hs=1, negative=0, window=p.window, cbow_mean=p.cbow_mean, alpha=p.alpha,
                 min_alpha=p.min_alpha, done_before=0, total=sum(map(len, sentences)), threads=threads,
                 seeds=[12345] * threads, hot_rows=hot)
    return before, syn0.copy(), syn1.copy(), len(vocab)


@needs_native
@pytest.mark.parametrize("arch", ["cbow", "skipgram"])
def test_hot_rows_are_trained_per_thread_and_written_back(arch):
    """With hierarchical softmax and two threads each thread trains its own copy of the most visited
    inner nodes (the last rows of syn1) and adds its changes to the shared rows after each sentence.
    With one sentence one thread trains it all, and what it writes back equals the one-thread run's
    weights (up to the rounding of w + (copy - w)), for a copy of every inner node and of three."""
    sents, _ = planted_corpus(sentences=40)
    one = [[w for s in sents for w in s]]   # one sentence: only one thread gets work
    before, s0, s1, v = _native_hs_epoch(arch, hot=0, threads=1, sentences=one)
    assert np.abs(s1 - before)[-3:].max() > 1e-2   # the hot rows did move: a lost write-back would show
    for hot in (v - 1, 3):
        _, h0, h1, _ = _native_hs_epoch(arch, hot=hot, threads=2, sentences=one)
        np.testing.assert_allclose(h0, s0, rtol=0, atol=1e-5)
        np.testing.assert_allclose(h1, s1, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kernel,workers", [pytest.param("native", 1, marks=needs_native), ("torch", 2)])
def test_same_seed_same_vectors_on_cpu(kernel, workers):
    """Native: deterministic with one thread (more threads race, Hogwild, as gensim's do);
    torch: deterministic on CPU with any number of threads."""
    sents, _ = planted_corpus(sentences=200)
    p = Word2VecParams.for_combination("skipgram", "ns", vector_size=8, min_count=1, epochs=1, workers=workers, seed=3)
    a = train(sents, p, log=lambda m: None, kernel=kernel).vectors
    b = train(sents, p, log=lambda m: None, kernel=kernel).vectors
    c = train(sents, Word2VecParams(**{**p.as_dict(), "seed": 4}), log=lambda m: None, kernel=kernel).vectors
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_input_is_a_clear_error(tmp_path):
    p = Word2VecParams.for_combination("cbow", "ns", min_count=1)
    with pytest.raises(Word2VecInputError, match="empty"):
        train([[]], p, log=lambda m: None)
    with pytest.raises(Word2VecInputError, match="window"):
        train([["a", "b", "c"]], p, log=lambda m: None)
    with pytest.raises(Word2VecInputError, match="min_count"):
        train([["a", "b", "c", "d", "e", "f", "g"]], Word2VecParams(min_count=5), log=lambda m: None)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    with pytest.raises(Word2VecInputError, match="empty"):
        prepare(empty, tmp_path / "out.txt")
    short = tmp_path / "short.txt"
    short.write_text("a b c\n")
    with pytest.raises(Word2VecInputError, match="window"):
        train_gensim(short, p, log=lambda m: None)
    # the command line: one line on stderr, exit code 2, no traceback
    proc = subprocess.run([sys.executable, "-m", "rnnbench.word2vec.train", "--impl", "ours", "--arch", "cbow",
                           "--loss", "ns", "--corpus", str(short), "--corpus-name", "tiny", "--eval-dir",
                           str(tmp_path), "--outdir", str(tmp_path / "run")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


def test_out_of_vocabulary_evaluation_is_a_counted_skip(tmp_path):
    q = tmp_path / "q.txt"
    q.write_text(": capital\nathens greece paris france\n: gram1\nwalk walking run running\n")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("# comment\nzebra\tquark\t5.0\nfoo\tbar\t1.0\n")
    emb = Embeddings(["a", "b", "c"], np.eye(3, 4))
    with pytest.warns(UserWarning, match="out of"):
        res = analogies(emb, q)
    assert res["total"]["accuracy_pct"] is None and res["total"]["oov"] == 2 and res["total"]["answered"] == 0
    with pytest.warns(UserWarning, match="out of vocabulary"):
        wp = word_pairs(emb, pairs)
    assert wp["spearman"] is None and wp["oov_pairs"] == 2


def test_word_pair_correlations_equal_scipys_with_ties():
    """Our numpy Spearman / Pearson (no scipy.stats import in a word2vec job) against scipy's, on
    human scores with ties (WordSim's are given to two decimals) and similarities with ties too."""
    from scipy.stats import pearsonr, spearmanr

    from rnnbench.word2vec.evaluate import pearson, spearman

    rng = np.random.default_rng(0)
    for n in (3, 20, 353):
        gold = rng.integers(0, 10, n).astype(float)
        sims = gold / 10 + rng.normal(scale=0.3, size=n)
        sims[: n // 3] = np.round(sims[: n // 3], 1)
        assert spearman(gold, sims) == pytest.approx(spearmanr(gold, sims).statistic, abs=1e-12)
        assert pearson(gold, sims) == pytest.approx(pearsonr(gold, sims).statistic, abs=1e-12)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_vectors_bin_is_byte_for_byte_gensims(tmp_path):
    """vectors.bin, written without gensim, equals gensim's save_word2vec_format(binary=True) and loads back."""
    from gensim.models import KeyedVectors

    from rnnbench.word2vec.train import save_vectors_bin

    words = ["the", "of", "zebra", "naïve", "a"]
    vecs = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    kv = KeyedVectors(7)
    kv.add_vectors(words, vecs)
    kv.save_word2vec_format(str(tmp_path / "gensim.bin"), binary=True)
    ours = save_vectors_bin(tmp_path / "ours.bin", words, vecs)
    assert ours.read_bytes() == (tmp_path / "gensim.bin").read_bytes()
    back = KeyedVectors.load_word2vec_format(str(ours), binary=True)
    assert back.index_to_key == words and np.array_equal(back.vectors, vecs)
    with pytest.raises(ValueError, match="4 words for vectors of shape"):
        save_vectors_bin(tmp_path / "bad.bin", words[:4], vecs)
    assert not (tmp_path / "bad.bin").exists()


def test_prepare_cuts_prefix_and_lines(tmp_path):
    src = tmp_path / "t8"
    src.write_text(" " + " ".join(f"w{i % 7}" for i in range(25)))
    info = prepare(src, tmp_path / "p.txt", prefix=23, line_tokens=10)
    assert info["tokens"] == 23 and info["lines"] == 3
    assert [len(s) for s in read_sentences(tmp_path / "p.txt")] == [10, 10, 3]
    assert check_line_lengths(tmp_path / "p.txt") == 23
    with pytest.raises(Word2VecInputError, match="one sentence per line"):
        check_line_lengths(src, max_tokens=10)


@pytest.fixture(scope="module")
def ptb_and_eval(tmp_path_factory):
    if not (MIRROR / "ptb" / "ptb.valid.txt").exists() or not (MIRROR / "word-eval").is_dir():
        pytest.skip(f"mirror {MIRROR} lacks ptb/ or word-eval/ (set RNNBENCH_MIRROR)")
    from rnnbench.data.fetch import fetch

    d = tmp_path_factory.mktemp("w2v")
    fetch("ptb", d / "ptb", MIRROR, allow_network=False)
    fetch("word-eval", d / "eval", MIRROR, allow_network=False)
    prepare(d / "ptb" / "ptb.valid.txt", d / "ptb.txt")
    return d / "ptb.txt", d / "eval"


def test_our_evaluation_equals_gensims(ptb_and_eval):
    from gensim.models import KeyedVectors

    corpus, evals = ptb_and_eval
    res = train_gensim(corpus, Word2VecParams(epochs=1, workers=1, min_count=2), log=lambda m: None)
    emb = Embeddings(res.words, res.vectors)
    kv = KeyedVectors(res.vectors.shape[1])
    kv.add_vectors(res.words, res.vectors)
    ours = analogies(emb, evals / "questions-words.txt", restrict_vocab=30_000)
    score, sections = kv.evaluate_word_analogies(str(evals / "questions-words.txt"), restrict_vocab=30_000)
    total = next(s for s in sections if s["section"] == "Total accuracy")
    assert ours["total"]["answered"] == len(total["correct"]) + len(total["incorrect"]) > 0
    assert ours["total"]["correct"] == len(total["correct"])
    pearson, spearman, oov_pct = kv.evaluate_word_pairs(str(evals / "wordsim353.tsv"))
    wp = word_pairs(emb, evals / "wordsim353.tsv")
    assert wp["spearman"] == pytest.approx(spearman.statistic, abs=1e-6)
    assert 100 * wp["oov_pairs"] / wp["pairs"] == pytest.approx(oov_pct)
    assert emb.most_similar(["the"], topn=3)[0][0] == kv.most_similar("the", topn=3)[0][0]


def test_ours_and_gensim_run_records(ptb_and_eval, tmp_path):
    from rnnbench.records import read_records
    from rnnbench.word2vec.train import run

    corpus, evals = ptb_and_eval
    impls = ("ours", "gensim", "gensim_iter")
    for impl in impls:
        run(impl, "cbow", "ns", 1, str(corpus), "ptb-valid", str(evals), str(tmp_path / impl),
            {"epochs": 1, "workers": 1}, device="cpu", log=lambda m: None)
    run("ours", "cbow", "ns", 1, str(corpus), "ptb-valid", str(evals), str(tmp_path / "ours0"),
        {"epochs": 1, "workers": 1, "sample": 0}, device="cpu", log=lambda m: None, save_vectors=False)
    recs = read_records([tmp_path / i / "metrics.json" for i in (*impls, "ours0")])
    for r in recs:
        assert r["corpus"] == "ptb-valid" and r["status"] == "ok" and r["words_per_second"] > 0
        assert r["analogy"]["total"]["questions"] == 19544
        assert r["wordsim353"]["pairs"] == 353 and r["simlex999"]["pairs"] == 999
    # ours: whichever path `kernel: auto` measured faster here (or torch where no C compiler built
    # the kernel); the record says which ran and why
    assert [r["path"] for r in recs][1:3] == ["gensim", "gensim"]
    for r in (recs[0], recs[3]):
        assert r["path"] in ("native", "torch") and r["path_detail"]
    assert "corpus_file" in recs[1]["path_detail"] and "Word2Vec(sentences)" in recs[2]["path_detail"]
    assert [r["run_id"] for r in recs] == ["ours-cbow-ns-seed1", "gensim-cbow-ns-seed1", "gensim_iter-cbow-ns-seed1",
                                           "ours-cbow-ns-sample0-seed1"]
    from rnnbench.report.word2vec import main as aggregate

    aggregate(["--outdir", str(tmp_path / "agg"), *(str(tmp_path / i / "metrics.json") for i in (*impls, "ours0"))])
    import pandas as pd

    summary = pd.read_csv(tmp_path / "agg" / "tables" / "word2vec_summary.csv")
    measured = summary[summary["source"].str.startswith("measured")]
    assert list(measured["sample"]) == [0.0, 0.001]
    assert measured["analogy_total_pct_gensim_iter"].notna().tolist() == [False, True]
    sub = pd.read_csv(tmp_path / "agg" / "tables" / "word2vec_subsampling.csv")
    assert len(sub) == 1 and sub["seeds_paired"].iloc[0] == 1 and sub["speedup"].iloc[0] > 0
    # no step-time record among the inputs: its table is the header alone
    assert pd.read_csv(tmp_path / "agg" / "tables" / "word2vec_softmax_cost.csv").empty
    assert (tmp_path / "agg" / "figures" / "word2vec_pca_male_female.png").exists()


@pytest.mark.parametrize("kernel", [pytest.param("native", marks=needs_native), "torch"])
def test_alpha_decay_linear_and_gensim_corpus_file(kernel):
    """'linear' reaches alpha - (alpha - min_alpha) * e / E at the end of epoch e; 'corpus_file'
    (gensim's corpus_file mode) only 1/workers of each epoch's step, then jumps at the next."""
    sents, _ = planted_corpus(sentences=300)
    ends = {}
    for decay in ("linear", "corpus_file"):
        p = Word2VecParams.for_combination("cbow", "ns", vector_size=8, min_count=1, epochs=2, workers=2,
                                           alpha=0.02, min_alpha=0.0, alpha_decay=decay, batch_words=16)
        res = train(sents, p, log=lambda m: None, kernel=kernel)
        ends[decay] = [h["alpha_end"] for h in res.history]
    per_epoch = 0.02 / 2
    assert ends["linear"][0] == pytest.approx(0.02 - per_epoch, abs=0.002)
    div = 2                                              # workers
    assert ends["corpus_file"][0] == pytest.approx(0.02 - per_epoch / div, abs=0.002)
    assert ends["corpus_file"][1] == pytest.approx(0.02 - per_epoch - per_epoch / div, abs=0.002)
    with pytest.raises(Word2VecInputError, match="alpha_decay"):
        Word2VecParams(alpha_decay="cosine").validate()


# ---- the full softmax, gensim's iterable mode, the step-time job (issue 13, items 6 and 9) -----------------

def _softmax_model(V=7, D=4, seed=0):
    from rnnbench.word2vec.model import Word2VecModel

    g = torch.Generator().manual_seed(seed)
    m = Word2VecModel(V, D, hs=False, negative=0, tree=None, sampler=None, device="cpu", generator=g, softmax=True)
    m.syn1soft = torch.randn(V, D, generator=g)
    return m


@pytest.mark.parametrize("chunk_logits", [1 << 22, 7])   # one chunk; one example per chunk (V = 7)
def test_full_softmax_step_is_cross_entropy_sgd(monkeypatch, chunk_logits):
    """The step equals plain SGD on the cross-entropy over the whole vocabulary, by autograd: the input
    step is −alpha ∂L/∂h; the output vectors move by −alpha ∂L/∂W, chunk after chunk."""
    from rnnbench.word2vec import model as M

    monkeypatch.setattr(M, "SOFTMAX_CHUNK_LOGITS", chunk_logits)
    m = _softmax_model()
    h = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    target = torch.tensor([2, 0, 2])
    alpha = 0.1
    w = m.syn1soft.clone()
    want_grad_h, want_w = [], w.clone()
    per_chunk = 3 if chunk_logits > 7 else 1
    for s in range(0, 3, per_chunk):     # autograd on each chunk, at the weights the chunk before left
        wr = want_w.clone().requires_grad_(True)
        hr = h[s:s + per_chunk].clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(hr @ wr.T, target[s:s + per_chunk], reduction="sum")
        loss.backward()
        want_grad_h.append(-alpha * hr.grad)
        want_w = want_w - alpha * wr.grad
    got = m.softmax_step(h, target, alpha)
    torch.testing.assert_close(got, torch.cat(want_grad_h), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(m.syn1soft, want_w, rtol=1e-5, atol=1e-6)
    assert got.shape == h.shape and m.syn1soft.shape == (7, 4)


@pytest.mark.parametrize("arch", ["cbow", "skipgram"])
def test_full_softmax_trains_planted_neighbours_on_torch(arch):
    sents, words = planted_corpus()
    p = Word2VecParams.for_combination(arch, "softmax", vector_size=16, window=3, min_count=1, sample=0,
                                       epochs=5, workers=1, batch_words=64)
    assert (p.softmax, p.hs, p.negative, p.loss) == (1, 0, 0, "softmax")
    msgs = []
    res = train(sents, p, log=msgs.append)          # auto: no C kernel has it, so torch, saying why
    assert res.path == "torch" and "no C kernel" in res.path_detail
    assert planted_hit_rate(res, words) > 0.9
    with pytest.raises(Word2VecInputError, match="no full softmax"):
        train(sents, p, log=msgs.append, kernel="native")
    with pytest.raises(Word2VecInputError, match="no full softmax"):
        train_gensim("unused.txt", p, log=msgs.append)
    with pytest.raises(Word2VecInputError, match="hs=0 and negative=0"):
        Word2VecParams(softmax=1, negative=5).validate()


def _write_lines(path, sents):
    path.write_text("\n".join(" ".join(s) for s in sents) + "\n")
    return path


def test_gensim_iterable_mode_trains_the_same_sentences(tmp_path):
    sents, words = planted_corpus()
    corpus = _write_lines(tmp_path / "planted.txt", sents)
    p = Word2VecParams.for_combination("cbow", "ns", vector_size=16, window=3, min_count=1, sample=0, epochs=5,
                                       workers=1)
    res = train_gensim(corpus, p, log=lambda m: None, mode="iterable")
    assert "Word2Vec(sentences)" in res.path_detail
    assert res.raw_words == 5 * sum(len(s) for s in sents)
    assert planted_hit_rate(res, words) > 0.9
    with pytest.raises(Word2VecInputError, match="mode"):
        train_gensim(corpus, p, log=lambda m: None, mode="stream")


def test_step_cost_times_the_same_pairs_and_writes_its_record(tmp_path):
    from rnnbench.records import read_records
    from rnnbench.report.word2vec import softmax_cost_table
    from rnnbench.word2vec.step_cost import run

    sents, _ = planted_corpus(sentences=600)
    corpus = _write_lines(tmp_path / "planted.txt", sents)
    evals = tmp_path / "eval"
    evals.mkdir()
    (evals / "questions-words.txt").write_text(": g\ng0w0 g0w1 g1w0 g1w1\n")
    for name in ("wordsim353.tsv", "simlex999.txt"):
        (evals / name).write_text("g0w0\tg0w1\t9\ng0w0\tg1w0\t1\ng1w0\tg1w1\t8\ng2w0\tg3w1\t2\n")
    params = {"vector_size": 8, "window": 3, "min_count": 1, "sample": 0, "epochs": 1, "workers": 1,
              "batch_words": 64}
    run(str(corpus), "planted", str(tmp_path / "out"), params, arch="skipgram", repeats=3, device="cpu",
        quality_tokens=2000, eval_dir=str(evals), log=lambda m: None)
    (rec,) = read_records([tmp_path / "out" / "metrics.json"])
    assert rec["kind"] == "step_cost" and rec["vocab_size"] == 40 and len(rec["batches"]) == 3
    for b in rec["batches"]:
        assert b["pairs"] > 0 and set(b["seconds"]) == {"softmax", "hs", "ns"}
        assert b["softmax_over_hs"] == pytest.approx(b["seconds"]["softmax"] / b["seconds"]["hs"])
    assert set(rec["quality"]["losses"]) == {"softmax", "hs", "ns"} and rec["quality"]["tokens"] == 2000
    table = softmax_cost_table([rec])
    assert list(table["loss"]) == ["softmax", "hs", "ns"] and table["softmax_step_over_this"].iloc[0] == 1.0
    with pytest.raises(Word2VecInputError, match="repeats"):
        run(str(corpus), "planted", str(tmp_path / "bad"), params, repeats=1, device="cpu", log=lambda m: None)


def test_the_summary_gives_a_one_seed_mean_no_spread_and_says_how_many_seeds():
    # the default config trains gensim's corpus_file reference on one seed: its row must not claim a spread of 0
    import pandas as pd

    from rnnbench.report.word2vec import METRICS, summary_table

    base = {"corpus": "c", "corpus_tokens": 1000, "arch": "cbow", "loss": "ns", "sample": 1e-3, "epochs": 3,
            "vector_size": 100, "window": 5}
    rows = [{**base, "impl": impl, "seed": seed, **{m: v for m in METRICS}}
            for impl, seed, v in (("ours", 1, 2.0), ("ours", 2, 4.0), ("gensim", 1, 3.0))]
    row = summary_table(pd.DataFrame(rows), "laptop").iloc[0]
    assert (row["seeds_ours"], row["seeds_gensim"], row["seeds_gensim_iter"]) == (2, 1, 0)
    assert row["words_per_second_ours"] == 3.0 and row["words_per_second_ours_std"] == pytest.approx(2 ** 0.5)
    assert row["words_per_second_gensim"] == 3.0 and np.isnan(row["words_per_second_gensim_std"])
    assert np.isnan(row["words_per_second_gensim_iter"]) and row["speed_ratio_ours_over_gensim"] == 1.0


@pytest.mark.parametrize("impl,kernel", [pytest.param("ours", "native", marks=needs_native), ("ours", "torch"),
                                         ("gensim_iter", None), ("gensim", None)])
def test_a_group_trains_each_seed_as_it_trains_alone(ptb_and_eval, tmp_path, impl, kernel):
    """The DAG's one job per group (rnnbench.word2vec.train.run_group) shares the corpus read and our
    vocabulary between its seeds: each seed's vectors, history and quality are those of the seed alone
    (workers=1: a deterministic run), and its record says which group it trained in."""
    from rnnbench.word2vec.train import run, run_group

    corpus, evals = ptb_and_eval
    params = {"epochs": 1, "workers": 1, "min_count": 2, "vector_size": 20}
    kw = dict(device="cpu", log=lambda m: None, kernel=kernel)
    group = run_group(impl, "cbow", "hs", [3, 1], str(corpus), "ptb-valid", str(evals), str(tmp_path / "g"),
                      params, **kw)
    ids = [f"{impl}-cbow-hs-seed3", f"{impl}-cbow-hs-seed1"]
    assert [r["run_id"] for r in group] == ids
    for seed, rid, g in zip((3, 1), ids, group):
        alone = run(impl, "cbow", "hs", seed, str(corpus), "ptb-valid", str(evals), str(tmp_path / "a" / rid),
                    params, **kw)
        assert g["group"] == {"id": f"{impl}-cbow-hs", "seeds": [3, 1]} and "group" not in alone
        assert (tmp_path / "g" / rid / "vectors.bin").read_bytes() == (tmp_path / "a" / rid / "vectors.bin").read_bytes()
        hist = [pd.read_csv(tmp_path / d / rid / "history.csv").drop(columns=["seconds", "words_per_second"])
                for d in ("g", "a")]
        pd.testing.assert_frame_equal(*hist)
        for key in ("analogy", "wordsim353", "simlex999", "vocab_size", "effective_words", "path", "params"):
            assert g[key] == alone[key], key
        assert g["vocab_seconds"] > 0 and g["train_seconds"] > 0
    # the two seeds differ: each took its own seed
    assert (tmp_path / "g" / ids[0] / "vectors.bin").read_bytes() != (tmp_path / "g" / ids[1] / "vectors.bin").read_bytes()


def test_the_command_line_trains_a_group_into_one_folder_per_run_and_refuses_bad_seeds(tmp_path):
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(0)
    _write_lines(corpus, [[f"w{k}" for k in rng.integers(0, 30, 50)] for _ in range(40)])
    (tmp_path / "eval").mkdir()    # tiny evaluation files in the mirror's formats
    (tmp_path / "eval" / "questions-words.txt").write_text(": capital\nw1 w2 w3 w4\n")
    for name in ("wordsim353.tsv", "simlex999.txt"):
        (tmp_path / "eval" / name).write_text("w1\tw2\t5.0\nw3\tw4\t1.0\nw5\tw6\t3.0\n")
    base = [sys.executable, "-m", "rnnbench.word2vec.train", "--impl", "ours", "--arch", "cbow", "--loss", "ns",
            "--corpus", str(corpus), "--corpus-name", "tiny", "--eval-dir", str(tmp_path / "eval"),
            "--params", '{"epochs": 1, "workers": 1, "min_count": 1, "vector_size": 8}', "--kernel", "torch",
            "--device", "cpu"]
    proc = subprocess.run(base + ["--seeds", "2,5", "--outdir", str(tmp_path / "g")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["ours-cbow-ns-seed2", "ours-cbow-ns-seed5"]
    for s in (2, 5):
        rec = json.loads((tmp_path / "g" / f"ours-cbow-ns-seed{s}" / "metrics.json").read_text())
        assert rec["seed"] == s and rec["group"] == {"id": "ours-cbow-ns", "seeds": [2, 5]}
    for bad, says in (("2,x", "comma-separated integers"), ("2,2", "distinct seeds")):
        proc = subprocess.run(base + ["--seeds", bad, "--outdir", str(tmp_path / "bad")], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith("error:") and says in proc.stderr
        assert "Traceback" not in proc.stderr and not (tmp_path / "bad").exists()
    proc = subprocess.run(base + ["--seed", "1", "--seeds", "2", "--outdir", str(tmp_path / "both")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr

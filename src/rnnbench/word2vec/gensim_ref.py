"""The reference: gensim 4.4's Word2Vec with exactly our hyper-parameters, fed the same prepared
corpus file in one of two modes:

- ``corpus_file`` (impl ``gensim``): its fastest path, Cython reads the file itself, one sentence
  per line, no Python iterator in the loop. Each of its workers decays the learning rate by its
  own words against the whole corpus (a sawtooth, see ``Word2VecParams.alpha_decay``): the speed
  reference.
- ``iterable`` (impl ``gensim_iter``): ``Word2Vec(sentences)`` with the file's lines as a list of
  token lists, as the lecture runs it (``Word2Vec(api.load('text8'))``); the learning rate decays
  linearly over all workers' words, as word2vec.c's and ours does: the quality reference.

The corpus must be split into lines first (:mod:`rnnbench.word2vec.corpus`): a text8-style file
is one 100 MB line, and gensim 4.4 fed that in ``corpus_file`` mode trains garbage (0.02 %
analogy accuracy instead of ~36 %). :func:`check_line_lengths` refuses such a file.

Work done: gensim's corpus_file reader builds jobs of whole lines while the job holds <= 10,000
words and then keeps one line too many (``CythonLineSentence.next_batch``), and
``prepare_c_structures_for_batch`` stops each job at 10,000 in-vocabulary, subsampled tokens; with
10,000-token lines every job is two lines and the rest of the second is silently dropped, while its
words/s still counts every raw word. The prepared corpus therefore uses 1,000-token lines
(``corpus.LINE_TOKENS``): a job is then about eleven lines, under the cap, and gensim trains on
every token. ``bench/word2vec_vs_gensim.py`` prints the words trained; the README gives the
measured counts.

Determinism: gensim seeds each word's initial vector from ``hash(word + str(seed))``, which is
Python's salted string hash, and its worker threads race on the shared weights. Identical
vectors across runs therefore need ``workers=1`` *and* a fixed ``PYTHONHASHSEED`` in the
environment of the process (e.g. ``PYTHONHASHSEED=0 python -m rnnbench.word2vec.train ...``);
with ``workers > 1`` runs differ slightly, as gensim documents.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .corpus import LINE_TOKENS
from .params import TrainResult, Word2VecInputError, Word2VecParams, check_corpus
from .vocab import Vocab


def check_line_lengths(corpus_file: str | os.PathLike, max_tokens: int = LINE_TOKENS) -> int:
    """Number of tokens in the file; raises if a line holds more than ``max_tokens`` tokens
    (gensim's corpus_file reader would cut or mangle it)."""
    total = 0
    with open(corpus_file, "rb") as f:
        for k, line in enumerate(f, 1):
            n = len(line.split())
            if n > max_tokens:
                raise Word2VecInputError(
                    f"{corpus_file}: line {k} holds {n} tokens (> {max_tokens}); gensim's corpus_file mode "
                    f"reads one sentence per line: prepare the corpus with `python -m rnnbench.word2vec.corpus`")
            total += n
    return total


def gensim_version() -> str:
    import gensim

    return gensim.__version__


MODES = ("corpus_file", "iterable")


def gensim_kwargs(params: Word2VecParams) -> dict:
    p = params
    if p.softmax:
        raise Word2VecInputError("gensim has no full softmax over the vocabulary (HS and NS only): loss 'softmax' "
                                 "runs in our trainer alone")
    return dict(vector_size=p.vector_size, window=p.window, min_count=p.min_count, sample=p.sample,
                alpha=p.alpha, min_alpha=p.min_alpha, sg=p.sg, hs=p.hs, negative=p.negative,
                ns_exponent=p.ns_exponent, cbow_mean=p.cbow_mean, epochs=p.epochs, seed=p.seed,
                workers=p.workers)


def train_gensim(corpus_file: str | os.PathLike, params: Word2VecParams, *,
                 log: Callable[[str], None] = print, mode: str = "corpus_file",
                 sentences: list[list[str]] | None = None) -> TrainResult:
    """gensim on the prepared file, read by gensim itself (``corpus_file``) or handed over as the
    list of its lines' tokens (``iterable``, read before the clock starts, as ours reads it;
    ``sentences``: that list already read, by a group's earlier seed)."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    from .corpus import read_sentences

    if mode not in MODES:
        raise Word2VecInputError(f"gensim mode must be one of {MODES}, got {mode!r}")
    params.validate()
    kwargs = gensim_kwargs(params)   # refuses what gensim cannot train before the corpus is read
    corpus_file = str(Path(corpus_file))
    n_tokens = check_line_lengths(corpus_file)
    check_corpus(n_tokens, params.window)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    source = {"corpus_file": corpus_file} if mode == "corpus_file" else {"corpus_iterable": sentences if sentences is not None else read_sentences(corpus_file)}

    t0 = time.perf_counter()
    model = Word2Vec(**kwargs)
    model.build_vocab(**source)
    vocab_seconds = time.perf_counter() - t0
    if len(model.wv) == 0:
        raise Word2VecInputError(
            f"no word occurs at least min_count={params.min_count} times in {corpus_file}: the vocabulary is empty")

    history: list[dict] = []

    class EpochTimer(CallbackAny2Vec):
        def on_epoch_begin(self, m):
            self.t = time.perf_counter()

        def on_epoch_end(self, m):
            secs = time.perf_counter() - self.t
            history.append({"epoch": len(history) + 1, "seconds": secs, "raw_words": model.corpus_total_words,
                            "words_per_second": model.corpus_total_words / secs if secs > 0 else float("nan")})
            log(f"epoch {len(history)}/{params.epochs}: {secs:.2f}s, "
                f"{model.corpus_total_words / secs:,.0f} words/s")

    t1 = time.perf_counter()
    trained, raw = model.train(**source, total_examples=model.corpus_count,
                               total_words=model.corpus_total_words, epochs=params.epochs,
                               callbacks=[EpochTimer()])
    train_seconds = time.perf_counter() - t1
    words = list(model.wv.index_to_key)
    counts = np.array([model.wv.get_vecattr(w, "count") for w in words], dtype=np.int64)
    vocab = Vocab(words=words, counts=counts, index=dict(model.wv.key_to_index), raw_tokens=n_tokens)
    return TrainResult(words=words, vectors=np.array(model.wv.vectors, dtype=np.float32), vocab=vocab,
                       train_seconds=train_seconds, vocab_seconds=vocab_seconds,
                       raw_words=params.epochs * model.corpus_total_words, effective_words=int(trained),
                       history=history, path="gensim",
                       path_detail=f"gensim {gensim_version()}, " + (
                           "corpus_file" if mode == "corpus_file"
                           else "Word2Vec(sentences): the file's lines as a list"))

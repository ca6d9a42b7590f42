"""Benchmark: what a second thread buys our word2vec C kernel with hierarchical softmax, with and
without each thread's own copy of the tree's most visited rows (``native.HOT_ROWS``).

Every hierarchical-softmax pair walks its word's Huffman path from the root, so two Hogwild threads
write the same top rows of syn1 at every pair and their cache lines move between the cores. This
script trains, alternating A B C A B C in one process on the same prepared corpus:

- A: one thread (word2vec.c's SGD),
- B: ``--workers`` threads, plain Hogwild (every thread writes the shared rows; hot rows 0),
- C: ``--workers`` threads, each training its own copy of the ``--hot`` top rows, synced per sentence,

and prints each one's median words/s, the ratios B/A, C/A and C/B, and the mean analogy accuracy
(questions-words.txt, 30,000 most frequent words), so the speed-up is seen beside what it trains.
Not a timed test: run it by hand

    RNNBENCH_MIRROR=../shared/datasets python bench/word2vec_threads.py \\
        --corpus offline-english --prefix 4000000 --epochs 1 --repeats 3
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the train entry point does

import argparse  # noqa: E402
import statistics  # noqa: E402

from word2vec_vs_gensim import CORPUS_FILES, prepared_corpus  # noqa: E402  (bench/ is on sys.path)

from rnnbench.word2vec import native  # noqa: E402
from rnnbench.word2vec.corpus import read_sentences  # noqa: E402
from rnnbench.word2vec.evaluate import Embeddings, analogies  # noqa: E402
from rnnbench.word2vec.params import Word2VecParams  # noqa: E402
from rnnbench.word2vec.trainer import train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="offline-english", choices=sorted(CORPUS_FILES))
    ap.add_argument("--prefix", type=int, default=4_000_000, help="first N tokens; 0 = all")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hot", type=int, default=native.HOT_ROWS, help="rows each thread copies in arm C")
    ap.add_argument("--combos", default="skipgram-hs,cbow-hs")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default="data")
    ap.add_argument("--mirror", default=None)
    a = ap.parse_args()
    from rnnbench.cbuild import machine_line

    print(machine_line(), flush=True)
    corpus, questions = prepared_corpus(a.corpus, a.prefix, a.data, a.mirror)
    sentences = read_sentences(corpus)
    print(f"corpus {a.corpus}, {sum(map(len, sentences)):,} tokens, epochs {a.epochs}, repeats {a.repeats}, "
          f"A B C alternating; hot rows in C: {a.hot}")
    arms = {"A 1 thread": (1, 0), f"B {a.workers} threads, shared rows": (a.workers, 0),
            f"C {a.workers} threads, {a.hot} rows each": (a.workers, a.hot)}
    for combo in a.combos.split(","):
        arch, loss = combo.split("-")
        got: dict[str, list] = {k: [] for k in arms}
        for _ in range(a.repeats):
            for name, (workers, hot) in arms.items():
                native.HOT_ROWS = hot
                p = Word2VecParams.for_combination(arch, loss, epochs=a.epochs, workers=workers, seed=1)
                res = train(sentences, p, log=lambda m: None, kernel="native")
                acc = analogies(Embeddings(res.words, res.vectors), questions)["total"]["accuracy_pct"]
                got[name].append((res.words_per_second, acc))
        wps = {k: statistics.median(w for w, _ in v) for k, v in got.items()}
        for name, v in got.items():
            print(f"{combo:<12} {name:<32} {wps[name]:>12,.0f} words/s (median of "
                  f"{', '.join(f'{w:,.0f}' for w, _ in v)})  analogy {statistics.mean(x for _, x in v):.2f} %")
        a_, b_, c_ = wps.values()
        print(f"{combo:<12} B/A {b_ / a_:.2f}  C/A {c_ / a_:.2f}  C/B {c_ / b_:.2f}", flush=True)


if __name__ == "__main__":
    main()

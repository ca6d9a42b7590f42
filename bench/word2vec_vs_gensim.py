"""Benchmark: our word2vec vs gensim, same corpus prefix, same hyper-parameters, one run.

Prints, for each of the 4 combinations (CBOW / skip-gram × HS / NS), training words per second
(raw corpus words × epochs / wall seconds of training), analogy accuracy (questions-words.txt,
30,000 most frequent words), the ours / gensim speed ratio, and the ratio of tokens each one
actually trained on. ``--kernels native,torch`` runs both of our paths (the C kernel and the
batched torch path) beside gensim; ``--repeats N`` alternates them N times and reports medians.
Not a timed test: run it by hand

    RNNBENCH_MIRROR=../shared/datasets python bench/word2vec_vs_gensim.py \
        --corpus offline-english --prefix 1000000 --epochs 3 --workers 2 [--kernels native,torch]

It fetches (verified) and prepares the corpus under --data if needed. Both implementations run
in this process one after the other per combination, so they see the same machine load.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the train entry point does

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from rnnbench.data.fetch import fetch  # noqa: E402
from rnnbench.device import resolve_device  # noqa: E402
from rnnbench.word2vec.corpus import LINE_TOKENS, prepare, read_sentences  # noqa: E402
from rnnbench.word2vec.evaluate import Embeddings, analogies  # noqa: E402
from rnnbench.word2vec.gensim_ref import train_gensim  # noqa: E402
from rnnbench.word2vec.params import Word2VecParams  # noqa: E402
from rnnbench.word2vec.trainer import train  # noqa: E402

CORPUS_FILES = {"text8": "text8", "offline-english": "offline-english.txt"}


def prepared_corpus(name: str, prefix: int, data: str, mirror: str | None) -> tuple[Path, Path]:
    """(the prepared corpus file, questions-words.txt): fetched (verified) and prepared under
    ``data`` if needed; ``prefix`` 0 = the whole corpus."""
    raw = Path(data) / "raw" / name
    fetch(name, raw, mirror)
    fetch("word-eval", Path(data) / "raw" / "word-eval", mirror)
    # the line length is in the name: a file prepared before a change of LINE_TOKENS is not reused
    corpus = Path(data) / "prepared" / "word2vec" / f"{name}-{prefix or 'all'}-lines{LINE_TOKENS}.txt"
    if not corpus.exists():
        prepare(raw / CORPUS_FILES[name], corpus, prefix or None)
    return corpus, Path(data) / "raw" / "word-eval" / "questions-words.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="offline-english", choices=sorted(CORPUS_FILES))
    ap.add_argument("--prefix", type=int, default=1_000_000, help="first N tokens; 0 = all")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-words", type=int, default=None)
    ap.add_argument("--alpha-decay", default="linear", choices=["linear", "corpus_file"],
                    help="ours: linear (word2vec.c) or corpus_file (gensim corpus_file's per-worker schedule)")
    ap.add_argument("--combos", default="cbow-ns,cbow-hs,skipgram-ns,skipgram-hs")
    ap.add_argument("--data", default="data")
    ap.add_argument("--mirror", default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--kernels", default="auto",
                    help="our trainer's kernel settings to run, comma-separated: auto, native (C kernel, CPU), "
                         "torch (batched)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="train each implementation this many times, alternating which goes first; words/s is "
                         "the median, accuracy the mean (the machine is shared: single timings are noisy)")
    ap.add_argument("--json", default=None, help="also write the rows here")
    a = ap.parse_args()
    from rnnbench.cbuild import machine_line

    print(machine_line(), flush=True)

    corpus, questions = prepared_corpus(a.corpus, a.prefix, a.data, a.mirror)
    sentences = read_sentences(corpus)
    n_tokens = sum(map(len, sentences))
    dev = resolve_device(a.device)
    extra = {"batch_words": a.batch_words} if a.batch_words else {}
    print(f"corpus {a.corpus}, {n_tokens:,} tokens, epochs {a.epochs}, workers {a.workers}, torch device {dev}, "
          f"our alpha decay {a.alpha_decay}")
    kernels = a.kernels.split(",")
    # our implementation is "ours" in run records; with several kernel settings, each is named by its setting
    ours = kernels if len(kernels) > 1 else ["ours"]
    print("  ".join([f"{'combination':<14}", *(f"{k + ' w/s':>18} {k + ' acc %':>14}" for k in ours + ["gensim"]),
                     *(f"{'ratio ' + k:>18}" for k in ours)]))
    rows = []
    for combo in a.combos.split(","):
        arch, loss = combo.split("-")
        p = Word2VecParams.for_combination(arch, loss, epochs=a.epochs, workers=a.workers,
                                           alpha_decay=a.alpha_decay, **extra)
        runs: dict[str, list] = {k: [] for k in ours + ["gensim"]}
        for r in range(a.repeats):  # ours and gensim back to back, alternating who goes first
            order = [*zip(ours, kernels), ("gensim", None)]
            for name, kernel in (order if r % 2 == 0 else order[::-1]):
                res = (train_gensim(corpus, p, log=lambda m: None) if name == "gensim"
                       else train(sentences, p, dev, log=lambda m: None, kernel=kernel))
                acc_r = analogies(Embeddings(res.words, res.vectors), questions)["total"]["accuracy_pct"]
                runs[name].append((res, acc_r))
        acc = {k: (statistics.mean(x for _, x in v) if all(x is not None for _, x in v) else None)
               for k, v in runs.items()}
        row = {"corpus": a.corpus, "tokens": n_tokens, "arch": arch, "loss": loss, "epochs": a.epochs,
               "workers": a.workers, "device": str(dev), "repeats": a.repeats,
               **{f"path_{k}": v[0][0].path for k, v in runs.items() if k != "gensim"},   # the code that ran
               **{f"words_per_second_{k}": statistics.median(r.words_per_second for r, _ in v) for k, v in runs.items()},
               **{f"words_per_second_all_{k}": [r.words_per_second for r, _ in v] for k, v in runs.items()},
               # tokens actually trained (after min_count and subsampling): gensim's corpus_file
               # mode truncates each ~2-line job at 10,000 of them, so it trains on fewer
               **{f"effective_words_{k}": v[0][0].effective_words for k, v in runs.items()},
               **{f"analogy_total_pct_{k}": v for k, v in acc.items()}}
        for k in ours:
            row[f"speed_ratio_{k}" if len(ours) > 1 else "speed_ratio"] = \
                row[f"words_per_second_{k}"] / row["words_per_second_gensim"]
        rows.append(row)
        nan = float("nan")
        print("  ".join([f"{combo:<14}",
                         *(f"{row['words_per_second_' + k]:>18,.0f} {acc[k] if acc[k] is not None else nan:>14.2f}"
                           for k in ours + ["gensim"]),
                         *(f"{row['words_per_second_' + k] / row['words_per_second_gensim']:>18.2f}" for k in ours),
                         f"trained tokens gensim/ours {row['effective_words_gensim'] / row['effective_words_' + ours[0]]:.2f}"]),
              flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S')}")


if __name__ == "__main__":
    main()

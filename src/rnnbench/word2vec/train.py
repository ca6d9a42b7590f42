"""One word2vec run, or the seeds of one group: train (ours, gensim's corpus_file mode or gensim fed a
sentence iterable) on a prepared corpus, evaluate, write the run record.

    python -m rnnbench.word2vec.train --impl ours --arch skipgram --loss ns --seed 1 \
        --corpus data/prepared/word2vec/offline-english-1000000.txt --corpus-name offline-english \
        --eval-dir data/raw/word-eval --outdir results/word2vec/x --params '{"epochs": 5}'

Writes ``metrics.json`` (config, corpus, speed, quality, neighbours, group vectors, and
``path``: which code trained, native / torch / gensim; ``kernel``: the measured choice under ``auto``),
``history.csv`` (per epoch) and ``vectors.bin`` (word2vec binary format) under ``--outdir``.
With ``--seeds 1,2,3`` instead of ``--seed``, the seeds train one after another in this process and
each run's files go to ``<outdir>/<run id>`` (``rnnbench.grid.word2vec_run_id``), as the DAG's one job
per group has it: the start-up, the corpus read and (ours) its vocabulary and encoding are done once,
and each seed trains and is evaluated exactly as it would be alone (:func:`run_group`).
Bad input (empty corpus, corpus shorter than the window, empty vocabulary) exits with a
one-line error, never a stack trace.
"""
from __future__ import annotations

import os

# Under a shared or busy CPU, spinning OpenMP threads cost more than they win; must be set
# before torch starts its thread pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from ..records import write_history, write_record  # noqa: E402
from ..grid import word2vec_group_id, word2vec_run_id  # noqa: E402
from .neighbours import Neighbours  # noqa: E402
from .params import IMPLS, LOSSES, Word2VecInputError, Word2VecParams  # noqa: E402


class Shared:
    """What the seeds of a group share in one process: the corpus' sentences (read once) and, for our
    trainer, their vocabulary and encoding per ``min_count`` (``trainer.encode_corpus``). None of it
    depends on the seed."""

    def __init__(self, corpus: str):
        self.corpus = corpus
        self._sentences = None
        self._encoded = {}

    def sentences(self) -> list[list[str]]:
        if self._sentences is None:
            from .corpus import read_sentences

            self._sentences = read_sentences(self.corpus)
        return self._sentences

    def encoded(self, min_count: int):
        if min_count not in self._encoded:
            from .trainer import encode_corpus

            self._encoded[min_count] = encode_corpus(self.sentences(), min_count)
        return self._encoded[min_count]


def run(impl: str, arch: str, loss: str, seed: int, corpus: str, corpus_name: str, eval_dir: str,
        outdir: str, params: dict | None = None, device: str = "auto", prefix: int | None = None,
        restrict_vocab: int = 30_000, similar_words=None, save_vectors: bool = True,
        log=print, kernel: str | None = None, shared: Shared | None = None, group: dict | None = None) -> dict:
    """One run, its files under ``outdir``. ``shared``: the corpus (and its vocabulary) a group's earlier
    seeds already read (:func:`run_group`); ``group``: ``{id, seeds}`` for the record."""
    from .evaluate import SIMILAR_WORDS, Embeddings, evaluate_all

    params = dict(params or {})
    params["seed"] = seed
    p = Word2VecParams.for_combination(arch, loss, **params)
    p.validate()
    # words/s is a timing: the record says which other jobs ran beside the training (sampled as it
    # starts and as it ends; a training job holds only its workers' cores, so others may share the machine)
    neighbours = Neighbours()
    neighbours.sample()
    t0 = time.perf_counter()
    if impl == "ours":
        from ..device import describe_device, resolve_device
        from .corpus import read_sentences
        from .trainer import train

        dev = resolve_device(device)
        if shared is None:
            result = train(read_sentences(corpus), p, dev, log=log, kernel=kernel)
        else:
            # validated before the shared vocabulary is built for it: bad parameters fail first
            p.validate()
            result = train(shared.sentences(), p, dev, log=log, kernel=kernel, encoded=shared.encoded(p.min_count))
        device_desc = describe_device(dev)
    elif impl in ("gensim", "gensim_iter"):
        from .gensim_ref import train_gensim

        mode = "corpus_file" if impl == "gensim" else "iterable"
        result = train_gensim(corpus, p, log=log, mode=mode,
                              sentences=shared.sentences() if shared is not None and mode == "iterable" else None)
        device_desc = f"cpu ({os.cpu_count()} cores, gensim workers={p.workers})"
    else:
        raise Word2VecInputError(f"impl must be one of {IMPLS}, got {impl!r}")
    wall = time.perf_counter() - t0
    neighbours.sample()

    emb = Embeddings(result.words, result.vectors)
    t1 = time.perf_counter()
    quality = evaluate_all(emb, eval_dir, similar_words or SIMILAR_WORDS, restrict_vocab)
    eval_seconds = time.perf_counter() - t1
    a = quality["analogy"]
    log(f"{impl} {arch}/{loss}: {result.words_per_second:,.0f} words/s; analogy total "
        f"{a['total']['accuracy_pct']} % ({a['total']['answered']} answered, {a['total']['oov']} skipped)")

    out = Path(outdir)
    record = {
        "family": "word2vec",
        "run_id": word2vec_run_id({"impl": impl, "arch": arch, "loss": loss, "seed": seed, "sample": p.sample}),
        "impl": impl, "arch": arch, "loss": loss, "seed": seed,
        "corpus": corpus_name, "corpus_file": str(corpus), "corpus_prefix_tokens": prefix,
        "corpus_tokens": result.vocab.raw_tokens, "vocab_size": len(result.words),
        "params": p.as_dict(),
        "status": "ok",
        "device": device_desc,
        "path": result.path, "path_detail": result.path_detail,
        "kernel": getattr(result, "kernel", None),
        "train_seconds": result.train_seconds, "vocab_seconds": result.vocab_seconds,
        "wall_seconds": wall, "eval_seconds": eval_seconds,
        "raw_words": result.raw_words, "effective_words": result.effective_words,
        "words_per_second": result.words_per_second,
        "neighbours": neighbours.record(threads=p.workers),
        **quality,
    }
    if group is not None:
        record["group"] = dict(group)
    out.mkdir(parents=True, exist_ok=True)
    write_history(out / "history.csv", result.history)
    if save_vectors:
        save_vectors_bin(out / "vectors.bin", result.words, result.vectors)
    return write_record(out / "metrics.json", record)


def run_group(impl: str, arch: str, loss: str, seeds: list[int], corpus: str, corpus_name: str, eval_dir: str,
              outdir: str, params: dict | None = None, **kw) -> list[dict]:
    """The seeds of one group (runs that differ only in their seed) one after another in this process,
    each run's files in ``<outdir>/<run id>``, each record as :func:`run` writes it alone plus
    ``group: {id, seeds}``. The corpus is read once, and our trainer's vocabulary and encoding are built
    once (each record's ``vocab_seconds`` still counts that setup); every seed trains and is evaluated
    as it would be alone (``tests/test_word2vec.py`` compares the two at ``workers=1``)."""
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise Word2VecInputError(f"a group needs distinct seeds, got {seeds!r}")
    sample = float((params or {}).get("sample", Word2VecParams.sample))
    arm = {"impl": impl, "arch": arch, "loss": loss, "sample": sample}
    ids = [word2vec_run_id({**arm, "seed": s}) for s in seeds]
    group = {"id": word2vec_group_id(arm), "seeds": seeds}
    shared = Shared(corpus)
    return [run(impl, arch, loss, s, corpus, corpus_name, eval_dir, str(Path(outdir) / rid), params,
                shared=shared, group=group, **kw) for s, rid in zip(seeds, ids)]


def save_vectors_bin(path: Path, words: list[str], vectors) -> Path:
    """The word2vec binary format, byte for byte what gensim's ``save_word2vec_format(binary=True)``
    writes for these words in this order (a "V D" header line, then each word, a space and its float32
    vector), and what ``KeyedVectors.load_word2vec_format`` reads; written here rather than through
    gensim, whose import (most of a second, scipy with it) our runs need for nothing else."""
    import numpy as np

    from ..atomic import atomic_path

    vec = np.ascontiguousarray(vectors, dtype=np.float32)
    if vec.ndim != 2 or len(words) != vec.shape[0]:
        raise ValueError(f"{len(words)} words for vectors of shape {vec.shape}")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(f"{vec.shape[0]} {vec.shape[1]}\n".encode("utf8"))
        for w, v in zip(words, vec):
            f.write(f"{w} ".encode("utf8") + v.tobytes())
    return Path(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnbench.word2vec.train", description=__doc__.splitlines()[0])
    ap.add_argument("--impl", required=True, choices=IMPLS)
    ap.add_argument("--arch", required=True, choices=("cbow", "skipgram"))
    ap.add_argument("--loss", required=True, choices=LOSSES,
                    help="hs | ns | softmax (the full softmax over the vocabulary: ours only, torch path)")
    seed = ap.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int, default=None, help="one run (default 1), its files in --outdir")
    seed.add_argument("--seeds", default=None,
                      help="comma-separated seeds of one group, trained one after another in this process; "
                           "each run's files in <outdir>/<run id>")
    ap.add_argument("--corpus", required=True, help="prepared corpus (lines of <= 10,000 tokens)")
    ap.add_argument("--corpus-name", required=True, help="dataset name recorded in the run record (text8, offline-english)")
    ap.add_argument("--prefix", type=int, default=None, help="the corpus prefix (tokens) it was cut to, for the record")
    ap.add_argument("--eval-dir", required=True, help="folder with questions-words.txt, wordsim353.tsv, simlex999.txt")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--params", default="{}", help="JSON of Word2VecParams fields (sg/hs/negative come from --arch/--loss)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--kernel", default=None, choices=("auto", "native", "torch"),
                    help="our trainer's path (config word2vec.kernel; default auto: native C kernel on CPU where "
                         "measured faster, else batched torch; a non-empty $RNNBENCH_W2V_KERNEL overrides it)")
    ap.add_argument("--restrict-vocab", type=int, default=30_000)
    ap.add_argument("--similar", default=None, help="comma-separated words for most_similar")
    ap.add_argument("--no-vectors", action="store_true", help="do not write vectors.bin")
    a = ap.parse_args(argv)
    try:
        params = json.loads(a.params)
        for k in ("sg", "hs", "seed"):
            params.pop(k, None)
        kw = dict(device=a.device, prefix=a.prefix, restrict_vocab=a.restrict_vocab,
                  similar_words=a.similar.split(",") if a.similar else None, save_vectors=not a.no_vectors,
                  log=lambda m: print(m, flush=True), kernel=a.kernel)
        if a.seeds is not None:
            try:
                seeds = [int(x) for x in a.seeds.split(",")]
            except ValueError:
                raise Word2VecInputError(f"--seeds must be comma-separated integers, got {a.seeds!r}") from None
            run_group(a.impl, a.arch, a.loss, seeds, a.corpus, a.corpus_name, a.eval_dir, a.outdir, params, **kw)
        else:
            run(a.impl, a.arch, a.loss, 1 if a.seed is None else a.seed, a.corpus, a.corpus_name, a.eval_dir,
                a.outdir, params, **kw)
    except (Word2VecInputError, json.JSONDecodeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()

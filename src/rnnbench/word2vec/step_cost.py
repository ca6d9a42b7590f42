"""What the full softmax costs: one training step of each output layer (full softmax, hierarchical
softmax, negative sampling) timed side by side, in one process, on the same pairs, at the prepared
corpus' vocabulary size; optionally the three trained on a prefix small enough for the full softmax
and evaluated.

    python -m rnnbench.word2vec.step_cost --corpus data/prepared/word2vec/text8-4000000.txt \\
        --corpus-name text8 --outdir results/word2vec/text8-4000000/softmax-cost \\
        --params '{"epochs": 3, "workers": 2}' [--arch skipgram] [--repeats 5] \\
        [--quality-tokens 200000 --eval-dir data/raw/word-eval]

The lecture: "the softmax and the derived update rules need to iterate through all the
vocabulary"; "the denominator term can be cpu intensive". A step is :func:`trainer.batch_step`,
exactly the trainer's: ``batch_words`` centres of the subsampled token stream, their shrunk
windows, every (centre, context) pair, one SGD update. Every loss runs on our batched torch path,
the only one with a full softmax (the C kernel, like word2vec.c and gensim, has HS and NS only), so
the ratios compare output layers, not implementations. Each timed batch is drawn once (the same
windows and pairs for all three losses, from one seed per batch); the three steps run one after
the other in an order that rotates from batch to batch, so the machine's load drifts alike over
all three; the first batch only warms up. The job holds every core Snakemake has (the rule's
``threads: workflow.cores``), so no other job of the workflow runs beside it, and the record says what
did (``neighbours``: other rnnbench jobs counted before, between and after the timed batches, the threads
the steps ran on and the cores the job held; :mod:`rnnbench.word2vec.neighbours`).

Writes ``metrics.json``: per batch the pairs and each loss's seconds, the ratios
``softmax_over_hs`` and ``softmax_over_ns``, and (``--quality-tokens``) each loss's quality on the
prefix. The claims engine reads one row per timed batch (:mod:`rnnbench.claims.engine`).
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as train.py: before torch starts its thread pool

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from .neighbours import Neighbours  # noqa: E402
from .params import ARCHS, Word2VecInputError, Word2VecParams  # noqa: E402

TIMED_LOSSES = ("softmax", "hs", "ns")
RUN_ID = "softmax-cost"


def _sync(dev) -> None:
    import torch

    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def time_steps(sentences: list[list[str]], params: dict, arch: str, repeats: int, dev, log=print,
               neighbours: Neighbours | None = None) -> dict:
    """Seconds of one training step of each loss on ``repeats`` batches (plus one warm-up batch)
    spread evenly over the subsampled corpus; ``neighbours`` sampled before the batches and after
    each (never inside a timed step)."""
    import torch

    from .sampling import subsample
    from .trainer import batch_step, build_model, encode
    from .vocab import build_vocab, keep_probabilities

    if repeats < 2:
        raise Word2VecInputError(f"repeats must be >= 2 (an interval needs two timed batches), got {repeats}")
    per_loss = {loss: Word2VecParams.for_combination(arch, loss, **params) for loss in TIMED_LOSSES}
    p = per_loss["ns"]
    p.validate()
    if dev.type == "cpu":
        torch.set_num_threads(max(1, p.workers))
    vocab = build_vocab(sentences, p.min_count)
    ids_np, sent_np, _ = encode(sentences, vocab)
    gen = torch.Generator(device=dev).manual_seed(p.seed)
    ids = torch.as_tensor(ids_np, device=dev)
    sent = torch.as_tensor(sent_np, device=dev)
    keep = torch.as_tensor(keep_probabilities(vocab.counts, p.sample), dtype=torch.float32, device=dev)
    kept = subsample(ids, keep, gen)
    toks, snt = ids[kept], sent[kept]
    n = len(toks)
    bw = min(p.batch_words, n)
    if n <= p.window:
        raise Word2VecInputError(f"only {n} tokens after subsampling, not more than the window ({p.window})")
    models = {loss: build_model(vocab, q, dev, torch.Generator(device=dev).manual_seed(p.seed))[0]
              for loss, q in per_loss.items()}
    log(f"vocabulary {len(vocab)} words; {n} tokens after subsampling; {repeats} timed batches of {bw} centres, "
        f"{arch}, threads {torch.get_num_threads() if dev.type == 'cpu' else dev}")
    starts = [int(k * (n - bw) / repeats) for k in range(repeats + 1)]
    batches = []
    if neighbours is not None:
        neighbours.sample()
    with torch.no_grad():
        for k, start in enumerate(starts):
            order = TIMED_LOSSES[k % 3:] + TIMED_LOSSES[:k % 3]
            secs, pairs = {}, set()
            for loss in order:
                g = torch.Generator(device=dev).manual_seed(p.seed * 100_003 + k)   # the same pairs for every loss
                _sync(dev)
                t = time.perf_counter()
                pairs.add(batch_step(models[loss], toks, snt, start, start + bw, per_loss[loss], p.alpha, g))
                _sync(dev)
                secs[loss] = time.perf_counter() - t
            if neighbours is not None:
                neighbours.sample()
            if len(pairs) != 1:   # the ratios would compare different work
                raise RuntimeError(f"batch {k}: the losses' steps saw different pairs ({sorted(pairs)})")
            if k == 0:
                continue   # warm-up: first calls allocate and fault in the output matrices
            row = {"batch": k, "start": start, "pairs": pairs.pop(), "seconds": secs,
                   "softmax_over_hs": secs["softmax"] / secs["hs"], "softmax_over_ns": secs["softmax"] / secs["ns"]}
            batches.append(row)
            times = ", ".join(f"{x} {secs[x] * 1e3:.1f} ms" for x in TIMED_LOSSES)
            log(f"batch {k}: {row['pairs']} pairs; {times}; softmax/hs {row['softmax_over_hs']:.1f}x, "
                f"softmax/ns {row['softmax_over_ns']:.1f}x")
    summary = {loss: {"median_seconds": statistics.median(b["seconds"][loss] for b in batches),
                      "us_per_pair": 1e6 * statistics.median(b["seconds"][loss] / b["pairs"] for b in batches)}
               for loss in TIMED_LOSSES}
    return {"vocab_size": len(vocab), "batch_words": bw, "tokens_after_subsampling": n, "threads":
            torch.get_num_threads() if dev.type == "cpu" else None, "batches": batches, "summary": summary,
            "softmax_over_hs_median": statistics.median(b["softmax_over_hs"] for b in batches),
            "softmax_over_ns_median": statistics.median(b["softmax_over_ns"] for b in batches)}


def prefix_sentences(sentences: list[list[str]], tokens: int) -> list[list[str]]:
    out, n = [], 0
    for s in sentences:
        if n >= tokens:
            break
        out.append(s[: tokens - n])
        n += len(out[-1])
    return out


def quality(sentences: list[list[str]], params: dict, arch: str, tokens: int, eval_dir: str, dev,
            restrict_vocab: int = 30_000, log=print) -> dict:
    """Each loss trained on the first ``tokens`` tokens, on the same (torch) path, and evaluated."""
    from .evaluate import Embeddings, analogies, word_pairs
    from .trainer import train

    sub = prefix_sentences(sentences, tokens)
    out = {"tokens": sum(len(s) for s in sub), "path": "torch", "losses": {}}
    for loss in TIMED_LOSSES:
        p = Word2VecParams.for_combination(arch, loss, **params)
        res = train(sub, p, dev, log=lambda m: None, kernel="torch")
        emb = Embeddings(res.words, res.vectors)
        a = analogies(emb, Path(eval_dir) / "questions-words.txt", restrict_vocab)
        ws = word_pairs(emb, Path(eval_dir) / "wordsim353.tsv")
        sl = word_pairs(emb, Path(eval_dir) / "simlex999.txt")
        out["vocab_size"] = len(res.words)
        out["losses"][loss] = {"train_seconds": res.train_seconds, "words_per_second": res.words_per_second,
                               "analogy_total_pct": a["total"]["accuracy_pct"],
                               "analogy_answered": a["total"]["answered"],
                               "wordsim353_spearman": ws["spearman"], "wordsim353_used": ws["used"],
                               "simlex999_spearman": sl["spearman"]}
        log(f"quality {loss}: {res.train_seconds:.1f}s, {res.words_per_second:,.0f} words/s, analogy "
            f"{a['total']['accuracy_pct']} %, WS-353 {ws['spearman']}")
    return out


def run(corpus: str, corpus_name: str, outdir: str, params: dict, arch: str = "skipgram", repeats: int = 5,
        device: str = "auto", prefix: int | None = None, quality_tokens: int | None = None,
        eval_dir: str | None = None, restrict_vocab: int = 30_000, log=print, cores_held: int | None = None) -> dict:
    from ..device import describe_device, resolve_device
    from ..records import write_record
    from .corpus import read_sentences

    if arch not in ARCHS:
        raise Word2VecInputError(f"arch must be one of {ARCHS}, got {arch!r}")
    if quality_tokens is not None and (quality_tokens < 1 or not eval_dir):
        raise Word2VecInputError("quality_tokens needs a positive token count and --eval-dir")
    params = {k: v for k, v in params.items() if k not in ("sg", "hs", "softmax")}   # the loss sets these
    t0 = time.perf_counter()
    dev = resolve_device(device)
    sentences = read_sentences(corpus)
    neighbours = Neighbours()
    timing = time_steps(sentences, params, arch, repeats, dev, log, neighbours)
    seen = neighbours.record(timing["threads"], cores_held)
    log(f"other rnnbench jobs beside the timings: {seen['samples']} (alone: {seen['alone']}); "
        f"threads {seen['threads']}, cores held {cores_held}")
    qual = quality(sentences, params, arch, quality_tokens, eval_dir, dev, restrict_vocab, log) \
        if quality_tokens else None
    p = Word2VecParams.for_combination(arch, "softmax", **params)
    record = {
        "family": "word2vec", "kind": "step_cost", "grid": "softmax_cost", "run_id": RUN_ID, "impl": "ours",
        "arch": arch, "loss": "softmax", "seed": p.seed, "status": "ok",
        "corpus": corpus_name, "corpus_file": str(corpus), "corpus_prefix_tokens": prefix,
        "corpus_tokens": sum(len(s) for s in sentences), "params": p.as_dict(),
        "device": describe_device(dev), "path": "torch",
        "path_detail": "every loss on the batched torch path: no C kernel (ours, word2vec.c, gensim) has a full "
                          "softmax",
        **timing, "neighbours": seen, "quality": qual, "wall_seconds": time.perf_counter() - t0,
    }
    return write_record(Path(outdir) / "metrics.json", record)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnbench.word2vec.step_cost", description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, help="prepared corpus (python -m rnnbench.word2vec.corpus)")
    ap.add_argument("--corpus-name", required=True)
    ap.add_argument("--prefix", type=int, default=None, help="the corpus prefix (tokens) it was cut to, for the record")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--params", default="{}", help="JSON of Word2VecParams fields (the loss fields come from the loss)")
    ap.add_argument("--arch", default="skipgram", choices=ARCHS)
    ap.add_argument("--repeats", type=int, default=5, help="timed batches (each times one step of every loss)")
    ap.add_argument("--quality-tokens", type=int, default=None,
                    help="also train every loss on this corpus prefix and evaluate it (default: timing only)")
    ap.add_argument("--eval-dir", default=None)
    ap.add_argument("--restrict-vocab", type=int, default=30_000)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--cores-held", type=int, default=None,
                    help="the cores the job holds (Snakemake's threads for it), for the record")
    a = ap.parse_args(argv)
    try:
        run(a.corpus, a.corpus_name, a.outdir, json.loads(a.params), a.arch, a.repeats, a.device, a.prefix,
            a.quality_tokens, a.eval_dir, a.restrict_vocab, log=lambda m: print(m, flush=True),
            cores_held=a.cores_held)
    except (Word2VecInputError, json.JSONDecodeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main()

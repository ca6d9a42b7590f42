"""Benchmark: a word2vec group's seeds in one job against one job per seed, whole processes, side by side.

The DAG trains a word2vec group (impl, arch, loss, sample) as one process, ``python -m
rnnbench.word2vec.train --seeds 1,2,3,...``, which starts Python, reads the corpus and (ours) builds the
vocabulary and encodes the corpus once for its seeds. Before, each seed was a job of its own. This script
times both ways on the same prepared corpus, whole commands from start to exit, alternating A B A B:

- A: one process per seed (``--seed s`` for each seed, one after another),
- B: one process for the group (``--seeds``),

and prints each one's median seconds and the ratio A/B per group, with the CPU it ran on (our kernels' build
as `$RNNBENCH_MARCH` sets it). The hyper-parameters
are the default config's ``word2vec:`` section. Not a timed test: run it by hand, nothing else running

    RNNBENCH_MIRROR=../shared/datasets python bench/word2vec_groups.py --corpus offline-english \\
        --prefix 4000000 --groups ours-cbow-ns gensim_iter-cbow-ns --repeats 2 [--data DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

from seed_groups import timed  # noqa: E402  (bench/ is on sys.path)
from word2vec_vs_gensim import CORPUS_FILES, prepared_corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
KEYS = ("vector_size", "window", "min_count", "negative", "ns_exponent", "alpha", "min_alpha", "alpha_decay",
        "epochs", "workers", "batch_words", "sample")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="offline-english", choices=sorted(CORPUS_FILES))
    ap.add_argument("--prefix", type=int, default=4_000_000, help="first N tokens; 0 = all")
    ap.add_argument("--groups", nargs="+", default=["ours-cbow-ns", "gensim_iter-cbow-ns"],
                    help="<impl>-<arch>-<loss> groups to time")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--repeats", type=int, default=2, help="A B pairs per group")
    ap.add_argument("--data", default="data")
    ap.add_argument("--mirror", default=None)
    a = ap.parse_args()

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["word2vec"]
    params = json.dumps({k: cfg[k] for k in KEYS if k in cfg})
    corpus, questions = prepared_corpus(a.corpus, a.prefix, a.data, a.mirror)
    evals = questions.parent
    seeds = a.seeds.split(",")
    from rnnbench.cbuild import machine_line

    print(machine_line(), flush=True)
    print(f"corpus {corpus} ({a.prefix:,} tokens); seeds {a.seeds}; params {params}")

    def command(impl, arch, loss, seed_args, outdir):
        return [sys.executable, "-m", "rnnbench.word2vec.train", "--impl", impl, "--arch", arch, "--loss", loss,
                *seed_args, "--corpus", str(corpus), "--corpus-name", a.corpus, "--eval-dir", str(evals),
                "--outdir", str(outdir), "--params", params, "--device", "cpu"]

    with tempfile.TemporaryDirectory() as tmp:
        for group in a.groups:
            impl, arch, loss = group.split("-")
            apart = [command(impl, arch, loss, ["--seed", s], Path(tmp) / f"{group}-seed{s}") for s in seeds]
            together = [command(impl, arch, loss, ["--seeds", a.seeds], Path(tmp) / group)]
            ta, tb = [], []
            for _ in range(a.repeats):
                ta.append(timed(apart, dict(os.environ))[0])    # whole commands, output discarded
                tb.append(timed(together, dict(os.environ))[0])
            ma, mb = statistics.median(ta), statistics.median(tb)
            print(f"{group}: one process per seed {ma:.1f} s ({', '.join(f'{x:.1f}' for x in ta)}), "
                  f"one per group {mb:.1f} s ({', '.join(f'{x:.1f}' for x in tb)}); "
                  f"ratio {ma / mb:.2f}, {(ma - mb) / (len(seeds) - 1):.2f} s saved per further seed")


if __name__ == "__main__":
    main()

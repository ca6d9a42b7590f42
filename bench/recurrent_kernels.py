"""Per batch, forward + backward: our native CPU kernel against torch's own layers, on the shapes
each experiment family trains (HAR, music, names, IMDb), in one process, taking turns.

    python bench/recurrent_kernels.py [--threads 2] [--repeats 7]

Prints the median milliseconds of each path and the ratio torch-layers / native (> 1: native is
faster). Random inputs and weights: this measures kernels, not learning.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import rnnbench  # noqa: F401  (before torch: sets libgomp's spin count, see rnnbench/__init__.py)

CASES = [  # name, ModelSpec fields, input shape (B, T[, F]), right-padded lengths?
    ("har lstm(32)", dict(cell="lstm", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("har lstm(32) drop .2/.2", dict(cell="lstm", input_size=9, hidden=32, output_size=6, dropout=0.2,
                                     recurrent_dropout=0.2), (1500, 128, 9), False),
    ("har gru(32)", dict(cell="gru", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("har irnn(32)", dict(cell="irnn", input_size=9, hidden=32, output_size=6), (1500, 128, 9), False),
    ("music lstm(36)", dict(cell="lstm", input_size=88, hidden=36, output_size=88, return_sequences=True,
                            bias="single"), (16, 100, 88), False),
    ("music gru(46)", dict(cell="gru", input_size=88, hidden=46, output_size=88, return_sequences=True,
                           bias="single"), (16, 100, 88), False),
    ("music tanh(100)", dict(cell="rnn_tanh", input_size=88, hidden=100, output_size=88, return_sequences=True,
                             bias="single"), (16, 100, 88), False),
    ("names lstm(32) one-hot", dict(cell="lstm", input_size=56, hidden=32, output_size=2), (64, 12, 56), True),
    ("imdb lstm(32) emb 100", dict(cell="lstm", input_size=20000, hidden=32, output_size=2, vocab_size=20000,
                                   embedding_dim=100), (128, 100), True),
    ("imdb gru(32) emb 100", dict(cell="gru", input_size=20000, hidden=32, output_size=2, vocab_size=20000,
                                  embedding_dim=100), (128, 100), True),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()

    import torch

    from rnnbench.models import native_rnn
    from rnnbench.models.seq import ModelSpec, build_model

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    ok, why = native_rnn.status()
    if not ok:
        raise SystemExit(f"the native kernel is not available: {why}")
    print(f"torch {torch.__version__}, {a.threads} threads; kernel: {why}")
    print(f"{'shape':<26}{'native ms':>10}{'torch ms':>10}{'torch/native':>14}")
    for name, kw, shape, padded in CASES:
        m = build_model(ModelSpec(**kw)).train()
        x = torch.randint(1, 20000, shape) if len(shape) == 2 else torch.rand(shape)
        lengths = torch.randint(shape[1] // 2, shape[1] + 1, (shape[0],)) if padded else None
        path_stock = "stepwise" if kw.get("recurrent_dropout") else "stock"

        def step(path):
            out = m(x, lengths, path=path)
            out.float().pow(2).mean().backward()

        times = {"native": [], path_stock: []}
        for path in times:
            step(path)                                   # warm-up (first call builds the kernel)
        for _ in range(a.repeats):
            for path in times:
                t0 = time.perf_counter()
                step(path)
                times[path].append(time.perf_counter() - t0)
        n, s = statistics.median(times["native"]) * 1e3, statistics.median(times[path_stock]) * 1e3
        print(f"{name:<26}{n:>10.2f}{s:>10.2f}{s / n:>14.2f}", flush=True)


if __name__ == "__main__":
    main()

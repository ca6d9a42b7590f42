"""The native recurrence kernel's outputs and gradients on fixed inputs, to compare two builds bit for bit.

    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before/src python bench/kernel_identity.py /tmp/before.pt
    PYTHONPATH=src python bench/kernel_identity.py /tmp/after.pt
    python bench/kernel_identity.py --compare /tmp/before.pt /tmp/after.pt    # any RNNBENCH_MARCH, same for both

For a kernel change that keeps every sum in its order (a different register blocking, say), the two
files hold equal tensors: the change then moves no run's numbers. Cases: each cell the kernel runs
(LSTM, GRU with reset after and before, tanh, IRNN, two layers), with dropout and recurrent dropout
(masks per sequence and per step), sequence outputs, hidden sizes that are and are not a multiple of
two vectors (32, 36, 46, 48, 64, 100), row counts that are not a multiple of the row block, 1 and 2
threads.
"""
from __future__ import annotations

import argparse
import sys

import rnnbench  # noqa: F401  (before torch: sets libgomp's spin count)

CASES = [  # cell, input size, hidden, ModelSpec extras, (batch, steps)
    ("lstm", 9, 32, {}, (37, 20)),
    ("lstm", 9, 32, {"dropout": 0.2, "recurrent_dropout": 0.2}, (64, 15)),
    ("lstm", 9, 32, {"dropout": 0.2, "recurrent_dropout": 0.2, "dropout_masks": "step"}, (64, 15)),
    ("lstm", 88, 36, {"return_sequences": True, "bias": "single"}, (16, 12)),
    ("gru", 9, 32, {}, (50, 20)),
    ("gru", 88, 46, {"return_sequences": True}, (16, 12)),
    ("gru", 9, 32, {"reset_after": False}, (40, 10)),
    ("gru", 9, 48, {"reset_after": False, "recurrent_dropout": 0.3}, (24, 10)),
    ("rnn_tanh", 88, 100, {"return_sequences": True}, (16, 12)),
    ("irnn", 9, 32, {}, (128, 30)),
    ("lstm", 9, 64, {"layers": 2}, (33, 11)),
]


def record(path: str) -> None:
    import torch

    from rnnbench.models.seq import ModelSpec, SequenceModel

    out = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for i, (cell, F, H, extra, (B, T)) in enumerate(CASES):
            torch.manual_seed(i)
            m = SequenceModel(ModelSpec(cell=cell, input_size=F, hidden=H, output_size=5, kernel="native", **extra))
            m.train()
            x = torch.randn(B, T, F, requires_grad=True)
            torch.manual_seed(100 + i)          # the dropout masks
            y = m(x)
            y.square().sum().backward()
            key = f"threads{threads}/{i}-{cell}"
            choice = m.kernel_choice
            if choice is None or choice.path != "native":
                raise SystemExit(f"{key}: the native kernel did not run ({choice})")
            out[f"{key}/y"] = y.detach().clone()
            out[f"{key}/dx"] = x.grad.clone()
            out.update({f"{key}/d{n}": p.grad.clone() for n, p in m.named_parameters() if p.grad is not None})
    torch.save(out, path)
    print(f"{len(out)} tensors -> {path} ({choice.build})")


def compare(a: str, b: str) -> int:
    import torch

    x, y = torch.load(a), torch.load(b)
    if x.keys() != y.keys():
        print(f"the files hold different tensors: {sorted(x.keys() ^ y.keys())[:5]}")
        return 1
    differ = [k for k in x if not torch.equal(x[k], y[k])]
    for k in differ[:10]:
        print(f"{k}: max |difference| {(x[k] - y[k]).abs().max().item():.3g}")
    print(f"{len(x)} tensors, {len(differ)} differ")
    return 1 if differ else 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", nargs="?", help="where to save this checkout's tensors")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"))
    a = p.parse_args()
    if a.compare:
        sys.exit(compare(*a.compare))
    if not a.out:
        p.error("give OUT or --compare A B")
    record(a.out)


if __name__ == "__main__":
    main()

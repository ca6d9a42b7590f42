"""What per-step dropout masks and the lecture's reset-before GRU cost, on the C kernel and on the
stepwise path: one training batch (forward + backward) of HAR's LSTM(32) / GRU(32), in one process,
taking turns.

    python bench/dropout_masks.py [--threads 1] [--repeats 7] [--batch 128]

Rows: the LSTM with dropout 0.25 / recurrent_dropout 0.25, masks drawn once per sequence
(``dropout_masks: sequence``, as Keras) and fresh at every step (``step``, naive dropout), each on the C
kernel (``native``) and on the stepwise path (TorchScript loops, what a GPU runs); the GRU with reset before
the recurrent matmul (``reset_after: false``) without dropout, on both paths. Prints the median milliseconds
of each, stepwise ÷ native per row (what the kernel buys), and step ÷ sequence per path (the cost of drawing
and applying T masks instead of one). Random inputs and weights: this measures the paths, not learning. The
CPU is printed: name it beside the figures.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import rnnbench  # noqa: F401  (before torch: sets libgomp's spin count, see rnnbench/__init__.py)
import torch

from rnnbench.models import native_rnn
from rnnbench.models.seq import ModelSpec, build_model


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            name = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        name = ""
    return name or platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--batch", type=int, default=128, help="the default config's HAR batch (128)")
    args = ap.parse_args()
    lib, build = native_rnn.load()
    if lib is None:
        raise SystemExit(f"the C kernel is not available here: {build}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 128, 9)
    common = dict(input_size=9, hidden=32, output_size=6, bias="single")
    drop = dict(cell="lstm", dropout=0.25, recurrent_dropout=0.25)
    models = {"LSTM, masks per sequence": build_model(ModelSpec(**common, **drop)).train(),
              "LSTM, masks per step": build_model(ModelSpec(**common, **drop, dropout_masks="step")).train(),
              "GRU, reset before": build_model(ModelSpec(**common, cell="gru", reset_after=False)).train()}
    cases = [(name, path) for name in models for path in ("native", "stepwise")]

    def batch(name, path) -> float:
        t0 = time.perf_counter()
        models[name](x, path=path).float().pow(2).mean().backward()
        return time.perf_counter() - t0

    for case in cases:          # warm-up: TorchScript optimises its loops after their second call
        batch(*case)
        batch(*case)
    times = {c: [] for c in cases}
    for _ in range(args.repeats):
        for c in cases:
            times[c].append(batch(*c))
    ms = {c: 1e3 * statistics.median(v) for c, v in times.items()}
    print(f"{_cpu()}; kernel {build.split(' -> ')[0]}; torch {torch.__version__} "
          f"({torch.backends.cpu.get_cpu_capability()})")
    print(f"batch {args.batch} x 128 steps x 9 features, hidden 32, {args.threads} thread(s), median of {args.repeats}")
    print(f"  {'':<26} {'native ms':>10} {'stepwise ms':>12} {'stepwise/native':>16}")
    for name in models:
        n, s = ms[(name, "native")], ms[(name, "stepwise")]
        print(f"  {name:<26} {n:10.1f} {s:12.1f} {s / n:15.2f}x")
    for path in ("native", "stepwise"):
        r = ms[("LSTM, masks per step", path)] / ms[("LSTM, masks per sequence", path)]
        print(f"  masks per step / per sequence, {path}: {r:.2f}x")


if __name__ == "__main__":
    main()

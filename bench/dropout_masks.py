"""What per-step dropout masks cost: one training batch (forward + backward) of HAR's LSTM(32) with
dropout 0.25 / recurrent_dropout 0.25, masks drawn once per sequence (``dropout_masks: sequence``, as
Keras) against fresh masks at every step (``step``, naive dropout), in one process, taking turns.

    python bench/dropout_masks.py [--threads 1] [--repeats 7] [--batch 128]

Three paths: 'sequence, automatic' (what a run with one mask per sequence takes here: the C kernel where
``kernel: auto`` measures it faster), 'sequence, stepwise' and 'step, stepwise' (the only path per-step
masks have). Prints the median milliseconds of each and step ÷ sequence on the stepwise path (the cost of
drawing and applying T masks instead of one) and against the automatic path (what har_dropout_masks' step
arm costs against har_dropout's runs). Random inputs and weights: this measures the paths, not learning.
"""
from __future__ import annotations

import argparse
import statistics
import time

import rnnbench  # noqa: F401  (before torch: sets libgomp's spin count, see rnnbench/__init__.py)
import torch

from rnnbench.models.seq import ModelSpec, build_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--batch", type=int, default=128, help="the default config's HAR batch (128)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 128, 9)
    common = dict(cell="lstm", input_size=9, hidden=32, output_size=6, bias="single", dropout=0.25,
                  recurrent_dropout=0.25)
    cases = {"sequence, automatic": (build_model(ModelSpec(**common)).train(), None),
             "sequence, stepwise": (build_model(ModelSpec(**common)).train(), "stepwise"),
             "step, stepwise": (build_model(ModelSpec(**common, dropout_masks="step")).train(), "stepwise")}

    def batch(model, path) -> float:
        t0 = time.perf_counter()
        model(x, path=path).float().pow(2).mean().backward()
        return time.perf_counter() - t0

    for model, path in cases.values():   # warm-up (and kernel: auto's measurement of its first shape)
        batch(model, path)
        batch(model, path)
    times = {k: [] for k in cases}
    for _ in range(args.repeats):
        for k, (model, path) in cases.items():
            times[k].append(batch(model, path))
    ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
    auto = cases["sequence, automatic"][0].path
    print(f"LSTM(32), batch {args.batch} x 128 steps x 9, dropout 0.25 / 0.25, {args.threads} thread(s), "
          f"median of {args.repeats}; the automatic path ran: {auto}")
    for k, v in ms.items():
        print(f"  {k:<22} {v:8.1f} ms")
    print(f"  step / sequence, stepwise:  {ms['step, stepwise'] / ms['sequence, stepwise']:.2f}x")
    print(f"  step / sequence, automatic: {ms['step, stepwise'] / ms['sequence, automatic']:.2f}x")


if __name__ == "__main__":
    main()

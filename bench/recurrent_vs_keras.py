"""Seconds per epoch: our torch core against the Keras reference, same model, same data, one run.

    python bench/recurrent_vs_keras.py [--data data/prepared/har-hapt.npz] [--epochs 4] [--repeats 3]

For each model (the lecture's HAR LSTM(32), GRU(32), IRNN(32), each without and with variational
dropout) three trainers run ``--epochs`` epochs at batch 1500 on the same prepared HAR file, in
this process, taking turns ``--repeats`` times: ours (the path rnnbench picks: 'native' on CPU),
ours with torch's own layers (``RNNBENCH_RNN_KERNEL=torch``: stock fused layers / TorchScript step
loop, the path before the native kernel) and Keras. Each training's first epoch (graph building,
warm-up) is left out; the medians of the other epochs are printed with the ratios Keras/ours and
torch-layers/ours (> 1: ours is faster) and each trainer's test accuracy of its last repeat (speed
must not be bought with quality). Without ``--data`` the HAR windows are prepared from the mirror
($RNNBENCH_MIRROR).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import rnnbench  # noqa: E402,F401  (before torch: sets libgomp's spin count, see rnnbench/__init__.py)

MODELS = [
    ("lstm", 0.0, 0.0), ("lstm", 0.2, 0.2),
    ("gru", 0.0, 0.0), ("gru", 0.2, 0.2),
    ("irnn", 0.0, 0.0), ("irnn", 0.2, 0.2),
]


def har_file(path: str | None) -> Path:
    if path:
        return Path(path)
    from rnnbench.data.fetch import fetch
    from rnnbench.data.har import prepare_hapt

    tmp = Path(tempfile.mkdtemp(prefix="rnnbench-bench-"))
    fetch("hapt", tmp / "hapt", None, allow_network=False)
    prepare_hapt(tmp / "hapt", tmp / "har-hapt.npz")
    return tmp / "har-hapt.npz"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None)
    p.add_argument("--epochs", type=int, default=4, help="per training; the first is left out")
    p.add_argument("--repeats", type=int, default=3, help="trainings per trainer and model, taking turns")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--models", default=None, help="comma list of cell:dropout:recurrent_dropout")
    a = p.parse_args()
    from rnnbench.cbuild import machine_line

    print(machine_line(), flush=True)

    import torch

    from rnnbench.data.har import load_har
    from rnnbench.device import describe_device, resolve_device, seed_everything
    from rnnbench.models.seq import ModelSpec, build_model
    from rnnbench.training.keras_fit import fit_keras
    from rnnbench.training.loop import fit

    torch.set_num_threads(a.threads)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    data = load_har(har_file(a.data))
    dev = resolve_device("auto")
    models = MODELS if not a.models else [(m.split(":")[0], float(m.split(":")[1]), float(m.split(":")[2]))
                                          for m in a.models.split(",")]
    cfg = dict(epochs=a.epochs, batch_size=1500, lr=0.001, l2=0.005, optimizer="adam", seed=0,
               clipvalue=None, clipnorm=None)
    print(f"HAR ({data.source}): {len(data.x_train)} train windows, batch 1500, {a.epochs} epochs; "
          f"torch on {describe_device(dev)}, Keras {tf.keras.__version__} on TensorFlow {tf.__version__}, "
          f"{a.threads} threads", flush=True)
    print(f"{'model':<22}{'ours s/ep':>10}{'torch-layers':>13}{'keras s/ep':>11}{'keras/ours':>11}"
          f"{'layers/ours':>12}{'path':>8}   test acc ours / layers / keras")
    for cell, do, rdo in models:
        spec = ModelSpec(cell=cell, input_size=9, hidden=32, output_size=6, dropout=do, recurrent_dropout=rdo)
        epochs = {"ours": [], "layers": [], "keras": []}
        acc, path = {}, ""
        for rep in range(a.repeats):
            order = ["ours", "layers", "keras"]
            for who in order[rep % 3:] + order[:rep % 3]:          # rotate who goes first
                if who == "keras":
                    r = fit_keras(spec, data, cfg, log=lambda s: None)
                else:
                    os.environ["RNNBENCH_RNN_KERNEL"] = "auto" if who == "ours" else "torch"
                    seed_everything(0)
                    model = build_model(spec)
                    r = fit(model, data, cfg, dev, log=lambda s: None)
                    if who == "ours":
                        path = model.path
                epochs[who] += [e["seconds"] for e in r.history[1:]]
                acc[who] = r.final.get("test_accuracy", float("nan"))
        os.environ.pop("RNNBENCH_RNN_KERNEL", None)
        t, lt, k = (statistics.median(epochs[w]) for w in ("ours", "layers", "keras"))
        name = f"{cell}(32) drop {do:g}/{rdo:g}"
        print(f"{name:<22}{t:>10.3f}{lt:>13.3f}{k:>11.3f}{k / t:>11.2f}{lt / t:>12.2f}{path:>8}   "
              f"{acc['ours']:.3f} / {acc['layers']:.3f} / {acc['keras']:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Seconds per epoch: our torch core against the Keras reference, same model, same data, one run.

    python bench/recurrent_vs_keras.py [--data data/prepared/har-hapt.npz] [--epochs 3]

For each model (the lecture's HAR LSTM(32), GRU(32), IRNN(32), each without and with variational
dropout) both backends train ``--epochs`` epochs at batch 1500 on the same prepared HAR file, in
this process, alternating; the first epoch (graph building, warm-up) is reported apart and the
rest averaged. Prints one line per model and the ratio keras/torch (> 1: torch is faster).
Without ``--data`` the HAR windows are prepared from the mirror ($RNNBENCH_MIRROR).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--models", default=None, help="comma list of cell:dropout:recurrent_dropout")
    a = p.parse_args()

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
    print(f"{'model':<26}{'torch s/epoch':>14}{'keras s/epoch':>14}{'ratio k/t':>10}{'torch path':>12}"
          f"{'torch 1st':>10}{'keras 1st':>10}")
    for cell, do, rdo in models:
        spec = ModelSpec(cell=cell, input_size=9, hidden=32, output_size=6, dropout=do, recurrent_dropout=rdo)
        seed_everything(0)
        model = build_model(spec)
        rt = fit(model, data, cfg, dev, log=lambda s: None)
        rk = fit_keras(spec, data, cfg, log=lambda s: None)
        t_ep = [r["seconds"] for r in rt.history]
        k_ep = [r["seconds"] for r in rk.history]
        t, k = statistics.mean(t_ep[1:] or t_ep), statistics.mean(k_ep[1:] or k_ep)
        name = f"{cell}(32) drop {do:g}/{rdo:g}"
        print(f"{name:<26}{t:>14.3f}{k:>14.3f}{k / t:>10.2f}{model.path:>12}{t_ep[0]:>10.2f}{k_ep[0]:>10.2f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())

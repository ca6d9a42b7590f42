"""What holding out validation subjects costs the lecture's HAR model (where the lecture's ~90 % goes).

    RNNBENCH_MIRROR=../shared/datasets python bench/har_val_subjects.py --raw data/raw/hapt \\
        --source hapt --seeds 0 --outroot /tmp/har-val

The lecture trains its Keras LSTM(32) on all 21 training subjects and reports the test accuracy
after the last of 200 epochs; the pipeline holds ``har.val_subjects`` (4) of them out for
validation. This prepares the windows both ways (``--val-subjects`` 0 and the config's), trains
``config/full.yaml``'s ``har_lecture`` LSTM (the lecture's settings: batch 1500, Adam 0.001, L2
0.005, one bias per gate, no clipping, 200 epochs) on each through the pipeline's train entry, one
torch thread, and prints, per seed, the test accuracy after the last epoch (the lecture's model
selection) on each, and the held-out run's best-validation-epoch test accuracy beside it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from rnnbench.grid import expand  # noqa: E402


def prepare(raw: str, source: str, out: Path, val_subjects: int) -> Path:
    path = out / f"har-{source}-val{val_subjects}.npz"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "rnnbench.data.har", "--source", source, "--raw", raw, "--out",
                        str(path), "--val-subjects", str(val_subjects), "--seed", "0"], check=True, cwd=REPO)
    return path


def train(spec: dict, data: Path, outdir: Path) -> dict:
    subprocess.run([sys.executable, "-m", "rnnbench.train", "--spec", json.dumps(spec), "--data", str(data),
                    "--outdir", str(outdir), "--device", "cpu", "--threads", "1"], check=True, cwd=REPO,
                   capture_output=True)
    return json.loads((outdir / "metrics.json").read_text())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", required=True, help="the fetched raw folder (data/raw/hapt or data/raw/har-uci)")
    p.add_argument("--source", default="hapt", choices=["hapt", "uci"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--val-subjects", type=int, default=4, help="the pipeline's held-out subjects (har.val_subjects)")
    p.add_argument("--epochs", type=int, default=None, help="override the lecture's 200 (a quick check)")
    p.add_argument("--outroot", type=Path, required=True)
    a = p.parse_args(argv)
    a.outroot.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load((REPO / "config" / "full.yaml").read_text())
    runs = expand(cfg["recurrent"], family="recurrent")
    print("seed  train_subjects  val_subjects  test_acc_last_epoch  test_acc_best_val_epoch (best epoch)")
    for seed in a.seeds:
        spec = dict(runs[f"har_lecture/lstm_L1_clipnone_drop0_rdrop0_torch/seed{seed}"] if seed < 5 else
                    {**runs["har_lecture/lstm_L1_clipnone_drop0_rdrop0_torch/seed0"], "seed": seed})
        spec["diagnostics"] = False
        if a.epochs:
            spec["epochs"] = a.epochs
        for val in (0, a.val_subjects):
            data = prepare(a.raw, a.source, a.outroot, val)
            rec = train(spec, data, a.outroot / f"seed{seed}-val{val}")
            best = rec.get("best") or {}
            # with no validation subjects there is no model selection: the last epoch is the lecture's
            best_txt = "—" if val == 0 else f"{best.get('test_accuracy', float('nan')):.4f} ({best.get('epoch')})"
            print(f"{seed:4d}  {21 - val:14d}  {val:12d}  {rec['final']['test_accuracy']:19.4f}  {best_txt}", flush=True)


if __name__ == "__main__":
    main()

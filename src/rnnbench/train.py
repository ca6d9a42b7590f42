"""One recurrent run: ``python -m rnnbench.train --spec JSON --data PATH --outdir DIR``.

Loads the task, builds the model (torch core or the Keras reference), trains it with the one
loop, measures the diagnostics of :mod:`rnnbench.models.diagnostics` (‖∂loss/∂h_t‖ against
distance; for an LSTM also ∏ f_τ) at initialisation and after training, and writes
``metrics.json`` + ``history.csv``. A diverged run is a result: the job still succeeds.
``epochs: 0`` trains nothing: the record holds the initial model's test metric and the
diagnostics at initialisation only.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from .device import describe_device, resolve_device, seed_everything, set_threads
from .records import write_history, write_record
from .training.types import RunResult, TaskData

log = logging.getLogger("rnnbench.train")


def load_task(spec: dict[str, Any], data_path: str | None) -> TaskData:
    """The run's task, by the loader :mod:`rnnbench.data.tasks` registers for it."""
    from .data.tasks import load

    return load(spec, data_path)


def model_spec(spec: dict[str, Any], data: TaskData):
    from .models.seq import ModelSpec

    return ModelSpec(
        cell=spec["cell"], input_size=data.input_size, hidden=int(spec["hidden"]), output_size=data.n_outputs,
        layers=int(spec["layers"]), return_sequences=data.kind == "multilabel",
        dropout=float(spec["dropout"]), recurrent_dropout=float(spec["recurrent_dropout"]),
        bias=spec["bias"], irnn_gain=float(spec["irnn_gain"]), input_std=float(spec["input_std"]),
        init=spec["init"], recurrent_gain=float(spec.get("recurrent_gain", 1.0)),
        vocab_size=data.vocab_size, embedding_dim=spec.get("embedding_dim"),
        kernel=spec.get("kernel") or "auto", reset_after=bool(spec.get("reset_after", True)),
        bn_max_steps=int(spec.get("bn_max_steps", 200)),
    )


# the lecture's three uses of an embedding layer: (use the word2vec rows?, freeze them?)
EMBEDDING_STRATEGIES = {"scratch": (False, False), "frozen": (True, True), "finetuned": (True, False)}


def pretrained_embedding(spec: dict[str, Any], data_path: str | None):
    """(matrix, freeze) for the run's ``embedding`` strategy, or None when trained from scratch.
    The matrix is the word2vec rows the prepare step aligned with the task's ids."""
    strategy = spec.get("embedding")
    if strategy is None:
        return None
    if strategy not in EMBEDDING_STRATEGIES:
        raise ValueError(f"unknown embedding strategy {strategy!r}; known: {', '.join(EMBEDDING_STRATEGIES)}")
    use, freeze = EMBEDDING_STRATEGIES[strategy]
    if not use:
        return None
    if spec["task"] != "imdb":
        raise ValueError(f"embedding strategy {strategy!r} needs pretrained rows; only the imdb task has them")
    from .data.imdb import load_pretrained

    return load_pretrained(data_path), freeze


def train_config(spec: dict[str, Any]) -> dict[str, Any]:
    keys = ("epochs", "batch_size", "lr", "optimizer", "l2", "clipvalue", "clipnorm", "global_clipnorm",
            "seed", "patience", "checkpoint_every", "tbptt")
    return {k: spec.get(k) for k in keys}


def run(spec: dict[str, Any], data_path: str | None, outdir: str | Path, device_name: str = "auto",
        threads: int | None = None) -> dict[str, Any]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    set_threads(threads)
    seed_everything(int(spec["seed"]))
    t0 = time.perf_counter()
    data = load_task(spec, data_path)
    mspec = model_spec(spec, data)
    cfg = train_config(spec)
    diagnostics: dict[str, Any] = {}
    params: dict[str, Any] = {}
    kernel: dict[str, Any] | None = None
    if spec["backend"] == "keras":
        from .training.keras_fit import fit_keras

        if spec.get("embedding") not in (None, "scratch"):
            raise ValueError("pretrained embeddings run on the torch backend only")

        device_desc = "keras (TensorFlow CPU/GPU as TensorFlow chooses)"
        result: RunResult = fit_keras(mspec, data, cfg, log=log.info)
        params = dict(result.params)
    else:
        from .models.diagnostics import measure_diagnostics
        from .models.seq import build_model, count_parameters
        from .training.loop import fit

        device = resolve_device(device_name)
        device_desc = describe_device(device)
        model = build_model(mspec)
        pre = pretrained_embedding(spec, data_path)
        if pre is not None:
            model.load_embedding(*pre)
        params = count_parameters(model)
        if spec.get("diagnostics", True):
            diagnostics.update(measure_diagnostics(model, data, device, "init"))
        ckpt = outdir / "checkpoint.pt" if spec.get("checkpoint_every") else None
        result = fit(model, data, cfg, device, log=log.info, checkpoint=ckpt)
        # epochs: 0 = diagnostics at initialisation only (the model is evaluated, never trained)
        if spec.get("diagnostics", True) and result.status == "ok" and int(cfg["epochs"]) > 0:
            diagnostics.update(measure_diagnostics(model, data, device, "final"))
        kernel = model.kernel_record()   # which path ran per shape, and the timings it was chosen by
        if ckpt is not None and ckpt.exists():
            ckpt.unlink()  # the run finished: its record supersedes the checkpoint
    record = {
        "run_id": spec["run_id"],
        "family": spec.get("family", "recurrent"),
        "grid": spec.get("grid"),
        "task": spec["task"],
        "source": data.source,
        "cell": spec["cell"],
        "backend": spec["backend"],
        "seed": spec["seed"],
        "status": result.status,
        "diverged_epoch": result.diverged_epoch,
        "cause": result.cause,
        "metric": data.metric,
        "final": result.final,
        "best": result.best,
        "params": params,
        "path": result.path,
        "kernel": kernel,
        "epochs_run": len(result.history),
        "train_seconds": result.seconds,
        "wall_seconds": time.perf_counter() - t0,
        "throughput": result.extra.get("train_sequences_per_second"),
        "device": device_desc,
        "task_meta": data.meta,
        "diagnostics": diagnostics,
        "config": spec,
    }
    write_history(outdir / "history.csv", result.history or [{"epoch": 0}])
    write_record(outdir / "metrics.json", record)
    log.info("status=%s final=%s wall=%.1fs", result.status, result.final, record["wall_seconds"])
    return record


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.train", description=__doc__.splitlines()[0])
    p.add_argument("--spec", required=True, help="the run's resolved spec as JSON (see rnnbench.grid)")
    p.add_argument("--data", default=None, help="prepared task file, or 'none' for generated tasks")
    p.add_argument("--outdir", required=True)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    try:
        spec = json.loads(a.spec)
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: --spec is not valid JSON: {e}")
    data = None if a.data in (None, "none") else a.data
    run(spec, data, a.outdir, a.device, a.threads)


if __name__ == "__main__":
    main()

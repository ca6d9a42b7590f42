"""One recurrent run: ``python -m rnnbench.train --spec JSON --data PATH --outdir DIR``.

Loads the task, builds the model (torch core or the Keras reference), trains it with the one
loop, measures the diagnostics of :mod:`rnnbench.training.diagnostics` (‖∂loss/∂h_t‖ against
distance; for an LSTM also ∏ f_τ) at initialisation and after training, and writes
``metrics.json`` + ``history.csv``. A diverged run is a result: the job still succeeds.
``epochs: 0`` trains nothing: the record holds the initial model's test metric and the
diagnostics at initialisation only.

A group spec (``seeds: [..]``, :func:`rnnbench.grid.groups`) trains the seeds of one arm in one
job (:func:`run_group`), as one stacked model where :mod:`rnnbench.models.members` can, and
writes one record per seed, the same as the seed's run alone would.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from .device import describe_device, resolve_device, seed_everything, set_threads
from .records import write_history, write_record
from .runspec import RunSpec
from .training.types import RunResult, TaskData

log = logging.getLogger("rnnbench.train")


def load_task(spec: dict[str, Any], data_path: str | None) -> TaskData:
    """The run's task, by the loader :mod:`rnnbench.data.tasks` registers for it."""
    from .data.tasks import load

    return load(spec, data_path)


def settings(spec: "Mapping[str, Any] | RunSpec") -> RunSpec:
    """The run's settings, typed (a spec dict's unknown key is an error naming it)."""
    return spec if isinstance(spec, RunSpec) else RunSpec.from_dict(spec)


def model_spec(spec: "Mapping[str, Any] | RunSpec", data: TaskData):
    from .models.seq import ModelSpec

    s = settings(spec)
    return ModelSpec(
        cell=s.cell, input_size=data.input_size, hidden=int(s.hidden), output_size=data.n_outputs,
        layers=int(s.layers), return_sequences=data.kind == "multilabel",
        dropout=float(s.dropout), recurrent_dropout=float(s.recurrent_dropout),
        bias=s.bias, irnn_gain=float(s.irnn_gain), input_std=float(s.input_std),
        init=s.init, recurrent_gain=float(s.recurrent_gain),
        vocab_size=data.vocab_size, embedding_dim=s.embedding_dim,
        kernel=s.kernel or "auto", reset_after=bool(s.reset_after), bn_max_steps=int(s.bn_max_steps),
        dropout_masks=s.dropout_masks,
    )


# the lecture's three uses of an embedding layer: (use the word2vec rows?, freeze them?)
EMBEDDING_STRATEGIES = {"scratch": (False, False), "frozen": (True, True), "finetuned": (True, False)}


def pretrained_embedding(spec: dict[str, Any], data_path: str | None):
    """(matrix, freeze) for the run's ``embedding`` strategy, or None when trained from scratch.
    The matrix is the word2vec rows the prepare step aligned with the task's ids."""
    strategy = settings(spec).embedding
    if strategy is None:
        return None
    if strategy not in EMBEDDING_STRATEGIES:
        raise ValueError(f"unknown embedding strategy {strategy!r}; known: {', '.join(EMBEDDING_STRATEGIES)}")
    use, freeze = EMBEDDING_STRATEGIES[strategy]
    if not use:
        return None
    if settings(spec).task != "imdb":
        raise ValueError(f"embedding strategy {strategy!r} needs pretrained rows; only the imdb task has them")
    from .data.imdb import load_pretrained

    return load_pretrained(data_path), freeze


def train_config(spec: "Mapping[str, Any] | RunSpec") -> dict[str, Any]:
    """The settings the training loops read (:meth:`rnnbench.runspec.RunSpec.train_config`)."""
    return settings(spec).train_config()


def run(spec: dict[str, Any], data_path: str | None, outdir: str | Path, device_name: str = "auto",
        threads: int | None = None) -> dict[str, Any]:
    """One seed's run; its record and history in ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    set_threads(threads)
    s = settings(spec)
    seed_everything(int(s.seed))
    t0 = time.perf_counter()
    data = load_task(spec, data_path)
    mspec = model_spec(s, data)
    cfg = s.train_config()
    diagnostics: dict[str, Any] = {}
    params: dict[str, Any] = {}
    kernel: dict[str, Any] | None = None
    if s.backend == "keras":
        from .training.keras_fit import fit_keras

        if s.embedding not in (None, "scratch"):
            raise ValueError("pretrained embeddings run on the torch backend only")

        device_desc = "keras (TensorFlow CPU/GPU as TensorFlow chooses)"
        result: RunResult = fit_keras(mspec, data, cfg, log=log.info)
        params = dict(result.params)
    else:
        from .training.diagnostics import measure_diagnostics
        from .models.seq import build_model, count_parameters
        from .training.loop import fit

        device = resolve_device(device_name)
        device_desc = describe_device(device)
        model = build_model(mspec)
        pre = pretrained_embedding(spec, data_path)
        if pre is not None:
            model.load_embedding(*pre)
        params = count_parameters(model)
        if s.diagnostics:
            diagnostics.update(measure_diagnostics(model, data, device, "init"))
        ckpt = outdir / "checkpoint.pt" if s.checkpoint_every else None
        result = fit(model, data, cfg, device, log=log.info, checkpoint=ckpt)
        # epochs: 0 = diagnostics at initialisation only (the model is evaluated, never trained)
        if s.diagnostics and result.status == "ok" and int(cfg["epochs"]) > 0:
            diagnostics.update(measure_diagnostics(model, data, device, "final"))
        kernel = model.kernel_record()   # which path ran per shape, and the timings it was chosen by
        if ckpt is not None and ckpt.exists():
            ckpt.unlink()  # the run finished: its record supersedes the checkpoint
    return write_run(spec, data, result, outdir, params=params, kernel=kernel, diagnostics=diagnostics,
                     device=device_desc, wall_seconds=time.perf_counter() - t0)


def write_run(spec: dict[str, Any], data: TaskData, result: RunResult, outdir: Path, *, params: dict,
              kernel: dict | None, diagnostics: dict, device: str, wall_seconds: float,
              group: dict | None = None) -> dict[str, Any]:
    """A run's ``metrics.json`` and ``history.csv`` (the fields every reader of the records knows;
    ``group`` is added for a member of a seed-batched group)."""
    outdir.mkdir(parents=True, exist_ok=True)
    s = settings(spec)
    record = {
        "run_id": s.run_id,
        "family": s.family,
        "grid": s.grid,
        "task": s.task,
        "source": data.source,
        "cell": s.cell,
        "backend": s.backend,
        "seed": s.seed,
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
        "wall_seconds": wall_seconds,
        "throughput": result.extra.get("train_sequences_per_second"),
        "device": device,
        "task_meta": data.meta,
        "diagnostics": diagnostics,
        "config": spec,
    }
    if group is not None:
        record["group"] = group
    write_history(outdir / "history.csv", result.history or [{"epoch": 0}])
    write_record(outdir / "metrics.json", record)
    log.info("%sstatus=%s final=%s wall=%.1fs", f"seed {spec['seed']}: " if group else "", result.status,
             result.final, record["wall_seconds"])
    return record


# ---------------------------------------------------------------- the seeds of an arm in one job
def member_specs(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The one-seed specs of a group spec (``seeds: [..]`` and their ``run_ids``, from
    :func:`rnnbench.grid.groups`): each exactly the spec its run would get alone."""
    seeds, ids = spec.get("seeds"), spec.get("run_ids")
    if not seeds or not ids or len(seeds) != len(ids):
        raise ValueError("a group spec needs 'seeds' and one 'run_ids' entry per seed")
    base = {k: v for k, v in spec.items() if k not in ("seeds", "run_ids", "group_id", "aliases")}
    return [{**base, "seed": s, "run_id": rid} for s, rid in zip(seeds, ids)]


def _member_data(specs: list[dict[str, Any]], data_path: str | None) -> list[TaskData]:
    """Each member's task. Most tasks are the same whatever the seed (one copy, shared); a
    generated one (the adding problem) draws its sequences from the seed: when the first two
    members' data differ, every member loads its own."""
    first = load_task(specs[0], data_path)
    if len(specs) == 1:
        return [first]
    second = load_task(specs[1], data_path)
    if _same_data(first, second):
        return [first] * len(specs)
    return [first, second] + [load_task(s, data_path) for s in specs[2:]]


def _same_data(a: TaskData, b: TaskData) -> bool:
    import numpy as np

    for split in ("train", "val", "test"):
        for attr in ("x", "y", "lengths"):
            u, v = getattr(a, f"{attr}_{split}"), getattr(b, f"{attr}_{split}")
            if (u is None) != (v is None) or (u is not None and not np.array_equal(u, v)):
                return False
    return True


def run_group(spec: dict[str, Any], data_path: str | None, outdir: str | Path, device_name: str = "auto",
              threads: int | None = None) -> list[dict[str, Any]]:
    """The seeds of one arm (a group spec) in one job; member k's record in ``outdir/<run_ids[k]>``.

    Batched (:func:`rnnbench.models.members.batchable`): all members trained as one stacked model.
    Otherwise — Keras runs, BN-LSTM, truncated BPTT — one seed after
    another in this process, each exactly as :func:`run` trains it alone.
    """
    outdir = Path(outdir)
    specs = member_specs(spec)
    keras = settings(spec).backend == "keras"
    if keras or len(specs) == 1:
        # Keras keeps graph-level seed state across models in one process: one run per process
        if keras and len(specs) > 1:
            raise ValueError("Keras runs train one seed per process: group them one seed each")
        return [run(s, data_path, outdir / s["run_id"], device_name, threads) for s in specs]
    from .models.members import batchable

    set_threads(threads)
    t0 = time.perf_counter()
    datas = _member_data(specs, data_path)
    mspec = model_spec(specs[0], datas[0])
    cfgs = [train_config(s) for s in specs]
    why = batchable(mspec, cfgs[0])
    if why is not None:
        log.info("%s: %d seeds one after another (%s)", spec.get("group_id"), len(specs), why)
        return [run(s, data_path, outdir / s["run_id"], device_name, threads) for s in specs]
    return _run_batched(spec, specs, datas, mspec, cfgs, data_path, outdir, device_name, t0)


def _run_batched(spec, specs, datas, mspec, cfgs, data_path, outdir: Path, device_name: str, t0: float):
    from .training.diagnostics import measure_diagnostics
    from .models.members import build_members
    from .models.seq import count_parameters
    from .training.loop import fit_members

    device = resolve_device(device_name)
    pre = pretrained_embedding(specs[0], data_path)
    members = build_members(mspec, [int(s["seed"]) for s in specs], device,
                            prepare=None if pre is None else (lambda m: m.load_embedding(*pre)))
    params = count_parameters(members.member_model(0))
    group_settings = settings(spec)
    diag = bool(group_settings.diagnostics)
    diagnostics = [measure_diagnostics(members.member_model(k), datas[k], device, "init") if diag else {}
                   for k in range(len(specs))]
    every = group_settings.checkpoint_every
    ckpt = outdir / spec["group_id"] / "group-checkpoint.pt" if every else None
    results = fit_members(members, datas, cfgs, device, log=log.info, checkpoint=ckpt)
    kernel = members.kernel_record()   # the members' path, and per shape what ran and why
    group = {"id": spec["group_id"], "seeds": list(spec["seeds"]), "batched": True,
             "train_seconds": sum(r.seconds for r in results)}
    wall = time.perf_counter() - t0
    records = []
    for k, (s, result) in enumerate(zip(specs, results)):
        if diag and result.status == "ok" and int(cfgs[k]["epochs"]) > 0:
            diagnostics[k].update(measure_diagnostics(members.member_model(k), datas[k], device, "final"))
        records.append(write_run(s, datas[k], result, outdir / s["run_id"], params=params, kernel=kernel,
                                 diagnostics=diagnostics[k], device=describe_device(device),
                                 wall_seconds=wall / len(specs), group=group))
    if ckpt is not None and ckpt.exists():
        ckpt.unlink()   # the group finished: its records supersede the checkpoint
    return records


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m rnnbench.train", description=__doc__.splitlines()[0])
    p.add_argument("--spec", required=True, help="the run's resolved spec as JSON (see rnnbench.grid); a group "
                   "spec (seeds: [..], run_ids: [..]) trains the seeds of one arm together")
    p.add_argument("--data", default=None, help="prepared task file, or 'none' for generated tasks")
    p.add_argument("--outdir", required=True, help="the run's folder; for a group spec the family's results "
                   "folder, each seed's record going to <outdir>/<its run id>")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    try:
        spec = json.loads(a.spec)
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: --spec is not valid JSON: {e}")
    data = None if a.data in (None, "none") else a.data
    if "seeds" in spec:
        run_group(spec, data, a.outdir, a.device, a.threads)
    else:
        run(spec, data, a.outdir, a.device, a.threads)


if __name__ == "__main__":
    main()

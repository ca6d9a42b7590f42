"""The task registry: one entry per task, read by the run, the workflow, the plan and the schema."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from rnnbench import plan
from rnnbench.data import tasks
from rnnbench.data.registry import DATASETS
from rnnbench.data.tasks import TASKS, Task
from rnnbench.grid import expand
from rnnbench.train import run
from rnnbench.training.types import TaskData

SCHEMA = "workflow/schemas/config.schema.yaml"


def test_schema_task_enum_is_the_task_registry(repo):
    schema = yaml.safe_load((repo / SCHEMA).read_text())
    assert tuple(schema["definitions"]["recurrent_entry"]["properties"]["task"]["enum"]) == tuple(TASKS)
    assert tuple(schema["properties"]["har"]["properties"]["source"]["enum"]) == tuple(TASKS["har"].sources)


def test_every_prepared_file_names_its_raw_datasets():
    for t in TASKS.values():
        assert t.kind in tasks.KINDS
        if t.prepared is None:
            assert not t.raw and not t.sources     # generated inside the job: nothing to fetch
            continue
        if t.sources:
            for src, ds in t.sources.items():
                assert ds in DATASETS and t.raw_dataset(src) == ds
        else:
            assert t.raw_dataset() in DATASETS
    assert TASKS["har"].prepared_file({"har": {"source": "hapt"}}) == "har-hapt.npz"
    assert TASKS["mnist"].prepared_file({}) == TASKS["pmnist"].prepared_file({}) == "mnist.npz"
    with pytest.raises(ValueError, match="source 'nope'"):
        TASKS["har"].prepared_file({"har": {"source": "nope"}})


def test_unknown_task_is_an_error_naming_it():
    with pytest.raises(ValueError, match="unknown task 'nope'.*known tasks: har"):
        tasks.load({"task": "nope"}, None)
    with pytest.raises(plan.PlanError, match="x/1: unknown task 'nope'"):
        plan.dataset_sizes({"task": "nope", "run_id": "x/1"}, {}, plan.REPO)


def _toy(spec, data_path):
    """A regression toy: the target is the sum of the sequence's values."""
    rng = np.random.default_rng(int(spec["seed"]))

    def split(n):
        x = rng.normal(size=(n, 6, 1)).astype(np.float32)
        return x, x.sum(axis=1).astype(np.float32)

    (xa, ya), (xb, yb), (xc, yc) = split(48), split(16), split(16)
    return TaskData(name="toy", kind="regression", x_train=xa, y_train=ya, x_val=xb, y_val=yb, x_test=xc, y_test=yc,
                    n_outputs=1, source="generated (test)")


def test_a_new_task_is_a_loader_and_one_entry(monkeypatch, tmp_path):
    monkeypatch.setitem(TASKS, "toy", Task(name="toy", kind="regression", load=_toy))
    spec = next(iter(expand([{"name": "t", "task": "toy", "cells": ["gru"], "hidden": 4, "epochs": 2,
                              "batch_size": 16, "diagnostics": False}]).values()))
    record = run(spec, None, tmp_path / "run", device_name="cpu", threads=1)
    assert record["task"] == "toy" and record["source"] == "generated (test)"
    assert record["status"] == "ok" and record["epochs_run"] == 2
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["run_id"] == spec["run_id"]
    # the plan cannot cost a task whose entry declares no sizes, and says so
    with pytest.raises(plan.PlanError, match="no sizes known for task 'toy'"):
        plan.dataset_sizes(spec, {}, tmp_path)


def test_a_loader_of_another_kind_is_refused(monkeypatch):
    monkeypatch.setitem(TASKS, "toy", Task(name="toy", kind="classification", load=_toy))
    with pytest.raises(ValueError, match="returned 'regression' data; the registry says 'classification'"):
        tasks.load({"task": "toy", "seed": 0}, None)


def test_a_bad_entry_is_refused_when_registered():
    with pytest.raises(ValueError, match="kind 'ordinal'"):
        tasks._register(Task(name="x", kind="ordinal", load=_toy))
    with pytest.raises(ValueError, match="not in rnnbench.data.registry"):
        tasks._register(Task(name="x", kind="regression", load=_toy, prepared="x.npz", raw=("nowhere",)))
    with pytest.raises(ValueError, match="go together"):
        tasks._register(Task(name="x", kind="regression", load=_toy, prepared="x.npz", sources={"a": "mnist"}))
    assert "x" not in TASKS

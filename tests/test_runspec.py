"""The run spec (rnnbench.runspec) is the one list of a run's settings and their defaults: the schema,
the README's grid example and the configs are checked against it, and it gives every run's spec
dict back unchanged."""
from __future__ import annotations

import re

import pytest
import yaml

from rnnbench.grid import AXES, DEFAULTS, GridError, expand, groups
from rnnbench.runspec import RunSpec, RunSpecError

SCHEMA = "workflow/schemas/config.schema.yaml"
#: keys of a grid entry that only the grid reads: no run's spec has them
GRID_ONLY = {"arms"}
#: fields the grid writes, not the config
WRITTEN_BY_GRID = {"grid", "family", "run_id", "seeds", "run_ids", "group_id", "aliases"}
SEQUENCE_LISTS = ("recurrent", "names", "music", "embedding")


def _entry_properties(repo) -> dict:
    schema = yaml.safe_load((repo / SCHEMA).read_text())
    return schema["definitions"]["recurrent_entry"]["properties"]


def _as_setting(key: str) -> str:
    return AXES.get(key, key)          # cells -> cell, seeds -> seed, datasets -> dataset


def test_schema_entry_keys_are_the_run_spec_fields(repo):
    props = _entry_properties(repo)
    from_schema = {_as_setting(k) for k in props if k not in GRID_ONLY}
    assert from_schema == set(RunSpec.field_names()) - WRITTEN_BY_GRID


def _stated_default(description: str):
    """The default a schema description states: 'default X', 'default: X' or 'X (default...'."""
    m = re.search(r"([\w.+-]+) \(default[;:,)]", description) or re.search(r"\bdefault:? ([\w.+-]+)", description)
    return yaml.safe_load(m.group(1)) if m else None


def test_schema_states_every_default_the_run_spec_has(repo):
    props = _entry_properties(repo)
    defaults = RunSpec.defaults()
    for key, prop in props.items():
        setting = _as_setting(key)
        if key in GRID_ONLY or defaults.get(setting) is None or setting == "seed":
            continue                    # no default to state (None = off/absent); seeds: one run per seed
        description = prop.get("description", "")
        assert "default" in description, f"schema: {key}'s description does not state its default"
        assert _stated_default(description) == defaults[setting], \
            f"schema: {key} states default {_stated_default(description)!r}, RunSpec has {defaults[setting]!r}"


def test_readme_grid_example_keys_are_run_spec_fields(repo):
    readme = (repo / "README.md").read_text()
    section = readme[readme.index("### The experiment grids\n"):]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    for e in example["recurrent"]:
        for key in e:
            assert key in GRID_ONLY or _as_setting(key) in RunSpec.field_names(), f"README's example sets {key}"


@pytest.mark.parametrize("overlays", [["config/config.yaml"], ["config/config.yaml", "config/full.yaml"],
                                      ["tests/data/config-tiny.yaml"]])
def test_every_run_and_group_of_the_configs_round_trips(repo, overlays):
    cfg: dict = {}
    for name in overlays:
        cfg.update(yaml.safe_load((repo / name).read_text()) or {})
    n = 0
    for family in SEQUENCE_LISTS:
        runs = expand(cfg.get(family), family)
        for spec in [*runs.values(), *groups(runs).values()]:
            back = RunSpec.from_dict(spec).as_dict()
            assert back == spec and list(back) == list(spec)
            n += 1
    assert n > 0


def test_defaults_are_the_run_specs():
    assert DEFAULTS == RunSpec.every_run_defaults()
    assert list(DEFAULTS)[:3] == ["hidden", "epochs", "batch_size"]      # the records' key order
    assert "dropout_masks" not in DEFAULTS and RunSpec().dropout_masks == "sequence"


def test_a_run_at_a_default_reads_the_default():
    spec = RunSpec.from_dict({"cell": "gru", "hidden": 8})
    assert spec.reset_after is True and spec.kernel == "auto" and spec.bn_max_steps == 200
    assert spec.dropout_masks == "sequence" and spec.recurrent_gain == 1.0
    assert spec.as_dict() == {"cell": "gru", "hidden": 8}
    assert RunSpec.from_dict({}).as_dict() == {}
    assert RunSpec(hidden=8).as_dict() == {**DEFAULTS, "hidden": 8}     # made field by field


def test_an_unknown_key_is_an_error_naming_it():
    with pytest.raises(RunSpecError, match=r"'hiden'.*known settings: hidden"):
        RunSpec.from_dict({"cell": "gru", "hiden": 8})


def test_the_grid_refuses_an_unknown_key_naming_grid_and_key():
    with pytest.raises(GridError, match=r"recurrent\.g: unknown run setting\(s\) 'dropuot'"):
        expand([{"name": "g", "task": "har", "cells": ["lstm"], "dropuot": 0.2}])


def test_replace_adds_a_changed_setting_to_the_dict():
    spec = RunSpec.from_dict({"cell": "gru", "hidden": 8}).replace(hidden=16, tbptt=5)
    assert spec.as_dict() == {"cell": "gru", "hidden": 16, "tbptt": 5}


def test_a_new_setting_is_a_field_and_no_grid_change(monkeypatch):
    """A setting added as a RunSpec field (here a swept axis) runs through the grid as it is: a run
    that leaves it alone keeps its id and spec, a swept one is named in the id by its field."""
    import dataclasses

    import rnnbench.grid as grid
    from rnnbench.runspec import _when_set

    @dataclasses.dataclass(frozen=True)
    class WithNoise(RunSpec):
        #: std of a Gaussian noise on the inputs (the example of README's "Adding an experiment")
        input_noise: float = _when_set(0.0, axis=(16, "input_noise"))

    entry = {"name": "g", "task": "har", "cells": ["lstm"], "seeds": [0]}
    before = expand([entry])
    monkeypatch.setattr(grid, "RunSpec", WithNoise)
    monkeypatch.setattr(grid, "AXES", WithNoise.axes())
    assert expand([entry]) == before
    runs = expand([{**entry, "input_noise": [0.0, 0.1]}])
    assert list(runs) == ["g/lstm_L1_clipnone_drop0_rdrop0_torch_input_noise0/seed0",
                          "g/lstm_L1_clipnone_drop0_rdrop0_torch_input_noise0.1/seed0"]
    assert WithNoise.from_dict(runs[list(runs)[1]]).input_noise == 0.1


def test_the_claims_columns_are_run_settings():
    from rnnbench.claims.runs import CONFIG_KEYS

    assert set(CONFIG_KEYS) <= set(RunSpec.field_names())


def test_the_claims_runs_table_has_a_column_for_every_setting():
    """A claim's arm may match on any run setting, a new one included, with no list to keep in step
    (the list the claims once kept by hand lacked reset_after)."""
    from rnnbench.claims.runs import CONFIG_KEYS, sequence_row

    assert set(CONFIG_KEYS) == set(RunSpec.field_names()) - set(RunSpec.IDENTITY)
    assert "reset_after" in CONFIG_KEYS and "seed" not in CONFIG_KEYS
    rec = {"run_id": "g/gru/seed0", "family": "recurrent", "grid": "g", "task": "har", "cell": "gru", "seed": 0,
           "status": "ok", "metric": "accuracy", "config": {"hidden": 8, "reset_after": False, "seed": 0},
           "final": {"test_accuracy": 0.5}, "best": {}, "_path": "/nonexistent/metrics.json"}
    row = sequence_row(rec)
    assert row["reset_after"] is False and row["hidden"] == 8 and row["tbptt"] is None


def test_the_model_specs_defaults_are_the_run_specs():
    """ModelSpec (the models' own API, usable without the pipeline) repeats the defaults of the settings
    it shares with RunSpec; they may never drift apart, or a run would train another model than its
    record's settings say."""
    from dataclasses import MISSING, fields

    from rnnbench.models.seq import ModelSpec

    run = RunSpec.defaults()
    shared = [f for f in fields(ModelSpec) if f.name in run and f.default is not MISSING]
    assert len(shared) >= 12
    assert {f.name: f.default for f in shared} == {f.name: run[f.name] for f in shared}

"""The families of experiments, declared once (rnnbench.families) and read by the schema, the
workflow and the plan."""
from __future__ import annotations

import yaml

from rnnbench import plan
from rnnbench.families import FAMILIES, SEQUENCE_FAMILIES

SCHEMA = "workflow/schemas/config.schema.yaml"


def test_schema_grid_keys_are_the_families(repo):
    props = yaml.safe_load((repo / SCHEMA).read_text())["properties"]
    grids = tuple(k for k, v in props.items() if (v.get("items") or {}).get("$ref") == "#/definitions/recurrent_entry")
    assert grids == SEQUENCE_FAMILIES
    assert set(FAMILIES) - set(SEQUENCE_FAMILIES) == {"word2vec"} and "word2vec" in props


def test_the_workflow_expands_every_sequence_family(repo):
    wf = plan.load_workflow([repo / "tests/data/config-tiny.yaml"])
    assert tuple(wf.runs) == SEQUENCE_FAMILIES
    assert all(spec["family"] == fam for fam, runs in wf.runs.items() for spec in runs.values())
    assert all(wf.runs[fam] for fam in SEQUENCE_FAMILIES)     # the tiny config has runs of each

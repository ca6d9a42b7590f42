"""The README stays true to the code: its grid example is a valid config entry that expands to the run
id it shows, and every path its map names exists."""
from __future__ import annotations

import re

import yaml
from snakemake.utils import validate

from rnnbench.grid import expand

SCHEMA = "workflow/schemas/config.schema.yaml"


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    nxt = re.search(r"^#{1,3} ", text[start + len(heading):], re.M)
    return text[start:start + len(heading) + (nxt.start() if nxt else len(text))]


def _first_block(section: str, lang: str = "") -> str:
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_grid_example_is_valid_and_expands_to_the_id_shown(repo):
    readme = (repo / "README.md").read_text()
    section = _section(readme, "### The experiment grids")
    example = yaml.safe_load(_first_block(section, "yaml"))
    cfg = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    cfg["recurrent"] = example["recurrent"]
    validate(cfg, str(repo / SCHEMA))
    shown = re.search(r"such as\s+`([^`]+)`", section).group(1)
    assert shown in expand(cfg["recurrent"])


def test_every_path_in_the_map_exists(repo):
    readme = (repo / "README.md").read_text()
    block = _first_block(readme[:readme.index("## Install")])
    named = set(re.findall(r"[\w./<>*-]+\.(?:py|smk|yaml)|[\w/-]+/(?=[\s,)])", block))
    assert named, "the map names no paths"
    for name in sorted(named):
        if "<" in name or "*" in name or name.startswith("results/"):
            continue                                    # a pattern, or an output the run writes
        candidates = [repo / name, repo / "src" / "rnnbench" / name, repo / "workflow" / name,
                      repo / "src" / "rnnbench" / "report" / name]
        assert any(p.exists() for p in candidates), f"README's map names {name}, which does not exist"
    modules = set(re.findall(r"\brnnbench(?:\.\w+)+", block))
    assert modules, "the map names no modules"
    for module in sorted(modules):
        path = repo / "src" / module.replace(".", "/")
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), \
            f"README's map names {module}, which does not exist"

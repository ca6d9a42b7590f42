"""The config, the runs and the training jobs (seed groups) of a workflow, as Snakemake itself
loads them (nothing runs)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..families import SEQUENCE_FAMILIES

REPO = Path(__file__).resolve().parents[3]
SNAKEFILE = REPO / "Snakefile"


class PlanError(ValueError):
    """A config the plan cannot read: names the key, grid or value."""


@dataclass
class Workflow:
    config: dict[str, Any]
    runs: dict[str, dict[str, dict[str, Any]]]      # family -> run id -> resolved spec (rnnbench.grid)
    w2v_runs: list[str]                              # impl-arch-loss[-sampleS]-seedN (word2vec.smk)
    threads: dict[str, int]                          # rule -> declared threads
    configfiles: list[str] = field(default_factory=list)
    w2v_grid: dict[str, dict[str, Any]] = field(default_factory=dict)   # run id -> {impl, arch, loss, sample, seed}
    # family -> group id -> group spec: the training jobs, the Snakefile's GROUPS (recurrent.smk);
    # None for a Workflow built by hand, whose groups are then formed by the same function
    groups: dict[str, dict[str, dict[str, Any]]] | None = None
    # job id -> word2vec group (its seeds together): the Snakefile's W2V_JOBS (word2vec.smk); None: formed
    # from w2v_grid by the same function
    w2v_jobs: dict[str, dict[str, Any]] | None = None

    def word2vec_groups(self) -> dict[str, dict[str, Any]]:
        """The word2vec training jobs, as the DAG has them (``rnnbench.grid.word2vec_groups``)."""
        if self.w2v_jobs is not None:
            return self.w2v_jobs
        from ..grid import word2vec_groups

        grid = {rid: self.w2v_grid.get(rid) or _w2v_run_of_id(rid) for rid in self.w2v_runs}
        return word2vec_groups(grid, self.config.get("seeds_per_job"))

    def family_groups(self, family: str) -> dict[str, dict[str, Any]]:
        """The training jobs of a family: one per arm (its seeds together), as the DAG has them
        (``rnnbench.grid.groups`` of the family's runs, the function the Snakefile calls)."""
        if self.groups is not None and family in self.groups:
            return self.groups[family]
        from ..grid import groups

        return groups(self.runs.get(family, {}))


def parse_overrides(entries: Iterable[str] | None) -> dict[str, Any]:
    """``key=value`` pairs as ``snakemake --config`` parses them."""
    from snakemake.cli import parse_config

    try:
        return parse_config(list(entries or []))
    except (ValueError, SystemExit) as e:
        raise PlanError(f"--config: {e}") from None


def load_workflow(configfiles: Iterable[str | os.PathLike], overrides: Mapping[str, Any] | None = None,
                  snakefile: str | os.PathLike = SNAKEFILE) -> Workflow:
    """Load the Snakefile with these configs through Snakemake's API (no job runs) and take the
    config, the expanded runs and the rules' threads from the workflow itself."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    snakefile = Path(snakefile).resolve()
    files = []
    for f in configfiles:
        p = Path(f).resolve()
        if not p.exists():
            raise PlanError(f"config file {f} does not exist")
        files.append(p)
    cwd = os.getcwd()
    try:
        with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            wapi = api.workflow(snakefile=snakefile, workdir=snakefile.parent,
                                resource_settings=ResourceSettings(cores=1),
                                config_settings=ConfigSettings(configfiles=files, config=dict(overrides or {})))
            wf = wapi._workflow          # parses the Snakefile: config merged, validated, grids expanded
            g = wf.globals
            threads = {}
            for rule in ("train", "train_word2vec"):
                try:
                    threads[rule] = int(wf.get_rule(rule).resources["_cores"])
                except Exception:           # noqa: BLE001 - a rule renamed, or threads per job (train's come
                    pass                    # from rnnbench.grid.group_resources, per group): fall back
            return Workflow(config=dict(g["config"]), runs={f: dict(g["RUNS"].get(f, {})) for f in SEQUENCE_FAMILIES},
                            w2v_runs=list(g.get("W2V_RUNS", [])), threads=threads,
                            configfiles=[str(f) for f in configfiles], w2v_grid=dict(g.get("W2V_GRID", {})),
                            groups={f: dict(g["GROUPS"].get(f, {})) for f in SEQUENCE_FAMILIES} if "GROUPS" in g else None,
                            w2v_jobs=dict(g["W2V_JOBS"]) if "W2V_JOBS" in g else None)
    except PlanError:
        raise
    except Exception as e:  # noqa: BLE001 - Snakemake wraps schema and grid errors; say them plainly
        raise PlanError(_workflow_error(e)) from None
    finally:
        os.chdir(cwd)


def _workflow_error(e: BaseException, lines: int = 3) -> str:
    """The chain of messages, each cut to its first lines (a schema error goes on to print the
    whole schema and config)."""
    parts, seen = [], set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        msg = "\n".join(str(e).strip().splitlines()[:lines]).strip()
        if msg and msg not in parts:
            parts.append(msg)
        e = e.__cause__ or e.__context__
    return "\n".join(parts) or "the workflow could not be loaded"


def _w2v_run_of_id(rid: str) -> dict[str, Any]:
    """{impl, arch, loss, sample, seed} of a run id (``rnnbench.grid.word2vec_run_id``'s inverse)."""
    from ..grid import W2V_DEFAULT_SAMPLE

    impl, arch, loss, *rest = rid.split("-")
    sample = next((float(x[len("sample"):]) for x in rest if x.startswith("sample")), W2V_DEFAULT_SAMPLE)
    return {"impl": impl, "arch": arch, "loss": loss, "sample": sample, "seed": int(rest[-1][len("seed"):]),
            "run_id": rid, "family": "word2vec"}

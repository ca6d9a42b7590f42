# Shared set-up: version floor, config validation, grids and input functions.
import json
import re
import shlex
import sys

from snakemake.utils import min_version, validate

from rnnbench.data.tasks import TASKS
from rnnbench.families import SEQUENCE_FAMILIES
from rnnbench.grid import expand as expand_grid
from rnnbench.grid import expand_word2vec as expand_word2vec_grid
from rnnbench.grid import word2vec_run_id

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

RESULTS = config["results"]
DATA = config["data"]["root"]
MIRROR = config["data"]["mirror"] or ""
# Every job runs the interpreter that runs Snakemake (the environment rnnbench is installed in), not
# whatever `python` comes first on PATH: a workflow started as /path/to/env/bin/snakemake works
# without activating the environment.
PYTHON = shlex.quote(sys.executable)
# Families of sequence-model runs (rnnbench.families): each is a list of grid entries in the config,
# expanded into runs that all go through the one `train` rule and the one training loop.
RUNS = {fam: expand_grid(config.get(fam), family=fam) for fam in SEQUENCE_FAMILIES}
RECURRENT = RUNS["recurrent"]

# What reaches the report, all of it declared (the report reads nothing else, never globs):
# - REPORT_INPUTS["<family>"] = [...]: the family's aggregated tables and figures (its aggregation
#   rule's outputs); every `verdicts_*.csv` among them joins the verdict summary;
# - REPORT_RECORDS["<family>"] = [...]: the run records (metrics.json) the report summarises
#   (run counts, provenance, performance targets).
# Both are read when the DAG is built, so a rule file included after report.smk may register too.
REPORT_INPUTS = {}
REPORT_RECORDS = {}


def gpu_resource(_wildcards=None):
    """Snakemake's standard `gpu` resource of a training job: `gpus_per_job` (0 by default, so a
    CPU laptop or cluster never asks for a GPU; the GPU profiles set 1), none when device is cpu."""
    return 0 if str(config["device"]).startswith("cpu") else int(config["gpus_per_job"])


def aggregation_output(outputs, **values):
    """An aggregation rule's `output:` from its module's OUTPUTS (rnnbench.report.common.Output): each
    file under RESULTS (one per value where its path has a placeholder), in Snakemake's report under
    its category when it has a caption (workflow/report/<caption>.rst)."""
    return {o.name: report(o.paths(RESULTS, **values), caption=f"../report/{o.caption}.rst", category=o.category)
            if o.caption else o.paths(RESULTS, **values) for o in outputs}


def one_of(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    dataset=r"[a-z0-9-]+",

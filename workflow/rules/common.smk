# Shared set-up: version floor, config validation, grids and input functions.
import json
import re

from snakemake.utils import min_version, validate

from rnnbench.grid import expand as expand_grid

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

RESULTS = config["results"]
DATA = config["data"]["root"]
MIRROR = config["data"]["mirror"] or ""
# Families of sequence-model runs: each is a list of grid entries in the config, expanded into
# runs that all go through the one `train` rule and the one training loop.
SEQUENCE_FAMILIES = ("recurrent", "names", "music", "embedding")
RUNS = {fam: expand_grid(config.get(fam), family=fam) for fam in SEQUENCE_FAMILIES}
RECURRENT = RUNS["recurrent"]

# Each family adds the aggregated files the report reads: {family: [paths]}.
REPORT_INPUTS = {}


def gpu_resource(_wildcards=None):
    """Snakemake's standard `gpu` resource of a training job: `gpus_per_job` (0 by default, so a
    CPU laptop or cluster never asks for a GPU; the GPU profiles set 1), none when device is cpu."""
    return 0 if str(config["device"]).startswith("cpu") else int(config["gpus_per_job"])


def one_of(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    dataset=r"[a-z0-9-]+",

# rnnbench: download -> prepare -> train/evaluate -> aggregate -> report.
# Run `snakemake --cores N` (default config) or add `--configfile config/full.yaml`.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))  # the DAG reads grids from the same core the jobs run


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/recurrent.smk"
include: "workflow/rules/names.smk"
include: "workflow/rules/music.smk"
include: "workflow/rules/embedding.smk"
include: "workflow/rules/word2vec.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        REPORT_HTML,

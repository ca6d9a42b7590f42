# Name -> gender (many-to-one): aggregation of the runs the shared `train` rule writes.
from rnnbench.report.names import OUTPUTS as NAMES_OUTPUTS


rule aggregate_names:
    input:
        all_runs("names"),
    output:
        **aggregation_output(NAMES_OUTPUTS),
    params:
        outdir=f"{RESULTS}",
    log:
        f"{RESULTS}/logs/aggregate/names.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.report.names --outdir {params.outdir} --scale {config[scale]} {input} > {log} 2>&1"


if RUNS["names"]:
    REPORT_INPUTS["names"] = rules.aggregate_names.output
    REPORT_RECORDS["names"] = all_runs("names")

# Name -> gender (many-to-one): aggregation of the runs the shared `train` rule writes.


rule aggregate_names:
    input:
        all_runs("names"),
    output:
        runs=f"{RESULTS}/tables/names_runs.csv",
        accuracy=report(f"{RESULTS}/tables/names_accuracy.csv", caption="../report/names_accuracy.rst",
                        category="Name to gender"),
        verdicts=f"{RESULTS}/tables/verdicts_names.csv",  # header only: no source figure
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

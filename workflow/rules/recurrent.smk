# Recurrent study: one job per (grid entry, cell, variant, seed); see rnnbench.grid.
# The `train` rule serves every sequence-model family (recurrent, names, music, embedding).
from rnnbench.report.recurrent import OUTPUTS as RECURRENT_OUTPUTS

# the prepared file each task reads (rnnbench.data.tasks); tasks without one are generated inside the job
TASK_DATA = {name: (lambda t=t: f"{DATA}/prepared/{t.prepared_file(config)}") for name, t in TASKS.items() if t.prepared}


def train_data(wildcards):
    task = RUNS[wildcards.family][wildcards.run]["task"]
    return TASK_DATA[task]() if task in TASK_DATA else []


def all_runs(family):
    return expand(f"{RESULTS}/{family}/{{run}}/metrics.json", run=list(RUNS[family]))


rule train:
    input:
        data=train_data,
    output:
        metrics=f"{RESULTS}/{{family}}/{{run}}/metrics.json",
        history=f"{RESULTS}/{{family}}/{{run}}/history.csv",
    params:
        spec=lambda w: json.dumps(RUNS[w.family][w.run]),
        outdir=lambda w: f"{RESULTS}/{w.family}/{w.run}",
        data=lambda w, input: input.data or "none",
    log:
        f"{RESULTS}/logs/{{family}}/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{family}}/{{run}}.tsv"
    wildcard_constraints:
        family=one_of(SEQUENCE_FAMILIES),
        run=one_of([r for fam in RUNS.values() for r in fam]),
    threads: config["threads"]
    resources:
        mem_mb=3000,
        runtime=lambda w: 240 if config["scale"] == "full" else 30,
        gpu=gpu_resource,
    shell:
        "{PYTHON} -m rnnbench.train --spec {params.spec:q} --data {params.data} "
        "--outdir {params.outdir} --device {config[device]} --threads {threads} > {log} 2>&1"


rule aggregate_recurrent:
    input:
        all_runs("recurrent"),
    output:
        **aggregation_output(RECURRENT_OUTPUTS, grid=sorted({s["grid"] for s in RECURRENT.values()})),
    params:
        outdir=f"{RESULTS}",
    log:
        f"{RESULTS}/logs/aggregate/recurrent.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.report.recurrent --outdir {params.outdir} --scale {config[scale]} {input} > {log} 2>&1"


if RECURRENT:
    REPORT_INPUTS["recurrent"] = rules.aggregate_recurrent.output
    REPORT_RECORDS["recurrent"] = all_runs("recurrent")

# Recurrent study: one job per (grid entry, cell, variant, seed); see rnnbench.grid.

TASK_DATA = {
    "har": lambda: f"{DATA}/prepared/har-{config['har']['source']}.npz",
    "adding": lambda: [],  # generated from the run's seed inside the job
    "mnist": lambda: f"{DATA}/prepared/mnist.npz",
    "pmnist": lambda: f"{DATA}/prepared/mnist.npz",
}


def recurrent_data(wildcards):
    return TASK_DATA[RECURRENT[wildcards.run]["task"]]()


rule train_recurrent:
    input:
        data=recurrent_data,
    output:
        metrics=f"{RESULTS}/recurrent/{{run}}/metrics.json",
        history=f"{RESULTS}/recurrent/{{run}}/history.csv",
    params:
        spec=lambda w: json.dumps(RECURRENT[w.run]),
        outdir=lambda w: f"{RESULTS}/recurrent/{w.run}",
        data=lambda w, input: input.data or "none",
        source=config["har"]["source"],
    log:
        f"{RESULTS}/logs/recurrent/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/recurrent/{{run}}.tsv"
    wildcard_constraints:
        run=one_of(RECURRENT),
    threads: config["threads"]
    resources:
        mem_mb=3000,
        runtime=lambda w: 240 if config["scale"] == "full" else 30,
        gpu=gpu_resource,
    shell:
        "python -m rnnbench.train --spec {params.spec:q} --data {params.data} "
        "--outdir {params.outdir} --device {config[device]} --threads {threads} > {log} 2>&1"


rule aggregate_recurrent:
    input:
        expand(f"{RESULTS}/recurrent/{{run}}/metrics.json", run=list(RECURRENT)),
    output:
        runs=f"{RESULTS}/tables/recurrent_runs.csv",
        summary=f"{RESULTS}/tables/recurrent_summary.csv",
        verdicts=f"{RESULTS}/tables/verdicts_recurrent.csv",
    params:
        outdir=f"{RESULTS}",
    log:
        f"{RESULTS}/logs/aggregate/recurrent.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "python -m rnnbench.report.recurrent --outdir {params.outdir} --scale {config[scale]} {input} > {log} 2>&1"


if RECURRENT:
    REPORT_INPUTS["recurrent"] = rules.aggregate_recurrent.output

# Recurrent study: one job per arm (grid entry, cell, variant: its seeds together); see rnnbench.grid.
# The `train` rule serves every sequence-model family (recurrent, names, music, embedding).

from rnnbench.grid import group_resources
from rnnbench.grid import groups as group_runs
from rnnbench.train import copy_member_record

# prepared file(s) each task reads; tasks not listed are generated inside the job
TASK_DATA = {
    "har": lambda: f"{DATA}/prepared/har-{config['har']['source']}.npz",
    "mnist": lambda: f"{DATA}/prepared/mnist.npz",
    "pmnist": lambda: f"{DATA}/prepared/mnist.npz",
    "names": lambda: f"{DATA}/prepared/names.npz",
    "music": lambda: f"{DATA}/prepared/music.npz",
    "imdb": lambda: f"{DATA}/prepared/imdb.npz",
}


# The seeds of one arm (runs that differ only in their seed) train in one job, as one stacked
# model where they can (rnnbench.grid.groups, rnnbench.train.run_group); the job writes each seed's
# record under groups/, and `member` copies it to the run's own folder, where readers find it.
GROUPS = {fam: group_runs(RUNS[fam]) for fam in SEQUENCE_FAMILIES}
GROUP_OF = {fam: {rid: gid for gid, g in GROUPS[fam].items() for rid in g["run_ids"]} for fam in SEQUENCE_FAMILIES}


def train_data(wildcards):
    task = GROUPS[wildcards.family][wildcards.group]["task"]
    return TASK_DATA[task]() if task in TASK_DATA else []


def group_resource(key):
    return lambda w: group_resources(GROUPS[w.family][w.group], config["threads"], config["scale"])[key]


def all_runs(family):
    return expand(f"{RESULTS}/{family}/{{run}}/metrics.json", run=list(RUNS[family]))


rule train:
    input:
        data=train_data,
    output:
        directory(f"{RESULTS}/groups/{{family}}/{{group}}"),
    params:
        spec=lambda w: json.dumps(GROUPS[w.family][w.group]),
        outdir=lambda w: f"{RESULTS}/groups/{w.family}",
        data=lambda w, input: input.data or "none",
    log:
        f"{RESULTS}/logs/{{family}}/{{group}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{family}}/{{group}}.tsv"
    wildcard_constraints:
        family=one_of(SEQUENCE_FAMILIES),
        group=one_of([g for fam in GROUPS.values() for g in fam]),
    threads: group_resource("threads")
    resources:
        mem_mb=group_resource("mem_mb"),
        runtime=group_resource("runtime"),
        gpu=gpu_resource,
    shell:
        "python -m rnnbench.train --spec {params.spec:q} --data {params.data} "
        "--outdir {params.outdir} --device {config[device]} --threads {threads} > {log} 2>&1"


localrules: member


rule member:
    input:
        lambda w: f"{RESULTS}/groups/{w.family}/{GROUP_OF[w.family][w.run]}",
    output:
        metrics=f"{RESULTS}/{{family}}/{{run}}/metrics.json",
        history=f"{RESULTS}/{{family}}/{{run}}/history.csv",
    params:
        staged=lambda w: f"{RESULTS}/groups/{w.family}/{w.run}",
    wildcard_constraints:
        family=one_of(SEQUENCE_FAMILIES),
        run=one_of([r for fam in RUNS.values() for r in fam]),
    run:
        copy_member_record(params.staged, output.metrics, output.history)


rule aggregate_recurrent:
    input:
        all_runs("recurrent"),
    output:
        runs=f"{RESULTS}/tables/recurrent_runs.csv",
        summary=report(f"{RESULTS}/tables/recurrent_summary.csv", caption="../report/recurrent_summary.rst",
                       category="Recurrent study"),
        verdicts=report(f"{RESULTS}/tables/verdicts_recurrent.csv", caption="../report/verdicts.rst",
                        category="Verdicts"),
        har=report(f"{RESULTS}/tables/har_accuracy.csv", caption="../report/har_accuracy.rst",
                   category="Recurrent study"),
        params_table=report(f"{RESULTS}/tables/har_params.csv", caption="../report/har_params.rst",
                            category="Recurrent study"),
        talathi=report(f"{RESULTS}/tables/irnn_nprnn_lstm.csv", caption="../report/irnn_nprnn_lstm.rst",
                       category="Long-term dependencies"),
        adding=report(f"{RESULTS}/tables/adding.csv", caption="../report/adding.rst",
                      category="Long-term dependencies"),
        torch_vs_keras=report(f"{RESULTS}/tables/torch_vs_keras.csv", caption="../report/torch_vs_keras.rst",
                              category="Recurrent study"),
        variants=report(f"{RESULTS}/tables/cell_variants.csv", caption="../report/cell_variants.rst",
                        category="Recurrent study"),
        grad=report(f"{RESULTS}/figures/grad_vs_distance.png", caption="../report/grad_vs_distance.rst",
                    category="Long-term dependencies"),
        gk=report(f"{RESULTS}/figures/gk_vs_distance.png", caption="../report/gk_vs_distance.rst",
                  category="Long-term dependencies"),
        highway=report(f"{RESULTS}/figures/highway_vs_distance.png", caption="../report/highway_vs_distance.rst",
                       category="Long-term dependencies"),
        gradnorm=report(f"{RESULTS}/figures/recurrent_grad_norm.png", caption="../report/grad_norm.rst",
                        category="Recurrent study"),
        curves=report(expand(f"{RESULTS}/figures/recurrent_curves_{{grid}}.png",
                             grid=sorted({s["grid"] for s in RECURRENT.values()})),
                      caption="../report/curves.rst", category="Recurrent study"),
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
    REPORT_RECORDS["recurrent"] = all_runs("recurrent")

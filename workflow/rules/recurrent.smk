# Recurrent study: one job per arm (grid entry, cell, variant: its seeds together); see rnnbench.grid.
# The `train` rule serves every sequence-model family (recurrent, names, music, embedding).
from rnnbench.report.recurrent import OUTPUTS as RECURRENT_OUTPUTS

from rnnbench.grid import group_resources, stage_prefix, staged
from rnnbench.grid import groups as group_runs

# the prepared file each task reads (rnnbench.data.tasks); tasks without one are generated inside the job
TASK_DATA = {name: (lambda t=t: f"{DATA}/prepared/{t.prepared_file(config)}") for name, t in TASKS.items() if t.prepared}


# The seeds of one arm (runs that differ only in their seed) train in one job, as one stacked
# model where they can (rnnbench.grid.groups, rnnbench.train.run_group); the job writes each seed's
# record under groups/, and `member` copies it to the run's own folder, where readers find it.
# A run that two grid entries name (the same settings and seed) trains once: the other name is an
# alias, whose record `member_alias` copies under its own run id. `seeds_per_job: N` splits an arm's
# seeds into jobs of at most N (rnnbench.grid.split), for machines with more cores than arms.
GROUPS = {fam: group_runs(RUNS[fam], config.get("seeds_per_job")) for fam in SEQUENCE_FAMILIES}
ALIAS_OF = {fam: {a: rid for g in GROUPS[fam].values() for a, rid in g.get("aliases", {}).items()}
            for fam in SEQUENCE_FAMILIES}
GROUP_OF = {fam: {rid: gid for gid, g in GROUPS[fam].items() for rid in [*g["run_ids"], *g.get("aliases", {})]}
            for fam in SEQUENCE_FAMILIES}
# where each trained run's record is staged, under groups/<family>/ (inside its job's output folder)
STAGED = {fam: {rid: path for gid, g in GROUPS[fam].items() for rid, path in staged(gid, g).items()}
          for fam in SEQUENCE_FAMILIES}


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
        outdir=lambda w: "/".join(filter(None, [f"{RESULTS}/groups/{w.family}",
                                                 stage_prefix(w.group, GROUPS[w.family][w.group])])),
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
        "{PYTHON} -m rnnbench.train --spec {params.spec:q} --data {params.data} "
        "--outdir {params.outdir} --device {config[device]} --threads {threads} > {log} 2>&1"


localrules: member, member_alias


rule member:
    input:
        lambda w: f"{RESULTS}/groups/{w.family}/{GROUP_OF[w.family][w.run]}",
    output:
        metrics=f"{RESULTS}/{{family}}/{{run}}/metrics.json",
        history=f"{RESULTS}/{{family}}/{{run}}/history.csv",
    params:
        staged=lambda w: f"{RESULTS}/groups/{w.family}/{STAGED[w.family][w.run]}",
        dest=lambda w: f"{RESULTS}/{w.family}/{w.run}",
    wildcard_constraints:
        family=one_of(SEQUENCE_FAMILIES),
        run=one_of([r for fam in SEQUENCE_FAMILIES for r in RUNS[fam] if r not in ALIAS_OF[fam]]),
    # A shell command, not a run: block: Snakemake runs a run: block by starting a second Snakemake that
    # parses the whole workflow again (13 s a member on 2 busy cores, for 200+ members a default run),
    # where two copies take milliseconds. Each file is copied beside its destination, then renamed onto it.
    shell:
        "for f in metrics.json history.csv; do "
        "  src={params.staged:q}/$f; dst={params.dest:q}/$f; "
        "  test -f \"$src\" || {{ echo \"the group's job wrote no $f for this run (expected $src)\" >&2; exit 1; }}; "
        "  cp \"$src\" \"$dst.part\" && mv \"$dst.part\" \"$dst\"; "
        "done"


rule member_alias:
    input:
        lambda w: f"{RESULTS}/groups/{w.family}/{GROUP_OF[w.family][w.run]}",
    output:
        metrics=f"{RESULTS}/{{family}}/{{run}}/metrics.json",
        history=f"{RESULTS}/{{family}}/{{run}}/history.csv",
    params:
        trained=lambda w: f"{RESULTS}/groups/{w.family}/{STAGED[w.family][ALIAS_OF[w.family][w.run]]}",
        dest=lambda w: f"{RESULTS}/{w.family}/{w.run}",
        spec=lambda w: json.dumps(RUNS[w.family][w.run]),
    wildcard_constraints:
        family=one_of(SEQUENCE_FAMILIES),
        run=one_of([r for fam in SEQUENCE_FAMILIES for r in ALIAS_OF[fam]]),
    shell:
        "{PYTHON} -m rnnbench.records alias {params.trained:q} {params.dest:q} --spec {params.spec:q}"


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

# Report: render reports/report.py (Quarto percent script) into one self-contained HTML file, from
# the declared tables/figures (REPORT_INPUTS) and run records (REPORT_RECORDS) alone.

REPORT_HTML = f"{RESULTS}/report/report.html"


rule claims_forest:
    input:
        claims=f"{RESULTS}/tables/claims.csv",
    output:
        report(f"{RESULTS}/figures/claims_forest.png", caption="../report/claims_forest.rst", category="Claims"),
    log:
        f"{RESULTS}/logs/aggregate/claims_forest.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "{PYTHON} -m rnnbench.report.forest --claims {input.claims} --out {output} > {log} 2>&1"


REPORT_INPUTS["forest"] = rules.claims_forest.output


def sequence_records(_wildcards=None):
    """The run records of the sequence-model families (the grids a user adds are among them)."""
    return [str(p) for fam in SEQUENCE_FAMILIES for p in REPORT_RECORDS.get(fam, []) if str(p).endswith("metrics.json")]


rule aggregate_own_grids:
    input:
        sequence_records,
    output:
        table=report(f"{RESULTS}/tables/own_grids.csv", caption="../report/own_grids.rst", category="Your grids"),
        curves=report(f"{RESULTS}/figures/own_grids_curves.png", caption="../report/own_grids.rst",
                      category="Your grids"),
    log:
        f"{RESULTS}/logs/aggregate/own_grids.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.report.own_grids --outdir {RESULTS} --scale {config[scale]} {input} > {log} 2>&1"


if any(RUNS[fam] for fam in SEQUENCE_FAMILIES):
    REPORT_INPUTS["own_grids"] = rules.aggregate_own_grids.output


def report_files(registry):
    """Every path a family registered in REPORT_INPUTS or REPORT_RECORDS, in registration order."""
    return [str(path) for paths in registry.values() for path in paths]


rule report:
    input:
        tables=lambda w: report_files(REPORT_INPUTS),
        records=lambda w: report_files(REPORT_RECORDS),
        source="reports/report.py",
    output:
        html=REPORT_HTML,
    params:
        engine=config["report"]["engine"],
        config_json=lambda w: json.dumps(config),
    log:
        f"{RESULTS}/logs/report.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "{PYTHON} -m rnnbench.report.render --source {input.source} --results {RESULTS} "
        "--engine {params.engine} --config-json {params.config_json:q} --out {output.html} "
        "--tables {input.tables} --records {input.records} > {log} 2>&1"

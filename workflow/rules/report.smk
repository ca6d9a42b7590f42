# Report: render reports/report.py (Quarto percent script) into one self-contained HTML file, from
# the declared tables/figures (REPORT_INPUTS) and run records (REPORT_RECORDS) alone.

REPORT_HTML = f"{RESULTS}/report/report.html"


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

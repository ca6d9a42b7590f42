# Report: render reports/report.py (Quarto percent script) into one self-contained HTML file.

REPORT_HTML = f"{RESULTS}/report/report.html"


rule report:
    input:
        [path for paths in REPORT_INPUTS.values() for path in paths],
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
        "python -m rnnbench.report.render --source {input.source} --results {RESULTS} "
        "--engine {params.engine} --config-json {params.config_json:q} --out {output.html} > {log} 2>&1"

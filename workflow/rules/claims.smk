# Claims: every claim of the lecture in the register (rnnbench.claims.register) decided from the run records
# of every family (REPORT_RECORDS): supported / contradicted / undecided / not run, with evidence.
# Included after the families' rule files (they register their records) and before report.smk.


def claim_records(_wildcards=None):
    return [str(p) for paths in REPORT_RECORDS.values() for p in paths if str(p).endswith("metrics.json")]


rule aggregate_claims:
    input:
        claim_records,
    output:
        claims=report(f"{RESULTS}/tables/claims.csv", caption="../report/claims.rst", category="Claims"),
        runs=f"{RESULTS}/tables/claims_runs.csv",
    log:
        f"{RESULTS}/logs/aggregate/claims.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.claims.engine --outdir {RESULTS} --scale {config[scale]} {input} > {log} 2>&1"


REPORT_INPUTS["claims"] = rules.aggregate_claims.output

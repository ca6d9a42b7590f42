# IMDb embedding strategies (scratch / frozen / fine-tuned word2vec): aggregation of the runs the shared `train` rule writes.


rule aggregate_embedding:
    input:
        all_runs("embedding"),
    output:
        runs=f"{RESULTS}/tables/embedding_runs.csv",
        accuracy=report(f"{RESULTS}/tables/embedding_accuracy.csv", caption="../report/embedding_accuracy.rst",
                        category="Embedding layer (IMDb)"),
        data=report(f"{RESULTS}/tables/embedding_data.csv", caption="../report/embedding_data.rst",
                    category="Embedding layer (IMDb)"),
        verdicts=f"{RESULTS}/tables/verdicts_embedding.csv",  # header only: no source figure
    params:
        outdir=f"{RESULTS}",
    log:
        f"{RESULTS}/logs/aggregate/embedding.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.report.embedding --outdir {params.outdir} --scale {config[scale]} {input} > {log} 2>&1"


if RUNS["embedding"]:
    REPORT_INPUTS["embedding"] = rules.aggregate_embedding.output
    REPORT_RECORDS["embedding"] = all_runs("embedding")

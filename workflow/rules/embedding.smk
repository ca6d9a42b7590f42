# IMDb embedding strategies (scratch / frozen / fine-tuned word2vec): aggregation of the runs the shared `train` rule writes.
from rnnbench.report.embedding import OUTPUTS as EMBEDDING_OUTPUTS


rule aggregate_embedding:
    input:
        all_runs("embedding"),
    output:
        **aggregation_output(EMBEDDING_OUTPUTS),
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

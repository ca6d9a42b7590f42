# Polyphonic music (Chung et al. 2014): aggregation of the runs the shared `train` rule writes.
from rnnbench.report.music import OUTPUTS as MUSIC_OUTPUTS


rule aggregate_music:
    input:
        all_runs("music"),
    output:
        **aggregation_output(MUSIC_OUTPUTS),
    params:
        outdir=f"{RESULTS}",
    log:
        f"{RESULTS}/logs/aggregate/music.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.report.music --outdir {params.outdir} --scale {config[scale]} {input} > {log} 2>&1"


if RUNS["music"]:
    REPORT_INPUTS["music"] = rules.aggregate_music.output
    REPORT_RECORDS["music"] = all_runs("music")

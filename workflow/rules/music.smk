# Polyphonic music (Chung et al. 2014): aggregation of the runs the shared `train` rule writes.


rule aggregate_music:
    input:
        all_runs("music"),
    output:
        runs=f"{RESULTS}/tables/music_runs.csv",
        nll=report(f"{RESULTS}/tables/music_nll.csv", caption="../report/music_nll.rst", category="Polyphonic music"),
        ranking=report(f"{RESULTS}/tables/music_ranking.csv", caption="../report/music_ranking.rst",
                       category="Polyphonic music"),
        figure=report(f"{RESULTS}/figures/music_nll.png", caption="../report/music_figure.rst",
                      category="Polyphonic music"),
        verdicts=report(f"{RESULTS}/tables/verdicts_music.csv", caption="../report/verdicts.rst", category="Verdicts"),
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

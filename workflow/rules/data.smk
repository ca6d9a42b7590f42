# Data: fetch (mirror, then the canonical URL; verified) and prepare to one compact file per task.


rule fetch:
    output:
        manifest=f"{DATA}/raw/{{dataset}}/SHA256SUMS",
    params:
        mirror=f"--mirror {MIRROR}" if MIRROR else "",
    log:
        f"{RESULTS}/logs/fetch/{{dataset}}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    shell:
        "python -m rnnbench.data.fetch {wildcards.dataset} {DATA}/raw/{wildcards.dataset} "
        "{params.mirror} --manifest {output.manifest} > {log} 2>&1"


HAR_RAW = {"uci": "har-uci", "hapt": "hapt"}


rule prepare_har:
    input:
        lambda w: f"{DATA}/raw/{HAR_RAW[w.source]}/SHA256SUMS",
    output:
        f"{DATA}/prepared/har-{{source}}.npz",
    params:
        raw=lambda w: f"{DATA}/raw/{HAR_RAW[w.source]}",
        val=config["har"]["val_subjects"],
        seed=config["har"]["split_seed"],
    log:
        f"{RESULTS}/logs/prepare/har-{{source}}.log",
    wildcard_constraints:
        source="uci|hapt",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        "python -m rnnbench.data.har --source {wildcards.source} --raw {params.raw} --out {output} "
        "--val-subjects {params.val} --seed {params.seed} > {log} 2>&1"


rule prepare_mnist:
    input:
        f"{DATA}/raw/mnist/SHA256SUMS",
    output:
        f"{DATA}/prepared/mnist.npz",
    log:
        f"{RESULTS}/logs/prepare/mnist.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "python -m rnnbench.data.mnist --raw {DATA}/raw/mnist --out {output} > {log} 2>&1"

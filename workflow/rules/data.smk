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
        "{PYTHON} -m rnnbench.data.fetch {wildcards.dataset} {DATA}/raw/{wildcards.dataset} "
        "{params.mirror} --manifest {output.manifest} > {log} 2>&1"


def prepared(task):
    """A task's prepared file (its pattern: HAR's holds {source}), as rnnbench.data.tasks declares it."""
    return f"{DATA}/prepared/{TASKS[task].prepared}"


def raw_dir(task, source=None):
    """The fetched raw dataset a task's prepared file is made from."""
    return f"{DATA}/raw/{TASKS[task].raw_dataset(source)}"


rule prepare_har:
    input:
        lambda w: f"{raw_dir('har', w.source)}/SHA256SUMS",
    output:
        prepared("har"),
    params:
        raw=lambda w: raw_dir("har", w.source),
        val=config["har"]["val_subjects"],
        seed=config["har"]["split_seed"],
    log:
        f"{RESULTS}/logs/prepare/har-{{source}}.log",
    wildcard_constraints:
        source=one_of(TASKS["har"].sources),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        "{PYTHON} -m rnnbench.data.har --source {wildcards.source} --raw {params.raw} --out {output} "
        "--val-subjects {params.val} --seed {params.seed} > {log} 2>&1"


rule prepare_mnist:
    input:
        f"{raw_dir('mnist')}/SHA256SUMS",
    output:
        prepared("mnist"),
    params:
        raw=raw_dir("mnist"),
    log:
        f"{RESULTS}/logs/prepare/mnist.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "{PYTHON} -m rnnbench.data.mnist --raw {params.raw} --out {output} > {log} 2>&1"


rule prepare_names:
    input:
        f"{raw_dir('names')}/SHA256SUMS",
    output:
        prepared("names"),
    params:
        raw=raw_dir("names"),
        test=config["names_data"]["test_fraction"],
        val=config["names_data"]["val_fraction"],
        seed=config["names_data"]["split_seed"],
    log:
        f"{RESULTS}/logs/prepare/names.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "{PYTHON} -m rnnbench.data.names --raw {params.raw} --out {output} --test-fraction {params.test} "
        "--val-fraction {params.val} --seed {params.seed} > {log} 2>&1"


rule prepare_music:
    input:
        f"{raw_dir('music')}/SHA256SUMS",
    output:
        prepared("music"),
    params:
        raw=raw_dir("music"),
    log:
        f"{RESULTS}/logs/prepare/music.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "{PYTHON} -m rnnbench.data.music --raw {params.raw} --out {output} > {log} 2>&1"


def imdb_vectors(_wildcards=None):
    """The word vectors file behind the frozen/finetuned embeddings (see config `imdb.vectors`):
    a word2vec run of this config (its vectors.bin, written before its metrics.json), a path, or none."""
    v = config["imdb"].get("vectors")
    if v is None:
        return None
    if isinstance(v, str):
        return v
    run = word2vec_run_id({**v, "seed": v.get("seed", 1)})
    if run not in W2V_RUNS:
        raise ValueError(f"imdb.vectors names the word2vec run {run!r}, which the word2vec grid of this "
                            f"config does not hold ({', '.join(W2V_RUNS) or 'no runs'})")
    return f"{RESULTS}/word2vec/{W2V_TAG}/{run}/vectors.bin"


def imdb_vectors_input(_wildcards):
    # depend on the word2vec run's record, which that run writes after its vectors
    path = imdb_vectors()
    if path is None:
        return []
    return str(Path(path).with_name("metrics.json")) if isinstance(config["imdb"]["vectors"], dict) else path


rule prepare_imdb:
    input:
        raw=f"{raw_dir('imdb')}/SHA256SUMS",
        vectors=imdb_vectors_input,
    output:
        prepared("imdb"),
    params:
        raw=raw_dir("imdb"),
        n_train=config["imdb"]["n_train"],
        n_val=config["imdb"]["n_val"],
        n_test=config["imdb"]["n_test"],
        max_len=config["imdb"]["max_len"],
        vocab_size=config["imdb"]["vocab_size"],
        seed=config["imdb"]["split_seed"],
        vectors=lambda w: f"--vectors {imdb_vectors()}" if imdb_vectors() else "",
    log:
        f"{RESULTS}/logs/prepare/imdb.log",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=15,
    shell:
        "{PYTHON} -m rnnbench.data.imdb --raw {params.raw} --out {output} --n-train {params.n_train} "
        "--n-val {params.n_val} --n-test {params.n_test} --max-len {params.max_len} "
        "--vocab-size {params.vocab_size} --seed {params.seed} {params.vectors} > {log} 2>&1"

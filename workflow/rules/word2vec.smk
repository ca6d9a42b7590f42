# word2vec study: prepare the corpus prefix once, one job per (impl, arch, loss, seed), aggregate.
# Both implementations read the same prepared file and are evaluated by the same code.

W2V = config.get("word2vec") or {}
# the file each corpus dataset's fetch step verifies
W2V_CORPUS_FILES = {"text8": "text8", "offline-english": "offline-english.txt"}
W2V_PREFIX = W2V.get("prefix_tokens")
W2V_TAG = f"{W2V.get('corpus', 'text8')}-{W2V_PREFIX if W2V_PREFIX else 'all'}"
W2V_GRID = expand_word2vec_grid(W2V)  # run id -> {impl, arch, loss, seed}: rnnbench.grid, as every family
W2V_RUNS = list(W2V_GRID)
W2V_PARAMS = {k: W2V[k] for k in ("vector_size", "window", "min_count", "sample", "negative", "ns_exponent",
                                  "alpha", "min_alpha", "alpha_decay", "epochs", "workers", "batch_words") if k in W2V}


def w2v_run(wildcards):
    return W2V_GRID[wildcards.run]


rule prepare_word2vec_corpus:
    input:
        f"{DATA}/raw/{{corpus}}/SHA256SUMS",
    output:
        f"{DATA}/prepared/word2vec/{{corpus}}-{{prefix}}.txt",
    params:
        src=lambda w: f"{DATA}/raw/{w.corpus}/{W2V_CORPUS_FILES[w.corpus]}",
        prefix=lambda w: "" if w.prefix == "all" else f"--prefix {w.prefix}",
        line_tokens=W2V.get("line_tokens", 1000),
    log:
        f"{RESULTS}/logs/prepare/word2vec-{{corpus}}-{{prefix}}.log",
    wildcard_constraints:
        corpus=one_of(W2V_CORPUS_FILES),
        prefix=r"all|[0-9]+",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "python -m rnnbench.word2vec.corpus {params.src} {output} {params.prefix} "
        "--line-tokens {params.line_tokens} > {log} 2>&1"


rule train_word2vec:
    input:
        corpus=f"{DATA}/prepared/word2vec/{W2V_TAG}.txt",
        evals=f"{DATA}/raw/word-eval/SHA256SUMS",
    output:
        metrics=f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/metrics.json",
        history=f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/history.csv",
    params:
        run=w2v_run,
        outdir=lambda w: f"{RESULTS}/word2vec/{W2V_TAG}/{w.run}",
        hyper=json.dumps(W2V_PARAMS),
        kernel=W2V.get("kernel", "auto"),
        corpus=W2V.get("corpus", "text8"),
        prefix=f"--prefix {W2V_PREFIX}" if W2V_PREFIX else "",
        restrict=W2V.get("restrict_vocab", 30000),
        similar=",".join(W2V.get("similar_words", ["car"])),
        evaldir=f"{DATA}/raw/word-eval",
    log:
        f"{RESULTS}/logs/word2vec/{W2V_TAG}/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/word2vec/{W2V_TAG}/{{run}}.tsv"
    wildcard_constraints:
        run=one_of(W2V_RUNS),
    # both implementations get the same cores: a speed comparison needs them
    threads: W2V.get("workers", 2)
    resources:
        mem_mb=lambda w: 12000 if not W2V_PREFIX else 4000,
        runtime=lambda w: 240 if not W2V_PREFIX else 30,
        gpu=lambda w: gpu_resource() if w.run.startswith("ours") else 0,
    shell:
        "python -m rnnbench.word2vec.train --impl {params.run[impl]} --arch {params.run[arch]} "
        "--loss {params.run[loss]} --seed {params.run[seed]} --corpus {input.corpus} "
        "--corpus-name {params.corpus} {params.prefix} --eval-dir {params.evaldir} --outdir {params.outdir} "
        "--params {params.hyper:q} --device {config[device]} --restrict-vocab {params.restrict} "
        "--similar {params.similar} --backend {params.kernel} > {log} 2>&1"


rule aggregate_word2vec:
    input:
        expand(f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/metrics.json", run=W2V_RUNS),
    output:
        runs=f"{RESULTS}/tables/word2vec_runs.csv",
        summary=report(f"{RESULTS}/tables/word2vec_summary.csv", caption="../report/word2vec_summary.rst",
                       category="word2vec"),
        neighbours=f"{RESULTS}/tables/word2vec_neighbours.csv",
        car=report(f"{RESULTS}/tables/word2vec_car.csv", caption="../report/word2vec_car.rst", category="word2vec"),
        verdicts=report(f"{RESULTS}/tables/verdicts_word2vec.csv", caption="../report/verdicts.rst",
                        category="Verdicts"),
        quality_speed=report(f"{RESULTS}/figures/word2vec_quality_speed.png",
                             caption="../report/word2vec_quality_speed.rst", category="word2vec"),
        pca=report(expand(f"{RESULTS}/figures/word2vec_pca_{{group}}.png",
                          group=["male_female", "verb_tense", "country_capital"]),
                   caption="../report/word2vec_pca.rst", category="word2vec"),
    params:
        outdir=RESULTS,
        scale=config["scale"],
    log:
        f"{RESULTS}/logs/aggregate/word2vec.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "python -m rnnbench.report.word2vec --outdir {params.outdir} --scale {params.scale} {input} > {log} 2>&1"


if W2V_RUNS:
    REPORT_INPUTS["word2vec"] = rules.aggregate_word2vec.output
    REPORT_RECORDS["word2vec"] = rules.aggregate_word2vec.input

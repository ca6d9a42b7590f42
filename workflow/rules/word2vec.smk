# word2vec study: prepare the corpus prefix once, one job per group (impl, arch, loss, sample: its seeds
# together, as the sequence families' arms), the full softmax's step time against HS and NS (one job),
# aggregate. Every implementation reads the same prepared file and is evaluated by the same code.
from rnnbench.grid import word2vec_groups
from rnnbench.report.word2vec import OUTPUTS as WORD2VEC_OUTPUTS

W2V = config.get("word2vec") or {}
# the file each corpus dataset's fetch step verifies
W2V_CORPUS_FILES = {"text8": "text8", "offline-english": "offline-english.txt"}
W2V_PREFIX = W2V.get("prefix_tokens")
W2V_TAG = f"{W2V.get('corpus', 'text8')}-{W2V_PREFIX if W2V_PREFIX else 'all'}"
W2V_GRID = expand_word2vec_grid(W2V)  # run id -> {impl, arch, loss, sample, seed}: rnnbench.grid, as every family
W2V_RUNS = list(W2V_GRID)
# The seeds of one group train in one job, one after another (rnnbench.word2vec.train.run_group: the
# start-up, the corpus read and our vocabulary and encoding once), each seed's files staged inside the
# job's own folder, groups/word2vec/<tag>/<job id>/<run id>; `word2vec_member` puts them in the run's
# own folder, where readers find them. `seeds_per_job` splits a group as it splits an arm
# (rnnbench.grid.split: job ids seeds<first>-<last>/<group id>).
W2V_JOBS = word2vec_groups(W2V_GRID, config.get("seeds_per_job"))
W2V_JOB_OF = {rid: jid for jid, g in W2V_JOBS.items() for rid in g["run_ids"]}
W2V_GROUPS_DIR = f"{RESULTS}/groups/word2vec/{W2V_TAG}"
# hyper-parameters every run shares; each run adds its own sample (a grid axis)
W2V_PARAMS = {k: W2V[k] for k in ("vector_size", "window", "min_count", "negative", "ns_exponent",
                                  "alpha", "min_alpha", "alpha_decay", "epochs", "workers", "batch_words") if k in W2V}
W2V_COST = W2V.get("softmax_cost") if W2V_RUNS else None
W2V_FIRST = next(iter(W2V_GRID.values()), {})  # the main grid's first run: its sample and seed time the steps
W2V_COST_RECORD = f"{RESULTS}/word2vec/{W2V_TAG}/softmax-cost/metrics.json"


def w2v_cost_threads():
    """Every core Snakemake has (--cores); a run without a total (a cluster profile) has none to hold:
    the word2vec workers then, and the record says what ran beside it."""
    try:
        return max(int(workflow.cores), int(W2V.get("workers", 2)))
    except Exception:   # WorkflowError: no --cores given
        return W2V.get("workers", 2)


def w2v_job(wildcards):
    return W2V_JOBS[wildcards.job]


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
        "{PYTHON} -m rnnbench.word2vec.corpus {params.src} {output} {params.prefix} "
        "--line-tokens {params.line_tokens} > {log} 2>&1"


rule train_word2vec:
    input:
        corpus=f"{DATA}/prepared/word2vec/{W2V_TAG}.txt",
        evals=f"{DATA}/raw/word-eval/SHA256SUMS",
    output:
        directory(f"{W2V_GROUPS_DIR}/{{job}}"),
    params:
        run=w2v_job,
        seeds=lambda w: ",".join(str(s) for s in W2V_JOBS[w.job]["seeds"]),
        outdir=lambda w: f"{W2V_GROUPS_DIR}/{w.job}",
        hyper=lambda w: json.dumps({**W2V_PARAMS, "sample": W2V_JOBS[w.job]["sample"]}),
        kernel=W2V.get("kernel", "auto"),
        corpus=W2V.get("corpus", "text8"),
        prefix=f"--prefix {W2V_PREFIX}" if W2V_PREFIX else "",
        restrict=W2V.get("restrict_vocab", 30000),
        similar=",".join(W2V.get("similar_words", ["car"])),
        evaldir=f"{DATA}/raw/word-eval",
    log:
        f"{RESULTS}/logs/word2vec/{W2V_TAG}/{{job}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/word2vec/{W2V_TAG}/{{job}}.tsv"
    wildcard_constraints:
        job=one_of(W2V_JOBS),
    # both implementations get the same cores: a speed comparison needs them
    threads: W2V.get("workers", 2)
    # memory: the corpus and its encoding once, one seed's model at a time; runtime: the seeds one after another
    resources:
        mem_mb=lambda w: 12000 if not W2V_PREFIX else 4000,
        runtime=lambda w: (240 if not W2V_PREFIX else 30) * len(W2V_JOBS[w.job]["seeds"]),
        gpu=lambda w: gpu_resource() if W2V_JOBS[w.job]["impl"] == "ours" else 0,
    shell:
        "{PYTHON} -m rnnbench.word2vec.train --impl {params.run[impl]} --arch {params.run[arch]} "
        "--loss {params.run[loss]} --seeds {params.seeds} --corpus {input.corpus} "
        "--corpus-name {params.corpus} {params.prefix} --eval-dir {params.evaldir} --outdir {params.outdir} "
        "--params {params.hyper:q} --device {config[device]} --restrict-vocab {params.restrict} "
        "--similar {params.similar} --kernel {params.kernel} > {log} 2>&1"


localrules: word2vec_member


rule word2vec_member:
    input:
        lambda w: f"{W2V_GROUPS_DIR}/{W2V_JOB_OF[w.run]}",
    output:
        metrics=f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/metrics.json",
        history=f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/history.csv",
    params:
        staged=lambda w: f"{W2V_GROUPS_DIR}/{W2V_JOB_OF[w.run]}/{w.run}",
        dest=lambda w: f"{RESULTS}/word2vec/{W2V_TAG}/{w.run}",
    wildcard_constraints:
        run=one_of(W2V_RUNS),
    # as the sequence families' `member`: a shell command, each file beside its destination, then renamed
    # onto it; hard-linked where the file system allows, else copied (the vectors are tens of MB a run;
    # every writer of these files replaces them whole, so a link never changes under its twin), the
    # record last (the IMDb arms read a run's vectors once its record exists)
    shell:
        "for f in vectors.bin history.csv metrics.json; do "
        "  src={params.staged:q}/$f; dst={params.dest:q}/$f; "
        "  if [ ! -f \"$src\" ]; then "
        "    [ $f = vectors.bin ] && continue; "
        "    echo \"the group's job wrote no $f for this run (expected $src)\" >&2; exit 1; "
        "  fi; "
        "  {{ ln -f \"$src\" \"$dst.part\" 2>/dev/null || cp \"$src\" \"$dst.part\"; }} && mv \"$dst.part\" \"$dst\"; "
        "done"


rule word2vec_softmax_cost:
    input:
        corpus=f"{DATA}/prepared/word2vec/{W2V_TAG}.txt",
        evals=f"{DATA}/raw/word-eval/SHA256SUMS",
    output:
        metrics=W2V_COST_RECORD,
    params:
        outdir=lambda w: str(Path(W2V_COST_RECORD).parent),
        hyper=json.dumps({**W2V_PARAMS, "seed": W2V_FIRST.get("seed", 1), "sample": W2V_FIRST.get("sample", 1e-3)}),
        arch=(W2V_COST or {}).get("arch", "skipgram"),
        repeats=(W2V_COST or {}).get("repeats", 5),
        quality=lambda w: (f"--quality-tokens {W2V_COST['quality_tokens']} --eval-dir {DATA}/raw/word-eval"
                           if (W2V_COST or {}).get("quality_tokens") else ""),
        corpus=W2V.get("corpus", "text8"),
        prefix=f"--prefix {W2V_PREFIX}" if W2V_PREFIX else "",
        restrict=W2V.get("restrict_vocab", 30000),
    log:
        f"{RESULTS}/logs/word2vec/{W2V_TAG}/softmax-cost.log",
    benchmark:
        f"{RESULTS}/benchmarks/word2vec/{W2V_TAG}/softmax-cost.tsv"
    # the three losses are timed side by side in one process, and the job holds every core Snakemake
    # has, so no other job runs beside it (its record counts what did: rnnbench.word2vec.neighbours)
    threads: w2v_cost_threads()
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=lambda w: gpu_resource(),
    shell:
        "{PYTHON} -m rnnbench.word2vec.step_cost --corpus {input.corpus} --corpus-name {params.corpus} "
        "{params.prefix} --outdir {params.outdir} --params {params.hyper:q} --arch {params.arch} "
        "--repeats {params.repeats} {params.quality} --restrict-vocab {params.restrict} "
        "--device {config[device]} --cores-held {threads} > {log} 2>&1"


rule aggregate_word2vec:
    input:
        expand(f"{RESULTS}/word2vec/{W2V_TAG}/{{run}}/metrics.json", run=W2V_RUNS),
        [W2V_COST_RECORD] if W2V_COST else [],
    output:
        **aggregation_output(WORD2VEC_OUTPUTS),
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
        "{PYTHON} -m rnnbench.report.word2vec --outdir {params.outdir} --scale {params.scale} {input} > {log} 2>&1"


if W2V_RUNS:
    REPORT_INPUTS["word2vec"] = rules.aggregate_word2vec.output
    REPORT_RECORDS["word2vec"] = rules.aggregate_word2vec.input

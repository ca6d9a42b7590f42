"""Timings that do not depend on the neighbours (issue 19, item 6): what ran beside a timed job, its
record, and the claims that read timings undecided unless every timing was taken alone."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnbench import claims as C
from rnnbench.claims import engine as E
from rnnbench.word2vec import neighbours as N

ROOT = Path(__file__).resolve().parents[1]


# ---- counting the neighbours ----------------------------------------------------------------------------

@pytest.mark.parametrize("cmdline, job", [
    (["/usr/bin/python3", "-m", "rnnbench.train", "--spec", "{}"], True),
    (["python", "-mrnnbench.word2vec.train"], True),
    (["python", "-m", "pytest", "tests/test_x.py"], False),
    (["snakemake", "--cores", "2"], False),
    (["python", "script.py", "-m", "rnnbench"], False),
    ([], False),
])
def test_a_job_is_a_process_running_an_rnnbench_entry_point(cmdline, job):
    assert N._is_job(cmdline) is job


def test_another_job_on_the_machine_is_counted_and_this_jobs_own_children_are_not(tmp_path):
    # a job that is not ours: started by a shell that exits at once (so it is nobody's child here); it
    # blocks on its input until the sleep ends
    out = subprocess.run(["sh", "-c", f"sleep 20 | {sys.executable} -m rnnbench.claims.replicate --config /dev/stdin "
                                      f"> /dev/null 2>&1 & echo $!"], capture_output=True, text=True, check=True)
    other = int(out.stdout.strip())
    own = subprocess.Popen([sys.executable, "-m", "rnnbench.claims.replicate", "--config", "/dev/stdin"],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):                       # the shell's child may take a moment to exec python
            pids = N.other_job_pids()
            if other in pids:
                break
            time.sleep(0.1)
        assert other in pids and own.pid not in pids
        assert N.other_jobs() >= 1
    finally:
        own.kill()
        subprocess.run(["kill", str(other)], check=False)


def test_the_record_says_alone_only_when_every_sample_counted_none():
    def rec(samples):
        it = iter(samples)
        nb = N.Neighbours(count=lambda: next(it), load=None)    # the count alone (the load: below)
        for _ in samples:
            nb.sample()
        return nb.record(threads=2, cores_held=16)

    r = rec([0, 0, 0])
    assert r["alone"] is True and r["max"] == 0 and r["threads"] == 2 and r["cores_held"] == 16 and r["method"]
    assert rec([0, 2, 0])["alone"] is False and rec([0, 2, 0])["max"] == 2
    assert rec([0, None])["alone"] is None          # a sample that could not be taken: it does not say
    assert rec([])["alone"] is None


def _load(wall, busy, own):
    return N.LoadSample(wall, busy, own)


def test_the_other_load_is_the_machines_busy_time_less_this_jobs_per_second_merging_short_intervals():
    # 2 s of wall: the machine busy 3 CPU-s, this job 1 -> 1 other core; then 1 s with only this job busy
    s = [_load(0, 0, 0), _load(2, 3, 1), _load(3, 4, 2)]
    assert N.other_load(s) == [1.0, 0.0]
    # intervals under 0.5 s merge with the next: 0.2 + 0.4 s -> one of 0.6 s; the short tail joins the last
    s = [_load(0, 0, 0), _load(0.2, 0.2, 0.0), _load(0.6, 0.6, 0.0), _load(0.7, 0.7, 0.0)]
    assert N.other_load(s) == [1.0]
    s = [_load(0, 0, 0), _load(1, 0.5, 0), _load(1.1, 0.6, 0.1)]   # [0, 1] then a 0.1 s tail: [0, 1.1]
    assert N.other_load(s) == [round(0.5 / 1.1, 3)]
    assert N.other_load([_load(0, 0, 0), _load(1, 0.5, 0.9)]) == [0.0]   # never below 0 (tick rounding)
    assert N.other_load([_load(0, 0, 0)]) is None and N.other_load([_load(0, 0, 0), None]) is None


def test_alone_needs_no_other_job_and_no_other_load():
    def rec(counts, loads):
        c, ld = iter(counts), iter(loads)
        nb = N.Neighbours(count=lambda: next(c), load=lambda: next(ld))
        for _ in counts:
            nb.sample()
        return nb.record(threads=2, cores_held=2)

    quiet = [_load(0, 0, 0), _load(1, 2.1, 2.0), _load(2, 4.2, 4.0)]       # 0.1 of a core beside: alone
    busy = [_load(0, 0, 0), _load(1, 2.1, 2.0), _load(2, 5.0, 4.0)]        # a second interval with 0.9
    r = rec([0, 0, 0], quiet)
    assert r["alone"] is True and r["other_cores"] == [0.1, 0.1] and r["other_cores_max"] == 0.1
    r = rec([0, 0, 0], busy)
    assert r["alone"] is False and r["other_cores_max"] == 0.9     # no other rnnbench job, but a program's load
    assert rec([0, 1, 0], quiet)["alone"] is False
    assert rec([0, 0, 0], [quiet[0], None, quiet[2]])["alone"] is None    # a load that could not be read


def test_another_programs_cpu_is_other_load_and_this_jobs_own_is_not():
    """A busy loop in another process (not an rnnbench job: the count cannot see it) shows as about a core
    of other load; the same loop in this process does not."""
    nb = N.Neighbours()
    # not this process' child (a child's CPU is the job's own): started by a shell that exits at once
    out = subprocess.run(["sh", "-c", f"{sys.executable} -c 'import time\nt = time.time()\nwhile time.time() - t < 30: "
                                      "pass' > /dev/null 2>&1 & echo $!"], capture_output=True, text=True, check=True)
    spin = int(out.stdout.strip())
    try:
        time.sleep(0.5)
        nb.sample()
        time.sleep(1.5)
        nb.sample()
    finally:
        subprocess.run(["kill", str(spin)], check=False)
    r = nb.record()
    assert r["other_cores_max"] >= 0.6 and r["alone"] is False, r
    # this process' own CPU is its own: spinning here raises `own` with the machine's busy time, so it
    # cancels out of the other load (at least half a core: the machine may be shared)
    a = N.load_sample()
    t = time.time()
    while time.time() - t < 1.5:
        pass
    b = N.load_sample()
    assert b.own - a.own >= 0.5 * (b.wall - a.wall), (a, b)
    assert b.busy - a.busy >= (b.own - a.own) - 0.05, (a, b)


def test_the_step_time_job_records_its_neighbours_and_threads(tmp_path):
    from rnnbench.records import read_records
    from rnnbench.word2vec.step_cost import run

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(words, 50)) for _ in range(200)) + "\n")
    params = {"vector_size": 8, "window": 3, "min_count": 1, "sample": 0, "epochs": 1, "workers": 1,
              "batch_words": 64}
    run(str(corpus), "c", str(tmp_path / "out"), params, repeats=3, device="cpu", log=lambda m: None, cores_held=2)
    (r,) = read_records([tmp_path / "out" / "metrics.json"])
    nb = r["neighbours"]
    assert len(nb["samples"]) == 1 + 4                # before the batches, after each (warm-up included)
    assert nb["threads"] == 1 and nb["cores_held"] == 2
    assert nb["other_cores"] and nb["other_cores_max"] == max(nb["other_cores"])
    assert nb["alone"] == (max(nb["samples"]) == 0 and nb["other_cores_max"] <= N.OTHER_CORES_ALONE)
    rows = E.runs_frame([r])
    assert set(rows["alone"]) == {nb["alone"]}
    assert (rows["other_cores"] == nb["other_cores_max"]).all()      # the runs table shows the load


def test_the_step_time_rule_holds_every_core_and_passes_them_to_the_record():
    smk = (ROOT / "workflow" / "rules" / "word2vec.smk").read_text()
    rule = smk[smk.index("rule word2vec_softmax_cost:"):smk.index("rule aggregate_word2vec:")]
    assert "threads: w2v_cost_threads()" in rule and "--cores-held {threads}" in rule
    assert "workflow.cores" in smk[smk.index("def w2v_cost_threads"):smk.index("def w2v_job")]


# ---- the claims that read timings ---------------------------------------------------------------------

TIMED = [c for c in C.REGISTER if c.timing]


def test_the_claims_that_read_timings_are_marked():
    assert {c.id for c in TIMED} == {"w2v_softmax_cost_over_hs", "w2v_softmax_cost_over_ns", "w2v_subsampling_faster",
                                     "w2v_cbow_faster"}
    assert {c.id: c.timing for c in TIMED}["w2v_cbow_faster"] == "beside"
    assert {c.id: c.timing for c in TIMED}["w2v_softmax_cost_over_hs"] == "alone"
    with pytest.raises(ValueError, match="timing"):
        C.Claim("x", "s", "q", "src", "effect", TIMED[0].test, timing="sometimes")


@pytest.mark.parametrize("claim", TIMED, ids=[c.id for c in TIMED])
@pytest.mark.parametrize("side", ["supported", "contradicted"])
@pytest.mark.parametrize("alone", [False, None, "some"])
def test_a_timing_taken_beside_other_jobs_leaves_the_verdict_undecided(claim, side, alone):
    runs = claim.synthesise(side)
    assert E.evaluate(claim, runs)["verdict"] == side          # every run alone: the rule decides
    if alone == "some":
        runs = runs.assign(alone=[i % 2 == 0 for i in range(len(runs))])
    else:
        runs = runs.assign(alone=alone)
    row = E.evaluate(claim, runs)
    assert row["verdict"] == "undecided" and "not all taken alone" in row["why"], row
    assert f"would be {side}" in row["why"]
    # the same when the runs table has no such column at all (records from before it was written)
    row = E.evaluate(claim, claim.test.synthesise(side))
    assert row["verdict"] == "undecided" and "do not say" in row["why"]


def test_a_claims_runs_csv_read_back_keeps_the_alone_flag(tmp_path):
    claim = C.by_id()["w2v_cbow_faster"]
    p = tmp_path / "runs.csv"
    claim.synthesise("supported").to_csv(p, index=False)
    assert E.evaluate(claim, pd.read_csv(p))["verdict"] == "supported"


def test_a_word2vec_training_record_says_what_ran_beside_it(tmp_path):
    from rnnbench.word2vec.train import run

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(40)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(words, 50)) for _ in range(100)) + "\n")
    evals = tmp_path / "eval"
    evals.mkdir()
    (evals / "questions-words.txt").write_text(": g\nw0 w1 w2 w3\n")
    for name in ("wordsim353.tsv", "simlex999.txt"):
        (evals / name).write_text("w0\tw1\t9\nw0\tw2\t1\nw2\tw3\t8\nw4\tw5\t2\n")
    rec = run("ours", "cbow", "ns", 1, str(corpus), "c", str(evals), str(tmp_path / "out"),
              {"vector_size": 8, "window": 3, "min_count": 1, "sample": 0, "epochs": 1, "workers": 1},
              device="cpu", save_vectors=False, log=lambda m: None)
    nb = rec["neighbours"]
    assert len(nb["samples"]) == 2 and nb["threads"] == 1      # as training starts and as it ends
    assert nb["other_cores"] and len(nb["other_cores"]) == 1  # one interval: the training
    assert nb["alone"] == (max(nb["samples"]) == 0 and nb["other_cores_max"] <= N.OTHER_CORES_ALONE)
    row = E.runs_frame([{**rec, "_path": str(tmp_path / "out" / "metrics.json")}]).iloc[0]
    assert row["alone"] == nb["alone"] and row["other_cores"] == nb["other_cores_max"]

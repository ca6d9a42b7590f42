"""rnnbench.plan: the DAG's jobs (one per seed group) from the workflow's own expansion, cost linear
in epochs, start-up once per group, the GPU model and the assumption it prints, schedules that
respect threads and GPU slots, errors that name the key, and a calibration cache that is reused
(measurements mocked: no timing here)."""
from __future__ import annotations

import json
import math

import pytest

from rnnbench import grid, plan
from rnnbench.grid import expand

TINY = "tests/data/config-tiny.yaml"


@pytest.fixture(scope="module")
def tiny():
    return plan.load_workflow([plan.REPO / TINY])


def fake_measure(calls):
    def measure(kind, what):
        calls.append((kind, what))
        if kind == "rnn":
            return {"train_s_per_step": 1e-6, "eval_s_per_step": 2e-7, "path": "fake"}
        return {"words_per_s": 1e6, "vocab_s_per_token": 1e-7, "path": "fake"}
    return measure


def test_tiny_counts_match_the_grid_expansion(tiny, tmp_path):
    cfg = tiny.config
    for family in plan.SEQUENCE_FAMILIES:          # the workflow's runs are rnnbench.grid.expand's
        assert list(tiny.runs[family]) == list(expand(cfg.get(family), family=family))
    w2v = cfg["word2vec"]
    if hasattr(grid, "expand_word2vec"):
        assert tiny.w2v_runs == list(grid.expand_word2vec(w2v))
    # the main product, then one run from each extra grid (gensim_iter, sample 0)
    assert len(tiny.w2v_runs) == (len(w2v["impls"]) * len(w2v["archs"]) * len(w2v["losses"])
                                  * len(w2v["seeds"])) + len(w2v["extra_grids"])
    assert {"gensim_iter-cbow-ns-seed1", "ours-cbow-ns-sample0-seed1"} <= set(tiny.w2v_runs)
    jobs, meta = plan.plan_jobs(tiny, None, data_root=tmp_path)   # empty root: documented constants
    n_runs = sum(len(r) for r in tiny.runs.values()) + len(tiny.w2v_runs)
    # the jobs are the Snakefile's: its GROUPS (rnnbench.grid.groups of each family's runs), then word2vec
    assert tiny.groups is not None
    group_ids = [g for f in plan.SEQUENCE_FAMILIES for g in tiny.groups[f]]
    assert group_ids == [g for f in plan.SEQUENCE_FAMILIES for g in grid.groups(tiny.runs[f])]
    # word2vec: one job per group (its seeds together), the Snakefile's W2V_JOBS
    assert tiny.w2v_jobs is not None
    assert tiny.w2v_jobs == grid.word2vec_groups(tiny.w2v_grid, cfg.get("seeds_per_job"))
    assert sorted(r for g in tiny.w2v_jobs.values() for r in g["run_ids"]) == sorted(tiny.w2v_runs)
    assert [j.job_id for j in jobs] == group_ids + [f"word2vec/{g}" for g in tiny.w2v_jobs]
    # every run is a member of one job, but an alias (a run two grid entries name), which trains nothing
    aliases = sum(len(g.get("aliases", {})) for f in plan.SEQUENCE_FAMILIES for g in tiny.groups[f].values())
    assert aliases == 1                                  # har_tiny_clip's one run is har_tiny's
    assert sum(j.members for j in jobs) == n_runs - aliases
    steps = {rid: j.train_steps // j.members for j in jobs
             for rid in (tiny.family_groups(j.family)[j.job_id]["run_ids"] if j.family != "word2vec"
                         else tiny.w2v_jobs[j.job_id.removeprefix("word2vec/")]["run_ids"])}
    # adding_tiny: epochs 2 x n_train 256 x T 20, for each of its 3 cells
    adding = [r for r in tiny.runs["recurrent"] if r.startswith("adding_tiny/")]
    assert len(adding) == 3 and all(steps[r] == 2 * 256 * 20 for r in adding)
    # har_tiny from the documented constants: 7,352 windows less 4 of 21 subjects' share, 128 steps
    har_train = plan.HAR_TRAIN - round(plan.HAR_TRAIN * 4 / plan.HAR_SUBJECTS)
    har = [r for r in tiny.runs["recurrent"] if r.startswith("har_tiny/")]
    assert len(har) == 4 and all(steps[r] == 2 * har_train * 128 for r in har)
    assert meta["sources"][grid.group_id(har[0])].startswith("constant")
    # imdb_tiny: 1 epoch x 200 reviews x 40 tokens; word2vec: 100k-token prefix x 1 epoch
    assert all(steps[r] == 200 * 40 for r in tiny.runs["embedding"])
    assert all(steps[r] == 100_000 for r in tiny.w2v_runs)
    rows = plan.summarise(jobs, meta)
    assert sum(r.runs for r in rows) == n_runs - aliases and sum(r.jobs for r in rows) == len(jobs)
    assert sum(r.train_steps for r in rows) == sum(steps.values())


def test_cost_is_linear_in_epochs(tmp_path):
    calls = []
    cal = plan.Calibration(tmp_path / "cal.json", cpu="test cpu", measure=fake_measure(calls))

    def cost(epochs):
        entry = {"name": "g", "task": "adding", "cells": ["lstm", "gru"], "seq_len": 30, "n_train": 100,
                 "n_test": 10, "epochs": epochs, "batch_size": 10, "seeds": [0, 1]}
        wf = plan.Workflow(config={}, runs={"recurrent": expand([entry])}, w2v_runs=[], threads={"train": 1})
        jobs, _ = plan.plan_jobs(wf, cal, data_root=tmp_path)
        t = plan.totals(jobs, cores=2)
        return t.train_steps, t.core_h
    (s1, c1), (s2, c2), (s3, c3) = cost(5), cost(10), cost(15)
    assert s2 == 2 * s1 and s3 == 3 * s1 == 3 * 5 * 100 * 30 * 4
    assert c3 - c2 == pytest.approx(c2 - c1) and c2 > c1 > 0
    assert len(calls) == 2                       # one measurement per shape (lstm, gru), then cached


def test_unknown_key_is_an_error_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recurrent:\n  - {name: x, task: adding, cells: [lstm], epochz: 3}\n")
    assert plan.main(["--no-calibrate", "--configfile", str(bad)]) == 2
    assert "epochz" in capsys.readouterr().err


def test_unknown_cell_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recurrent:\n  - {name: x, task: adding, cells: [lstmm]}\n")
    with pytest.raises(plan.PlanError, match="lstmm"):
        plan.load_workflow([bad])


def test_calibration_cache_is_reused(tmp_path, monkeypatch):
    path = tmp_path / "cal.json"
    shape = plan.Shape("torch", "lstm", 9, None, 32, 1, 6, "classification", False, 0.0, 0.0, "double", 1, "auto", 128, 64)
    # the measurement itself, with the timer mocked: a batch of 128 x 64 steps "takes" 0.0128 s
    monkeypatch.setattr(plan.calibration, "_best_time", lambda fn, repeats=plan.CAL_REPEATS: 0.0128)
    entry = plan.measure_torch(shape)
    assert entry["train_s_per_step"] == pytest.approx(0.0128 / (128 * 64))
    calls = []
    cal = plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls))
    cal.get("rnn", shape)
    cal.get("rnn", shape)
    assert len(calls) == 1 and cal.measured and not cal.cached
    again = plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls))
    assert again.get("rnn", shape)["path"] == "fake" and len(calls) == 1 and again.cached
    other_cpu = plan.Calibration(path, cpu="cpu B", measure=fake_measure(calls))
    other_cpu.get("rnn", shape)
    assert len(calls) == 2                       # keyed by the CPU
    forced = plan.Calibration(path, cpu="cpu A", force=True, measure=fake_measure(calls))
    forced.get("rnn", shape)
    forced.get("rnn", shape)
    assert len(calls) == 3                       # --calibrate measures again, once
    assert set(json.loads(path.read_text())) == {"cpu A", "cpu B"}
    newer = plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls), code="other code")
    newer.get("rnn", shape)
    newer.get("rnn", shape)
    assert len(calls) == 4 and newer.stale == [newer.measured[0]]   # measured with other code: again, once
    assert plan.Calibration(path, cpu="cpu A", measure=fake_measure(calls), code="other code").get("rnn", shape) \
        and len(calls) == 4


def test_calibration_code_identity_follows_the_kernel_source(tmp_path, monkeypatch):
    """A cost measured before the code it times changed is not reused: the identity hashes the models'
    and word2vec's sources, C kernels included."""
    from rnnbench.plan import calibration

    root = tmp_path / "rnnbench"
    for f in ("models/kernels/recurrence.c", "models/seq.py", "word2vec/word2vec.c", "plan/schedule.py"):
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text(f"// {f}\n")
    monkeypatch.setattr(calibration, "__file__", str(root / "plan" / "calibration.py"))
    ids = []
    for f in (None, "models/kernels/recurrence.c", "word2vec/word2vec.c", "plan/schedule.py"):
        if f:
            (root / f).write_text("changed\n")
        calibration.code_identity.cache_clear()
        ids.append(calibration.code_identity())
    calibration.code_identity.cache_clear()
    assert len(set(ids[:3])) == 3 and ids[3] == ids[2]   # a kernel's source counts, the planner's own does not


def test_list_schedule():
    jobs = [plan.Job("f", "g", f"r{i}", 1, s, None, 0) for i, s in enumerate([4.0, 3.0, 3.0, 2.0])]
    assert plan.makespan(jobs, 2, lambda j: j.cpu_s) == pytest.approx(6.0)
    # a job that waits for another starts after it
    jobs.append(plan.Job("f", "g", "late", 1, 5.0, None, 0, depends_on="r3"))
    assert plan.makespan(jobs, 2, lambda j: j.cpu_s) >= 2.0 + 5.0


def test_schedule_respects_threads_per_job_and_gpu_slots():
    two = [plan.Job("f", "g", f"r{i}", 2, 1.0, 1.0, 0) for i in range(2)]
    assert plan.makespan(two, 3, lambda j: j.cpu_s) == pytest.approx(2.0)   # 2 + 2 threads do not fit in 3 cores
    assert plan.makespan(two, 4, lambda j: j.cpu_s) == pytest.approx(1.0)
    wide = [plan.Job("f", "g", "w", 8, 1.0, None, 0)]
    assert plan.makespan(wide, 4, lambda j: j.cpu_s) == pytest.approx(1.0)  # capped at the cores, as Snakemake does
    # GPU slots: one group job per slot, whatever its threads
    three = [plan.Job("f", "g", f"r{i}", 4, 1.0, 10.0, 0) for i in range(3)]
    assert plan.makespan(three, 2, lambda j: j.gpu_s, need=lambda j: 1) == pytest.approx(20.0)
    assert plan.totals(three, cores=4, gpu_slots=1).gpu_queue_h == pytest.approx(30.0 / 3600)
    assert plan.totals(three, cores=4, gpu_slots=3).gpu_queue_h == pytest.approx(10.0 / 3600)
    assert plan.totals(three, cores=4).wall_h == pytest.approx(3.0 / 3600)


ARMS = {"name": "arms", "task": "adding", "cells": ["lstm", "gru"], "seq_len": 20, "n_train": 64, "n_test": 16,
        "epochs": 2, "batch_size": 32, "seeds": [0, 1, 2]}


def _plan(entries, tmp_path, threads=1, measure=None):
    wf = plan.Workflow(config={"threads": threads, "scale": "test"}, runs={"recurrent": expand(entries)},
                       w2v_runs=[], threads={})
    cal = plan.Calibration(tmp_path / "cal.json", cpu="test cpu", measure=measure or fake_measure([]))
    return wf, cal, plan.plan_jobs(wf, cal, data_root=tmp_path)


def test_two_arms_of_three_seeds_are_two_jobs_with_start_up_once(tmp_path):
    wf, cal, (jobs, meta) = _plan([ARMS], tmp_path, threads=2)
    assert len(jobs) == 2 and [j.members for j in jobs] == [3, 3]
    assert [j.job_id for j in jobs] == [grid.group_id(r) for r in list(wf.runs["recurrent"])[::3]]
    assert all(j.threads == grid.group_resources(wf.family_groups("recurrent")[j.job_id], 2, "test")["threads"]
               == 2 for j in jobs)
    assert all(j.train_steps == 3 * 2 * 64 * 20 for j in jobs)
    rows = plan.summarise(jobs, meta)
    assert [(r.runs, r.jobs) for r in rows] == [(6, 2)]
    # the same arms with one seed each: a member costs what a one-seed job costs less its start-up and
    # data load, and the three-seed job pays those once
    _, _, (one, _) = _plan([{**ARMS, "seeds": [0]}], tmp_path, threads=2)
    fixed = plan.JOB_STARTUP_S + plan.DATA_LOAD_S
    for g, s in zip(jobs, one):
        assert g.cpu_s - fixed == pytest.approx(3 * (s.cpu_s - fixed))
        assert g.cpu_s < 3 * s.cpu_s
    # members that cannot train together (BN-LSTM) load their data each, in the one process
    _, _, (bn, _) = _plan([{**ARMS, "cells": ["bnlstm"]}], tmp_path)
    _, _, (bn1, _) = _plan([{**ARMS, "cells": ["bnlstm"], "seeds": [0]}], tmp_path)
    assert bn[0].members == 3 and not bn[0].stacked and jobs[0].stacked
    assert bn[0].cpu_s - plan.JOB_STARTUP_S == pytest.approx(3 * (bn1[0].cpu_s - plan.JOB_STARTUP_S))


def test_the_plan_suggests_seeds_per_job_where_the_longest_arm_sets_the_wall_time(tmp_path):
    """A group job trains its seeds one after another: with more cores than arms the longest arm sets the
    wall time, and the plan names the seeds_per_job that splits it; where the cores set it, no hint."""
    from rnnbench.plan.schedule import split_hint

    def slow(kind, what):                 # members that cost far more than a job's start-up
        return {"train_s_per_step": 1e-2, "eval_s_per_step": 1e-3, "path": "fake"}

    wf, cal, (jobs, _) = _plan([{**ARMS, "seeds": list(range(10))}], tmp_path, measure=slow)
    assert len(jobs) == 2 and all(j.members == 10 for j in jobs)
    k, base, parts = split_hint(wf, cal, cores=20)
    assert k == 1 and (base.jobs, parts.jobs) == (2, 20)
    assert parts.wall_h < 0.2 * base.wall_h and parts.core_h > base.core_h     # more start-ups, less wall
    assert split_hint(wf, cal, cores=2) is None                                 # 2 cores: the cores bind
    wf.config["seeds_per_job"] = 5
    assert split_hint(wf, cal, cores=20) is None                                # the config already chose


def test_gpu_model_of_a_stacked_group(tmp_path):
    wf, _, (jobs, _) = _plan([ARMS], tmp_path)
    spec = {**wf.family_groups("recurrent")[jobs[0].job_id], "seed": 0}
    sizes = plan.dataset_sizes(spec, {}, tmp_path)
    s_sat = plan.saturation(spec, sizes)
    assert jobs[0].s_sat == pytest.approx(s_sat) and s_sat > 3
    # launch-bound below S_sat: a stacked step costs the same for 2 or 3 members
    assert plan.group_gpu_seconds(spec, sizes, 3, True) == pytest.approx(plan.group_gpu_seconds(spec, sizes, 2, True))
    # past S_sat the members' arithmetic binds: it grows with S
    big = math.ceil(10 * s_sat)
    assert plan.group_gpu_seconds(spec, sizes, 2 * big, True) > 1.9 * (plan.group_gpu_seconds(spec, sizes, big, True)
                                                                      - plan.JOB_STARTUP_S - plan.DATA_LOAD_S)
    # not stacked: members one after another, each as alone, one start-up
    alone = plan.gpu_seconds(spec, sizes)
    assert plan.group_gpu_seconds(spec, sizes, 3, False) == pytest.approx(3 * (alone - plan.JOB_STARTUP_S)
                                                                        + plan.JOB_STARTUP_S)
    assert jobs[0].gpu_s == pytest.approx(plan.group_gpu_seconds(spec, sizes, 3, True))
    assert jobs[0].gpu_unstacked_s == pytest.approx(plan.group_gpu_seconds(spec, sizes, 3, False))
    t = plan.totals(jobs, cores=2)
    assert t.gpu_queue_h * 3600 == pytest.approx(sum(j.gpu_s for j in jobs))
    assert t.gpu_unstacked_queue_h * 3600 == pytest.approx(sum(j.gpu_unstacked_s for j in jobs))


def test_gpu_printout_carries_its_assumption(tmp_path):
    wf, cal, (jobs, meta) = _plan([ARMS], tmp_path)
    for c in (cal, None):                        # calibrated, and --no-calibrate
        text = plan.render(wf, jobs, meta, c, cores=4, gpu_slots=2)
        assert "GPU estimate: modelled, not measured" in text
        assert "S_sat" in text and f"{plan.GPU['STEPWISE_US']:g} us" in text
        assert plan.GPU_SOURCE in text
        assert "2 stacked groups of 3-3 members" in text
        assert "2 group jobs sharing it, one per slot" in text
    text = plan.render(wf, jobs, meta, cal, cores=4)
    assert "path 'loop'" in text and f"{plan.JOB_STARTUP_S:g} s start-up once per job" in text


def test_configfile_takes_several_files_after_one_flag_as_snakemake_does(tmp_path, monkeypatch):
    """`--configfile a.yaml b.yaml` (Snakemake's spelling) and `--configfile a.yaml --configfile b.yaml`
    hand the same files, in order, to the workflow loader."""
    seen = []

    def fake_load(files, overrides, snakefile):
        seen.append([str(f) for f in files])
        raise plan.PlanError("stop here")

    import rnnbench.plan.cli as cli

    monkeypatch.setattr(cli, "load_workflow", fake_load)
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert plan.main(["--no-calibrate", "--configfile", str(a), str(b)]) == 2
    assert plan.main(["--no-calibrate", "--configfile", str(a), "--configfile", str(b)]) == 2
    assert seen == [[str(a), str(b)], [str(a), str(b)]]


def test_a_word2vec_group_is_one_job_with_its_start_up_once_and_ours_vocabulary_once(tmp_path):
    w2v = {"prefix_tokens": 1000, "epochs": 2, "impls": ["ours", "gensim_iter"], "archs": ["cbow"], "losses": ["ns"],
           "seeds": [1, 2, 3]}
    runs = grid.expand_word2vec(w2v)
    config = {"word2vec": w2v, "imdb": {"vectors": {"impl": "ours", "arch": "cbow", "loss": "ns", "seed": 2}}}
    imdb = {"name": "imdb_x", "task": "imdb", "cells": ["lstm"], "embedding": ["frozen"], "embedding_dim": 100,
            "hidden": 8, "epochs": 1, "batch_size": 64, "seeds": [0]}
    wf = plan.Workflow(config=config, runs={"embedding": expand([imdb], family="embedding")}, w2v_runs=list(runs),
                       threads={}, w2v_grid=runs)
    cal = plan.Calibration(tmp_path / "cal.json", cpu="test cpu", measure=fake_measure([]))
    jobs, _ = plan.plan_jobs(wf, cal, data_root=tmp_path)
    w2v_jobs = {j.job_id: j for j in jobs if j.family == "word2vec"}
    assert list(w2v_jobs) == ["word2vec/ours-cbow-ns", "word2vec/gensim_iter-cbow-ns"]
    train, vocab = 1000 * 2 / 1e6, 1000 * 1e-7      # fake_measure: 1e6 words/s, 1e-7 s a token of vocabulary
    ours, gensim = w2v_jobs["word2vec/ours-cbow-ns"], w2v_jobs["word2vec/gensim_iter-cbow-ns"]
    assert ours.members == gensim.members == 3 and ours.train_steps == 3 * 2000
    assert ours.cpu_s == pytest.approx(3 * (train + plan.W2V_EVAL_S) + vocab + plan.W2V_STARTUP_S)
    assert gensim.cpu_s == pytest.approx(3 * (train + plan.W2V_EVAL_S + vocab) + plan.W2V_STARTUP_S)
    # the IMDb arm waits for the job that trains its vectors' run (ours-cbow-ns-seed2)
    assert [j.depends_on for j in jobs if j.family == "embedding"] == ["word2vec/ours-cbow-ns"]
    # seeds_per_job splits a word2vec group as it splits an arm
    wf.config["seeds_per_job"] = 2
    jobs, _ = plan.plan_jobs(wf, cal, data_root=tmp_path)
    assert [j.job_id for j in jobs if j.family == "word2vec"] == [
        "word2vec/seeds1-2/ours-cbow-ns", "word2vec/seeds3/ours-cbow-ns",
        "word2vec/seeds1-2/gensim_iter-cbow-ns", "word2vec/seeds3/gensim_iter-cbow-ns"]
    assert [j.depends_on for j in jobs if j.family == "embedding"] == ["word2vec/seeds1-2/ours-cbow-ns"]

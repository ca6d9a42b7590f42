"""The whole DAG on real mirror data with the tiny config: download → prepare → train →
aggregate → report, then the rendered HTML is read back."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from conftest import REPO, has_c_compiler, mirror_path


def assert_kernel_as_requested(rec: dict) -> None:
    """What ran is what was asked, and `auto` says per shape what it chose and why (the reason and
    both timings): never which one it must choose (that is a timing on this machine and its load)."""
    if rec.get("backend") != "torch" or rec["status"] != "ok":
        return
    k = rec["kernel"]
    assert k["requested"] in ("auto", "native", "torch") and k["choices"]
    for c in k["choices"]:
        assert c["requested"] == k["requested"] and c["reason"] and c["path"] in ("native", "torch")
        if k["requested"] != "auto":
            assert c["path"] == {"native": "native", "torch": "torch"}[k["requested"]]
        elif has_c_compiler():      # both paths were timed (now, or for the cached decision)
            assert c["native_ms"] > 0 and c["torch_ms"] > 0
    allowed = {"native": {"native"}, "torch": {"stock", "stepwise"}, "auto": {"native", "stock", "stepwise"}}
    assert rec["path"] in allowed[k["requested"]]


def test_report_html_exists_and_holds_the_har_table(tiny_run):
    html = (tiny_run / "report" / "report.html").read_text(encoding="utf-8")
    assert "HAR test accuracy beside the lecture" in html
    assert "HAPT raw recordings (HAR-equivalent windows)" in html  # the source is named
    assert "5,376 + 198 = 5,574" in html or "5,574" in html
    assert "Source figures beside ours" in html and "claims-table" in html and "data:image/png;base64" in html
    assert "render path" not in html  # a log line, not report text
    assert "Diverged runs (a result, not a failure)" in html and "adding_explode" in html
    assert "Performance targets" in html and "HAR: our training ≥ 2× Keras" in html and "not measured" in html


def test_a_run_two_grid_entries_name_trains_once(tiny_run):
    """har_tiny_clip's one run is har_tiny's clipped LSTM under another name: no training job of its own
    (no group folder, no benchmark), and its record is har_tiny's numbers under its own run id."""
    arm = "lstm_L1_clip0.5_drop0_rdrop0_torch"
    alias = json.loads((tiny_run / "recurrent" / "har_tiny_clip" / arm / "seed0" / "metrics.json").read_text())
    trained = json.loads((tiny_run / "recurrent" / "har_tiny" / arm / "seed0" / "metrics.json").read_text())
    assert alias["run_id"] == f"har_tiny_clip/{arm}/seed0" and alias["grid"] == "har_tiny_clip"
    assert alias["trained_as"] == trained["run_id"] and alias["final"] == trained["final"]
    assert not (tiny_run / "groups" / "recurrent" / "har_tiny_clip").exists()
    assert not (tiny_run / "benchmarks" / "recurrent" / "har_tiny_clip").exists()
    runs = pd.read_csv(tiny_run / "tables" / "recurrent_runs.csv")
    assert f"har_tiny_clip/{arm}/seed0" in set(runs["run_id"])


def test_every_run_recorded_and_aggregated(tiny_run):
    records = sorted(tiny_run.glob("recurrent/**/metrics.json"))
    # har_tiny, har_tiny_clip, adding_tiny, adding_explode, gk_tiny, har_keras_tiny
    assert len(records) == 4 + 1 + 3 + 1 + 2 + 1
    for p in records:
        rec = json.loads(p.read_text())
        assert rec["status"] in ("ok", "diverged")
        assert (p.parent / "history.csv").exists()
    runs = pd.read_csv(tiny_run / "tables" / "recurrent_runs.csv")
    assert set(runs["cell"]) == {"lstm", "gru", "rnn_tanh", "irnn", "nprnn"}
    assert (runs[runs["task"] == "har"]["source"] == "HAPT raw recordings (HAR-equivalent windows)").all()
    for p in records:
        assert_kernel_as_requested(json.loads(p.read_text()))
    # the tiny config pins `kernel: native` on har_tiny and `kernel: torch` on adding_tiny (where no
    # C compiler is on PATH the fixture forces torch everywhere: the records say so)
    pinned = {"har_tiny": "native", "adding_tiny": "torch"}
    for grid, kernel in pinned.items():
        recs = [json.loads(p.read_text()) for p in tiny_run.glob(f"recurrent/{grid}/**/metrics.json")]
        assert recs and all(r["kernel"]["requested"] == (kernel if has_c_compiler() else "torch") for r in recs)
    exploded = json.loads(next(tiny_run.glob("recurrent/adding_explode/**/metrics.json")).read_text())
    assert exploded["status"] == "diverged" and exploded["diverged_epoch"] == 1 and exploded["cause"]
    assert (runs[runs["grid"] == "adding_explode"]["status"] == "diverged").all()
    verdicts = pd.read_csv(tiny_run / "tables" / "verdicts_recurrent.csv")
    assert set(verdicts["verdict"]) <= {"supported", "contradicted", "undecided", "not run"} and (verdicts["scale"] == "test").all()
    assert (tiny_run / "figures" / "grad_vs_distance.png").stat().st_size > 1000


def test_tiny_run_writes_the_claims_table(tiny_run):
    from rnnbench.claims import REGISTER

    claims = pd.read_csv(tiny_run / "tables" / "claims.csv")
    assert list(claims["id"]) == [c.id for c in REGISTER]
    assert set(claims["verdict"]) <= {"supported", "contradicted", "undecided", "not run"}
    # the tiny config has none of the claims' grids: every claim on them says which runs are missing;
    # its word2vec grid (one seed) can only leave word2vec claims undecided
    on_grids = claims[[c.test is not None and all(a.grid for a in c.arms()) for c in REGISTER]]
    assert (on_grids["verdict"] == "not run").all() and on_grids["why"].str.startswith("no run of").all()
    w2v = claims[[c.test is not None and any(a.family == "word2vec" for a in c.arms()) for c in REGISTER]]
    assert len(w2v) and (w2v["verdict"] != "supported").all()
    runs = pd.read_csv(tiny_run / "tables" / "claims_runs.csv")
    assert {"val_pace", "max_val_drop", "test_accuracy"} <= set(runs.columns)


def test_plain_snakemake_reads_the_workflow_profile(tiny_run):
    """`snakemake --cores N` from the checkout takes profiles/default (its job rate limiter
    setting keeps Snakemake's scheduler from re-running its loop hundreds of times a second)."""
    stderr = (tiny_run.parent / "snakemake.stderr").read_text()
    assert "workflow specific profile" in stderr and "profiles/default" in stderr


def test_rerun_has_nothing_to_do(tiny_run):
    work = tiny_run.parent
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--configfile", "tests/data/config-tiny.yaml",
           "--config", f"results={work}/results", f"data={{root: {work}/data}}"]
    proc = subprocess.run(cmd, cwd=REPO, env=dict(os.environ, RNNBENCH_MIRROR=str(mirror_path())),
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "Nothing to be done" in proc.stdout + proc.stderr


def test_snakemake_own_report_zip(tiny_run, tmp_path):
    work = tiny_run.parent
    out = tmp_path / "report.zip"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "tests/data/config-tiny.yaml",
           "--config", f"results={work}/results", f"data={{root: {work}/data}}", "--report", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, env=dict(os.environ, RNNBENCH_MIRROR=str(mirror_path())),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import zipfile

    names = zipfile.ZipFile(out).namelist()
    assert any(n.endswith("grad_vs_distance.png") for n in names)
    assert any(n.endswith("har_accuracy.csv") for n in names)

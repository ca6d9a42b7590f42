"""workflow/profiles/local-gpu really limits how many GPU jobs run at once (no GPU needed: the
limit is Snakemake's own resource accounting, which is what the profile configures)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "workflow" / "profiles" / "local-gpu"

# Three "training" jobs that declare gpu=1 (as the `train` rule does under the local-gpu profile) and one CPU job (gpu=0);
# each records when it started and ended.
WORKFLOW = textwrap.dedent(
    """
    RUNS = ["r1", "r2", "r3"]

    rule all:
        input:
            expand("train/{run}.txt", run=RUNS),
            "cpu.txt",

    rule train:
        output:
            "train/{run}.txt",
        threads: 1
        resources:
            gpu=1,
        shell:
            "date +%s.%N > {output}; sleep 3; date +%s.%N >> {output}"

    rule cpu:
        output:
            "cpu.txt",
        threads: 1
        resources:
            gpu=0,
        shell:
            "date +%s.%N > {output}; sleep 3; date +%s.%N >> {output}"
    """
)


def _run(tmp_path: Path, *extra: str) -> dict[str, tuple[float, float]]:
    (tmp_path / "Snakefile").write_text(WORKFLOW)
    cmd = [sys.executable, "-m", "snakemake", "--profile", str(PROFILE),
           "--directory", str(tmp_path), "--cores", "4", *extra]  # fmt: skip
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    spans = {}
    for f in [*sorted((tmp_path / "train").glob("*.txt")), tmp_path / "cpu.txt"]:
        start, end = (float(x) for x in f.read_text().split())
        spans[f.stem] = (start, end)
    return spans


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_one_gpu_serialises_gpu_jobs_but_not_cpu_jobs(tmp_path):
    spans = _run(tmp_path)
    train = [spans[r] for r in ("r1", "r2", "r3")]
    assert _max_overlap(train) == 1, f"gpu=1 budget, yet GPU jobs overlapped: {spans}"
    # The CPU job is not held back by the GPU budget: it runs beside a GPU job.
    assert _max_overlap([*train, spans["cpu"]]) == 2, spans


def test_gpu_slots_let_small_runs_share_one_gpu(tmp_path):
    spans = _run(tmp_path, "--resources", "gpu=3")
    assert _max_overlap([spans[r] for r in ("r1", "r2", "r3")]) == 3, spans


def test_fractions_as_integer_percentages(tmp_path):
    # gpu_pct replaces the gpu count (command-line --resources replaces the profile's mapping):
    # 100 % of one GPU, 50 % per training job -> two at a time.
    spans = _run(tmp_path, "--resources", "gpu_pct=100", "--set-resources", "train:gpu_pct=50")
    assert _max_overlap([spans[r] for r in ("r1", "r2", "r3")]) == 2, spans


def test_float_gpu_request_is_not_a_fraction(tmp_path):
    # Why the profile counts slots/percentages: Snakemake rounds a float resource, so
    # gpu=0.5 becomes 0 and no longer limits anything (all three run at once despite gpu=1).
    spans = _run(tmp_path, "--set-resources", "train:gpu=0.25")
    assert _max_overlap([spans[r] for r in ("r1", "r2", "r3")]) == 3, spans

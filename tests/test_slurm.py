"""Run Snakemake workflows through a real Slurm cluster with workflow/profiles/slurm.

Needs a running Slurm controller and `sbatch` (CI: `bash tests/slurm/setup_slurm.sh` brings up a
one-node cluster on the CI machine) and snakemake-executor-plugin-slurm. Without a cluster the
tests skip with the reason; set RNNBENCH_REQUIRE_SLURM=1 (CI does, after setting the cluster up)
to make a missing cluster a failure instead of a skip.

What is checked is what only a real cluster shows: every job became a Slurm job (its id is in
.snakemake/slurm_logs/ and in the job's own environment), Slurm ran it with the threads, memory
and time limit the rule declared, the DAG's outputs exist, and a failing job fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import tiny_env

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
TINY_CONFIG = REPO / "tests" / "data" / "config-tiny.yaml"
SETUP = "bash tests/slurm/setup_slurm.sh"

pytestmark = [pytest.mark.slurm]


def _unavailable(reason: str):
    if os.environ.get("RNNBENCH_REQUIRE_SLURM") == "1":
        pytest.fail(f"RNNBENCH_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


def _require_slurm() -> None:
    if shutil.which("sbatch") is None or shutil.which("scontrol") is None:
        _unavailable(f"no Slurm client (sbatch/scontrol not on PATH); run `{SETUP}` as root")
    try:
        ping = subprocess.run(
            ["scontrol", "ping"], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        _unavailable("`scontrol ping` timed out: no Slurm controller answers")
    if ping.returncode != 0 or "is UP" not in ping.stdout:
        _unavailable(
            f"no running Slurm controller (`scontrol ping`: {(ping.stdout + ping.stderr).strip()!r}); "
            f"run `{SETUP}` as root"
        )
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        # A cluster is up, so this is a broken set-up, not an absent one.
        pytest.fail(
            "Slurm is up but snakemake-executor-plugin-slurm is not installed "
            f"(pip install 'snakemake-executor-plugin-slurm==2.8.0', or run `{SETUP}`)"
        )


@pytest.fixture
def slurm():
    _require_slurm()


def _cancel_run(log: Path) -> None:
    """scancel whatever the run in `log` left queued or running (nothing, normally): its jobs are
    named after the plugin's run id, which it logs as "SLURM run ID: <uuid>"."""
    m = re.search(r"SLURM run ID: (\S+)", log.read_text()) if log.exists() else None
    if m:
        subprocess.run(["scancel", "--name", m.group(1)], check=False)


def _snakemake(args: list[str], cwd: Path, timeout: int, log: Path, env=None) -> int:
    """Run snakemake with the Slurm profile; on timeout interrupt it (it then scancels its jobs)."""
    cmd = [sys.executable, "-m", "snakemake", "--profile", str(PROFILE), *args]
    with open(log, "w") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            pytest.fail(f"snakemake did not finish in {timeout} s; log:\n{log.read_text()[-4000:]}")


def _slurm_logs(logdir: Path) -> dict[str, list[str]]:
    """{rule: [slurm job id, ...]} from the plugin's <logdir>/rule_<rule>/[<wildcards>/]<id>.log."""
    found: dict[str, list[str]] = {}
    for log in sorted(logdir.glob("rule_*/**/*.log")):
        rule = log.relative_to(logdir).parts[0].removeprefix("rule_")
        assert re.fullmatch(r"\d+", log.stem), f"unexpected Slurm log name {log}"
        found.setdefault(rule, []).append(log.stem)
    return found


def _job_info(jobid: str) -> dict[str, str]:
    """`scontrol show job` as a dict (finished jobs stay there for MinJobAge, 3600 s in CI)."""
    out = subprocess.run(
        ["scontrol", "show", "job", "--oneliner", jobid],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, f"Slurm does not know job {jobid}: {out.stderr.strip()}"
    return dict(re.findall(r"(\S+?)=(\S*)", out.stdout))


TINY_WORKFLOW = textwrap.dedent(
    r'''
    # Written by tests/test_slurm.py: three rules, each a Slurm job with its own resources.
    SAMPLES = ["x", "y"]

    rule all:
        input:
            "summary.txt",

    rule make:
        output:
            "made/{sample}.txt",
        threads: 1
        resources:
            mem_mb=200,
            runtime=2,
        shell:
            "echo {wildcards.sample} ${{SLURM_JOB_ID:?not in a Slurm job}} > {output}"

    rule cpu_only:
        output:
            "cpu.txt",
        threads: 2
        resources:
            mem_mb=300,
            runtime=3,
            gpu=0,
        shell:
            "echo cpu ${{SLURM_JOB_ID:?not in a Slurm job}} ${{SLURM_CPUS_PER_TASK:-?}} > {output}"

    rule summary:
        input:
            expand("made/{sample}.txt", sample=SAMPLES),
            "cpu.txt",
        output:
            "summary.txt",
        resources:
            runtime=1,
        shell:
            "cat {input} > {output} && echo summary ${{SLURM_JOB_ID:?not in a Slurm job}} >> {output}"
    '''
)


def test_tiny_workflow_runs_as_slurm_jobs(slurm, tmp_path):
    (tmp_path / "Snakefile").write_text(TINY_WORKFLOW)
    log = tmp_path / "snakemake.log"
    try:
        rc = _snakemake(["--directory", str(tmp_path)], cwd=tmp_path, timeout=480, log=log)
    finally:
        _cancel_run(log)
    assert rc == 0, f"snakemake failed (rc {rc}); log:\n{log.read_text()[-6000:]}"

    # Outputs exist and each was written inside a Slurm job (SLURM_JOB_ID set, else the shell fails).
    ran_in = {}
    for name in ["made/x.txt", "made/y.txt", "cpu.txt"]:
        words = (tmp_path / name).read_text().split()
        assert re.fullmatch(r"\d+", words[1]), f"{name}: {words}"
        ran_in[name] = words[1]
    summary = (tmp_path / "summary.txt").read_text().splitlines()
    assert summary[-1].startswith("summary ")
    ran_in["summary.txt"] = summary[-1].split()[1]
    assert len(set(ran_in.values())) == 4, f"each job must be its own Slurm job: {ran_in}"

    # The plugin's Slurm logs name the same job ids, one per job, per rule.
    logs = _slurm_logs(tmp_path / ".snakemake" / "slurm_logs")
    assert sorted(logs) == ["cpu_only", "make", "summary"], logs
    assert sorted(logs["make"]) == sorted([ran_in["made/x.txt"], ran_in["made/y.txt"]])
    assert logs["cpu_only"] == [ran_in["cpu.txt"]]
    assert logs["summary"] == [ran_in["summary.txt"]]

    # Slurm ran them with the rule's threads, mem_mb and runtime, and they completed.
    expected = {  # rule: (cpus, memory, time limit)
        "make": ("1", "200M", "00:02:00"),
        "cpu_only": ("2", "300M", "00:03:00"),
        "summary": ("1", "1000M", "00:01:00"),  # mem_mb from the profile's default-resources
    }
    for rule, ids in logs.items():
        for jobid in ids:
            info = _job_info(jobid)
            assert info["JobState"] == "COMPLETED", (rule, info["JobState"])
            assert (info["NumCPUs"], info["MinMemoryNode"], info["TimeLimit"]) == expected[rule], (
                rule,
                info,
            )
            assert info["Partition"] == "main"
            assert Path(info["WorkDir"]) == tmp_path
            assert "gres/gpu" not in info.get("TRES", ""), f"gpu=0 must not request a GPU: {info}"
    assert (tmp_path / "cpu.txt").read_text().split()[2] == "2"  # SLURM_CPUS_PER_TASK in the job


def test_failing_job_fails_the_run(slurm, tmp_path):
    """A job that exits non-zero is reported FAILED by Slurm and fails the Snakemake run."""
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent(
            """
            rule broken:
                output:
                    "never.txt",
                resources:
                    runtime=1,
                shell:
                    "echo started in ${{SLURM_JOB_ID}}; exit 3"
            """
        )
    )
    log = tmp_path / "snakemake.log"
    try:
        rc = _snakemake(["--directory", str(tmp_path)], cwd=tmp_path, timeout=300, log=log)
    finally:
        _cancel_run(log)
    text = log.read_text()
    assert rc != 0, f"a failing job must fail the run; log:\n{text[-4000:]}"
    assert not (tmp_path / "never.txt").exists()
    logs = _slurm_logs(tmp_path / ".snakemake" / "slurm_logs")
    assert list(logs) == ["broken"] and len(logs["broken"]) == 1, logs
    jobid = logs["broken"][0]
    assert _job_info(jobid)["JobState"] == "FAILED"
    assert f"SLURM-job '{jobid}' failed" in text, text[-4000:]


@pytest.mark.slow
def test_pipeline_tiny_config_through_slurm(slurm, mirror, tmp_path):
    """The project's real Snakefile, tiny config, every job submitted through the Slurm profile."""
    if not TINY_CONFIG.exists():
        pytest.skip(f"{TINY_CONFIG.relative_to(REPO)} does not exist yet")
    # The tiny config reads real HAPT recordings from the dataset mirror (conftest's `mirror`).
    if not (mirror / "hapt").is_dir():
        pytest.skip(f"no HAPT mirror at {mirror / 'hapt'} (set RNNBENCH_MIRROR)")
    env = tiny_env(mirror)  # sbatch --export=ALL passes it on
    results = tmp_path / "results"
    logdir = tmp_path / "slurm_logs"
    log = tmp_path / "snakemake.log"
    args = [
        "--configfile", str(TINY_CONFIG),
        # The CI cluster has no GPU: device=cpu makes training jobs declare gpu=0 (no --gpus).
        "--config", f"results={results}", f"data={{root: {tmp_path / 'data'}}}", "device=cpu",
        "--slurm-logdir", str(logdir),
    ]  # fmt: skip
    try:
        rc = _snakemake(args, cwd=REPO, timeout=1500, log=log, env=env)
    finally:
        _cancel_run(log)
    assert rc == 0, f"snakemake failed (rc {rc}); log:\n{log.read_text()[-8000:]}"

    text = log.read_text()
    assert (results / "report" / "report.html").stat().st_size > 0

    # Every job of the DAG (but `all` and any localrule) became exactly one completed Slurm job.
    planned = _job_stats(text)
    local = set(re.findall(r"^localrule (\w+):", text, flags=re.M)) | {"all"}
    expected = {rule: n for rule, n in planned.items() if rule not in local}
    logs = _slurm_logs(logdir)
    assert {rule: len(ids) for rule, ids in logs.items()} == expected, (planned, logs)
    for rule, ids in logs.items():
        for jobid in ids:
            info = _job_info(jobid)
            assert info["JobState"] == "COMPLETED", (rule, jobid, info["JobState"])
            comment = info["Comment"]  # the plugin's --comment: rule_<rule>[_wildcards_<...>]
            assert comment == f"rule_{rule}" or comment.startswith(f"rule_{rule}_wildcards_"), (
                rule,
                comment,
            )
            assert "gres/gpu" not in info.get("TRES", ""), (rule, info)


def _job_stats(text: str) -> dict[str, int]:
    """The "Job stats" table Snakemake prints before running: {rule: number of jobs}."""
    m = re.search(r"^Job stats:\n.*?\n-+\s+-+\n(.*?)^total\s", text, flags=re.M | re.S)
    assert m, "no Job stats table in the Snakemake log"
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", m.group(1), flags=re.M)}

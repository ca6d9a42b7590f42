"""What ran beside a timed job: the other rnnbench jobs on this machine, counted while it ran.

A timing taken while other jobs share the cores depends on them (issue 19: HS's step measured 0.037 s
on one machine and 0.57 s on another, where other jobs shared the cores). A job that times something
samples its neighbours (:class:`Neighbours`) before, between and after its timed sections, and its
record says what it saw (:meth:`Neighbours.record`); the claims engine reads a timing as taken alone
only when every sample counted none.

What it measures, and what not: processes on *this* machine (any user) whose command line runs an
rnnbench entry point (``python -m rnnbench.<module>``: every job of the workflow does), other than this
process, its parents and its children. A job that started and ended between two samples is not seen;
nor is other load (a compile, another program): the count is a floor on the neighbours, not a
measure of the machine's load.
"""
from __future__ import annotations

from typing import Any

METHOD = ("processes on this machine running `python -m rnnbench.<module>` other than this job (its parents and "
          "children left out), counted at each sample: before the timings, between timed batches or epochs, after "
          "them; a job that ran only between two samples, or other programs' load, is not counted")


def _is_job(cmdline: list[str]) -> bool:
    """A command line that runs an rnnbench entry point (``-m rnnbench.x`` or ``-mrnnbench.x``)."""
    for i, arg in enumerate(cmdline):
        if arg == "-m" and i + 1 < len(cmdline) and cmdline[i + 1].startswith("rnnbench."):
            return True
        if arg.startswith("-mrnnbench."):
            return True
    return False


def other_job_pids() -> list[int] | None:
    """The process ids of the rnnbench jobs running now beside this process (None: the process table
    cannot be read)."""
    try:
        import psutil
    except ImportError:
        return None
    me = psutil.Process()
    mine = {me.pid} | {p.pid for p in me.parents()} | {c.pid for c in me.children(recursive=True)}
    out = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if p.info["pid"] not in mine and _is_job(p.info["cmdline"] or []):
                out.append(p.info["pid"])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def other_jobs() -> int | None:
    """How many rnnbench jobs run now beside this process (None: the process table cannot be read)."""
    pids = other_job_pids()
    return None if pids is None else len(pids)


class Neighbours:
    """Samples of :func:`other_jobs` over a job's timed work."""

    def __init__(self, count=other_jobs):
        self._count = count
        self.samples: list[int | None] = []

    def sample(self) -> int | None:
        n = self._count()
        self.samples.append(n)
        return n

    def record(self, threads: int | None = None, cores_held: int | None = None) -> dict[str, Any]:
        """The run record's ``neighbours``: the samples, their maximum, ``alone`` (every sample counted no
        other job; None when any sample could not be taken) and the threads the timed work used and the
        cores the job held (what Snakemake gave it)."""
        known = [n for n in self.samples if n is not None]
        complete = bool(self.samples) and len(known) == len(self.samples)
        return {"samples": self.samples, "max": max(known) if known else None,
                "alone": (max(known) == 0) if complete else None,
                "threads": threads, "cores_held": cores_held, "method": METHOD}

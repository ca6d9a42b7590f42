"""What ran beside a timed job: the other rnnbench jobs on this machine, and the CPU everything else
used, measured while it ran.

A timing taken while other jobs share the cores depends on them (issue 19: HS's step measured 0.037 s
on one machine and 0.57 s on another, where other jobs shared the cores). A job that times something
samples its neighbours (:class:`Neighbours`) before, between and after its timed sections, and its
record says what it saw (:meth:`Neighbours.record`); the claims engine reads a timing as taken alone
only when every sample counted no other job *and* the rest of the machine stayed idle.

Two measures:

- the count: processes on *this* machine (any user) whose command line runs an rnnbench entry point
  (``python -m rnnbench.<module>``: every job of the workflow does), other than this process, its
  parents and its children. A job that started and ended between two samples is not seen.
- the other load: between samples, the CPU time the whole machine was busy (``/proc/stat`` through
  psutil: user, nice, system, irq, softirq) less the CPU time of this process, its children and its
  parents (Snakemake and its shell), per second of wall time, in cores. It sees what the count cannot:
  a test suite, a compile, another program. The 2026-12-03 default run's step-time job recorded no other
  rnnbench job while a test suite ran beside it, and its timings moved ten-fold against the next run's.
  Intervals shorter than :data:`MIN_INTERVAL_S` are merged with the next (the kernel counts CPU time in
  10 ms ticks); "alone" needs every interval at or below :data:`OTHER_CORES_ALONE`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

METHOD = ("processes on this machine running `python -m rnnbench.<module>` other than this job (its parents and "
          "children left out), counted at each sample: before the timings, between timed batches or epochs, after "
          "them (a job that ran only between two samples is not counted); and between samples, the machine's busy "
          "CPU time less this job's, its children's and its parents', in cores (other programs' load); alone: no "
          "other job in any sample and at most 0.25 of a core used by anything else in every interval of >= 0.5 s")

#: the other load (cores) at or below which an interval counts as alone: a quarter of a core leaves room for
#: the system's own threads and monitoring, and is far below another training job or test suite (about 1)
OTHER_CORES_ALONE = 0.25
#: intervals shorter than this are merged with the next before their load is computed (10 ms CPU ticks)
MIN_INTERVAL_S = 0.5


class LoadSample(NamedTuple):
    wall: float      # time.monotonic()
    busy: float      # CPU-seconds the whole machine was busy since boot
    own: float       # CPU-seconds of this process, its live children and its parents


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


def load_sample() -> LoadSample | None:
    """The machine's busy CPU time and this job's own (None: they cannot be read)."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        me = psutil.Process()
        c = me.cpu_times()
        own = c.user + c.system + c.children_user + c.children_system   # children that ended: in children_*
        for p in me.children(recursive=True) + me.parents():
            try:
                pc = p.cpu_times()
                own += pc.user + pc.system      # a parent's children_* would hold other finished jobs
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return LoadSample(time.monotonic(), busy, own)
    except (psutil.Error, OSError):
        return None


def other_load(samples: list[LoadSample | None], min_interval: float = MIN_INTERVAL_S) -> list[float] | None:
    """Per interval between consecutive samples (short ones merged with the next, a short last one with
    the one before), the cores other programs kept busy: (busy - own) / wall, at least 0. None when a
    sample is missing or there are fewer than two."""
    if len(samples) < 2 or any(s is None for s in samples):
        return None
    bounds = [samples[0]]           # interval ends: each at least min_interval after the one before
    for s in samples[1:]:
        if s.wall - bounds[-1].wall >= min_interval:
            bounds.append(s)
    if bounds[-1] is not samples[-1]:   # a short tail joins the last interval, or is the only one
        if len(bounds) > 1:
            bounds[-1] = samples[-1]
        else:
            bounds.append(samples[-1])
    out = [max(0.0, ((b.busy - a.busy) - (b.own - a.own)) / (b.wall - a.wall)) if b.wall > a.wall else 0.0
           for a, b in zip(bounds, bounds[1:])]
    return [round(x, 3) for x in out]


def other_jobs() -> int | None:
    """How many rnnbench jobs run now beside this process (None: the process table cannot be read)."""
    pids = other_job_pids()
    return None if pids is None else len(pids)


class Neighbours:
    """Samples of :func:`other_jobs` and :func:`load_sample` over a job's timed work."""

    def __init__(self, count: Callable[[], int | None] = other_jobs,
                 load: Callable[[], LoadSample | None] | None = load_sample):
        self._count = count
        self._load = load
        self.samples: list[int | None] = []
        self.loads: list[LoadSample | None] = []

    def sample(self) -> int | None:
        n = self._count()
        self.samples.append(n)
        if self._load is not None:
            self.loads.append(self._load())
        return n

    def record(self, threads: int | None = None, cores_held: int | None = None) -> dict[str, Any]:
        """The run record's ``neighbours``: the samples, their maximum, the other load per interval
        (``other_cores``, its maximum ``other_cores_max``), ``alone`` (every sample counted no other job
        and every interval's other load is at most :data:`OTHER_CORES_ALONE`; None when a sample could not
        be taken) and the threads the timed work used and the cores the job held (what Snakemake gave it).
        A counter built without a load sampler decides ``alone`` on the count alone."""
        known = [n for n in self.samples if n is not None]
        complete = bool(self.samples) and len(known) == len(self.samples)
        if self._load is not None and self.loads and all(x is not None for x in self.loads):
            short = MIN_INTERVAL_S - (self.loads[-1].wall - self.loads[0].wall)
            if short > 0:   # timed work shorter than one interval: measure the load over a window around it
                time.sleep(short)
                self.loads.append(self._load())
        loads = other_load(self.loads) if self._load is not None else None
        alone = (max(known) == 0) if complete else None
        if self._load is not None and alone is not None:
            alone = None if loads is None else (alone and max(loads) <= OTHER_CORES_ALONE)
        return {"samples": self.samples, "max": max(known) if known else None,
                "other_cores": loads, "other_cores_max": max(loads) if loads else None,
                "alone": alone, "threads": threads, "cores_held": cores_held, "method": METHOD}

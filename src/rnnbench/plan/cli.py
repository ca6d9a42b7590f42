"""``python -m rnnbench.plan``: the command line (see :mod:`rnnbench.plan`)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .calibration import Calibration
from .printout import render
from .schedule import plan_jobs, split_hint, totals
from .workflow import SNAKEFILE, PlanError, load_workflow, parse_overrides


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnnbench.plan", description=sys.modules[__package__].__doc__.splitlines()[0])
    p.add_argument("--configfile", action="extend", nargs="+", default=[],
                   help="config file(s), later ones deep-update earlier ones (as snakemake --configfile); "
                        "the Snakefile's config/config.yaml is always the base")
    p.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="as snakemake --config")
    p.add_argument("--cores", type=int, default=16, help="cores of the machine to plan for (16)")
    p.add_argument("--calibrate", action="store_true", help="measure every shape again, ignoring the cache")
    p.add_argument("--no-calibrate", action="store_true", help="counts only: no costs measured or read")
    p.add_argument("--cache", default=None, help="calibration cache file (default ~/.cache/rnnbench/plan-calibration.json)")
    p.add_argument("--data-root", default=None, help="where prepared data is looked for (default: the config's data.root)")
    p.add_argument("--gpu-slots", type=int, default=1,
                   help="GPU estimate with this many group jobs sharing the GPU, one per slot (--resources gpu=N), "
                        "assumed to overlap (1)")
    p.add_argument("--markdown", action="store_true", help="the table as Markdown")
    p.add_argument("--snakefile", default=str(SNAKEFILE))
    a = p.parse_args(argv)
    if a.cores < 1 or a.gpu_slots < 1:
        p.error("--cores and --gpu-slots must be at least 1")
    try:
        wf = load_workflow(a.configfile, parse_overrides(a.config), a.snakefile)
        cal = None if a.no_calibrate else Calibration(Path(a.cache) if a.cache else None, force=a.calibrate)
        t0 = time.perf_counter()
        jobs, meta = plan_jobs(wf, cal, Path(a.data_root) if a.data_root else None)
        took = time.perf_counter() - t0
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(render(wf, jobs, meta, cal, a.cores, markdown=a.markdown, gpu_slots=a.gpu_slots))
    hint = split_hint(wf, cal, a.cores, Path(a.data_root) if a.data_root else None,
                      totals(jobs, a.cores)) if cal is not None else None
    if hint is not None:
        k, base, parts = hint
        print(f"The longest group job, not the cores, sets that wall time (a group job trains its seeds one after "
              f"another): with --config seeds_per_job={k} (at most {k} seed(s) of an arm per job; "
              f"rnnbench.grid.split) the plan is {parts.wall_h:.2f} h on {a.cores} cores in {parts.jobs} jobs "
              f"(lower bound {parts.lower_h:.2f} h; CPU work {parts.core_h:.2f} core-h, start-ups included) against "
              f"{base.wall_h:.2f} h in {base.jobs} (CPU only: on a GPU, where an arm's members train stacked, leave it "
              f"unset). Set it before the first run: a changed value retrains the arms it splits differently.")
    if cal is not None and cal.measured:
        print(f"(calibration: {len(cal.measured)} measurement(s) in {took:.0f} s, cached in {cal.path})")
    return 0

"""The plan as printed: one row per grid, the totals, and what is assumed rather than measured."""
from __future__ import annotations

import math
from typing import Any, Mapping

from .calibration import Calibration
from .schedule import GPU, JOB_OVERHEAD_S, W2V_EVAL_S, Job, summarise, totals
from .workflow import Workflow


def _fmt_steps(n: int) -> str:
    for unit, div in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def _h(s: float) -> str:
    return "-" if math.isnan(s) else f"{s / 3600:.2f}"


def render(wf: Workflow, jobs: list[Job], meta: Mapping[str, Any], cal: Calibration | None, cores: int,
           markdown: bool = False, gpu_slots: int = 1) -> str:
    rows = summarise(jobs, meta)
    t = totals(jobs, cores, gpu_slots)
    out = [f"rnnbench plan: {' + '.join(wf.configfiles) or 'config/config.yaml'}"
           + (f"  (scale: {wf.config.get('scale')})" if wf.config.get("scale") else "")]
    if cal is not None:
        state = (f"measured now ({len(cal.measured)} shapes)" if cal.measured and not cal.cached else
                 f"cached ({len(cal.cached)} shapes, {cal.path})" if not cal.measured else
                 f"{len(cal.measured)} measured now, {len(cal.cached)} cached ({cal.path})")
        out.append(f"CPU: {cal.cpu}; per-step costs {state}")
    hdr = ["grid", "runs", "train seq-steps", "CPU core-h", "longest run h", "GPU est. h", "kernel path",
           "dataset sizes from"]
    body = []
    for r in rows:
        body.append([f"{r.family}/{r.grid}" if r.family != r.grid else r.family, str(r.runs),
                     _fmt_steps(r.train_steps), _h(r.core_s), _h(r.longest_s),
                     _h(r.gpu_s) if r.gpu_s else "(CPU)", "/".join(sorted(r.paths)), "; ".join(sorted(r.sources))])
    body.append(["total", str(t.runs), _fmt_steps(t.train_steps), _h(t.core_h * 3600),
                 _h(max((r.longest_s for r in rows), default=0.0)), _h(sum(r.gpu_s for r in rows)), "", ""])
    if markdown:
        out.append("")
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|" + "---|" * len(hdr))
        out += ["| " + " | ".join(b) + " |" for b in body]
        out.append("")
    else:
        widths = [max(len(x[i]) for x in [hdr] + body) for i in range(len(hdr))]
        for k, line in enumerate([hdr] + body):
            if k == len(body):   # before the total line
                out.append("  ".join("-" * w for w in widths))
            out.append("  ".join(c.ljust(w) if i in (0, 6, 7) else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(line, widths))).rstrip())
    thr = wf.threads.get("train", wf.config.get("threads", 1))
    w2v_thr = wf.threads.get("train_word2vec", (wf.config.get("word2vec") or {}).get("workers", 2))
    if cal is None:
        out.append("(counts only: --no-calibrate)")
        return "\n".join(out)
    out.append(f"CPU wall on {cores} cores: {t.wall_h:.2f} h (list schedule, {thr} thread(s) per sequence-model job, "
               f"{w2v_thr} per word2vec job; lower bound {t.lower_h:.2f} h); CPU work {t.core_h:.2f} core-h")
    slots = ("one run at a time" if gpu_slots == 1 else
             f"{gpu_slots} runs sharing it, assumed to overlap perfectly (optimistic)")
    out.append(f"GPU estimate (not measured): {t.gpu_total_h:.2f} h on one GPU = max(GPU queue {t.gpu_queue_h:.2f} h, "
               f"{slots}; CPU-side word2vec/Keras runs {t.gpu_cpu_side_h:.2f} h on {cores} cores); "
               f"launch-bound model: {GPU['STEP_US']:g} us per step and layer (TorchScript step loop "
               f"{GPU['STEPWISE_US']:g} us), {GPU['BATCH_MS']:g} ms per batch, or {GPU['FLOPS']:.0e} FLOP/s if larger")
    out.append(f"Assumed, not measured: {JOB_OVERHEAD_S:g} s per sequence-model job (start, imports, data), "
               f"{W2V_EVAL_S:g} s per word2vec evaluation; epochs are an upper bound where patience may stop early; "
               f"data preparation, aggregation and the report are not counted.")
    return "\n".join(out)

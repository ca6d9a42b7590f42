"""The plan as printed: one row per grid, the totals, and what is assumed rather than measured."""
from __future__ import annotations

import math
from typing import Any, Mapping

from .calibration import Calibration
from .schedule import DATA_LOAD_S, GPU, GPU_SOURCE, JOB_STARTUP_S, W2V_EVAL_S, W2V_STARTUP_S, Job, summarise, totals
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
        if cal.stale:
            state += f"; {len(cal.stale)} of them cached from other code (models/, word2vec/), measured again"
        out.append(f"CPU: {cal.cpu}; per-step costs {state}")
    hdr = ["grid", "runs", "jobs", "train seq-steps", "CPU core-h", "longest job h", "GPU est. h", "kernel path",
           "dataset sizes from"]
    body = []
    for r in rows:
        body.append([f"{r.family}/{r.grid}" if r.family != r.grid else r.family, str(r.runs), str(r.jobs),
                     _fmt_steps(r.train_steps), _h(r.core_s), _h(r.longest_s),
                     _h(r.gpu_s) if r.gpu_s else "(CPU)", "/".join(sorted(r.paths)), "; ".join(sorted(r.sources))])
    body.append(["total", str(t.runs), str(t.jobs), _fmt_steps(t.train_steps), _h(t.core_h * 3600),
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
            out.append("  ".join(c.ljust(w) if i in (0, 7, 8) else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(line, widths))).rstrip())
    thr = "/".join(sorted({str(j.threads) for j in jobs if j.family != "word2vec"}, key=int)) or "-"
    w2v_thr = wf.threads.get("train_word2vec", (wf.config.get("word2vec") or {}).get("workers", 2))
    if cal is None:
        out.append("(CPU costs not measured or read: --no-calibrate; the GPU model needs no calibration)")
        out += gpu_lines(jobs, t, cores, gpu_slots)
        return "\n".join(out)
    out.append(f"CPU wall on {cores} cores: {t.wall_h:.2f} h (list schedule of the group jobs, {thr} thread(s) per "
               f"sequence-model job (rnnbench.grid.group_resources), {w2v_thr} per word2vec job; lower bound "
               f"{t.lower_h:.2f} h); CPU work {t.core_h:.2f} core-h")
    out.append(f"CPU model: a group job trains its members one after another, each through its one-seed kernel "
               f"(path 'loop', rnnbench.models.members), in one process: {JOB_STARTUP_S:g} s start-up once per job, "
               f"{DATA_LOAD_S:g} s data load once per group (per member where they train as separate runs: "
               f"BN-LSTM, truncated BPTT), each member's training and evaluation as calibrated")
    out += gpu_lines(jobs, t, cores, gpu_slots)
    out.append(f"Measured once, not on this run's machine: outside its timed passes, a word2vec job spends "
               f"{W2V_STARTUP_S:g} s once (start-up, corpus read) and {W2V_EVAL_S:g} s per seed (evaluation); its "
               f"seeds train one after another (rnnbench.plan.schedule). Epochs are an upper bound where "
               f"patience may stop early; data preparation, aggregation and the report are not counted.")
    return "\n".join(out)


def gpu_lines(jobs: list[Job], t, cores: int, gpu_slots: int) -> list[str]:
    """The GPU estimate and the assumption it rests on, said in full."""
    stacked = [j for j in jobs if j.stacked]
    slots = ("one group job at a time" if gpu_slots == 1 else
             f"{gpu_slots} group jobs sharing it, one per slot, assumed to overlap perfectly (optimistic)")
    if math.isnan(t.gpu_cpu_side_h):
        lines = [f"GPU estimate: modelled, not measured: GPU queue {t.gpu_queue_h:.2f} h, {slots} "
                 f"(the CPU-side word2vec/Keras runs beside it need calibration)"]
    else:
        lines = [f"GPU estimate: modelled, not measured: {t.gpu_total_h:.2f} h on one GPU = max(GPU queue "
                 f"{t.gpu_queue_h:.2f} h, {slots}; CPU-side word2vec/Keras runs {t.gpu_cpu_side_h:.2f} h on {cores} cores)"]
    lines.append(f"  assumption: a stacked group of S members (path 'stacked', the TorchScript step loop with a members "
                 f"dimension) costs per batch max(layers x steps x {GPU['STEPWISE_US']:g} us launch-bound, "
                 f"S x one member's FLOPs at {GPU['FLOPS']:.0e} FLOP/s) + {GPU['BATCH_MS']:g} ms = one member's step "
                 f"time x max(1, S / S_sat), S_sat = layers x {GPU['STEPWISE_US']:g} us x {GPU['FLOPS']:.0e} FLOP/s / "
                 f"(batch x FLOPs per sequence-step)")
    if stacked:
        lo, hi = min(j.s_sat for j in stacked), max(j.s_sat for j in stacked)
        bound = sum(1 for j in stacked if j.members > j.s_sat)
        lines.append(f"  in this plan: {len(stacked)} stacked groups of {min(j.members for j in stacked)}-"
                     f"{max(j.members for j in stacked)} members, S_sat {lo:,.0f}-{hi:,.0f}; "
                     f"{bound} of them past S_sat (arithmetic-bound), the others launch-bound; the same GPU queue "
                     f"with no group stacked (members one after another, each as alone): {t.gpu_unstacked_queue_h:.2f} h")
    lines.append(f"  one-seed groups and members that cannot be stacked (BN-LSTM, truncated BPTT) "
                 f"train one after another as alone: cuDNN {GPU['STEP_US']:g} us per step and layer, the TorchScript "
                 f"step loop {GPU['STEPWISE_US']:g} us (recurrent dropout, the reset-before GRU, the BN-LSTM); "
                 f"{JOB_STARTUP_S:g} s start-up per job; word2vec and Keras stay on the CPU")
    lines.append(f"  constants: {GPU_SOURCE}")
    return lines

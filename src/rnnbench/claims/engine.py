"""The verdict engine: every claim and check of the register decided from the run records.

``python -m rnnbench.claims.engine --outdir RESULTS --scale S metrics.json...`` writes
``tables/claims.csv`` (one row per register entry: role, origin, verdict, evidence, the raw and the
Holm-adjusted interval) and ``tables/claims_runs.csv`` (the runs table the verdicts read). It reads
nothing but the run records it is given and their ``history.csv``.

A verdict goes through, in order:

1. the claim's rule (:mod:`rnnbench.claims.rules`): its statistic, 95 % interval and raw verdict;
2. Holm's correction within the claim's section (claims only; checks are not corrected): the
   verdict is read on the adjusted interval (:mod:`rnnbench.claims.stats`);
3. the convergence gate, for statistics the training history tracks: if, at the pace of their last
   epochs (a slope fitted to each run's last third, :func:`rnnbench.claims.runs.pace_window`), as many epochs again would carry the statistic across the rule's nearest boundary, the
   budget cannot show the answer: *undecided*;
4. the budget gate, for claims tested below their source's budget: the verdict a short budget can
   produce by itself stands only if the claim's positive control succeeded; otherwise
   *undecided (budget)*, with the source's budget;
5. the timing gate, for claims whose statistic is a timing (the register's ``timing``): the verdict
   stands only if every run it reads says, in its record, that no other job ran beside it and no other
   program kept more than a quarter of a core busy (:mod:`rnnbench.word2vec.neighbours`); otherwise
   *undecided*.

A decided verdict whose interval ends within a tenth of its width of the boundary is marked
``near_boundary``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..records import aggregation_main, read_records, write_csv
from ..word2vec.neighbours import OTHER_CORES_ALONE
from . import stats
from .register import REGISTER, Claim
from .rules import Outcome, fmt
from .runs import ran_alone, runs_frame, select

VERDICTS = ("supported", "contradicted", "undecided", "not run")
#: the columns other readers rely on, in this order; the ones after them are this module's additions
CLAIM_COLUMNS = ["id", "section", "quote", "source", "kind", "runs", "statistic", "n", "estimate", "ci_low",
                 "ci_high", "evidence", "rule", "verdict", "why", "anchor"]
EXTRA_COLUMNS = ["role", "origin", "slide", "paper", "boundary", "ci_low_adj", "ci_high_adj", "level_adj", "p_value",
                 "p_holm", "near_boundary"]
COLUMNS = CLAIM_COLUMNS + EXTRA_COLUMNS


def _show(o: Outcome, v: float) -> float:
    return math.exp(v) if o.log and math.isfinite(v) else v


def _boundary_text(o: Outcome) -> str:
    if o.band is None:
        return ""
    lo, hi = (_show(o, v) if math.isfinite(v) else v for v in o.band)
    if math.isfinite(lo) and math.isfinite(hi):
        return f"[{fmt(lo, 4)}, {fmt(hi, 4)}]"
    return f"> {fmt(lo, 4)}" if math.isfinite(lo) else f"< {fmt(hi, 4)}"


def outcome(claim: Claim, runs: pd.DataFrame) -> Outcome | None:
    """The claim's rule applied to the runs (None: not run here, the row says why)."""
    if claim.test is None or any(select(runs, a).empty for a in claim.arms()):
        return None
    return claim.test.decide(runs, claim.settle or "more seeds")


def _updates(runs: pd.DataFrame, claim: Claim) -> str:
    """The optimiser updates the claim's runs had (epochs × batches per epoch), where the runs say."""
    out = set()
    for arm in claim.arms():
        g = select(runs, arm)
        for _, r in g.iterrows():
            try:
                out.add(int(r["epochs"]) * math.ceil(int(r["n_train"]) / int(r["batch_size"])))
            except (KeyError, TypeError, ValueError):
                continue
    return " / ".join(f"{u:,}" for u in sorted(out)) + " updates" if out else "this config's budget"


def _not_run_row(claim: Claim, runs: pd.DataFrame) -> dict[str, Any]:
    row = _base_row(claim)
    if claim.test is None:
        row["why"] = claim.not_run
    else:
        missing = [a for a in claim.arms() if select(runs, a).empty]
        row["why"] = "no run of " + ", ".join(a.describe() for a in missing) + " in this configuration"
    return row


def _base_row(claim: Claim) -> dict[str, Any]:
    nan = float("nan")
    return {"id": claim.id, "section": claim.section, "quote": claim.quote, "source": claim.source,
            "kind": claim.kind, "runs": "; ".join(a.describe() for a in claim.arms()), "statistic": "", "n": 0,
            "estimate": nan, "ci_low": nan, "ci_high": nan, "evidence": "", "rule": "", "verdict": "not run",
            "why": "", "anchor": claim.anchor, "role": claim.role, "origin": claim.origin, "slide": claim.slide,
            "paper": claim.paper, "boundary": "", "ci_low_adj": nan, "ci_high_adj": nan, "level_adj": nan,
            "p_value": nan, "p_holm": nan, "near_boundary": False}


def _convergence_gate(row: dict[str, Any], o: Outcome, claim: Claim) -> None:
    """Undecided when the statistic was still moving toward the rule's nearest boundary fast enough
    that as many epochs again would carry it across (the pace: :func:`rnnbench.claims.runs._pace`)."""
    if row["verdict"] not in ("supported", "contradicted") or o.band is None or o.log or not o.tracked:
        return
    if not math.isfinite(o.pace):
        row["evidence"] += "; convergence gate: too few epochs to read a pace"
        return
    edges = [e for e in o.band if math.isfinite(e)]
    if not edges or not math.isfinite(o.estimate):
        return
    edge = min(edges, key=lambda e: abs(e - o.estimate))
    dist = edge - o.estimate
    row["evidence"] += f"; as many epochs again at the last epochs' pace: {o.pace:+.3g}"
    if o.pace * dist > 0 and abs(o.pace) >= abs(dist):
        row["why"] = (f"would be {row['verdict']}, but the runs were still moving toward the boundary {fmt(edge, 4)}: "
                      f"at their last epochs' pace, as many epochs again would move the statistic by {o.pace:+.3g}, "
                      f"past it ({fmt(o.estimate, 4)} now); not converged, so this budget cannot show the answer; "
                      f"{claim.settle or 'more epochs'}")
        row["verdict"] = "undecided"


def _budget_gate(row: dict[str, Any], claim: Claim, runs: pd.DataFrame) -> None:
    b = claim.budget
    if b is None or row["verdict"] != b.fakes:
        return
    ctl = b.control.decide(runs, "") if all(not select(runs, a).empty for a in b.control.arms()) else None
    ctl_verdict = ctl.verdict if ctl is not None else "not run"
    if ctl_verdict == "supported":
        row["evidence"] += f"; positive control: {b.control_says} — supported ({ctl.evidence})"
        return
    row["why"] = (f"undecided (budget): would be {row['verdict']}, a verdict a short budget can give by itself, and "
                  f"no positive control succeeded at this budget ({_updates(runs, claim)}; {b.control_says}: "
                  f"{ctl_verdict}); the source's budget: {b.source}")
    row["verdict"] = "undecided"


_TIMED = {"alone": "one job holding every core, the steps timed side by side in one process",
          "beside": "training runs, each holding only its own cores, so other jobs may have shared the machine"}


def _timing_gate(row: dict[str, Any], claim: Claim, runs: pd.DataFrame) -> None:
    if not claim.timing or row["verdict"] not in ("supported", "contradicted"):
        return
    g = pd.concat([select(runs, a) for a in claim.arms()])
    alone = ran_alone(g)
    said = int(g["alone"].notna().sum()) if "alone" in g else 0
    if bool(alone.all()) and len(g):
        row["evidence"] += (f"; timed alone: no other job, and under {OTHER_CORES_ALONE:g} of a core of other "
                            f"programs' load, beside any of the {len(g)} timings")
        return
    beside = said - int(alone.sum())
    row["why"] = (f"would be {row['verdict']}, but its timings were not all taken alone ({_TIMED[claim.timing]}): "
                  f"{beside} of {len(g)} record other jobs or other programs' load beside them, {len(g) - said} "
                  "do not say; a timing "
                  "depends on its neighbours; rerun them with nothing beside them (snakemake --cores N --jobs 1)")
    row["verdict"] = "undecided"


def finish(claim: Claim, runs: pd.DataFrame, o: Outcome, p_holm: float = float("nan"),
           level: float = 1 - stats.ALPHA) -> dict[str, Any]:
    """The claims-table row of a decided rule: the raw interval, the adjusted one at ``level`` (Holm's
    stage for this claim; 95 % when no correction applies) and the gates."""
    row = _base_row(claim)
    row.update(statistic=o.statistic, n=o.n, estimate=o.estimate, ci_low=o.ci[0], ci_high=o.ci[1],
               evidence=o.evidence, rule=o.rule, verdict=o.verdict, why=o.why, boundary=_boundary_text(o))
    if o.interval is not None and o.band is not None:
        p = stats.p_value(o.interval, o.band)
        lo, hi = o.interval(level)
        row.update(p_value=p, level_adj=level, ci_low_adj=_show(o, lo), ci_high_adj=_show(o, hi))
        adjusted = stats.decide_interval(lo, hi, o.band)
        corrected = math.isfinite(p_holm)
        row["p_holm"] = p_holm if corrected else p
        if corrected and p_holm > stats.ALPHA and o.verdict != "undecided":
            row["why"] = (f"would be {o.verdict} at the raw 95 %, but not after Holm's correction within the section "
                          f"(adjusted p {p_holm:.3g} > {stats.ALPHA}); {claim.settle or 'more seeds'}")
            row["verdict"] = "undecided"
        elif corrected and p_holm <= stats.ALPHA:
            row["verdict"] = adjusted
        if row["verdict"] in ("supported", "contradicted"):
            row["near_boundary"] = stats.near_boundary(lo, hi, o.band)
    _convergence_gate(row, o, claim)
    _budget_gate(row, claim, runs)
    _timing_gate(row, claim, runs)
    if claim.paper_direction in ("tie", "reverse") and row["verdict"] == "supported":
        found = "a tie" if claim.paper_direction == "tie" else "the reverse"
        row["why"] = (row["why"] + "; " if row["why"] else "") + (
            f"agrees with the lecture's words where the paper itself found {found} ({claim.paper})")
    return row


def evaluate(claim: Claim, runs: pd.DataFrame) -> dict[str, Any]:
    """One row of the claims table, the claim decided alone (no correction: a section of one)."""
    o = outcome(claim, runs)
    return _not_run_row(claim, runs) if o is None else finish(claim, runs, o)


def claims_table(runs: pd.DataFrame, register: list[Claim] = REGISTER) -> pd.DataFrame:
    """Every entry of the register decided, claims corrected for multiplicity (Holm) within each section."""
    outs = [outcome(c, runs) for c in register]
    p = [float("nan")] * len(register)
    for i, (c, o) in enumerate(zip(register, outs)):
        if o is not None and c.role == "claim" and o.interval is not None and o.band is not None:
            p[i] = stats.p_value(o.interval, o.band)
    p_holm = [float("nan")] * len(register)
    level = [1 - stats.ALPHA] * len(register)
    for section in dict.fromkeys(c.section for c in register):
        idx = [i for i, c in enumerate(register) if c.section == section and math.isfinite(p[i])]
        adj, lev = stats.holm([p[i] for i in idx])
        for i, a, l in zip(idx, adj, lev):
            p_holm[i], level[i] = a, l
    rows = [(_not_run_row(c, runs) if o is None else finish(c, runs, o, p_holm[i], level[i]))
            for i, (c, o) in enumerate(zip(register, outs))]
    return pd.DataFrame(rows, columns=COLUMNS)


def headline(table: pd.DataFrame) -> dict[str, int]:
    """The counts the report opens with: claims only (checks are counted apart)."""
    role = table["role"] if "role" in table else pd.Series("claim", index=table.index)
    claims = table[role == "claim"]
    v = claims["verdict"].value_counts()
    checks = table[role == "check"]
    return {"claims": len(claims), "tested": len(claims) - int(v.get("not run", 0)),
            "supported": int(v.get("supported", 0)), "contradicted": int(v.get("contradicted", 0)),
            "undecided": int(v.get("undecided", 0)), "not_run": int(v.get("not run", 0)),
            "decided": int(v.get("supported", 0) + v.get("contradicted", 0)),
            "near_boundary": int(claims.get("near_boundary", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
            "checks": len(checks), "checks_passed": int((checks["verdict"] == "supported").sum()),
            "checks_failed": int((checks["verdict"] == "contradicted").sum()),
            "checks_not_run": int((checks["verdict"] == "not run").sum())}


def aggregate(paths: list[str], outdir: str | Path, scale: str) -> dict[str, Path]:
    outdir = Path(outdir)
    runs = runs_frame(read_records(paths))
    table = claims_table(runs)
    table.insert(len(table.columns), "scale", scale)
    return {"claims": write_csv(table, outdir / "tables" / "claims.csv"),
            "claims_runs": write_csv(runs.drop(columns=["_config"], errors="ignore"),
                                     outdir / "tables" / "claims_runs.csv")}


def main(argv: list[str] | None = None) -> None:
    aggregation_main("rnnbench.claims.engine", __doc__.splitlines()[0], aggregate, argv)


if __name__ == "__main__":
    main()

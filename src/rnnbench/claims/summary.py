"""A claims table as Markdown: the headline and one row per claim, then the checks apart.

    python -m rnnbench.claims.summary results/tables/claims.csv [--why]

What the README's "What the default run decides" is made from (pasted, never typed): the counts of
:func:`rnnbench.claims.engine.headline`, then per claim its origin, verdict (with *near the boundary* and
Holm's adjusted interval where they apply) and evidence; ``--why`` adds what would settle an undecided one.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from .engine import headline


def _cell(v) -> str:
    s = "" if v is None or (isinstance(v, float) and v != v) else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def headline_text(h: dict[str, int]) -> str:
    return (f"Of {h['claims']} claims in the register, {h['tested']} are tested by this config and "
            f"{h['decided']} of them decided: {h['supported']} supported, {h['contradicted']} contradicted, "
            f"{h['undecided']} undecided ({h['near_boundary']} decided near the boundary); {h['not_run']} not run. "
            f"Checks of the implementation, apart: {h['checks_passed']} of {h['checks']} passed, "
            f"{h['checks_failed']} failed, {h['checks_not_run']} not run.")


def markdown(table: pd.DataFrame, why: bool = False) -> str:
    role = table["role"] if "role" in table else pd.Series("claim", index=table.index)
    lines = [headline_text(headline(table)), ""]
    for name, rows in (("claim", table[role == "claim"]), ("check", table[role == "check"])):
        if rows.empty:
            continue
        head = [name, "origin", "verdict", "evidence: estimate [95 % CI]"] + (["why undecided"] if why else [])
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for _, r in rows.iterrows():
            v = r["verdict"]
            if bool(r.get("near_boundary")) and v in ("supported", "contradicted"):
                v += " (near the boundary)"
            ev = _cell(r["evidence"])
            lo, hi = r.get("ci_low_adj"), r.get("ci_high_adj")
            if pd.notna(lo) and pd.notna(hi) and pd.notna(r.get("level_adj")) and float(r["level_adj"]) > 0.95:
                ev += f"; Holm {float(r['level_adj']):.4g}: [{float(lo):.4g}, {float(hi):.4g}]"
            cells = [f"`{r['id']}`", _cell(r.get("origin")), v, ev[:160] + ("…" if len(ev) > 160 else "")]
            if why:
                cells.append(_cell(r.get("why")) if r["verdict"] == "undecided" else "")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnbench.claims.summary", description=__doc__.splitlines()[0])
    ap.add_argument("claims", help="a claims.csv (results/tables/claims.csv)")
    ap.add_argument("--why", action="store_true", help="add what would settle each undecided claim")
    a = ap.parse_args(argv)
    p = Path(a.claims)
    if not p.is_file():
        raise SystemExit(f"error: {p}: no such file (run the workflow first: its claims rule writes tables/claims.csv)")
    print(markdown(pd.read_csv(p), a.why))


if __name__ == "__main__":
    main()

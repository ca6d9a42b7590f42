"""Seeds fixed before the results: how many seeds each claim needs, from pilot runs on other seeds.

    python -m rnnbench.claims.power --pilot results-pilot [--power 0.8] [--config config/config.yaml] \\
        [--out results-pilot/tables/power.csv]

``--pilot``: the pilot's results folder (its ``tables/claims_runs.csv``, else every ``metrics.json`` under it)
or a ``claims_runs.csv``. The pilot is ``config/pilot.yaml`` (the claims' grids on seeds no other run uses:
:mod:`rnnbench.claims.replicate`), so no seed a verdict reads was looked at to size it.

For every claim with a t interval, from the pilot:

- the statistic the rule puts an interval on, per unit (a seed, or a pair of seeds for an effect; a log
  ratio for a ratio rule) and its sd over the pilot's units;
- the smallest effect the claim cares about, δ (:func:`rnnbench.claims.register.smallest_effect`: the
  register's, or the rule's tolerance / margin), with where it comes from;
- the units n for which, if the truth lies δ from the boundary (a figure or an equivalence: at the centre
  of its band, δ from either edge), the 95 % t interval lands wholly on the truth's side with probability
  ``power``: the smallest n with ``n ≥ ((t(1 − α/2, n − 1) + t(q, n − 1)) · sd / δ)²``, q = power for a
  one-edged boundary, (1 + power) / 2 for a two-edged band (both ends must land inside). n is found by
  iterating, because the t quantiles depend on n;
- the seeds that makes (units per seed read from the pilot; at least the rules' floor
  :data:`rnnbench.claims.rules.MIN_SEEDS`) beside the seeds the config has.

The calculation is at the raw 95 %; Holm's correction within a section reads some claims at a stricter
level, so these counts are a floor. Per-seed rules (ranks, counts: every seed must meet it) and the
bootstrap of spreads have no t interval: their rows say so, and need the rules' floor.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import yaml

from ..records import read_records
from .register import REGISTER, Claim, smallest_effect
from .rules import MIN_SEEDS, Equivalent, Near, Paired, _OneArm
from .runs import runs_frame, values
from .stats import ALPHA, finite

COLUMNS = ["id", "section", "rule", "statistic", "unit", "pilot_n", "pilot_sd", "smallest_effect", "effect_source",
           "units_needed", "units_per_seed", "seeds_needed", "seeds_configured", "enough", "note"]
#: the largest n the search tries; beyond it the row says "more than"
N_MAX = 10_000


def units_needed(sd: float, effect: float, power: float = 0.8, two_edged: bool = False, alpha: float = ALPHA) -> int:
    """The smallest n (≥ 2) with n ≥ ((t(1 − α/2, n − 1) + t(q, n − 1)) · sd / effect)²: the units for the
    two-sided (1 − α) t interval of a mean to land wholly on the truth's side of a boundary ``effect`` away,
    with probability ``power`` (q = power), or, ``two_edged``, inside a band whose edges are both ``effect``
    from the truth (q = (1 + power) / 2). N_MAX + 1 when no n up to N_MAX does."""
    from scipy import stats

    if not (0 < power < 1):
        raise ValueError(f"power must be in (0, 1), got {power!r}")
    if not (effect > 0) or not math.isfinite(effect):
        raise ValueError(f"the smallest effect must be a finite number > 0, got {effect!r}")
    if not (sd >= 0) or not math.isfinite(sd):
        raise ValueError(f"the pilot's sd must be a finite number ≥ 0, got {sd!r}")
    q = (1 + power) / 2 if two_edged else power
    for n in range(2, N_MAX + 1):
        t = float(stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(q, n - 1))
        if n >= (t * sd / effect) ** 2:
            return n
    return N_MAX + 1


# ---- the pilot's statistic per claim -------------------------------------------------------------------

def _unit(claim: Claim) -> str:
    t = claim.test
    if isinstance(t, (Paired, Equivalent)):
        keys = tuple(t.pair_on)
        if keys == ("seed",):
            return "paired seeds"
        return "timed batches" if keys == ("batch",) else f"pairs ({', '.join(keys)})"
    return "seeds"


def pilot_units(claim: Claim, runs: pd.DataFrame) -> tuple[np.ndarray, int, str]:
    """The pilot's values of the claim's statistic, one per unit (seed or pair), the seeds they came from
    and what the statistic is; empty for rules without a t interval."""
    t = claim.test
    if isinstance(t, _OneArm):
        g = values(runs, t.arm, t.metric)
        x = finite(g[t.metric]) if t.metric in g else np.array([])
        seeds = g["seed"].nunique() if "seed" in g and len(x) else 0
        return x, int(seeds), f"{t.metric} per seed"
    if isinstance(t, (Paired, Equivalent)):
        j, _, _ = t._pairs(runs, t._log)
        d = finite(j["d"]) if "d" in j else np.array([])
        seeds = int(j["seed"].nunique()) if "seed" in j and len(d) else (1 if len(d) else 0)
        what = (f"log of the ratio {t.metric} a ÷ b" if t._log else f"difference of {t.metric}, a − b")
        per = {"paired seeds": "paired seed", "timed batches": "timed batch"}.get(_unit(claim), "pair")
        return d, seeds, f"{what}, per {per}"
    return np.array([]), 0, ""


def _effect_size(claim: Claim, runs: pd.DataFrame) -> tuple[float, str]:
    e = smallest_effect(claim)
    if e is None:
        return float("nan"), ""
    if not e.relative:
        return e.size, e.source
    b = values(runs, claim.test.b, claim.test.metric)
    mean = float(np.mean(finite(b[claim.test.metric]))) if claim.test.metric in b and len(b) else float("nan")
    return e.size * mean, f"{e.source}: {e.size:g} × the pilot's mean {mean:.4g}"


# ---- the seeds a config gives each claim ---------------------------------------------------------------

def arm_entry(arm, config: Mapping[str, Any] | None) -> tuple[str, int | None]:
    """The config entry whose seeds an arm's count is, and that count: the first of its grids the config
    runs (word2vec: the section's seeds, or the step-time job's repeats, its timed batches); None for
    the count when the config runs none of them (or no config is given)."""
    config = config or {}
    if arm.family == "word2vec":
        w2v = config.get("word2vec") or {}
        if arm.where.get("kind") == "step_cost":
            return "word2vec/softmax_cost.repeats", int((w2v.get("softmax_cost") or {}).get("repeats", 5))
        s = w2v.get("seeds", [1])
        return "word2vec/seeds", len(s) if isinstance(s, list) else 1
    entries = {e.get("name"): e for e in config.get(arm.family) or []}
    grid = next((g for g in arm.grids if g in entries), None)
    if grid is None:
        return f"{arm.family}/{arm.grids[0] if arm.grids else ''}", None
    s = entries[grid].get("seeds", [0])
    return f"{arm.family}/{grid}", len(s) if isinstance(s, list) else 1


def seeds_configured(claim: Claim, config: Mapping[str, Any]) -> int | None:
    """The fewest seeds (timed batches, for the step-time job) the config gives any of the claim's arms."""
    counts = [arm_entry(arm, config)[1] for arm in claim.arms()]
    if any(c is None for c in counts):
        return None
    return min(counts) if counts else None


def _note_without_interval(claim: Claim) -> str:
    name = type(claim.test).__name__
    if name == "EverySeed":
        return (f"per-seed rule (every seed must meet it): more seeds cannot raise its power; the rules' floor, "
                f"{MIN_SEEDS} seeds")
    if name == "Spread":
        return f"a bootstrap of spreads, no t interval: no calculation here; the rules' floor, {MIN_SEEDS} seeds"
    return "no interval (an exact figure)"


def power_table(runs: pd.DataFrame, config: Mapping[str, Any] | None = None, power: float = 0.8,
                register: Iterable[Claim] = REGISTER) -> pd.DataFrame:
    """One row per claim (checks apart: they confirm the implementation, and ride on their claims' grids)."""
    rows = []
    for c in register:
        if c.role != "claim" or c.test is None:
            continue
        row: dict[str, Any] = {"id": c.id, "section": c.section, "rule": type(c.test).__name__, "unit": _unit(c),
                               "seeds_configured": seeds_configured(c, config) if config else None, "note": ""}
        if not isinstance(c.test, (_OneArm, Paired, Equivalent)):
            row.update(statistic="", unit="seeds", seeds_needed=MIN_SEEDS, note=_note_without_interval(c))
            rows.append(row)
            continue
        x, seeds, what = pilot_units(c, runs)
        effect, source = _effect_size(c, runs)
        sd = float(np.std(x, ddof=1)) if x.size >= 2 else float("nan")
        row.update(statistic=what, pilot_n=int(x.size), pilot_sd=sd, smallest_effect=effect, effect_source=source)
        if x.size < 2:
            row["note"] = f"the pilot has {x.size} unit(s) of this statistic: no sd"
        elif not (effect > 0):
            row["note"] = "no smallest effect (the pilot's mean of arm b, for a relative one, is not > 0)"
        else:
            two_edged = isinstance(c.test, (Near, Equivalent))
            n = units_needed(sd, effect, power, two_edged)
            per_seed = x.size / seeds if seeds else 1.0
            # the step-time job's unit is the timed batch: its count is the config's repeats, not seeds
            per_seed = 1.0 if row["unit"] == "timed batches" else per_seed
            row.update(units_needed=n, units_per_seed=per_seed,
                       seeds_needed=max(MIN_SEEDS, math.ceil(n / per_seed)))
            if n > N_MAX:
                row["note"] = f"more than {N_MAX:,} units: the pilot's sd dwarfs the smallest effect"
        rows.append(row)
    t = pd.DataFrame(rows, columns=COLUMNS)
    t["enough"] = [bool(pd.notna(need) and pd.notna(have) and have >= need)
                   for need, have in zip(t["seeds_needed"], t["seeds_configured"])]
    return t


def by_grid(table: pd.DataFrame, config: Mapping[str, Any] | None = None,
            register: Iterable[Claim] = REGISTER) -> pd.DataFrame:
    """One row per config entry a claim reads: the most seeds any of its claims needs (the count to set),
    the claims that need it, and the seeds the config gives it. The count is a floor for every claim
    reading the grid; a grid whose need exceeds what the budget affords is sized by the budget, and
    the claims that needed more are underpowered (their rows say so)."""
    need = table.set_index("id")["seeds_needed"].to_dict()
    rows: dict[str, dict[str, Any]] = {}
    for c in register:
        if c.id not in need or c.test is None:
            continue
        for arm in c.test.arms():
            g, have = arm_entry(arm, config)
            r = rows.setdefault(g, {"grid": g, "seeds_needed": MIN_SEEDS, "driven_by": "", "claims": [],
                                    "seeds_configured": have if config is not None else None})
            r["claims"].append(c.id)
            n = need[c.id]
            if pd.notna(n) and int(n) > r["seeds_needed"]:
                r["seeds_needed"], r["driven_by"] = int(n), c.id
    out = []
    for r in rows.values():
        out.append({"grid": r["grid"], "seeds_needed": r["seeds_needed"], "driven_by": r["driven_by"] or "(the floor)",
                    "seeds_configured": r["seeds_configured"], "claims": ", ".join(sorted(set(r["claims"])))})
    return pd.DataFrame(out, columns=["grid", "seeds_needed", "driven_by", "seeds_configured", "claims"])


# ---- reading a pilot -------------------------------------------------------------------------------------

def read_pilot(path: str | Path) -> pd.DataFrame:
    """The pilot's runs table: a ``claims_runs.csv``, or a results folder (its ``tables/claims_runs.csv``,
    else every ``metrics.json`` under it)."""
    p = Path(path)
    if p.is_file():
        if p.suffix != ".csv":
            raise ValueError(f"--pilot {p}: give a results folder or a claims_runs.csv")
        return pd.read_csv(p)
    if not p.is_dir():
        raise FileNotFoundError(f"--pilot {p}: no such folder or file")
    table = p / "tables" / "claims_runs.csv"
    if table.exists():
        return pd.read_csv(table)
    # a group job stages its members' records under groups/ and the member rule copies each to the run's
    # own folder: read the copies only, or every seed of a grouped arm would count twice
    records = sorted(r for r in p.rglob("metrics.json") if "groups" not in r.relative_to(p).parts)
    if not records:
        raise FileNotFoundError(f"--pilot {p}: neither tables/claims_runs.csv nor any metrics.json under it "
                                "(run the pilot first: snakemake --configfile config/pilot.yaml)")
    recs = read_records(records)
    ids = pd.Series([r.get("run_id") for r in recs])
    if ids.duplicated().any():
        raise ValueError(f"--pilot {p}: run id(s) recorded twice: {', '.join(map(str, ids[ids.duplicated()].unique()[:3]))}")
    return runs_frame(recs).drop(columns=["_config"], errors="ignore")


def _show(t: pd.DataFrame) -> str:
    cols = ["id", "statistic", "pilot_n", "pilot_sd", "smallest_effect", "seeds_needed", "seeds_configured"]
    return t[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="—")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnbench.claims.power", description=__doc__.splitlines()[0])
    ap.add_argument("--pilot", required=True, help="the pilot's results folder or its claims_runs.csv")
    ap.add_argument("--power", type=float, default=0.8, help="probability of a decided verdict at the smallest effect")
    ap.add_argument("--config", default="config/config.yaml", help="the config whose seed counts to set beside")
    ap.add_argument("--out", default=None, help="CSV to write (default: <pilot folder>/tables/power.csv, or power.csv "
                                                "beside the given claims_runs.csv)")
    a = ap.parse_args(argv)
    try:
        runs = read_pilot(a.pilot)
        config = yaml.safe_load(Path(a.config).read_text()) if a.config else None
        table = power_table(runs, config, a.power)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}")
    pilot = Path(a.pilot)
    out = Path(a.out) if a.out else (pilot / "tables" / "power.csv" if pilot.is_dir() else pilot.with_name("power.csv"))
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    grids = by_grid(table, config)
    grids.to_csv(out.with_name(out.stem + "_by_grid.csv"), index=False)
    print(_show(table))
    print("\nper config entry (the most seeds any claim reading it needs):")
    print(grids.drop(columns=["claims"]).to_string(index=False, na_rep="—"))
    print(f"\n{int(table['enough'].sum())} of {len(table)} claims have the seeds they need at power {a.power:g}; "
          f"written to {out}")


if __name__ == "__main__":
    main()

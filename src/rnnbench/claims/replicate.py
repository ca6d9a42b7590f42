"""Replication on fresh seeds: the overlay that reruns the claims' grids, and the comparison of two claims tables;
the pilot overlay (the same grids on a third seed range) that the seed counts are sized from.

``config/replicate.yaml`` is generated from ``config/config.yaml`` by
``python -m rnnbench.claims.replicate --write config/replicate.yaml`` (a test fails when the two drift
apart): every grid a claim or a positive control reads, its seeds moved by :data:`SEED_OFFSET` (a range
no grid of the default config uses), the word2vec study's seeds likewise (and IMDb's pretrained
vectors with them), results in ``results-replicate/``. Snakemake lays it over the default config::

    snakemake --cores 2 --configfile config/offline.yaml config/replicate.yaml

The replicate run's report (and the default run's, once both exist) then says how many of the
decided claims keep their verdict on the fresh seeds (:func:`compare`).

``config/pilot.yaml`` (``--pilot --write config/pilot.yaml``) is made the same way: the same grids on
:data:`PILOT_SEEDS` seeds from :data:`PILOT_OFFSET` (a range neither the default config nor the replication
uses), results in ``results-pilot/``; :mod:`rnnbench.claims.power` reads it to size each arm's seeds
before any confirmatory seed is run.
"""
from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import yaml

from .register import REGISTER, Claim

SEED_OFFSET = 1000
SUFFIX = "-replicate"
SEQUENCE_FAMILIES = ("recurrent", "names", "music", "embedding")
PILOT_OFFSET = 2000
PILOT_SEEDS = 3
PILOT_SUFFIX = "-pilot"
PILOT_HEADER = ("# Pilot runs (issue 19, item 4): the claims' grids on 3 seeds of their own (2000+), results apart; the\n"
                "# power calculation (python -m rnnbench.claims.power --pilot results-pilot) sizes each arm's seeds from\n"
                "# them, so no seed a verdict reads is looked at before its count is fixed. Generated from config/config.yaml\n"
                "# by `python -m rnnbench.claims.replicate --pilot --write config/pilot.yaml`; do not edit by hand\n"
                "# (tests/test_claims_power.py compares the two). Run it over the default config:\n"
                "#   snakemake --cores 2 --configfile config/offline.yaml config/pilot.yaml\n"
                "# Lists replace the default config's (Snakemake merges mappings, not lists): only these grids run.\n")
HEADER = ("# Replication on fresh seeds (issue 19): the claims' grids on a disjoint seed range, results apart.\n"
          "# Generated from config/config.yaml by `python -m rnnbench.claims.replicate --write config/replicate.yaml`;\n"
          "# do not edit by hand (tests/test_claims_replicate.py compares the two). Run it over the default config:\n"
          "#   snakemake --cores 2 --configfile config/offline.yaml config/replicate.yaml\n"
          "# Lists replace the default config's (Snakemake merges mappings, not lists): only these grids run.\n")


def claim_grids(register: Iterable[Claim] = REGISTER) -> dict[str, set[str]]:
    """The grids (per family) that a claim or a claim's positive control reads."""
    out: dict[str, set[str]] = {}
    for c in register:
        arms = list(c.arms()) + (list(c.budget.control.arms()) if c.budget else [])
        for a in arms:
            for grid in a.grids:
                out.setdefault(a.family, set()).add(grid)
    return out


def _shift(seeds: Any, offset: int = SEED_OFFSET, n: int | None = None) -> list[int]:
    """The seeds moved by ``offset``; ``n``: instead, ``n`` seeds from ``offset`` on."""
    if n is not None:
        return list(range(offset, offset + n))
    return [int(s) + offset for s in (seeds if isinstance(seeds, list) else [seeds])]


def overlay(config: Mapping[str, Any], register: Iterable[Claim] = REGISTER, offset: int = SEED_OFFSET,
            n_seeds: int | None = None, suffix: str = SUFFIX) -> dict[str, Any]:
    """The overlay of a config (as :mod:`yaml` reads it: anchors resolved) that runs the claims' grids on
    seeds moved by ``offset`` (the replication: as many as the config's), or on ``n_seeds`` seeds from
    ``offset`` (the pilot), with results in ``<results><suffix>``."""
    grids = claim_grids(register)
    out: dict[str, Any] = {"results": str(config.get("results", "results")) + suffix}
    for family in SEQUENCE_FAMILIES:
        kept = []
        for entry in config.get(family) or []:
            if entry.get("name") in grids.get(family, set()):
                e = copy.deepcopy(entry)
                e["seeds"] = _shift(e.get("seeds", [0]), offset, n_seeds)
                kept.append(e)
        if family in config:
            out[family] = kept
    w2v = config.get("word2vec")
    if w2v:
        seeds = w2v.get("seeds", [1])
        seeds = seeds if isinstance(seeds, list) else [seeds]
        moved = _shift(seeds, offset, n_seeds)
        out["word2vec"] = {"seeds": moved}
        twin = dict(zip(seeds, moved))
        if any("seeds" in e for e in w2v.get("extra_grids") or []):
            # an extra grid with seeds of its own (the default's one-seed gensim reference, whose run the IMDb arms
            # may read) takes its seeds' twins, where the main grid's move; the overlay's list replaces the config's
            extras = []
            for e in w2v["extra_grids"]:
                e = copy.deepcopy(e)
                if "seeds" in e:
                    own = e["seeds"] if isinstance(e["seeds"], list) else [e["seeds"]]
                    e["seeds"] = [twin[s] for s in own if s in twin] or moved[:1]
                extras.append(e)
            out["word2vec"]["extra_grids"] = extras
        vectors = (config.get("imdb") or {}).get("vectors")
        if vectors and "seed" in vectors:
            # IMDb's pretrained vectors: the moved twin of their seed's run, one the overlay trains
            i = seeds.index(vectors["seed"]) if vectors["seed"] in seeds else 0
            out["imdb"] = {"vectors": {"seed": moved[min(i, len(moved) - 1)]}}
    return out


def render(config: Mapping[str, Any], pilot: bool = False) -> str:
    if pilot:
        body = overlay(config, offset=PILOT_OFFSET, n_seeds=PILOT_SEEDS, suffix=PILOT_SUFFIX)
        return PILOT_HEADER + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=110)
    return HEADER + yaml.safe_dump(overlay(config), sort_keys=False, default_flow_style=None, width=110)


# ---- the comparison ---------------------------------------------------------------------------------

DECIDED = ("supported", "contradicted")
COMPARISON_COLUMNS = ["id", "section", "verdict", "verdict_replicate", "estimate", "estimate_replicate", "kept"]


def compare(original: pd.DataFrame, replicate: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The claims decided in ``original`` (checks apart), each beside its verdict on the fresh seeds;
    ``kept``: the same verdict. Summary: ``decided`` (n), ``kept`` (k), and how the others went."""
    def claims(t: pd.DataFrame) -> pd.DataFrame:
        return t[t["role"] == "claim"] if "role" in t else t

    a = claims(original)
    a = a[a["verdict"].isin(DECIDED)][["id", "section", "verdict", "estimate"]]
    b = claims(replicate)[["id", "verdict", "estimate"]].rename(
        columns={"verdict": "verdict_replicate", "estimate": "estimate_replicate"})
    j = a.merge(b, on="id", how="left")
    j["verdict_replicate"] = j["verdict_replicate"].fillna("not run")
    j["kept"] = j["verdict"] == j["verdict_replicate"]
    flipped = j["verdict_replicate"].isin(DECIDED) & ~j["kept"]
    summary = {"decided": len(j), "kept": int(j["kept"].sum()), "flipped": int(flipped.sum()),
               "undecided": int((j["verdict_replicate"] == "undecided").sum()),
               "not_run": int((j["verdict_replicate"] == "not run").sum())}
    return j[COMPARISON_COLUMNS], summary


def sibling_tables(results: str | Path) -> tuple[Path, Path] | None:
    """(original, replicate) claims tables of a results folder and its replication twin
    (``<results>`` and ``<results>-replicate``, side by side), when both exist."""
    tables = _twin_tables(results)
    return tables if all(t.exists() for t in tables) else None


def _twin_tables(results: str | Path) -> tuple[Path, Path]:
    """(original, replicate) claims-table paths of a results folder and its twin, whether or not they exist."""
    results = Path(results).resolve()
    if results.name.endswith(SUFFIX):
        pair = (results.with_name(results.name[: -len(SUFFIX)]), results)
    else:
        pair = (results, results.with_name(results.name + SUFFIX))
    return tuple(p / "tables" / "claims.csv" for p in pair)


def _g(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:.3g}"


def comparison_markdown(results: str | Path) -> str:
    """The replication figure and its table, for the README; a clear error when a twin is missing."""
    pair = sibling_tables(results)
    if pair is None:
        original, replicate = _twin_tables(results)
        raise SystemExit(f"replicate --compare: need both {original} and {replicate}; run the default config and "
                         f"config/replicate.yaml first")
    table, n = compare(pd.read_csv(pair[0]), pd.read_csv(pair[1]))
    lines = [f"Replicated on fresh seeds: {n['kept']} of {n['decided']} decided claims keep their verdict "
             f"({n['flipped']} flipped, {n['undecided']} undecided, {n['not_run']} not run).", "",
             "| claim | section | verdict | on fresh seeds | estimate | on fresh seeds | |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(f"| `{r.id}` | {r.section} | {r.verdict} | {r.verdict_replicate} | {_g(r.estimate)} | "
                     f"{_g(r.estimate_replicate)} | {'kept' if r.kept else 'changed'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rnnbench.claims.replicate", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config/config.yaml", help="the config whose claims' grids to replicate")
    ap.add_argument("--write", default=None, help="write the overlay here (default: print it)")
    ap.add_argument("--pilot", action="store_true", help=f"the pilot overlay ({PILOT_SEEDS} seeds from {PILOT_OFFSET}, "
                                                        f"results{PILOT_SUFFIX}/) instead of the replication")
    ap.add_argument("--compare", metavar="RESULTS", default=None,
                    help="instead: compare RESULTS/tables/claims.csv with its twin RESULTS-replicate/ (the report's "
                         "replication section) and print the figure and the table as Markdown")
    args = ap.parse_args(argv)
    if args.compare:
        print(comparison_markdown(args.compare))
        return
    text = render(yaml.safe_load(Path(args.config).read_text()), pilot=args.pilot)
    if args.write:
        Path(args.write).write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()

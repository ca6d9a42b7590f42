"""Every family of experiments, declared once: its name (the config key of its grids, the
``family`` of its run records, its folder under ``results/``), what it studies, and whether its
runs are sequence-model runs.

Sequence-model families are lists of grid entries in the config, expanded by
``rnnbench.grid.expand`` and trained by the one ``train`` rule and the one training loop; word2vec
has its own grid (``rnnbench.grid.expand_word2vec``) and rules. Read by the workflow (``common.smk``:
the runs of each family; the ``train`` rule's family wildcard), the plan, the report's families
table and the config schema (a test holds the schema's grid keys equal to these).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    what: str                  # one line for the report's families table
    sequence: bool = True      # grid entries through rnnbench.grid.expand and the `train` rule


# in the order the report's families table lists them
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("recurrent", "long-term dependencies, LSTM/GRU on HAR, adding problem"),
    Family("word2vec", "CBOW / skip-gram × HS / NS, ours and gensim", sequence=False),
    Family("names", "name → gender (the lecture's recap)"),
    Family("music", "polyphonic music (Chung et al. 2014)"),
    Family("embedding", "three uses of an embedding layer on IMDb"),
)}
SEQUENCE_FAMILIES: tuple[str, ...] = tuple(name for name, f in FAMILIES.items() if f.sequence)

"""Expand the config's experiment grids into runs: one run = one Snakemake job.

Every family's grid is expanded here, by the same product of axes (:func:`combinations`): the
sequence-model families by :func:`expand`, the word2vec study by :func:`expand_word2vec`.

A grid entry (``recurrent:`` list in the config) holds scalars that apply to every run and
list-valued grid axes; every combination of the axes is one run. An entry's ``arms`` (a list of
mappings of axis values) gives arms that are not a product: each arm's values, crossed with the
entry's other axes, are runs of the same grid. The run id is a readable
path (``har_lecture/lstm_L1_clipnone_drop0_rdrop0_torch/seed0``) used as the Snakemake
wildcard and as the results folder; the resolved spec of each run is what its job receives.
"""
from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any, Mapping

from .cells import CELLS
from .runspec import RunSpec, RunSpecError

# axis name in config -> key in the resolved spec, in the product's order (RunSpec's ``axis`` fields)
AXES = RunSpec.axes()
#: ``dropout_masks``' default (one mask per sequence and layer: Keras', Gal & Ghahramani's variational
#: dropout). Not in DEFAULTS: a run at the default carries no such key, so its id and its record's
#: config are what they were before the setting existed; a run with per-step masks says so in both
DROPOUT_MASKS_DEFAULT = RunSpec.defaults()["dropout_masks"]
#: axes an arm of ``arms`` may set (not the seeds: the arms of a grid pair on the entry's seeds,
#: which the replication and pilot overlays replace)
ARM_AXES = tuple(k for k in AXES if k != "seeds")

#: the settings every run's spec carries, at their defaults (:class:`rnnbench.runspec.RunSpec`'s
#: every-run fields; the others join a spec only when its grid entry sets them)
DEFAULTS: dict[str, Any] = RunSpec.every_run_defaults()


class GridError(ValueError):
    """A grid entry that cannot be expanded (unknown cell, empty axis, duplicate name...)."""


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


#: the axes :func:`run_id` spells in its own way (a new axis needs none: swept, it is named by its field)
ID_SPELLED = frozenset({"cell", "layers", "clipvalue", "clipnorm", "dropout", "recurrent_dropout", "backend", "seed",
                        "lr", "seq_len", "hidden", "dataset", "embedding", "recurrent_gain", "reset_after",
                        "dropout_masks"})


def run_id(entry: str, spec: Mapping[str, Any], swept: set[str]) -> str:
    s = RunSpec.from_dict(spec)
    clip = "none"
    if s.clipvalue is not None:
        clip = _fmt(s.clipvalue)
    elif s.clipnorm is not None:
        clip = "norm" + _fmt(s.clipnorm)
    parts = [s.cell, f"L{s.layers}", f"clip{clip}", f"drop{_fmt(s.dropout)}", f"rdrop{_fmt(s.recurrent_dropout)}",
             s.backend]
    for extra, tag in (("lr", "lr"), ("seq_len", "T"), ("hidden", "H"), ("dataset", ""), ("embedding", "emb"),
                       ("recurrent_gain", "g")):
        if extra in swept:
            parts.append(f"{tag}{_fmt(getattr(s, extra))}")
    if "reset_after" in swept or not s.reset_after:
        parts.append("resetafter" if s.reset_after else "resetbefore")
    if s.dropout_masks != DROPOUT_MASKS_DEFAULT:
        parts.append(f"masks{s.dropout_masks}")
    for name in AXES.values():      # an axis the parts above do not spell: its name and value, when swept
        if name in swept and name not in ID_SPELLED:
            parts.append(f"{name}{_fmt(getattr(s, name))}")
    return f"{entry}/{'_'.join(parts)}/seed{s.seed}"


def combinations(axes: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, the first axis varying slowest."""
    keys = list(axes)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(axes[k] for k in keys))]


# word2vec config axis -> key in the run. ``sample`` may be one number or a list of them (the
# subsampling threshold is a hyper-parameter that is also swept)
W2V_AXES = {"impls": "impl", "archs": "arch", "losses": "loss", "sample": "sample", "seeds": "seed"}
#: gensim's default threshold: a run id names ``sample`` only when it departs from it, so the ids of
#: the runs at the lecture's settings read ``<impl>-<arch>-<loss>-seed<seed>`` whatever else is swept
W2V_DEFAULT_SAMPLE = 1e-3
W2V_GENSIM_IMPLS = ("gensim", "gensim_iter")


def word2vec_run_id(run: Mapping[str, Any]) -> str:
    """``<impl>-<arch>-<loss>[-sample<s>]-seed<seed>``: the Snakemake wildcard and results folder. The
    threshold is written in plain decimals (``sample0.00001``, never ``1e-05``): '-' separates the parts."""
    return f"{word2vec_group_id(run)}-seed{run['seed']}"


def word2vec_group_id(run: Mapping[str, Any]) -> str:
    """``<impl>-<arch>-<loss>[-sample<s>]``: the run id without its seed, the group (job) its seeds share."""
    sample = float(run.get("sample", W2V_DEFAULT_SAMPLE))
    plain = format(Decimal(repr(sample)), "f")
    plain = plain.rstrip("0").rstrip(".") if "." in plain else plain
    tag = "" if sample == W2V_DEFAULT_SAMPLE else f"-sample{plain}"
    return f"{run['impl']}-{run['arch']}-{run['loss']}{tag}"


def _word2vec_axes(cfg: Mapping[str, Any], where: str) -> dict[str, list[Any]]:
    axes = {}
    for key, run_key in W2V_AXES.items():
        v = cfg.get(key)
        if key == "sample" and v is None:
            v = W2V_DEFAULT_SAMPLE
        values = list(v) if isinstance(v, (list, tuple)) else ([] if v is None else [v])
        if key == "sample":
            for x in values:
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x < 1:
                    raise GridError(f"{where}: sample must be a threshold in [0, 1) (0 = no subsampling), got {x!r}")
        axes[run_key] = values
    return axes


def expand_word2vec(cfg: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """All runs of the word2vec study, keyed by run id: impls × archs × losses × sample × seeds,
    then each entry of ``extra_grids`` (the same axes, those it leaves out taken from the main
    grid: a few more runs without the whole product). A run named by two grids is one run."""
    cfg = cfg or {}
    main = _word2vec_axes(cfg, "word2vec")
    grids = [main]
    for k, extra in enumerate(cfg.get("extra_grids") or []):
        unknown = set(extra) - set(W2V_AXES)
        if unknown:
            raise GridError(f"word2vec.extra_grids[{k}]: unknown key(s) {', '.join(sorted(unknown))}; "
                            f"an extra grid sets axes only: {', '.join(W2V_AXES)}")
        grids.append(_word2vec_axes({**cfg, **extra}, f"word2vec.extra_grids[{k}]"))
    runs = {}
    for axes in grids:
        for run in combinations(axes):
            if run["loss"] == "softmax" and run["impl"] in W2V_GENSIM_IMPLS:
                raise GridError(f"word2vec: gensim has no full softmax (HS and NS only): drop loss 'softmax' or "
                                f"impl {run['impl']!r} from this grid (the full softmax runs in our trainer alone)")
            rid = word2vec_run_id(run)
            runs.setdefault(rid, {**run, "run_id": rid, "family": "word2vec"})
    return runs


def word2vec_groups(runs: Mapping[str, Mapping[str, Any]],
                    seeds_per_job: int | None = None) -> dict[str, dict[str, Any]]:
    """The word2vec runs that differ only in their seed, one group (one job) each, as :func:`groups` does
    for the sequence families: ``{impl, arch, loss, sample, family, seeds, run_ids, group_id}`` keyed by
    job id, the group id being the run id without its ``-seed<N>`` (``ours-cbow-hs``,
    ``ours-cbow-ns-sample0``), and :func:`split` by ``seeds_per_job``. A group's job reads the corpus,
    builds the vocabulary and encodes the corpus once for its seeds (``rnnbench.word2vec.train.run_group``)."""
    out: dict[str, dict[str, Any]] = {}
    for rid, run in runs.items():
        gid = word2vec_group_id(run)
        expected = f"{gid}-seed{run['seed']}"
        if rid != expected:
            raise GridError(f"word2vec run id {rid!r} is not its settings' {expected!r} (<group id>-seed<N>)")
        shared = {k: v for k, v in run.items() if k not in ("seed", "run_id")}
        g = out.setdefault(gid, {**shared, "seeds": [], "run_ids": [], "group_id": gid})
        if {k: g[k] for k in shared} != shared:
            raise GridError(f"word2vec runs {g['run_ids'][0]!r} and {rid!r} share a group id but differ in more "
                            f"than the seed")
        g["seeds"].append(run["seed"])
        g["run_ids"].append(rid)
    return split(out, seeds_per_job)


def expand(entries: list[Mapping[str, Any]] | None, family: str = "recurrent") -> dict[str, dict[str, Any]]:
    """All runs of a family's grid entries, keyed by run id (insertion-ordered)."""
    runs: dict[str, dict[str, Any]] = {}
    names: set[str] = set()
    for entry in entries or []:
        name = entry.get("name")
        if not name:
            raise GridError(f"{family}: every grid entry needs a 'name'")
        if name in names:
            raise GridError(f"{family}: grid name {name!r} is used twice")
        names.add(name)
        scalars = {k: v for k, v in entry.items() if k not in AXES and k != "arms"}
        arm_list = _arms(entry, family, name)
        arm_axes = [_axes({**entry, **arm}, family, name) for arm in arm_list]
        for axes in arm_axes:
            if "cell" not in axes:
                raise GridError(f"{family}.{name}: 'cells' is required")
            for cell in axes["cell"]:
                if cell not in CELLS:
                    raise GridError(f"{family}.{name}: unknown cell {cell!r}; known cells: {', '.join(CELLS)}")
        # swept: an axis with more than one value over the grid's runs (all its arms together)
        seen: dict[str, set] = {}
        for axes in arm_axes:
            for k, v in axes.items():
                seen.setdefault(k, set()).update(repr(x) for x in v)
        swept = {k for k, v in seen.items() if len(v) > 1}
        for combo in (c for axes in arm_axes for c in combinations(axes)):
            spec = {**DEFAULTS, **scalars, **combo, "grid": name, "family": family}
            try:
                s = RunSpec.from_dict(spec)
            except RunSpecError as e:
                raise GridError(f"{family}.{name}: {e}") from None
            if s.dropout_masks not in ("sequence", "step"):
                raise GridError(f"{family}.{name}: dropout_masks must be 'sequence' or 'step', got {s.dropout_masks!r}")
            if s.dropout_masks == DROPOUT_MASKS_DEFAULT:
                spec.pop("dropout_masks", None)   # the default leaves no trace: ids and records as before
            elif s.backend == "keras":
                raise GridError(f"{family}.{name}: dropout_masks: step runs with backend torch only (Keras draws "
                                "one dropout mask per sequence and has no per-step option)")
            if s.clipvalue is not None and s.clipnorm is not None:
                raise GridError(f"{family}.{name}: set clipvalue or clipnorm, not both in one run")
            if not s.reset_after and s.cell != "gru":
                if "reset_after" in swept:     # a sweep of the GRU's reset beside other cells: theirs keep the default
                    continue
                raise GridError(f"{family}.{name}: reset_after: false is the GRU's reset-before variant, "
                                f"not for cell {s.cell!r}")
            if s.cell == "bnlstm" and s.backend == "keras":
                raise GridError(f"{family}.{name}: bnlstm runs with backend torch only (Keras has no "
                                "recurrent batch normalisation layer)")
            rid = run_id(name, spec, swept)
            if rid in runs:
                raise GridError(f"{family}.{name}: two runs share the id {rid!r}")
            spec["run_id"] = rid
            runs[rid] = spec
    return runs


def _arms(entry: Mapping[str, Any], family: str, name: str) -> list[dict[str, Any]]:
    """The entry's ``arms`` (one empty arm when it has none), each checked: axis keys only, none of
    them also set on the entry (which value would win is not for a reader to guess)."""
    arms = entry.get("arms")
    if arms is None:
        return [{}]
    if not isinstance(arms, (list, tuple)) or not arms:
        raise GridError(f"{family}.{name}: 'arms' must be a non-empty list of mappings")
    for i, arm in enumerate(arms):
        if not isinstance(arm, Mapping) or not arm:
            raise GridError(f"{family}.{name}: arms[{i}] must be a non-empty mapping of axis values")
        unknown = set(arm) - set(ARM_AXES)
        if unknown:
            raise GridError(f"{family}.{name}: arms[{i}] sets {', '.join(sorted(unknown))}; an arm sets axes "
                            f"only: {', '.join(ARM_AXES)}")
        both = set(arm) & set(entry)
        if both:
            raise GridError(f"{family}.{name}: arms[{i}] sets {', '.join(sorted(both))}, which the entry sets too")
    return [dict(a) for a in arms]


def _axes(entry: Mapping[str, Any], family: str, name: str) -> dict[str, list[Any]]:
    """The axis values of an entry (or of one of its arms merged into it), keyed as in the run's spec."""
    axes: dict[str, list[Any]] = {}
    for key, spec_key in AXES.items():
        if key not in entry:
            continue
        values = entry[key]
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise GridError(f"{family}.{name}: axis {key!r} is empty, so the grid has no runs")
        axes[spec_key] = values
    return axes


# ---------------------------------------------------------------- the seeds of an arm, one job
def group_id(run_id: str) -> str:
    """The arm of a run id: the id without its ``/seed<N>`` part."""
    head, _, last = run_id.rpartition("/")
    if not head or not last.startswith("seed"):
        raise GridError(f"run id {run_id!r} does not end in /seed<N>")
    return head


#: the keys that name a run rather than set how it trains: two runs that differ in these alone
#: (an arm two grid entries both list) train the same model on the same seed
NAMING = ("name", "grid", "run_id")


def training_key(spec: Mapping[str, Any]) -> str:
    """What a run trains (every key of its spec but :data:`NAMING`, its seed included), as one string."""
    return json.dumps({k: v for k, v in spec.items() if k not in NAMING}, sort_keys=True, default=str)


def groups(runs: Mapping[str, Mapping[str, Any]], seeds_per_job: int | None = None) -> dict[str, dict[str, Any]]:
    """The runs that differ only in their seed, as one group spec each (one job, :func:`rnnbench.train.run_group`):
    ``{**the runs' shared spec, seeds: [..], run_ids: [..], group_id}``, keyed by job id: the group id,
    or with ``seeds_per_job`` (:func:`split`) ``seeds<first>-<last>/<group id>`` for each part of an arm
    with more seeds than that.
    Keras runs stay one seed per group (and per process): TensorFlow keeps seed state across the
    models of a process.

    A run named by two grid entries is one run (as word2vec's grids have it): a run whose spec equals
    an earlier run's but for its name (:data:`NAMING`; ``har_clip``'s clipvalue-0.5 LSTM is
    ``har_lecture``'s) trains no model of its own; the earlier run's group lists it under
    ``aliases`` (run id -> the run id that trains it), and the DAG copies that run's record under its
    own name (``rnnbench.records alias``). A group all of whose runs are aliases is no job."""
    out: dict[str, dict[str, Any]] = {}
    trains: dict[str, str] = {}      # training key -> the run id that trains it
    group_of: dict[str, str] = {}
    for rid, spec in runs.items():
        key = training_key(spec)
        if key in trains:
            first = trains[key]
            out[group_of[first]].setdefault("aliases", {})[rid] = first
            continue
        trains[key] = rid
        shared = {k: v for k, v in spec.items() if k not in ("seed", "run_id")}
        gid = group_id(rid) if RunSpec.from_dict(spec).backend != "keras" else rid
        group_of[rid] = gid
        g = out.get(gid)
        if g is None:
            out[gid] = {**shared, "seeds": [spec["seed"]], "run_ids": [rid], "group_id": gid}
            continue
        if {k: v for k, v in g.items() if k not in ("seeds", "run_ids", "group_id", "aliases")} != shared:
            raise GridError(f"runs {g['run_ids'][0]!r} and {rid!r} share an arm id but differ in more than the seed")
        g["seeds"].append(spec["seed"])
        g["run_ids"].append(rid)
    return split(out, seeds_per_job)


def split(groups: Mapping[str, Mapping[str, Any]], seeds_per_job: int | None) -> dict[str, dict[str, Any]]:
    """Each group with more than ``seeds_per_job`` seeds as consecutive parts of at most that many,
    one job each (None: every arm one job). On a CPU a group trains its members one after another,
    so an arm of 10 seeds is one 10-run job: on a machine or cluster with more cores than jobs, the
    longest arm sets the wall time, and parts let its seeds run side by side. A part is keyed
    ``seeds<first>-<last>/<group id>`` (its records staged under that prefix, :func:`staged`) and
    keeps its ``group_id`` and its runs' aliases; each member trains as it does in the whole group."""
    if seeds_per_job is None:
        return dict(groups)
    if isinstance(seeds_per_job, bool) or not isinstance(seeds_per_job, int) or seeds_per_job < 1:
        raise GridError(f"seeds_per_job must be a positive integer or null, got {seeds_per_job!r}")
    out: dict[str, dict[str, Any]] = {}
    for jid, g in groups.items():
        seeds, rids = list(g["seeds"]), list(g["run_ids"])
        if len(seeds) <= seeds_per_job:
            out[jid] = dict(g)
            continue
        for i in range(0, len(seeds), seeds_per_job):
            part_seeds, part_rids = seeds[i:i + seeds_per_job], rids[i:i + seeds_per_job]
            tag = f"seeds{part_seeds[0]}" + (f"-{part_seeds[-1]}" if len(part_seeds) > 1 else "")
            part = {k: v for k, v in g.items() if k != "aliases"}
            part.update(seeds=part_seeds, run_ids=part_rids)
            aliases = {a: r for a, r in (g.get("aliases") or {}).items() if r in part_rids}
            if aliases:
                part["aliases"] = aliases
            out[f"{tag}/{jid}"] = part
    return out


def stage_prefix(job_id: str, group: Mapping[str, Any]) -> str:
    """The folder, under the family's ``groups/``, that a job's records go to as ``<prefix>/<run id>``:
    '' for a whole arm, ``seeds<first>-<last>`` for a part (:func:`split`), so that every record
    lies inside the job's own output folder ``groups/<family>/<job id>``."""
    gid = group["group_id"]
    prefix = job_id[: len(job_id) - len(gid)]
    if not job_id.endswith(gid) or (prefix and not prefix.endswith("/")):
        raise GridError(f"job id {job_id!r} does not end in its group id {gid!r}")
    return prefix.rstrip("/")


def staged(job_id: str, group: Mapping[str, Any]) -> dict[str, str]:
    """Each run's staged record folder relative to the family's ``groups/`` (:func:`stage_prefix`)."""
    prefix = stage_prefix(job_id, group)
    return {rid: f"{prefix}/{rid}" if prefix else rid for rid in group["run_ids"]}


def group_resources(group: Mapping[str, Any], threads: int, scale: str) -> dict[str, int]:
    """Snakemake resources of a group's training job, scaled with its seeds: ``runtime`` (minutes)
    as S one-seed runs (the bound of a group that trains its seeds one after another), ``mem_mb``
    a one-seed job's 3000 MB plus 100 MB a further member (measured by bench/seed_groups.py: a
    10-seed HAR group on the CPU's member-by-member path peaked at 0.6-0.85 GB, as a one-seed job;
    the margin is for the stacked path, whose activations grow with S), ``threads`` the config's:
    on a CPU the members run one after another on the job's threads."""
    s = len(group["seeds"])
    per_run = 240 if scale == "full" else 30
    return {"threads": int(threads), "mem_mb": 3000 + 100 * (s - 1), "runtime": per_run * s}

"""One recurrent run's settings, one documented field each: the only place their defaults live.

A grid entry of the config (``recurrent:``, ``names:``, ``music:``, ``embedding:``) sets some of
these; :func:`rnnbench.grid.expand` fills in the rest and hands each run its spec as a plain dict
(the JSON its job receives and its record's ``config``). Readers turn that dict into a
:class:`RunSpec` with :meth:`RunSpec.from_dict` and read fields, never ``spec.get(key, default)``.

Two kinds of field, told apart by ``metadata["every_run"]``:

- *every run*: written into every run's spec at its default (the grid's ``DEFAULTS``, in this
  order: the order of a record's ``config`` keys);
- *when set*: a run's spec carries the key only when its grid entry sets it (a record of a run
  that leaves it alone has no such key, so adding such a setting changes no run id and no record).
  ``dropout_masks`` is left out even when set to its default.

The config keys of a grid entry are these fields' names, except the axes spelled in the plural
(``cells``, ``seeds``, ``datasets``: :data:`rnnbench.grid.AXES`) and ``arms``, which only the grid
reads. Adding a setting: a field here, the code that reads it, and its entry in
``workflow/schemas/config.schema.yaml`` (``tests/test_runspec.py`` checks the schema against
these fields and their defaults).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Optional


class RunSpecError(ValueError):
    """A run spec with a key no field names."""


def _every(default: Any, axis: tuple[int, str] | None = None) -> Any:
    return field(default=default, metadata={"every_run": True, "axis": axis})


def _when_set(default: Any = None, axis: tuple[int, str] | None = None) -> Any:
    return field(default=default, metadata={"every_run": False, "axis": axis})


@dataclass(frozen=True)
class RunSpec:
    # ---- every run: the grid writes these into each run's spec (this order is the records').
    # ``axis=(rank, config key)``: a grid entry may give a list (one run per value; rank = its place
    # in the product, the first varying slowest)

    #: units per recurrent layer (ModelSpec.hidden)
    hidden: int = _every(32, axis=(10, "hidden"))
    #: training epochs; 0 = evaluate the initial model only (train.run, training.loop.fit)
    epochs: int = _every(10)
    #: sequences per update (training.loop, training.keras_fit)
    batch_size: int = _every(128)
    #: stacked recurrent layers (ModelSpec.layers)
    layers: int = _every(1, axis=(1, "layers"))
    #: Keras clipvalue: element-wise gradient clipping at ±c; None = off (training.loop._clip)
    clipvalue: Optional[float] = _every(None, axis=(2, "clipvalue"))
    #: Keras clipnorm: each gradient tensor rescaled to norm <= c; None = off
    clipnorm: Optional[float] = _every(None, axis=(3, "clipnorm"))
    #: Keras dropout: rate of the mask on each layer's inputs (ModelSpec.dropout)
    dropout: float = _every(0.0, axis=(4, "dropout"))
    #: Keras recurrent_dropout: rate of the mask on h(t-1)
    recurrent_dropout: float = _every(0.0, axis=(5, "recurrent_dropout"))
    #: torch (our core) | keras (the reference twin: models.keras_models, training.keras_fit)
    backend: str = _every("torch", axis=(6, "backend"))
    #: the run's seed (the config's ``seeds`` axis): initial weights, data order, dropout masks
    seed: int = _every(0, axis=(7, "seeds"))
    #: adam | rmsprop | sgd (training.optim.make_optimizer; Keras' optimizers in the twin)
    optimizer: str = _every("adam")
    #: learning rate
    lr: float = _every(0.001, axis=(8, "lr"))
    #: λ of Keras' kernel_regularizer=l2(λ) on the input and Dense kernels: a loss term
    l2: float = _every(0.0)
    #: double: PyTorch's b_ih + b_hh | single: one bias per gate (Keras, the lecture)
    bias: str = _every("double")
    #: weight initialisation: keras | torch | orthogonal (rnn_tanh: W_h = recurrent_gain * Q)
    init: str = _every("keras")
    #: IRNN recurrent weights = irnn_gain * I
    irnn_gain: float = _every(1.0)
    #: g of init: orthogonal, every singular value of W_h
    recurrent_gain: float = _every(1.0, axis=(13, "recurrent_gain"))
    #: std of the N(0, σ) input weights of irnn / nprnn (and of init: orthogonal)
    input_std: float = _every(0.001)
    #: measure ||dL/dh_t|| against T - t at initialisation and after training (training.diagnostics)
    diagnostics: bool = _every(True)
    #: early stopping on the validation metric after this many epochs without a better one; None = off
    patience: Optional[int] = _every(None)
    #: CPU path of the torch backend: auto | native (our C kernel) | torch (models.kernels)
    kernel: str = _every("auto")
    #: GRU only: True = reset after the recurrent matmul (torch, cuDNN, Keras); False = the
    #: lecture's W (r * h), which runs stepwise
    reset_after: bool = _every(True, axis=(14, "reset_after"))
    #: bnlstm: time steps with their own population statistics (later steps use the last one's)
    bn_max_steps: int = _every(200)

    # ---- when set: a run's spec has these only when its grid entry sets them

    #: the grid entry's name (every entry has one: the schema requires it)
    name: Optional[str] = _when_set()
    #: har | adding | mnist | pmnist | names | music | imdb (data.tasks)
    task: Optional[str] = _when_set()
    #: one of rnnbench.cells.CELLS (the config's ``cells`` axis)
    cell: Optional[str] = _when_set(axis=(0, "cells"))
    #: sequence: one input and one recurrent mask per sequence and layer | step: fresh masks every
    #: step (torch only); left out of the spec and the run id at the default
    dropout_masks: str = _when_set("sequence", axis=(15, "dropout_masks"))
    #: adding problem: sequence length; None = the task's (data.sizes.ADDING_DEFAULTS)
    seq_len: Optional[int] = _when_set(axis=(9, "seq_len"))
    #: adding: training examples (None = the task's); mnist: a prefix (None = all)
    n_train: Optional[int] = _when_set()
    #: adding: test examples (None = the task's); mnist: a prefix (None = all)
    n_test: Optional[int] = _when_set()
    #: write a resumable checkpoint every N epochs; None = never
    checkpoint_every: Optional[int] = _when_set()
    #: rescale the whole gradient to total norm <= c; None = off
    global_clipnorm: Optional[float] = _when_set()
    #: music: jsb | nottingham | musedata | pianomidi (the config's ``datasets`` axis)
    dataset: Optional[str] = _when_set(axis=(11, "datasets"))
    #: music: truncated BPTT in chunks of N steps; None = full BPTT
    tbptt: Optional[int] = _when_set()
    #: music: training windows of N steps, each from a zero state; None = whole sequences
    train_chunk: Optional[int] = _when_set()
    #: names: onehot characters | embedding (ids through an embedding layer)
    encoding: str = _when_set("onehot")
    #: embedding layer width (names with encoding: embedding; imdb)
    embedding_dim: Optional[int] = _when_set()
    #: imdb: scratch | frozen | finetuned (train.pretrained_embedding)
    embedding: Optional[str] = _when_set(axis=(12, "embedding"))

    # ---- written by rnnbench.grid, not by the config

    #: the grid entry's name (grid.expand)
    grid: Optional[str] = _when_set()
    #: the config list the entry is in (rnnbench.families)
    family: str = _when_set("recurrent")
    #: <grid>/<arm>/seed<N>: the Snakemake wildcard and results folder
    run_id: Optional[str] = _when_set()
    #: a group spec (grid.groups): the seeds one job trains
    seeds: Optional[tuple] = _when_set()
    #: a group spec: one run id per seed
    run_ids: Optional[tuple] = _when_set()
    #: a group spec: the run ids without /seed<N>
    group_id: Optional[str] = _when_set()
    #: a group spec: runs of other grid entries with exactly these settings and seeds (run id -> the run
    #: id here that trains it), which train nothing and read this group's records (grid.groups)
    aliases: Optional[dict] = _when_set()

    # the keys the dict had, in its order: as_dict gives that dict back exactly (None: made field by field)
    given: Optional[tuple] = field(default=None, repr=False, compare=False, metadata={"every_run": None})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every setting's name (not ``given``)."""
        return tuple(f.name for f in fields(cls) if f.name != "given")

    #: fields that name a run rather than set it: a runs table takes them from the record itself
    IDENTITY = ("name", "task", "cell", "seed", "grid", "family", "run_id", "seeds", "run_ids", "group_id", "aliases")

    @classmethod
    def settings(cls) -> tuple[str, ...]:
        """Every field that sets how a run trains (not :data:`IDENTITY`, not ``given``): the columns a
        claim's arm may match on (:data:`rnnbench.claims.runs.CONFIG_KEYS`)."""
        return tuple(n for n in cls.field_names() if n not in cls.IDENTITY)

    @classmethod
    def axes(cls) -> dict[str, str]:
        """The grid axes, config key -> field (``cells`` -> ``cell``), in the order of the product
        (the first varies slowest): a field with ``axis=(rank, config key)`` may be a list in a grid
        entry; a new axis takes the next rank."""
        ranked = sorted((f.metadata["axis"], f.name) for f in fields(cls) if f.metadata.get("axis"))
        return {key: name for (_, key), name in ranked}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field's default, by name."""
        return {f.name: f.default for f in fields(cls) if f.name != "given"}

    @classmethod
    def every_run_defaults(cls) -> dict[str, Any]:
        """The settings written into every run's spec, at their defaults, in the records' order."""
        return {f.name: f.default for f in fields(cls) if f.metadata.get("every_run")}

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> "RunSpec":
        """The run spec of a spec dict (a run's, a group's or a record's ``config``); a key no field
        names is an error naming it."""
        known = set(cls.field_names())
        unknown = [k for k in spec if k not in known]
        if unknown:
            raise RunSpecError(f"unknown run setting(s) {', '.join(map(repr, unknown))}; known settings: "
                               f"{', '.join(cls.field_names())}")
        return cls(**spec, given=tuple(spec))

    def as_dict(self) -> dict[str, Any]:
        """The spec dict: the keys it was made from, in their order (so run ids, job JSON and records
        stay byte for byte what they were); for a spec made field by field, the every-run settings
        and the others that differ from their defaults."""
        if self.given is not None:
            return {k: getattr(self, k) for k in self.given}
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.metadata.get("every_run") or (f.metadata.get("every_run") is False
                                                   and getattr(self, f.name) != f.default)}

    def stated(self, name: str) -> Any:
        """The setting as the spec dict states it: its value, or None where the dict leaves it out
        (a when-set setting its run never set, as ``encoding`` of a HAR run: a column of a table
        reads blank there, not the default of a setting the run has no use for)."""
        if name not in self.field_names():
            raise RunSpecError(f"no run setting {name!r}; known settings: {', '.join(self.field_names())}")
        return getattr(self, name) if self.given is None or name in self.given else None

    def replace(self, **changes: Any) -> "RunSpec":
        """A copy with some settings changed (a changed setting joins the spec dict)."""
        given = None if self.given is None else self.given + tuple(k for k in changes if k not in self.given)
        return dataclasses.replace(self, **changes, given=given)

    def train_config(self) -> dict[str, Any]:
        """The settings the training loops read (rnnbench.training.loop.fit, keras_fit.fit_keras)."""
        return {k: getattr(self, k) for k in TRAIN_KEYS}


#: the settings :meth:`RunSpec.train_config` hands the training loops
TRAIN_KEYS = ("epochs", "batch_size", "lr", "optimizer", "l2", "clipvalue", "clipnorm", "global_clipnorm",
              "seed", "patience", "checkpoint_every", "tbptt")

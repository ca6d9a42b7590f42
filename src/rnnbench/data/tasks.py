"""Every task a sequence-model run can train on, declared once: its kind, the prepared file it
reads and the raw datasets (:mod:`rnnbench.data.registry`) that file is made from, its loader and
its sizes.

Read by ``rnnbench.train`` (which loader), the workflow (``data.smk``'s prepare rules: which file
from which raw dataset; ``recurrent.smk``'s ``TASK_DATA``: which file a run's job reads), the plan
(:mod:`rnnbench.data.sizes`) and the config schema, whose ``task`` enum a test holds equal to
:data:`TASKS`. A new task is a loader (``data/<task>.py``) plus one :func:`_register` entry here,
and, when it reads a prepared file, the rule that prepares it.

Loaders are imported when a run loads its task, not here: the workflow reads this module while
it builds the DAG.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..runspec import RunSpec
from . import sizes as S
from .registry import DATASETS

if TYPE_CHECKING:
    from ..training.types import TaskData

KINDS = ("classification", "regression", "multilabel")

Loader = Callable[[Mapping[str, Any], "str | None"], "TaskData"]        # (run spec, prepared file or None)
SizesOf = Callable[[Mapping[str, Any], Mapping[str, Any], "Path | None", dict], S.Sizes]


@dataclass(frozen=True)
class Task:
    name: str
    kind: str                        # classification | regression | multilabel (what the loss and metric are)
    load: Loader
    sizes: SizesOf | None = None     # what the plan counts (rnnbench.data.sizes); None: the plan cannot cost it
    prepared: str | None = None      # file under <data root>/prepared/; None: generated inside the job.
                                     # "{source}" in it is the config's choice among `sources`
    raw: tuple[str, ...] = ()        # datasets (rnnbench.data.registry) the prepared file is made from
    sources: Mapping[str, str] = field(default_factory=dict)   # source -> its raw dataset, for "{source}"
    source_of: Callable[[Mapping[str, Any]], str] | None = None   # the config's choice of source

    def prepared_file(self, config: Mapping[str, Any]) -> str | None:
        """The prepared file a run of this config reads, relative to ``<data root>/prepared/``."""
        if self.prepared is None:
            return None
        if not self.sources:
            return self.prepared
        src = self.source_of(config)
        if src not in self.sources:
            raise ValueError(f"task {self.name}: unknown source {src!r}; known: {', '.join(self.sources)}")
        return self.prepared.format(source=src)

    def raw_dataset(self, source: str | None = None) -> str:
        """The one raw dataset of a prepared file (of ``source`` for a task with several)."""
        if self.sources:
            if source not in self.sources:
                raise ValueError(f"task {self.name}: unknown source {source!r}; known: {', '.join(self.sources)}")
            return self.sources[source]
        if len(self.raw) != 1:
            raise ValueError(f"task {self.name}: {len(self.raw)} raw datasets, not one")
        return self.raw[0]


TASKS: dict[str, Task] = {}


def _register(task: Task) -> Task:
    if task.kind not in KINDS:
        raise ValueError(f"task {task.name}: kind {task.kind!r} is not one of {', '.join(KINDS)}")
    if bool(task.sources) != bool(task.source_of) or bool(task.sources) != ("{source}" in (task.prepared or "")):
        raise ValueError(f"task {task.name}: sources, source_of and a prepared file with {{source}} go together")
    unknown = [d for d in (*task.raw, *task.sources.values()) if d not in DATASETS]
    if unknown:
        raise ValueError(f"task {task.name}: raw dataset(s) {', '.join(unknown)} not in rnnbench.data.registry")
    TASKS[task.name] = task
    return task


def task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}") from None


def load(spec: Mapping[str, Any], data_path: str | None) -> "TaskData":
    """The run's task, loaded by its registered loader; a loader whose data is not of the kind
    registered is an error (the loss and the tables follow the registered kind)."""
    t = task(spec["task"])
    data = t.load(spec, data_path)
    if data.kind != t.kind:
        raise ValueError(f"task {t.name}: the loader returned {data.kind!r} data; the registry says {t.kind!r}")
    return data


# ------------------------------------------------------------------ loaders: the run spec's keys
# to each data module's arguments (imported here, when a run needs them)
def _har(spec, path):
    from .har import load_har

    return load_har(path)


def _adding(spec, path):
    from .adding import load_adding

    return load_adding(*S.adding_settings(spec), int(RunSpec.from_dict(spec).seed))


def _mnist(spec, path):
    from .mnist import load_mnist

    s = RunSpec.from_dict(spec)
    return load_mnist(path, permuted=s.task == "pmnist", n_train=s.n_train, n_test=s.n_test)


def _names(spec, path):
    from .names import load_names

    return load_names(path, encoding=RunSpec.from_dict(spec).encoding)


def _music(spec, path):
    from .music import load_music

    s = RunSpec.from_dict(spec)
    return load_music(path, s.dataset, train_chunk=s.train_chunk)


def _imdb(spec, path):
    from .imdb import load_imdb

    return load_imdb(path)


# ------------------------------------------------------------------ the tasks
# UCI HAR (or its HAPT-derived equivalent, config har.source): 128-step windows of 9 inertial
# channels, 6 activities
_register(Task("har", "classification", _har, S.har_sizes, prepared="har-{source}.npz",
               sources={"uci": "har-uci", "hapt": "hapt"},
               source_of=lambda config: (config.get("har") or {}).get("source", "uci")))
# the adding problem (Le et al. 2015), generated inside the job from the run's seed
_register(Task("adding", "regression", _adding, S.adding_sizes))
# sequential MNIST, one pixel per step, and its permuted variant (one fixed permutation)
_register(Task("mnist", "classification", _mnist, S.mnist_sizes, prepared="mnist.npz", raw=("mnist",)))
_register(Task("pmnist", "classification", _mnist, S.mnist_sizes, prepared="mnist.npz", raw=("mnist",)))
# name -> gender, characters one-hot or through an embedding
_register(Task("names", "classification", _names, S.names_sizes, prepared="names.npz", raw=("names",)))
# polyphonic music (Chung et al. 2014): the next piano-roll frame, 88 keys
_register(Task("music", "multilabel", _music, S.music_sizes, prepared="music.npz", raw=("music",)))
# IMDb sentiment through an embedding layer (scratch, frozen or fine-tuned word2vec rows)
_register(Task("imdb", "classification", _imdb, S.imdb_sizes, prepared="imdb.npz", raw=("imdb",)))

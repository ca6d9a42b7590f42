"""What each run trains and evaluates on, by its task's entry in :mod:`rnnbench.data.tasks`."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from ..data.sizes import Sizes
from ..data.tasks import task
from .workflow import PlanError

# word2vec corpora: text8 and its mirror stand-in (offline-english, text8's exact token count).
CORPUS_TOKENS = {"text8": 17_005_207, "offline-english": 17_005_207}


def dataset_sizes(spec: Mapping[str, Any], config: Mapping[str, Any], data_root: Path,
                  cache: dict | None = None) -> Sizes:
    """The sizes one run trains and evaluates on, by its task's entry in :mod:`rnnbench.data.tasks`:
    from the prepared file under ``data_root`` when there is one, else from the documented
    constants (``source`` says which)."""
    cache = {} if cache is None else cache
    rid = spec.get("run_id", "?")
    try:
        t = task(spec["task"])
        if t.sizes is None:
            raise ValueError(f"no sizes known for task {t.name!r}")
        name = t.prepared_file(config)
        sizes = t.sizes(spec, config, data_root / "prepared" / name if name else None, cache)
    except ValueError as e:
        raise PlanError(f"{rid}: {e}") from None
    return dataclasses.replace(sizes, kind=t.kind)

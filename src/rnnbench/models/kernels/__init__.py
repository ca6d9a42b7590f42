"""Which path runs a recurrent layer: our C kernel (``recurrence.c``, wrapped by
:mod:`rnnbench.models.native_rnn`) or PyTorch's own layers. The conditions, written once:

The native kernel runs when ALL of these hold:

1. the model is on CPU, in float32;
2. the kernel is available: its source is installed (``rnnbench/models/kernels/recurrence.c``,
   package data) and a C compiler built it (``rnnbench.cbuild``, ``RNNBENCH_MARCH``);
3. the requested kernel is ``native``, or it is ``auto`` (the default) and, for this cell,
   these shapes, these dropout masks and this number of threads, the kernel was measured faster
   than torch's layers on this machine: a few forward + backward batches of each, taking turns
   (forward only for inference), medians; native must be at least ``MARGIN`` faster.

Otherwise torch's own layers run: cuDNN on a GPU, the stock fused CPU layers without recurrent
dropout, the TorchScript step loop with it (``rnnbench.models.seq``).

The requested kernel is the config's ``kernel`` (``auto | native | torch``); the environment
variable ``RNNBENCH_RNN_KERNEL`` overrides it (empty means unset). ``native`` where the kernel
cannot run is an error; ``auto`` falls back to torch with the reason.

Measurements are cached once per machine and shape: in memory per process, and in a JSON file
beside the built library (``~/.cache/rnnbench``, or ``$RNNBENCH_CACHE``), whose name carries the
library's hash (source, compiler, flags, ``-march``, CPU flags); a key also names torch's version
and CPU capability. Batch and sequence lengths are rounded up to a power of two in the key:
shapes within a factor of two share one decision (an epoch's smaller last batch is not measured
again). The measurement runs on a forked random-number state, so a run draws the same dropout
masks whether or not its decision came from the cache.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

KERNELS = ("auto", "native", "torch")
MARGIN = 0.05          # native must be >= 5 % faster: a tie goes to the reference path
REPEATS = 3            # timed batches per path, after one warm-up each


def env_kernel() -> Optional[str]:
    """``RNNBENCH_RNN_KERNEL`` if set and not empty, validated."""
    v = os.environ.get("RNNBENCH_RNN_KERNEL", "").strip()
    if not v:
        return None
    if v not in KERNELS:
        raise ValueError(f"RNNBENCH_RNN_KERNEL must be 'auto', 'native' or 'torch' (or empty), got {v!r}")
    return v


def requested(config_value: Optional[str] = None) -> str:
    """The kernel asked for: the environment override, else the config's value, else 'auto'."""
    v = env_kernel() or config_value or "auto"
    if v not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {v!r}")
    return v


@dataclass
class Choice:
    """What ran and why; goes into the run record (``kernel``)."""
    requested: str
    path: str                        # 'native' or 'torch'
    reason: str
    native_ms: Optional[float] = None
    torch_ms: Optional[float] = None
    cached: bool = False
    key: str = ""
    build: str = ""                  # the library and its flags (native), or why there is none

    def as_record(self) -> dict:
        return asdict(self)


_memory: dict[str, dict] = {}


def bucket(n: int) -> int:
    """n rounded up to a power of two: the sizes that share one decision."""
    return 1 << max(0, int(n) - 1).bit_length()


def shape_key(cell: str, **fields) -> str:
    """One decision's key: the cell, the (bucketed) shapes, masks, threads, torch's build."""
    import torch

    parts = [cell] + [f"{k}={v}" for k, v in sorted(fields.items())]
    parts += [f"torch={torch.__version__}", f"cap={torch.backends.cpu.get_cpu_capability()}"]
    return ",".join(parts)


def cache_file(lib) -> Path:
    """The decisions of one built library: beside it, named after it."""
    so = Path(lib._name)
    return so.with_name(so.stem + ".choices.json")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write(path: Path, key: str, entry: dict) -> None:
    """Merge one entry in; atomic, so a concurrent reader never sees half a file (two concurrent
    writers may drop one entry, which is then measured again)."""
    try:
        data = _read(path)
        data[key] = entry
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass    # a read-only cache only costs a measurement next time


def time_paths(runs: dict[str, Callable[[], None]], repeats: int = REPEATS) -> dict[str, float]:
    """Median milliseconds of each callable, one warm-up each, then taking turns (background
    load hits both)."""
    times: dict[str, list] = {k: [] for k in runs}
    for f in runs.values():
        f()
    for _ in range(repeats):
        for k, f in runs.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def decide(requested_kernel: str, key: str, lib, build: str,
           runs: Callable[[], dict[str, Callable[[], None]]], repeats: int = REPEATS) -> Choice:
    """The path for ``key`` under ``requested_kernel`` ('auto' measures through ``runs()``, a
    dict 'native' / 'torch' -> one batch of each, unless the decision is cached)."""
    if requested_kernel == "torch":
        return Choice("torch", "torch", "kernel: torch requested", key=key, build=build)
    if lib is None:
        if requested_kernel == "native":
            raise RuntimeError(f"kernel: native requested but {build}")
        return Choice("auto", "torch", f"native kernel unavailable: {build}", key=key, build=build)
    if requested_kernel == "native":
        return Choice("native", "native", "kernel: native requested", key=key, build=build)
    path = cache_file(lib)
    entry = _memory.get(f"{path}|{key}") or _read(path).get(key)
    cached = entry is not None
    if entry is None:
        import torch

        with torch.random.fork_rng(devices=[]):
            ms = time_paths(runs(), repeats)
        faster = ms["native"] < (1.0 - MARGIN) * ms["torch"]
        entry = {"path": "native" if faster else "torch", "native_ms": round(ms["native"], 3),
                 "torch_ms": round(ms["torch"], 3), "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
        _write(path, key, entry)
    _memory[f"{path}|{key}"] = entry
    why = ("native measured faster" if entry["path"] == "native"
           else f"native not measured at least {MARGIN:.0%} faster")
    return Choice("auto", entry["path"], f"{why} ({entry['native_ms']:.1f} vs {entry['torch_ms']:.1f} ms)",
                  native_ms=entry["native_ms"], torch_ms=entry["torch_ms"], cached=cached, key=key, build=build)

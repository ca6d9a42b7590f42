"""Build a small C kernel at first use and load it with ctypes (the word2vec and recurrence
kernels of the CPU path).

``$CC`` (or cc / gcc / clang / g++ on PATH) with ``-O3 -march=native -fopenmp-simd -pthread
-shared -fPIC`` (retried without ``-march=native``), into ``$RNNBENCH_CACHE`` /
``$XDG_CACHE_HOME/rnnbench`` / ``~/.cache/rnnbench`` (a temp dir if none is writable), keyed by a
hash of the source, the compiler, the flags and the machine's CPU flags, and written atomically,
so concurrent first uses (parallel Snakemake jobs) are safe. When it cannot build, callers get
the reason and fall back to their torch path.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

FLAGS = ["-O3", "-fopenmp-simd", "-pthread", "-shared", "-fPIC", "-std=c99"]
_lock = threading.Lock()
_loaded: dict[str, Tuple[Optional[ctypes.CDLL], str]] = {}


def _cpu_signature() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cache_dir() -> Path:
    for d in (os.environ.get("RNNBENCH_CACHE"),
              os.environ.get("XDG_CACHE_HOME") and str(Path(os.environ["XDG_CACHE_HOME"]) / "rnnbench"),
              str(Path.home() / ".cache" / "rnnbench"),
              str(Path(tempfile.gettempdir()) / f"rnnbench-{os.getuid() if hasattr(os, 'getuid') else 'u'}")):
        if not d:
            continue
        try:
            Path(d).mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return Path(d)
        except OSError:
            continue
    raise OSError("no writable cache directory for compiled kernels")


def compiler() -> Optional[str]:
    for c in (os.environ.get("CC"), "cc", "gcc", "clang", "g++"):
        if c and shutil.which(c):
            return shutil.which(c)
    return None


def _build(name: str, source: str, declare: Callable[[ctypes.CDLL], None],
           extra_flags: Sequence[str]) -> Tuple[Optional[ctypes.CDLL], str]:
    if not sys.platform.startswith(("linux", "darwin")):
        return None, f"native {name} kernel not supported on {sys.platform}"
    cc = compiler()
    if cc is None:
        return None, "no C compiler on PATH (set CC or install gcc)"
    try:
        cache = cache_dir()
    except OSError as e:
        return None, str(e)
    errors = []
    for extra in (["-march=native"], []):
        flags = FLAGS + list(extra_flags) + extra
        key = hashlib.sha256("\0".join([source, cc, *flags, _cpu_signature()]).encode()).hexdigest()[:16]
        so = cache / f"{name}_kernel-{key}.so"
        if not so.exists():
            src = cache / f"{name}_kernel-{key}-{os.getpid()}.c"
            tmp = cache / f"{name}_kernel-{key}-{os.getpid()}.so.tmp"
            src.write_text(source)
            proc = subprocess.run([cc, "-x", "c", str(src), "-o", str(tmp), *flags, "-lm"],
                                  capture_output=True, text=True)
            src.unlink(missing_ok=True)
            if proc.returncode != 0:
                tmp.unlink(missing_ok=True)
                errors.append(f"{Path(cc).name} {' '.join(extra) or '(no -march)'}: "
                              f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:] or ['failed']}")
                continue
            os.replace(tmp, so)
        try:
            lib = ctypes.CDLL(str(so))
            declare(lib)
        except (OSError, AttributeError) as e:
            errors.append(f"loading {so}: {e}")
            continue
        return lib, f"{Path(cc).name} {' '.join(flags)} -> {so}"
    return None, f"could not build the native {name} kernel: " + "; ".join(errors)


def load(name: str, source: str, declare: Callable[[ctypes.CDLL], None],
         extra_flags: Sequence[str] = ()) -> Tuple[Optional[ctypes.CDLL], str]:
    """(library, description) or (None, the reason it is unavailable); built once per process.
    ``declare(lib)`` sets the functions' argtypes/restype; ``extra_flags`` go after ``FLAGS``."""
    with _lock:
        if name not in _loaded:
            try:
                _loaded[name] = _build(name, source, declare, extra_flags)
            except Exception as e:  # any build problem means: use the torch path
                _loaded[name] = (None, f"could not build the native {name} kernel: {e!r}")
        return _loaded[name]

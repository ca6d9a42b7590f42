"""Build a small C kernel at first use and load it with ctypes (the word2vec and recurrence
kernels of the CPU path).

``$CC`` (or cc / gcc / clang / g++ on PATH) with ``-O3 -march=<target> -fopenmp-simd -pthread
-shared -fPIC`` (retried without ``-march``), into ``$RNNBENCH_CACHE`` /
``$XDG_CACHE_HOME/rnnbench`` / ``~/.cache/rnnbench`` (a temp dir if none is writable), keyed by a
hash of the source, the compiler, the flags (the target included) and the machine's CPU flags,
and written atomically, so concurrent first uses (parallel Snakemake jobs) are safe. When it
cannot build, callers get the reason and fall back to their torch path.

The target is ``$RNNBENCH_MARCH`` (default ``native``: this machine's instruction sets), or an
x86-64 level such as ``x86-64-v3`` (AVX2 + FMA, what most users' CPUs have), ``x86-64-v2``
(SSE4.2) or ``x86-64-v4`` (AVX-512). On an AVX-512 machine, ``RNNBENCH_MARCH=x86-64-v3`` builds
and runs the kernels as an AVX2-only machine would (see the README's Performance section for
torch's matching settings).
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


def march() -> str:
    """The ``-march`` the kernels are built for: ``$RNNBENCH_MARCH``, or ``native`` (also when empty)."""
    m = os.environ.get("RNNBENCH_MARCH", "").strip() or "native"
    if not all(c.isalnum() or c in "-_.=" for c in m):
        raise ValueError(f"RNNBENCH_MARCH must be a -march value such as native or x86-64-v3, got {m!r}")
    return m


def cpu_description() -> str:
    """The CPU model and its vector extensions, for benchmark headers."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("", platform.machine()):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith(("flags", "Features")) and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    ext = [e for e in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512_bf16", "asimd", "sve")
           if e in flags]
    return f"{model} ({platform.machine()}; {' '.join(ext) or 'vector extensions unknown'})"


def machine_line() -> str:
    """What a benchmark figure was measured on: the CPU, its vector extensions, the kernels' -march."""
    return f"CPU: {cpu_description()}, {os.cpu_count()} logical cores; C kernels built with -march={march()}"


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
    for extra in ([f"-march={march()}"], []):
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
    key = f"{name}@{march()}"   # a changed RNNBENCH_MARCH loads another build (benchmarks compare them)
    with _lock:
        if key not in _loaded:
            try:
                _loaded[key] = _build(name, source, declare, extra_flags)
            except Exception as e:  # any build problem means: use the torch path
                _loaded[key] = (None, f"could not build the native {name} kernel: {e!r}")
        return _loaded[key]

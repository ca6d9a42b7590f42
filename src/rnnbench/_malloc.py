"""Keep freed batch buffers in the heap (glibc): without this every large temporary of a batch is
a fresh mmap whose pages fault in again, which costs more than the arithmetic on CPU."""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_done = False


def keep_heap() -> bool:
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1 and libc.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1) == 1
    except (OSError, AttributeError):  # not glibc: nothing to tune
        ok = False
    _done = ok
    return ok

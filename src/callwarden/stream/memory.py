"""Memory the allocators hold free, handed back to the system between batches.

A long-running consumer frees, after each campaign pass and each checkpoint, hundreds of MB of
passing frames and arrays (docs/benchmarks.md, "Stream"). Freed memory is not always returned:
glibc's heap keeps what sits below its top, and Arrow's pool (mimalloc or jemalloc) keeps
pages for reuse. What is kept counts as resident memory beside the state, and the next pass's
peak lands on top of it. :func:`release_unused` asks both to return what they hold free: a
walk over the heap, milliseconds, done at those moments only (not per batch).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

import pyarrow as pa

__all__ = ["release_unused"]


def _trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, where the C library has it (Linux with glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_TRIM = _trim()


def release_unused() -> None:
    """Return the free memory of the C heap and of Arrow's default pool to the system."""
    if _TRIM is not None:
        _TRIM()
    pa.default_memory_pool().release_unused()

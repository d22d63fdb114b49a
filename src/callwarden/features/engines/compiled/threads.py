"""Both cores for the batch engine: independent compiled passes side by side in threads.

The batch engine's kernels are numba functions compiled with ``nogil=True``: while one runs it
holds no GIL, so plain Python threads run two of them at once. That is used in two ways:

- :func:`run_all` runs independent steps (two columns parsed, two groupings of the calls
  walked) side by side;
- :func:`ranges` cuts a pass over rows (or over groups of rows) into contiguous pieces, each
  a call of the same kernel on slices, whose outputs do not overlap.

Either way the result is exactly the one-thread result: the pieces are independent, and
nothing depends on which finishes first. Plain threads rather than numba's ``parallel=True``:
numba's fallback threading layer (where no OpenMP or TBB runtime is installed) aborts the
process when two threads enter a parallel kernel at once, and GNU OpenMP's does not survive a
fork; threads from :mod:`concurrent.futures` are safe under both (a forked child starts a
pool of its own).

``CALLWARDEN_THREADS`` sets how many (default: the cores this process may use, at most 8;
``1`` runs everything in the calling thread). The pool is sized when it is first used: a
later, larger setting cuts passes into more pieces, which then wait their turn in that pool.

>>> run_all(lambda: 1 + 1, lambda: 2 * 3)
[2, 6]
>>> ranges(10, pieces=3, least=1)
[(0, 3), (3, 6), (6, 10)]
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

import numpy as np

from callwarden.errors import ConfigError

__all__ = ["ranges", "run_all", "run_both", "run_ranges", "thread_count"]

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
#: fewer rows than this are not worth a thread
LEAST_ROWS = 250_000

_lock = threading.Lock()
_pools: list[ThreadPoolExecutor] = []  # the one pool, made on first use
_here = threading.local()  # set in the pool's own threads: they never wait on the pool


def thread_count() -> int:
    """Threads the batch engine may use (``CALLWARDEN_THREADS``, else the usable cores, <= 8)."""
    env = os.environ.get("CALLWARDEN_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ConfigError(f"CALLWARDEN_THREADS must be a whole number, not {env!r}") from None
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(1, min(8, len(usable) if usable is not None else os.cpu_count() or 1))


def _get_pool() -> ThreadPoolExecutor:
    with _lock:
        if not _pools:
            _pools.append(
                ThreadPoolExecutor(
                    max_workers=max(1, thread_count() - 1),
                    thread_name_prefix="callwarden-batch",
                    initializer=setattr,
                    initargs=(_here, "worker", True),
                )
            )
        return _pools[0]


def _forget_pool_in_child() -> None:
    # a forked child has none of the parent's pool threads: tasks queued there would wait
    # for ever; it makes its own pool on first use
    _pools.clear()


if hasattr(os, "register_at_fork"):  # (POSIX; elsewhere there is no fork)
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def run_all(*tasks: Callable[[], T]) -> list[T]:
    """Every task's result, in order; the first runs in the calling thread, the others in the
    pool. Inside a pool thread (a task that itself calls this) they run one after another, so
    the pool never waits on itself."""
    if len(tasks) < 2 or thread_count() < 2 or getattr(_here, "worker", False):
        return [task() for task in tasks]
    futures = [_get_pool().submit(task) for task in tasks[1:]]
    try:
        first = tasks[0]()
    finally:
        done = [f.result() for f in futures]  # (re-raises a task's exception)
    return [first, *done]


def run_both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """:func:`run_all` of two tasks of different types."""
    a, b = run_all(first, second)
    return cast(A, a), cast(B, b)


def ranges(
    n: int,
    groups: np.ndarray | None = None,
    *,
    pieces: int | None = None,
    least: int | None = None,
) -> list[tuple[int, int]]:
    """``[start, end)`` pieces covering ``range(n)``, one per thread and none under ``least``
    rows (default :data:`LEAST_ROWS`); with ``groups`` (a key per row, equal keys next to
    each other) no group is cut.

    >>> ranges(6, np.array([1, 1, 1, 1, 2, 2]), pieces=2, least=1)
    [(0, 4), (4, 6)]
    """
    pieces = thread_count() if pieces is None else pieces
    least = LEAST_ROWS if least is None else least
    pieces = max(1, min(pieces, n // max(1, least)))
    cuts = [0]
    for p in range(1, pieces):
        at = max(cuts[-1], n * p // pieces)
        if groups is not None and 0 < at < n:
            at = _next_group_start(groups, at)
        if cuts[-1] < at < n:
            cuts.append(at)
    cuts.append(n)
    return list(itertools.pairwise(cuts))


def _next_group_start(groups: np.ndarray, at: int) -> int:
    """The first row at or after ``at`` that starts a group (``len(groups)`` if none), looking
    ahead in growing steps rather than comparing the whole rest."""
    n, step = groups.shape[0], 1024
    start = at
    while start < n:
        ahead = np.flatnonzero(groups[start : start + step] != groups[at - 1])
        if ahead.shape[0]:
            return start + int(ahead[0])
        start += step
        step *= 4
    return n


def run_ranges(work: Callable[[int, int], T], pieces: list[tuple[int, int]]) -> list[T]:
    """``work(start, end)`` for every piece, side by side."""
    return run_all(*((lambda a=a, b=b: work(a, b)) for a, b in pieces))

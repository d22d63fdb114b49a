"""Array building blocks of the batch engine: groups, previous elements, event-time windows.

All take arrays sorted into groups (a number's events, a callee's calls, a device's calls) with
record order kept inside each group.

>>> keys, t = np.array([1, 1, 1, 2]), np.array([0, 1000, 5000, 6000])
>>> previous_index(keys, np.ones(4, bool)).tolist()
[-1, 0, 1, -1]
>>> flags = np.ones((4, 1), np.int8)
>>> window_sums_of(keys, t, (flags, flags[:, :0]), [(4500, [0])], np.arange(4), 4)[0].tolist()
[1.0, 2.0, 2.0, 1.0]
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.compiled.threads import ranges, run_ranges

__all__ = [
    "group_starts",
    "previous_index",
    "stable_argsort",
    "window_sums_of",
]


def stable_argsort(*keys: np.ndarray) -> np.ndarray:
    """Indices sorting by the keys (the first one first), equal keys kept in their order.

    The same as ``np.lexsort(keys[::-1])``, from polars' multithreaded sort.

    >>> stable_argsort(np.array([3, 1, 3, 1]), np.array([0, 5, 0, 4])).tolist()
    [3, 1, 0, 2]
    """
    if keys[0].shape[0] == 0:
        return np.zeros(0, np.int64)
    names = [f"k{i}" for i in range(len(keys))]
    frame = pl.DataFrame(dict(zip(names, keys, strict=True)))
    order = frame.select(pl.arg_sort_by(names, maintain_order=True)).to_series()
    return order.to_numpy()  # (polars' own index type, not widened: a day's sorts are large)


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For keys sorted into groups: index of each element's group start."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    boundary = np.r_[True, keys[1:] != keys[:-1]]
    return np.maximum.accumulate(np.where(boundary, np.arange(n), 0))


def previous_index(keys: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Index of the previous element of the same group with ``mask`` set, or -1.

    The element itself is never its own previous.
    """
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    if mask.all():  # simply the element before, within the group
        index = np.arange(-1, n - 1)
        index[1:][keys[1:] != keys[:-1]] = -1
        return index
    last = np.maximum.accumulate(np.where(mask, np.arange(n), -1))
    prev = np.r_[-1, last[:-1]]
    return np.where(prev >= group_starts(keys), prev, -1)


@numba.njit(cache=True, nogil=True)
def _sliding_sums(blocks: np.ndarray, t: np.ndarray, small: np.ndarray, wide: np.ndarray,
                  cols: np.ndarray, starts: np.ndarray, windows_ms: np.ndarray, row: np.ndarray,
                  out: np.ndarray) -> None:  # fmt: skip
    """One pass over all windows at once: running sums over ``(t - w, t]`` of the signal
    columns ``cols[starts[w]:starts[w + 1]]`` (a column ``c`` below ``small``'s width is
    ``small[:, c]``, else ``wide[:, c - width]``; integer matrices, one row per element), kept
    up to date as the window's right end steps on and each left end catches up. Sum ``q`` is
    written to ``out[q, row[i]]`` at every element with ``row[i] >= 0``. Integer sums: exact."""
    n, w_count, q_count = t.shape[0], windows_ms.shape[0], cols.shape[0]
    width = small.shape[1]
    acc = np.zeros(q_count, np.int64)
    left = np.zeros(w_count, np.int64)
    for i in range(n):
        if i == 0 or blocks[i] != blocks[i - 1]:
            left[:] = i
            acc[:] = 0
        for w in range(w_count):
            for q in range(starts[w], starts[w + 1]):
                c = cols[q]
                acc[q] += small[i, c] if c < width else wide[i, c - width]
            edge = t[i] - windows_ms[w]
            j = left[w]
            while t[j] <= edge:
                for q in range(starts[w], starts[w + 1]):
                    c = cols[q]
                    acc[q] -= small[j, c] if c < width else wide[j, c - width]
                j += 1
            left[w] = j
        r = row[i]
        if r >= 0:
            for q in range(q_count):
                out[q, r] = acc[q]


def window_sums_of(
    blocks: np.ndarray,
    t: np.ndarray,
    signals: tuple[np.ndarray, np.ndarray],
    columns: list[tuple[int, list[int]]],
    row: np.ndarray,
    rows: int,
) -> np.ndarray:
    """Sums over ``(t - w, t]`` within each block, up to and including each element, of
    signal columns: ``signals`` are two integer matrices with a row per element (narrow
    flags, then wide counts; columns numbered across both), ``columns`` lists
    ``(w, [column, ...])``. Row ``q`` of the result is the ``q``-th sum in that listing; the
    sum ending at element ``i`` lands at position ``row[i]`` (``-1``: not wanted)."""
    cols = np.array([c for _, group in columns for c in group], np.int64)
    starts = np.cumsum([0] + [len(group) for _, group in columns]).astype(np.int64)
    windows_ms = np.array([w for w, _ in columns], np.int64)
    out = np.zeros((cols.shape[0], rows))
    if cols.shape[0] and t.shape[0]:
        small, wide = signals
        # blocks are independent: whole blocks to each thread, each writing its own rows
        run_ranges(
            lambda a, b: _sliding_sums(
                blocks[a:b], t[a:b], small[a:b], wide[a:b], cols, starts, windows_ms, row[a:b], out
            ),
            ranges(t.shape[0], blocks),
        )
    return out

"""Array building blocks of the batch engine: groups, previous elements, event-time windows.

All take arrays sorted into groups (a number's events, a callee's calls, a device's calls) with
record order kept inside each group.

>>> keys, t = np.array([1, 1, 1, 2]), np.array([0, 1000, 5000, 6000])
>>> previous_index(keys, np.ones(4, bool)).tolist()
[-1, 0, 1, -1]
>>> window_sums_at(keys, t, {"x": np.ones(4)}, 4500, np.arange(4), 4)["x"].tolist()
[1.0, 2.0, 2.0, 1.0]
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

__all__ = [
    "group_starts",
    "previous_in_group",
    "previous_index",
    "stable_argsort",
    "window_sums_at",
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
    return order.to_numpy().astype(np.int64)


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


def previous_in_group(keys: np.ndarray, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Time of the previous element of the same group with ``mask`` set, or -1."""
    prev = previous_index(keys, mask)
    return np.where(prev >= 0, t[np.maximum(prev, 0)], -1)


@numba.njit(cache=True)
def _sliding_sums(blocks: np.ndarray, t: np.ndarray, signals: tuple[np.ndarray, ...],
                  window_ms: int, row: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
    """One pass per block: running sums of the signals over ``(t - w, t]``, kept up to date as
    the window's right end steps on and its left end catches up; written to ``out[:, row[i]]``
    at every element with ``row[i] >= 0``. (Integer-valued signals: the sums are exact.)"""
    k = len(signals)
    acc = np.zeros(k)
    left = 0
    for i in range(t.shape[0]):
        if i == 0 or blocks[i] != blocks[i - 1]:
            left = i
            acc[:] = 0.0
        for j in range(k):
            acc[j] += signals[j][i]
        edge = t[i] - window_ms
        while t[left] <= edge:
            for j in range(k):
                acc[j] -= signals[j][left]
            left += 1
        r = row[i]
        if r >= 0:
            for j in range(k):
                out[j, r] = acc[j]


def window_sums_at(
    blocks: np.ndarray,
    t: np.ndarray,
    signals: dict[str, np.ndarray],
    window_ms: int,
    row: np.ndarray,
    rows: int,
) -> dict[str, np.ndarray]:
    """Sums over ``(t - w, t]`` within each block, up to and including each element, in an
    order of the caller's choosing: the sum ending at element ``i`` lands at position
    ``row[i]`` (``-1``: not wanted) of arrays of length ``rows``. Exact for integer-valued
    signals (every signal of the spec is one).

    >>> keys, t = np.array([1, 1, 1, 2]), np.array([0, 1000, 5000, 6000])
    >>> window_sums_at(keys, t, {"x": np.ones(4)}, 4500, np.array([3, -1, 0, 1]), 4)["x"].tolist()
    [2.0, 1.0, 0.0, 1.0]
    """
    names = list(signals)
    out = np.zeros((len(names), rows))
    if names and t.shape[0]:
        arrays = tuple(np.ascontiguousarray(signals[k], dtype=np.float64) for k in names)
        _sliding_sums(blocks, t, arrays, int(window_ms), row, out)
    return {name: out[j] for j, name in enumerate(names)}

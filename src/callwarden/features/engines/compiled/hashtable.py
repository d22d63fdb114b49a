"""Compiled int64 -> int64 hash tables and the growth rule of the engine's state arrays.

Open addressing with linear probing, at most half full; keys are never negative (``EMPTY`` marks
a free slot) and a missing key reads as ``NONE``. The functions take the table's arrays, so that
numba-compiled loops (the incremental feature engine, the text codebooks) can use them inline.

>>> t = Table()
>>> t.reserve(2)
>>> put(*t.arrays(), 42, 7); get(t.keys, t.vals, 42), get(t.keys, t.vals, 43) == NONE
(7, True)
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from callwarden.features.engines.compiled.threads import ranges, run_ranges

__all__ = ["EMPTY", "NONE", "IntSet", "Table", "get", "grow", "put", "resized"]

NONE = np.iinfo(np.int64).min  # "no such time / number" in the state arrays
EMPTY = -1  # an empty hash-table key (keys are never negative)


@numba.njit(cache=True, inline="always")
def _hash(key: int, mask: int) -> np.int64:
    # splitmix64's finaliser: every key bit reaches the low bits the mask keeps
    z = np.uint64(key) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.int64(z & np.uint64(mask))


@numba.njit(cache=True, inline="always")
def get(keys: np.ndarray, vals: np.ndarray, key: int) -> int:
    mask = keys.shape[0] - 1
    i = _hash(key, mask)
    while True:
        k = keys[i]
        if k == key:
            return vals[i]
        if k == EMPTY:
            return NONE
        i = (i + 1) & mask


@numba.njit(cache=True, inline="always")
def put(keys: np.ndarray, vals: np.ndarray, meta: np.ndarray, key: int, val: int) -> None:
    mask = keys.shape[0] - 1
    i = _hash(key, mask)
    while True:
        k = keys[i]
        if k == key:
            vals[i] = val
            return
        if k == EMPTY:
            keys[i] = key
            vals[i] = val
            meta[0] += 1
            return
        i = (i + 1) & mask


@numba.njit(cache=True)
def _rehash(keys: np.ndarray, vals: np.ndarray, new_keys: np.ndarray, new_vals: np.ndarray,
            meta: np.ndarray, keep_after: int) -> None:  # fmt: skip
    """Move every entry with a value after ``keep_after`` into the new (empty) table."""
    meta[0] = 0
    for i in range(keys.shape[0]):
        if keys[i] != EMPTY and vals[i] > keep_after:
            put(new_keys, new_vals, meta, keys[i], vals[i])


class Table:
    """An int64 -> int64 open-addressing hash table (linear probing), at most half full.

    ``dtype``: the values' type, where they fit a narrower one (the live engine's times as
    int32 offsets: ``offsets.py``)."""

    def __init__(self, dtype: type[np.integer[Any]] = np.int64) -> None:
        self.keys = np.full(1024, EMPTY, np.int64)
        self.vals = np.zeros(1024, dtype)
        self.meta = np.zeros(1, np.int64)

    def reserve(self, more: int, keep_after: int = NONE) -> None:
        """Room for ``more`` new keys; entries with values not after ``keep_after`` may go."""
        size, need = self.keys.shape[0], 2 * (int(self.meta[0]) + more)
        if need <= size:
            return
        while need > size:
            size *= 2
        keys = np.full(size, EMPTY, np.int64)
        vals = np.zeros(size, self.vals.dtype)
        _rehash(self.keys, self.vals, keys, vals, self.meta, keep_after)
        self.keys, self.vals = keys, vals

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.keys, self.vals, self.meta)

    def nbytes(self) -> int:
        return self.keys.nbytes + self.vals.nbytes


def grow(size: int, need: int) -> int:
    """The next capacity: half as much again until ``need`` fits (less idle memory than
    doubling, for the same amortised cost per element)."""
    while size < need:
        size += size // 2
    if size >= 2**31:
        raise OverflowError("more than 2^31 events in a day's window: run more partitions")
    return size


def resized(a: np.ndarray, size: int, fill: float) -> np.ndarray:
    """``a`` in an array of ``size`` rows, the new ones ``fill``.

    Rows of zeros are not written: the kernel maps their pages only when they are first used,
    so the room a grown array keeps for later (up to a third of it) takes no memory until then.
    """
    if fill == 0:
        out = np.zeros((size, *a.shape[1:]), a.dtype)
    else:
        out = np.empty((size, *a.shape[1:]), a.dtype)
        out[a.shape[0] :] = fill
    out[: a.shape[0]] = a
    return out


@numba.njit(cache=True, nogil=True)
def _fill_set(members: np.ndarray, keys: np.ndarray, vals: np.ndarray) -> None:
    meta = np.zeros(1, np.int64)
    for m in members:
        put(keys, vals, meta, m, 1)


@numba.njit(cache=True, nogil=True)
def _lookup(values: np.ndarray, keys: np.ndarray, vals: np.ndarray, out: np.ndarray) -> None:
    for i in range(values.shape[0]):
        out[i] = values[i] >= 0 and get(keys, vals, values[i]) != NONE


class IntSet:
    """A set of non-negative int64 (a compiled hash set) to test many values against.

    >>> IntSet(np.array([5, 9])).contains(np.array([5, 7, -1, 5])).tolist()
    [True, False, False, True]
    >>> IntSet(np.array([5])).contains(np.array([5.0, np.nan])).tolist()
    [True, False]
    """

    def __init__(self, members: np.ndarray) -> None:
        members = np.asarray(members, np.int64)
        if members.shape[0] and int(members.min()) < 0:
            raise ValueError("set members must not be negative")
        size = 1024
        while size < 2 * members.shape[0]:
            size *= 2
        self.keys = np.full(size, EMPTY, np.int64)
        self.vals = np.zeros(size, np.int64)
        _fill_set(members, self.keys, self.vals)

    def contains(self, values: np.ndarray) -> np.ndarray:
        """A bool mask: which ``values`` (negative ones never) are in the set; the values
        are cut into pieces for every thread."""
        if values.dtype.kind == "f":  # (a missing code reads NaN: never a member)
            values = np.where(np.isnan(values), -1, values)
        values = np.asarray(values, np.int64)
        out = np.zeros(values.shape[0], np.bool_)
        keys, vals = self.keys, self.vals
        run_ranges(lambda a, b: _lookup(values[a:b], keys, vals, out[a:b]), ranges(values.shape[0]))
        return out

"""The live engine's event times as int32 offsets from a base, not int64 epoch milliseconds.

Every time the live engine keeps (each pooled event's, each pair's last, each number's last
call) is only ever compared with another within a day of it (the longest window): what matters
is the difference, and a difference under a day fits int32 milliseconds many times over. So
the compiled loop sees times as milliseconds after ``base`` (the first record's time), and the
pools and pair tables store them as int32: on a day of 1M subscribers, about 21M pooled
events and 25M pair slots, 175 MiB less than int64.

An int32 of milliseconds spans 24.8 days. Before a batch would reach past :data:`SPAN_MS`
after the base, the base moves to the batch's first time (:func:`rebase`): every stored time
is moved with it, and times from before ``-2**31`` (weeks older than the batch, as old as
"never" to every window) stay at the lowest value, so they keep their order and still read as
long ago.

>>> shifted(np.array([5_000, 3_000, -2**31 + 10]), 4_000).tolist()
[1000, -1000, -2147483647]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from callwarden.features.engines.compiled.hashtable import EMPTY, NONE, Table
from callwarden.features.engines.compiled.pools import Pool

__all__ = ["FLOOR", "SPAN_MS", "UNSET", "absolute_to_offsets", "rebase", "shifted", "split_at"]

#: a batch reaching past this many ms after the base moves the base (half of int32's range:
#: a batch of up to as much again, and the day before it, still fit)
SPAN_MS = 2**30
#: the lowest stored offset: older times are held at it
FLOOR = -(2**31) + 1
#: "no time, no number" in the engine's int32 ``num`` (below :data:`FLOOR`: never a time)
UNSET = -(2**31)
#: the columns of the engine's ``num`` that hold times (the others are numbers)
TIME_COLUMNS = (0, 2, 4)


def shifted(values: np.ndarray, delta: int) -> np.ndarray:
    """``values - delta`` as int32, held at :data:`FLOOR` where lower."""
    moved = values.astype(np.int64) - np.int64(delta)
    return np.maximum(moved, FLOOR).astype(np.int32)


def _shift_num(num: np.ndarray, delta: int) -> None:
    """(int32, ``UNSET`` for none; int64 with ``NONE``: a checkpoint's from before offsets)"""
    for c in TIME_COLUMNS:
        column = num[:, c]
        if num.dtype == np.int32:
            known = column != UNSET
            column[known] = shifted(column[known], delta)
        else:
            column[column != NONE] -= delta


def _shift_table(table: Table, delta: int) -> None:
    used = table.keys != EMPTY
    vals = np.zeros(table.vals.shape[0], np.int32)
    vals[used] = shifted(table.vals[used], delta)
    table.vals = vals


def _shift_pool(pool: Pool, delta: int) -> None:
    t = np.zeros(pool.t.shape[0], np.int32)
    used = int(pool.meta[0])
    t[:used] = shifted(pool.t[:used], delta)
    pool.t = t


def rebase(pools: Iterable[Pool], tables: Iterable[Table], num: np.ndarray, delta: int) -> None:
    """Move every stored time ``delta`` ms back (the base moved ``delta`` ms on); the pools'
    and tables' times become int32 (those of a checkpoint from before offsets were int64)."""
    for pool in pools:
        _shift_pool(pool, delta)
    for table in tables:
        _shift_table(table, delta)
    _shift_num(num, delta)


def absolute_to_offsets(
    pools: Iterable[Pool], tables: Iterable[Table], num: np.ndarray
) -> int | None:
    """A state from before offsets (epoch milliseconds, int64) moved to offsets from its
    latest time; that base, or None for a state that has seen no record."""
    pools, tables = list(pools), list(tables)
    latest = [int(p.t[: int(p.meta[0])].max()) for p in pools if int(p.meta[0])]
    for c in TIME_COLUMNS:
        known = num[:, c][num[:, c] != NONE]
        if known.shape[0]:
            latest.append(int(known.max()))
    base = max(latest) if latest else 0
    rebase(pools, tables, num, base)
    return base if latest else None


def split_at(t: np.ndarray) -> int:
    """Where a batch's times (in record order) must be cut so that each part spans at most
    :data:`SPAN_MS`: the length of the first part (the whole batch when it fits).

    >>> split_at(np.array([0, 10, SPAN_MS, SPAN_MS + 1])), split_at(np.array([0, 5]))
    (3, 2)
    """
    if t.shape[0] == 0 or int(t[-1]) - int(t[0]) <= SPAN_MS:
        return int(t.shape[0])
    return int(np.searchsorted(t, int(t[0]) + SPAN_MS, "right"))

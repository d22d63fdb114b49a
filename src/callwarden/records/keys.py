"""Record keys: derive a stable key when the input has none, and find duplicate keys.

A derived key (``call_id``, ``sms_id``) is the BLAKE2b-128 digest, as 32 hex digits, of the
record's canonical ``key_from`` values joined by U+001F: phone numbers in E.164, timestamps as
UTC epoch microseconds, integers in decimal, a null as U+0000. It depends on nothing but those
values, so the same call read from CSV today and from Parquet next year gets the same key.

>>> key = derive_keys(pl.DataFrame({"a": ["+8613812345678"], "b": [30]}), ["a", "b"])[0]
>>> key == hashlib.blake2b("+8613812345678\x1f30".encode(), digest_size=16).hexdigest()
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["SeenKeys", "derive_keys"]

_SEP = "\x1f"
_NULL = "\x00"
# Fixed seeds: fingerprints only live for one ingest, inside one process, so polars' hash is
# fine here; what goes into files is the BLAKE2b key above.
_SEED_HI, _SEED_LO = 0x5EED_CA11, 0x0DD_BA11

_T = TypeVar("_T", bound=np.generic)
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def derive_keys(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """Derive the key of every row from its canonical values (see the module docstring)."""
    parts = []
    for name in columns:
        col = pl.col(name)
        dtype = frame.schema[name]
        text = (
            col.dt.epoch("us").cast(pl.String)
            if isinstance(dtype, pl.Datetime)
            else col.cast(pl.String)
        )
        parts.append(text.fill_null(_NULL))
    joined = frame.select(pl.concat_str(parts, separator=_SEP).alias("k"))["k"]
    blake = hashlib.blake2b
    # One C call per row: about a microsecond each, only for sources without a key column.
    keys = [blake(v.encode(), digest_size=16).hexdigest() for v in joined.to_list()]
    return pl.Series(keys, dtype=pl.String)


class SeenKeys:
    """The keys seen so far in one ingest, each with the position where it was first seen.

    Keys are held as 128-bit fingerprints (two polars hashes with fixed seeds) in sorted runs
    of numpy arrays, merged like a binary counter so lookups stay O(log n) per run and there
    are O(log n) runs. Memory is 24 bytes per distinct key (fingerprint halves and position)
    plus a transient copy while two runs merge: about 240 MB for ten million rows, whatever
    the length of the keys. A false "duplicate" needs two distinct keys with equal 128-bit
    fingerprints: negligible (about 1e-20 for ten million keys).

    >>> seen = SeenKeys()
    >>> seen.check(pl.Series(["a", "b", "a"]), pl.Series([1, 2, 3])).to_list()
    [None, None, 1]
    >>> seen.check(pl.Series(["b", "c"]), pl.Series([4, 5])).to_list()
    [2, None]
    """

    def __init__(self) -> None:
        self._runs: list[tuple[U64, U64, I64]] = []
        self.count = 0

    def check(self, keys: pl.Series, positions: pl.Series) -> pl.Series:
        """For each row, the position of an earlier row with the same key, else null.

        ``positions`` must increase with the row order; first occurrences are remembered.
        """
        hi, lo = _fingerprints(keys)
        pos = positions.cast(pl.Int64).to_numpy()
        if len(hi) == 0:
            return pl.Series("first", [], dtype=pl.Int64)
        # Group equal keys of this chunk together (the order inside a group does not matter:
        # its first position is its minimum). Sorting by the high half alone is exact unless two
        # different keys share it, which is vanishingly rare; then sort by both halves.
        order = np.argsort(hi)
        s_hi, s_lo = hi[order], lo[order]
        same_hi = s_hi[1:] == s_hi[:-1]
        if np.any(same_hi & (s_lo[1:] != s_lo[:-1])):
            order = np.lexsort((lo, hi))
            s_hi, s_lo = hi[order], lo[order]
            same_hi = s_hi[1:] == s_hi[:-1]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = ~same_hi | (s_lo[1:] != s_lo[:-1])
        start_at = np.flatnonzero(starts)
        group_first = np.minimum.reduceat(pos[order], start_at)
        earlier = self._lookup(s_hi[start_at], s_lo[start_at])
        new = earlier < 0
        self._add(s_hi[start_at][new], s_lo[start_at][new], group_first[new])
        first_of_group = np.where(new, group_first, earlier)
        first: I64 = np.empty(len(order), dtype=np.int64)
        first[order] = first_of_group[np.cumsum(starts) - 1]
        result = pl.Series("first", first)
        return pl.select(
            pl.when(result != pos).then(result).otherwise(None).alias("first")
        ).to_series()

    def _lookup(self, hi: U64, lo: U64) -> I64:
        found: I64 = np.full(len(hi), -1, dtype=np.int64)
        # Sorted needles let numpy's binary search start from the previous hit: cache friendly.
        order = np.argsort(hi, kind="stable")
        hi_sorted = hi[order]
        for run_hi, run_lo, run_pos in self._runs:
            size = len(run_hi)
            left = np.minimum(np.searchsorted(run_hi, hi_sorted, side="left"), size - 1)
            same_hi = run_hi[left] == hi_sorted
            hit = same_hi & (run_lo[left] == lo[order])
            found[order[hit]] = run_pos[left[hit]]
            # Equal high halves for different keys are vanishingly rare: check the neighbours
            # of a high-half match whose low half differs with a plain loop.
            nxt = np.minimum(left + 1, size - 1)
            for i in np.flatnonzero(same_hi & ~hit & (run_hi[nxt] == hi_sorted) & (nxt > left)):
                stop = int(np.searchsorted(run_hi, hi_sorted[i], side="right"))
                hits = np.flatnonzero(run_lo[left[i] : stop] == lo[order[i]])
                if hits.size:
                    found[order[i]] = run_pos[left[i] + hits[0]]
        return found

    def _add(self, hi: U64, lo: U64, pos: I64) -> None:
        if len(hi) == 0:
            return
        self._runs.append(_sorted_run(hi, lo, pos))
        self.count += len(hi)
        # Merge while the newer run is at least as long as the older, like carries in a binary
        # counter: O(log n) runs, and each key is merged O(log n) times.
        while len(self._runs) > 1 and len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            new_hi, new_lo, new_pos = self._runs.pop()
            old_hi, old_lo, old_pos = self._runs.pop()
            # Linear merge: where each newer element lands among the older ones.
            at = np.searchsorted(old_hi, new_hi, side="right") + np.arange(len(new_hi))
            mask = np.zeros(len(old_hi) + len(new_hi), dtype=bool)
            mask[at] = True
            self._runs.append(
                (
                    _merge(old_hi, new_hi, at, mask),
                    _merge(old_lo, new_lo, at, mask),
                    _merge(old_pos, new_pos, at, mask),
                )
            )


def _merge(
    old: npt.NDArray[_T], new: npt.NDArray[_T], at: I64, mask: npt.NDArray[np.bool_]
) -> npt.NDArray[_T]:
    out: npt.NDArray[_T] = np.empty(len(mask), dtype=old.dtype)
    out[at] = new
    out[~mask] = old
    return out


def _sorted_run(hi: U64, lo: U64, pos: I64) -> tuple[U64, U64, I64]:
    # Sorted by the high half only: lookups scan all entries with an equal high half.
    order = np.argsort(hi)
    return hi[order], lo[order], pos[order]


def _fingerprints(keys: pl.Series) -> tuple[U64, U64]:
    return (
        keys.hash(_SEED_HI).to_numpy().astype(np.uint64, copy=False),
        keys.hash(_SEED_LO).to_numpy().astype(np.uint64, copy=False),
    )

"""Integer codes for the campaign pass's numbers, cells and devices, in the order they first come.

The pass (``detect/campaign_window.py``) keeps its window as arrays indexed by code, so every
number, cell and device it meets gets the next code once and keeps it. Texts are coded through
a dictionary (:meth:`Codes.encode`); texts that spell whole numbers come as their int64 keys
(``records/codes.py``) and are coded by :class:`KeyCodes`, a compiled open-addressing hash
table that is kept from call to call: a call costs its own keys, not the keys seen before it
(a table rebuilt from every key so far at each call had cost the 1M-subscriber day more than
all of the pass's window arithmetic). Its loops are compiled ``nogil``, so the pass's thread
codes while the scoring thread runs.

The table is written here, not taken from the compiled feature engine's: the engine's insides
are its own (``features/engines/base.py``), and this one needs only insertion in order.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import polars as pl

__all__ = ["Codes", "KeyCodes"]

_EMPTY = -1  # a free slot (keys are never negative)


@numba.njit(cache=True, inline="always")
def _slot(key: int, mask: int) -> np.int64:
    # splitmix64's finaliser: every key bit reaches the low bits the mask keeps
    z = np.uint64(key) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.int64(z & np.uint64(mask))  # (signed: probing adds and masks in int64)


@numba.njit(cache=True, nogil=True)
def _code(given: np.ndarray, start: int, slot_key: np.ndarray, slot_code: np.ndarray,
          keys: np.ndarray, count: np.ndarray, out: np.ndarray) -> int:  # fmt: skip
    """Codes of ``given[start:]`` into ``out`` (-1 for a negative key); a new key gets the
    next code and is written to ``keys`` at it. Stops before a new key that would fill the
    table over half (or ``keys``), and returns where it stopped (``given``'s length: done)."""
    mask = slot_key.shape[0] - 1
    limit = min(slot_key.shape[0] // 2, keys.shape[0])
    n = count[0]
    for i in range(start, given.shape[0]):
        k = given[i]
        if k < 0:
            out[i] = -1
            continue
        j = _slot(k, mask)
        while True:
            s = slot_key[j]
            if s == k:
                out[i] = slot_code[j]
                break
            if s == _EMPTY:
                if n >= limit:
                    count[0] = n
                    return i
                slot_key[j] = k
                slot_code[j] = n
                keys[n] = k
                out[i] = n
                n += 1
                break
            j = (j + 1) & mask
    count[0] = n
    return given.shape[0]


@numba.njit(cache=True, nogil=True)
def _placed(keys: np.ndarray, slot_key: np.ndarray, slot_code: np.ndarray) -> None:
    """Every key into the (empty) table, its code its position."""
    mask = slot_key.shape[0] - 1
    for c in range(keys.shape[0]):
        j = _slot(keys[c], mask)
        while slot_key[j] != _EMPTY:
            j = (j + 1) & mask
        slot_key[j] = keys[c]
        slot_code[j] = c


class KeyCodes:
    """Non-negative int64 keys to dense codes 0, 1, 2, ... in the order the keys first come;
    a negative key (a missing text) reads ``-1``.

    >>> k = KeyCodes()
    >>> k.encode(np.array([70, 30, -1, 70])).tolist()
    [0, 1, -1, 0]
    >>> k.encode(np.array([50, 30])).tolist(), len(k), k.keys().tolist()
    ([2, 1], 3, [70, 30, 50])
    """

    def __init__(self, keys: np.ndarray | None = None) -> None:
        """``keys``: the codes' keys so far, in code order (distinct, not negative)."""
        known = np.zeros(0, np.int64) if keys is None else np.asarray(keys, np.int64)
        self._keys = np.empty(max(1024, known.shape[0]), np.int64)
        self._keys[: known.shape[0]] = known
        self._count = np.array([known.shape[0]], np.int64)
        self._table(max(known.shape[0], 512))

    def __len__(self) -> int:
        return int(self._count[0])

    def keys(self) -> np.ndarray:
        """The keys in code order (a view: read it before the next :meth:`encode`)."""
        return self._keys[: len(self)]

    def _table(self, holding: int) -> None:
        """A table more than twice ``holding`` keys large, with the keys so far in it."""
        size = 1024
        while size < 2 * holding + 1:
            size *= 2
        self._slot_key = np.full(size, _EMPTY, np.int64)
        self._slot_code = np.empty(size, np.int32)
        _placed(self.keys(), self._slot_key, self._slot_code)

    def encode(self, given: np.ndarray, dtype: type = np.int64) -> np.ndarray:
        """The code of each key (-1 for a negative key), new keys numbered in order; as
        ``dtype`` (int64, or int32 where the codes fit: no array of int64 codes to copy)."""
        given = np.ascontiguousarray(given, np.int64)
        out: np.ndarray = np.empty(given.shape[0], dtype)
        at = 0
        while True:
            at = _code(given, at, self._slot_key, self._slot_code, self._keys, self._count, out)
            if at == given.shape[0]:
                return out
            # full: twice the room, then on from the key that did not fit
            if len(self) == self._keys.shape[0]:
                grown = np.empty(2 * self._keys.shape[0], np.int64)
                grown[: len(self)] = self.keys()
                self._keys = grown
            if 2 * len(self) >= self._slot_key.shape[0]:
                self._table(len(self))

    def __getstate__(self) -> dict[str, Any]:
        return {"keys": self.keys().copy()}  # (the table is rebuilt from them: half the bytes)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["keys"])  # type: ignore[misc]


class Codes:
    """Strings to integer codes, in the order they first come; ``-1`` for null.

    >>> c = Codes()
    >>> c.encode(pl.Series(["b", "a", None, "b"])).tolist()
    [0, 1, -1, 0]
    >>> c.encode(pl.Series(["c", "a"])).tolist()
    [2, 1]
    >>> c.decode(np.array([2, 0])).to_list()
    ['c', 'b']

    Texts that spell whole numbers can come as their integer keys (``records/codes.py``),
    which are coded without a Python object per text (:class:`KeyCodes`); their texts are
    spelled for the new codes alone:

    >>> k = Codes()
    >>> k.encode_keys(np.array([8613800000002, -1, 8613800000001, 8613800000002]), "+").tolist()
    [0, -1, 1, 0]
    >>> k.decode(np.array([1])).to_list()
    ['+8613800000001']
    """

    #: the keys' codes while every code came from a key (None once a text came); and the
    #: keys' spelling. (Class defaults too: a stream checkpoint written before them loads.)
    by_key: KeyCodes | None = None
    prefix = ""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.strings = pl.Series("s", [], pl.String)
        self.by_key = None
        self.prefix = ""

    def __setstate__(self, state: dict[str, Any]) -> None:
        known = state.get("by_key")
        if isinstance(known, pl.DataFrame):  # (a checkpoint that kept them as a frame)
            state["by_key"] = KeyCodes(known.sort("c")["k"].to_numpy())
        self.__dict__.update(state)

    def __len__(self) -> int:
        return self.strings.len()

    def encode(self, values: pl.Series, dtype: type = np.int64) -> np.ndarray:
        """The code of each text (-1: null), new texts numbered in the order they first
        come; as ``dtype`` (int64, or int32 where the codes fit)."""
        if self.by_key is not None:  # codes from keys so far: their texts join the index
            self.index = dict(zip(self.strings.to_list(), range(len(self)), strict=True))
            self.by_key = None
        uniq = values.drop_nulls().unique(maintain_order=True)
        before, index = len(self.index), self.index
        codes = np.fromiter(
            (index.setdefault(s, len(index)) for s in uniq.to_list()), np.int64, uniq.len()
        )
        if len(index) > before:  # new strings have the new codes, in the order they came
            self.strings = pl.concat([self.strings, uniq.filter(pl.Series(codes >= before))])
        if uniq.len() == 0:
            return np.full(values.len(), -1, dtype)
        # each text's place among ``uniq`` (an enum of them: no join), then its code; null
        # reads the place past them, -1
        place = values.cast(pl.Enum(uniq)).to_physical()
        if place.null_count():
            place = place.fill_null(uniq.len())
        out: np.ndarray = np.append(codes, -1).astype(dtype)[place.to_numpy()]
        return out

    def encode_keys(self, keys: np.ndarray, prefix: str = "", dtype: type = np.int64) -> np.ndarray:
        """Codes of the texts ``prefix`` + each key's digits (``-1``: null), as :meth:`encode`
        gives them, read from the int64 keys (as ``dtype``: see :meth:`KeyCodes.encode`)."""
        if self.index or (self.by_key is not None and prefix != self.prefix):
            # texts came first (or keys of another spelling): the texts are the codes' index
            given = pl.Series("k", keys, pl.Int64)
            texts = pl.select(
                pl.when(pl.lit(given) >= 0).then(pl.lit(prefix) + pl.lit(given).cast(pl.String))
            )
            return self.encode(texts.to_series()).astype(dtype, copy=False)
        self.prefix = prefix
        if self.by_key is None:
            self.by_key = KeyCodes()
        before = len(self.by_key)
        out = self.by_key.encode(keys, dtype)
        if len(self.by_key) > before:  # the new codes' texts, in code order
            new = pl.Series("k", self.by_key.keys()[before:])
            spelt = pl.select(s=pl.lit(prefix) + new.cast(pl.String)).to_series()
            self.strings = pl.concat([self.strings, spelt])
        return out

    def decode(self, codes: np.ndarray) -> pl.Series:
        if self.strings.n_chunks() > 1:  # (one chunk: a gather from several is 20x slower)
            self.strings = self.strings.rechunk()
        return self.strings.gather(codes)

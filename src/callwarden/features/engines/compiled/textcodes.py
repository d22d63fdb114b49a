"""Texts to dense codes, one to one and for good: numbers, cells and devices of the stream.

The incremental engine keeps per-number state in arrays, so every number (and cell, and device)
it meets becomes a slot. :class:`Codebook` turns the texts that spell a whole number after a
prefix (E.164 numbers after ``+``, IMEIs) into integer keys and looks them up in a compiled
hash table, straight from the column's Arrow buffers: no Python object per text. Any other text
goes through a dictionary (:class:`Dictionary`). Both hand out codes from one counter, and
whether a text takes the first path depends on the text alone, so one text always gets one code
and two texts never share one (tests/unit/features/engines/compiled/test_textcodes.py holds it,
across batches).

>>> book = Codebook("+")
>>> codes, new = book.encode_series(pl.Series(["+8613800000001", "n/a", None, "+8613800000001"]))
>>> codes.tolist(), new
([0, 1, -1, 0], ['+8613800000001', 'n/a'])
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.features.engines.compiled.hashtable import NONE, Table, get, put
from callwarden.features.engines.compiled.threads import ranges, run_ranges
from callwarden.features.formulas import invalid_flags
from callwarden.features.spec import HOME_PREFIX
from callwarden.numbers import VIRTUAL_PREFIXES
from callwarden.records.arrow_text import as_text, large_strings, string_buffers
from callwarden.records.codes import MAX_DIGITS, spelled
from callwarden.records.codes import whole_numbers as _whole_numbers

__all__ = ["MAX_DIGITS", "Codebook", "Dictionary", "number_flags_compiled", "whole_numbers"]

#: the home prefix's bytes and the virtual-operator ranges as integers (all three digits)
_HOME = np.frombuffer(HOME_PREFIX.encode(), np.uint8).copy()
_VIRTUAL = np.array([int(p) for p in VIRTUAL_PREFIXES if len(p) == 3], np.int64)


class Dictionary:
    """Texts (numbers, cells, devices) to dense codes, for good; null is -1."""

    def __init__(self) -> None:
        self.codes: dict[str | None, int] = {None: -1}
        self.size = 0

    def encode(self, values: list[str | None]) -> tuple[np.ndarray, list[str]]:
        """Codes of the values, and the values never seen before (which get the next codes)."""
        get_code = self.codes.get
        out = [get_code(v, -2) for v in values]
        new: list[str] = []
        if -2 in out:
            codes = self.codes
            for i, v in enumerate(values):
                if out[i] == -2:
                    c = codes.get(v)
                    if c is None:
                        c = codes[v] = self.size
                        self.size += 1
                        new.append(str(v))
                    out[i] = c
        return np.array(out, dtype=np.int64), new

    def __len__(self) -> int:
        return self.size


@numba.njit(cache=True)
def _code_texts(
    offsets: np.ndarray, data: np.ndarray, bitmap: np.ndarray, first: int, prefix: np.ndarray,
    keys: np.ndarray, vals: np.ndarray, meta: np.ndarray, size: np.ndarray, out: np.ndarray,
    new_rows: np.ndarray, rest_rows: np.ndarray,
) -> tuple[int, int]:  # fmt: skip
    """Codes of Arrow string values that are ``prefix`` and the digits of a whole number
    (no sign, space or leading zero; at most MAX_DIGITS digits); unseen ones get the next codes
    (``size``). Returns how many rows brought a new key (listed in ``new_rows``) and how many
    are other texts (``rest_rows``, left for the dictionary). Nulls are -1."""
    k = 0
    r = 0
    for i in range(offsets.shape[0] - 1):
        bit = first + i
        if bitmap.shape[0] and not (bitmap[bit >> 3] >> (bit & 7)) & 1:
            out[i] = -1
            continue
        q = spelled(data, offsets[i], offsets[i + 1], prefix)
        if q < 0:
            out[i] = -1
            rest_rows[r] = i
            r += 1
            continue
        c = get(keys, vals, q)
        if c == NONE:
            c = size[0]
            size[0] += 1
            put(keys, vals, meta, q, c)
            new_rows[k] = i
            k += 1
        out[i] = c
    return k, r


def whole_numbers(values: pl.Series, prefix: str = "") -> tuple[np.ndarray, int]:
    """:func:`callwarden.records.codes.whole_numbers` on every core (see threads.py).

    >>> codes, bad = whole_numbers(pl.Series(["+8613800000001", None, "+086", "+12a"]), "+")
    >>> codes.tolist(), bad
    ([8613800000001, -1, -1, -1], 2)
    """
    return _whole_numbers(values, prefix, _threaded)


def _threaded(work: Callable[[int, int], int], n: int) -> list[int]:
    return run_ranges(work, ranges(n))


@numba.njit(cache=True)
def _number_flags(offsets: np.ndarray, data: np.ndarray, bitmap: np.ndarray, first: int,
                  digits: np.ndarray, flags: np.ndarray) -> None:  # fmt: skip
    """The formulas of ``number_flags`` over bytes: E.164 digits (``\\+[0-9]{1,18}``, else
    -1); international (not ``+86``); virtual (``+86`` then a ``VIRTUAL_PREFIXES`` range);
    landline (``+86`` then 10 or 2-9). (A null reads as the empty text; codebooks never ask.)"""
    for i in range(offsets.shape[0] - 1):
        bit = first + i
        lo, hi = offsets[i], offsets[i + 1]
        if bitmap.shape[0] and not (bitmap[bit >> 3] >> (bit & 7)) & 1:
            lo = hi  # (read as the empty text)
        d = -1
        if 2 <= hi - lo <= 19 and data[lo] == 43:
            d = 0
            for j in range(lo + 1, hi):
                c = data[j]
                if c < 48 or c > 57:
                    d = -1
                    break
                d = d * 10 + (c - 48)
        digits[i] = d
        cn = hi - lo >= _HOME.shape[0]
        for k in range(_HOME.shape[0]):
            cn = cn and data[lo + k] == _HOME[k]
        n = lo + _HOME.shape[0]
        a = data[n] if cn and hi - n >= 1 else 0
        b = data[n + 1] if cn and hi - n >= 2 else 0
        c3 = data[n + 2] if cn and hi - n >= 3 else 0
        flags[i, 0] = 0.0 if cn else 1.0
        virtual = False
        if 48 <= a <= 57 and 48 <= b <= 57 and 48 <= c3 <= 57:
            three = (a - 48) * 100 + (b - 48) * 10 + (c3 - 48)
            for p in _VIRTUAL:
                virtual = virtual or three == p
        flags[i, 1] = 1.0 if virtual else 0.0
        flags[i, 2] = 1.0 if (a == 49 and b == 48) or 50 <= a <= 57 else 0.0


def number_flags_compiled(
    numbers: list[str] | pl.Series, *, invalid: bool = True
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``e164_digits`` and ``number_flags`` of the formulas module, in compiled code over the
    texts' bytes (the conformance suite holds the two forms equal). ``is_invalid_number`` is
    the formulas' own (numbering-plan metadata, no byte rule); ``invalid=False`` leaves it out,
    for a caller that asks for it only when a number acts.

    >>> digits, flags = number_flags_compiled(["+8613800000001", "+8617012345678", "+861012345",
    ...                                        "+441234567", "n/a"])
    >>> digits.tolist()
    [8613800000001, 8617012345678, 861012345, 441234567, -1]
    >>> [flags[k].tolist() for k in ("is_international", "is_virtual", "is_landline")]
    [[0.0, 0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]]
    """
    arr = (
        pa.array(numbers, pa.large_string())
        if isinstance(numbers, list)
        else large_strings(as_text(numbers))
    )
    offsets, data, bitmap, first = string_buffers(arr)
    digits = np.empty(len(arr), np.int64)
    flags = np.empty((len(arr), 3), np.float64)
    _number_flags(offsets, data, bitmap, first, digits, flags)
    names = ("is_international", "is_virtual", "is_landline")
    out = {name: flags[:, k].copy() for k, name in enumerate(names)}
    if invalid:
        out["is_invalid_number"] = invalid_flags(arr.to_pylist())
    return digits, out


class Codebook(Dictionary):
    """Like :class:`Dictionary`, with texts that spell a whole number (after ``prefix``), such
    as E.164 numbers and IMEIs, looked up as integers in compiled code: one to one, since only
    the exact spelling of the integer (no sign, space or leading zero) takes this path."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix
        self.table = Table(np.int32)  # (codes: a day's numbers or devices fit int32)

    def encode_series(self, values: pl.Series) -> tuple[np.ndarray, list[str]]:
        """Codes of a column of texts, and the texts new to the codebook, in code order."""
        n = values.len()
        text = large_strings(as_text(values))
        offsets, data, bitmap, first = string_buffers(text)
        out = np.empty(n, np.int64)
        new_rows = np.empty(n, np.int64)
        rest_rows = np.empty(n, np.int64)
        self.table.reserve(n)
        size = np.array([self.size], np.int64)
        keys, vals, meta = self.table.arrays()
        prefix = np.frombuffer(self.prefix.encode(), np.uint8)
        k, r = _code_texts(offsets, data, bitmap, first, prefix, keys, vals, meta, size, out,
                           new_rows, rest_rows)  # fmt: skip
        self.size = int(size[0])
        new = text.take(new_rows[:k]).to_pylist() if k else []
        if r:
            rest = rest_rows[:r]
            codes, more = self.encode(text.take(rest).to_pylist())
            out[rest] = codes
            new += more
        return out, new

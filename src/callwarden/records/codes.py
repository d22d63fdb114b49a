"""Texts that spell whole numbers as integer keys: the codes every consumer of the records shares.

An E.164 number is ``+`` and its digits, an IMEI its 15 digits: where every text of a column
spells an integer exactly (no sign, space or leading zero), the integers stand for the texts one
to one, and joins, sorts and groupings run over int64 instead of strings. Batch scoring parses
the calls' numbers and devices once (:func:`with_call_keys`: ``_caller_code``, ``_callee_code``,
``_imei_code``), and the feature engine and the campaign pass (``detect/campaign_window.py``)
both read those columns: one text, one key, everywhere, parsed once.

>>> whole_number_keys(pl.Series(["+8613800000001", None, "+21620123456"]), "+").tolist()
[8613800000001, -1, 21620123456]
>>> whole_number_keys(pl.Series(["+8613800000001", "5e1272273e041e82"]), "+") is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.records.arrow_text import as_text, large_strings, string_buffers

__all__ = [
    "CALL_KEYS",
    "MAX_DIGITS",
    "Pieces",
    "call_keys",
    "spelled",
    "whole_number_keys",
    "whole_numbers",
    "with_call_keys",
]

#: texts longer than this many digits spell no key (their integer could overflow)
MAX_DIGITS = 18
#: runs ``work(start, end)`` over pieces covering ``range(n)`` and returns each piece's result
Pieces = Callable[[Callable[[int, int], int], int], list[int]]


def _in_one_piece(work: Callable[[int, int], int], n: int) -> list[int]:
    return [work(0, n)]


@numba.njit(cache=True)
def spelled(text: np.ndarray, lo: int, hi: int, prefix: np.ndarray) -> int:
    """The integer ``text[lo:hi]`` spells after ``prefix`` (no sign, space or leading zero;
    1 to MAX_DIGITS digits), or -1."""
    skip = prefix.shape[0]
    digits = hi - lo - skip
    if not 0 < digits <= MAX_DIGITS:
        return -1
    for j in range(skip):
        if text[lo + j] != prefix[j]:
            return -1
    start = lo + skip
    if digits > 1 and text[start] == 48:  # a leading zero
        return -1
    q = 0
    for j in range(start, hi):
        c = text[j]
        if c < 48 or c > 57:
            return -1
        q = q * 10 + (c - 48)
    return q


@numba.njit(cache=True, nogil=True)
def _whole_numbers(offsets: np.ndarray, data: np.ndarray, bitmap: np.ndarray, first: int,
                   prefix: np.ndarray, out: np.ndarray) -> int:  # fmt: skip
    """``out``: the integer each text spells after ``prefix`` (no sign, space or leading zero;
    1 to MAX_DIGITS digits), -1 for null and for any other text. Returns how many non-null
    texts spell no whole number."""
    bad = 0
    for i in range(offsets.shape[0] - 1):
        bit = first + i
        out[i] = -1
        if bitmap.shape[0] and not (bitmap[bit >> 3] >> (bit & 7)) & 1:
            continue
        q = spelled(data, offsets[i], offsets[i + 1], prefix)
        if q < 0:
            bad += 1
        else:
            out[i] = q
    return bad


@numba.njit(cache=True, nogil=True)
def _whole_numbers_views(views: np.ndarray, inline: np.ndarray, bitmap: np.ndarray, first: int,
                         data: np.ndarray, base: np.ndarray, prefix: np.ndarray,
                         out: np.ndarray) -> int:  # fmt: skip
    """``_whole_numbers`` over an Arrow string-view array (polars' own layout, read in place):
    each view is (length, then the text itself up to 12 bytes, else a prefix, a buffer index
    and an offset). The data buffers come one after the other in ``data``, buffer k from
    ``base[k]``."""
    bad = 0
    for i in range(views.shape[0]):
        bit = first + i
        out[i] = -1
        if bitmap.shape[0] and not (bitmap[bit >> 3] >> (bit & 7)) & 1:
            continue
        length = views[i, 0]
        if length <= 12:
            q = spelled(inline[i], 4, 4 + length, prefix)
        else:
            at = base[views[i, 2]] + views[i, 3]
            q = spelled(data, at, at + length, prefix)
        if q < 0:
            bad += 1
        else:
            out[i] = q
    return bad


def _views(values: pl.Series) -> pa.Array | None:
    """The series as an Arrow string-view array without a copy, if polars keeps it so."""
    arr = values.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_string_view(arr.type) else None


def whole_numbers(
    values: pl.Series, prefix: str = "", pieces: Pieces | None = None
) -> tuple[np.ndarray, int]:
    """The integers the texts spell after ``prefix`` (-1 for null and for other texts), and
    how many non-null texts spell none; one pass of compiled code over the Arrow buffers.

    Only the exact spelling of an integer takes a code, so texts and codes map one to one.
    ``pieces`` runs the pass over row ranges (the compiled engine's threads); by default one
    range in the calling thread.

    >>> codes, bad = whole_numbers(pl.Series(["+8613800000001", None, "+086", "+12a"]), "+")
    >>> codes.tolist(), bad
    ([8613800000001, -1, -1, -1], 2)
    """
    pre = np.frombuffer(prefix.encode(), np.uint8)
    run = pieces or _in_one_piece
    views = _views(as_text(values))
    if views is not None and len(views):
        valid, raw, *data = views.buffers()
        n, at = len(views), views.offset
        cells = np.frombuffer(raw, np.int32).reshape(-1, 4)[at : at + n]
        inline = np.frombuffer(raw, np.uint8).reshape(-1, 16)[at : at + n]
        bitmap = (
            np.frombuffer(valid, np.uint8)
            if valid is not None and views.null_count
            else np.zeros(0, np.uint8)
        )
        parts = [np.frombuffer(b, np.uint8) for b in data if b is not None]
        base = np.cumsum([0] + [p.shape[0] for p in parts], dtype=np.int64)
        joined = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
        out = np.empty(n, np.int64)
        # (random reads into the text buffers: two threads keep twice as many in flight)
        bad = run(
            lambda a, b: _whole_numbers_views(
                cells[a:b], inline[a:b], bitmap, at + a, joined, base, pre, out[a:b]
            ),
            n,
        )
        return out, int(sum(bad))
    text = large_strings(as_text(values))
    offsets, raw_bytes, bitmap, first = string_buffers(text)
    out = np.empty(len(text), np.int64)
    bad = run(
        lambda a, b: _whole_numbers(
            offsets[a : b + 1], raw_bytes, bitmap, first + a, pre, out[a:b]
        ),
        len(text),
    )
    return out, int(sum(bad))


def whole_number_keys(
    values: pl.Series, prefix: str = "", pieces: Pieces | None = None
) -> np.ndarray | None:
    """The int64 key of every text (-1 for null) when every other text spells a whole number
    after ``prefix`` (see :func:`whole_numbers`), else None: then the texts are the keys."""
    keys, bad = whole_numbers(values, prefix, pieces)
    return None if bad else keys


#: the calls' key columns: caller and callee (``+`` and digits; both or neither, and only
#: where no number is missing) and the caller's device (15 digits, -1 where none)
CALL_KEYS = {"caller": "_caller_code", "callee": "_callee_code", "caller_imei": "_imei_code"}


def with_call_keys(calls: pl.DataFrame) -> pl.DataFrame:
    """``calls`` with the int64 keys of :data:`CALL_KEYS` as columns, parsed once for every
    reader of the calls (the feature engine, the campaign pass): caller and callee where every
    one of them is a whole E.164 number, the device where every IMEI given spells a whole
    number. A column already there is kept; a key that cannot be had is left out, and each
    reader then codes the texts its own way.

    >>> calls = pl.DataFrame({"caller": ["+8613800000001"], "callee": ["+21620123456"],
    ...                       "caller_imei": [None]})
    >>> with_call_keys(calls).select("_caller_code", "_callee_code", "_imei_code").row(0)
    (8613800000001, 21620123456, -1)
    >>> with_call_keys(calls.with_columns(callee=pl.lit("5e1272273e041e82"))).columns
    ['caller', 'callee', 'caller_imei', '_imei_code']
    """
    wanted = [c for c, key in CALL_KEYS.items() if c in calls.columns and key not in calls.columns]
    if calls.height == 0 or not wanted:
        return calls
    # (three independent passes over text buffers, each in compiled code without the GIL, each
    # in two halves: three columns over two threads would leave one idle for the third)
    with ThreadPoolExecutor(max_workers=2) as work, ThreadPoolExecutor(len(wanted)) as columns:

        def halves(job: Callable[[int, int], int], n: int) -> list[int]:
            return list(work.map(lambda r: job(*r), ((0, n // 2), (n // 2, n))))

        found = columns.map(lambda c: call_keys(calls[c], c, halves), wanted)
        keys = dict(zip(wanted, found, strict=True))
    numbers = [keys.get(c) for c in ("caller", "callee")]
    if any(k is None for k in numbers) and "_caller_code" not in calls.columns:
        keys.pop("caller", None)
        keys.pop("callee", None)
    return calls.with_columns(pl.Series(CALL_KEYS[c], k) for c, k in keys.items() if k is not None)


def call_keys(values: pl.Series, column: str, pieces: Pieces | None = None) -> np.ndarray | None:
    """The keys of one of :data:`CALL_KEYS`' columns, or None where that column has none (a
    caller or callee that is missing or no whole E.164 number; an IMEI that is no whole
    number). ``pieces``: as :func:`whole_numbers`'."""
    if column == "caller_imei":
        return whole_number_keys(values, pieces=pieces)
    keys, bad = whole_numbers(values, "+", pieces)
    if bad or values.null_count() or not bool((keys > 0).all()):
        return None
    return keys

"""Texts that spell whole numbers as integer keys: the codes every consumer of the records shares.

An E.164 number is ``+`` and its digits, an IMEI its 15 digits: where every text of a column
spells an integer exactly (no sign, space or leading zero), the integers stand for the texts one
to one, and joins, sorts and groupings run over int64 instead of strings. The feature engine
codes callers and callees so (``_caller_code``, ``_callee_code``), and so does the campaign
pass (``detect/campaign_window.py``), from the same function: one text, one key, everywhere.

>>> whole_number_keys(pl.Series(["+8613800000001", None, "+21620123456"]), "+").tolist()
[8613800000001, -1, 21620123456]
>>> whole_number_keys(pl.Series(["+8613800000001", "5e1272273e041e82"]), "+") is None
True
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.records.arrow_text import as_text, large_strings, string_buffers

__all__ = ["MAX_DIGITS", "Pieces", "spelled", "whole_number_keys", "whole_numbers"]

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

"""Text columns read straight from their Arrow buffers, in compiled code: no Python object per text.

What the stream's wire checks and the compiled feature engine codes: a column as one
``large_string`` array (:func:`large_strings`), its buffers as numpy views
(:func:`string_buffers`), and whether each text is an E.164 number as the wire wants it
(:func:`e164_valid`).
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl
import pyarrow as pa

__all__ = ["as_text", "e164_valid", "large_strings", "string_buffers"]

_OLDEST = pl.CompatLevel.oldest()  # large_string: one offsets buffer and one of bytes


def large_strings(text: pl.Series | pa.Array) -> pa.Array:
    """A text column as one Arrow large_string array (one offsets buffer, one of bytes)."""
    arr = text if isinstance(text, pa.Array) else text.to_arrow(compat_level=_OLDEST)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return arr


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """A large string array's buffers: offsets, bytes, validity bitmap (empty: no nulls), and
    the position of its first value in the bitmap."""
    valid, offs, data = arr.buffers()
    n, at = len(arr), arr.offset
    offsets = (
        np.frombuffer(offs, np.int64)[at : at + n + 1]
        if offs is not None
        else np.zeros(n + 1, np.int64)
    )
    raw = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    bitmap = (
        np.frombuffer(valid, np.uint8)
        if valid is not None and arr.null_count
        else np.zeros(0, np.uint8)
    )
    return offsets, raw, bitmap, at


def as_text(values: pl.Series) -> pl.Series:
    return values if values.dtype == pl.String else values.cast(pl.String)


@numba.njit(cache=True)
def _e164_valid(offsets: np.ndarray, data: np.ndarray, bitmap: np.ndarray, first: int,
                out: np.ndarray) -> None:  # fmt: skip
    """``+``, a digit 1-9, then 4 to 17 digits (the wire's rule); null is not valid."""
    for i in range(offsets.shape[0] - 1):
        bit = first + i
        lo, hi = offsets[i], offsets[i + 1]
        ok = not (bitmap.shape[0] and not (bitmap[bit >> 3] >> (bit & 7)) & 1)
        ok = ok and 6 <= hi - lo <= 19 and data[lo] == 43 and 49 <= data[lo + 1] <= 57
        j = lo + 2
        while ok and j < hi:
            ok = 48 <= data[j] <= 57
            j += 1
        out[i] = ok


def e164_valid(numbers: pl.Series | pa.Array) -> np.ndarray:
    """Whether each text is an E.164 number as the wire wants it (``+[1-9][0-9]{4,17}``), in
    compiled code over the column's buffers (a regular expression costs more than the batch).

    >>> e164_valid(pl.Series(["+8613800000001", "13800000001", "+0123456", None, "+861"]))
    array([ True, False, False, False, False])
    """
    texts = large_strings(numbers if isinstance(numbers, pa.Array) else as_text(numbers))
    offsets, data, bitmap, first = string_buffers(texts)
    out = np.zeros(len(texts), np.bool_)
    _e164_valid(offsets, data, bitmap, first, out)
    return out

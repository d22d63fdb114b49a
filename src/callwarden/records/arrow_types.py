"""Which Arrow column types ingest reads from Parquet, and what each becomes.

Validation (:mod:`callwarden.records.fields`) reads text, integers, floats, booleans, dates and
timestamps. A Parquet column of any other type is either converted here, a record batch at a
time with pyarrow compute, or refused as a whole before any row is read, so an operator learns
about a wrong export from one line naming the file, the column and its type rather than from a
quarantine holding every row:

- converted: a dictionary to its values; float16 to float32; a decimal to its exact text (the
  field parsers read ``30.00`` as 30, and quarantine ``30.50`` as not whole); binary to UTF-8
  text (a value that is not UTF-8 quarantines its row as ``bad_text``); the null type to empty
  text; date64 to date32; a timestamp of any unit to microseconds, one with a zone to UTC (the
  stored instants are UTC whatever the zone says, so even a zone no library knows is fine); a
  duration to seconds; a UUID to its usual text; another extension type to its storage.
  ``large_string`` and ``string_view`` need nothing: polars reads them as text.
- refused: lists, structs, maps and unions (several values in one cell: which one is the
  caller?), times of day (no date), intervals, and any type not listed above.

Times and dates beyond 1e11 seconds from 1970 (before the year -1199, after 5138) are clamped
there, so that converting their unit cannot overflow; every canonical column refuses them as
out of range all the same.

>>> batch = pa.record_batch({"duration_s": pa.array([30_000], pa.duration("ms"))})
>>> coerce_batch(batch).batch.column(0).to_pylist()
[30.0]
>>> check_types(Path("calls.parquet"), pa.schema({"caller": pa.list_(pa.string())}), ["caller"])
Traceback (most recent call last):
...
callwarden.errors.InputFileError: calls.parquet: column caller is list<item: string>, which \
holds several values in each row: ingest reads one value per column and row; flatten the column \
(one value each) or leave it out of the mapping
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from callwarden.errors import InputFileError

__all__ = ["Coerced", "check_types", "coerce_batch"]

_LIMIT_S = 10**11  # see the module doc
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_INT64_MAX = 2**63 - 1
_DAY_MS = 86_400_000
_UUID_GROUPS = ((0, 8), (8, 4), (12, 4), (16, 4), (20, 12))
_NESTED = (
    "which holds several values in each row: ingest reads one value per column and row; "
    "flatten the column (one value each) or leave it out of the mapping"
)
_TIME_OF_DAY = (
    "a time of day without a date: store the date and time together as a timestamp, "
    "or leave it out of the mapping"
)
_UNKNOWN = "which ingest cannot read: store it as text, a number, a date or a timestamp"


@dataclass(frozen=True)
class Coerced:
    """A record batch in readable types, and per column the rows whose bytes are not UTF-8.

    Those rows hold their bytes backslash-escaped (``\\xff``), for the quarantine to show.
    """

    batch: pa.RecordBatch
    bad_text: dict[str, np.ndarray[tuple[int], np.dtype[np.bool_]]] = field(default_factory=dict)


def check_types(path: Path, schema: pa.Schema, columns: Sequence[str]) -> None:
    """Raise :class:`InputFileError` for the first of ``columns`` that cannot be read.

    A column that is absent is not checked (the caller decides whether it must be there); one
    that appears twice cannot be read either, as nobody can say which of the two is meant.
    """
    names = schema.names
    for name in columns:
        count = names.count(name)
        if count > 1:
            raise InputFileError(
                path, f"column {name} appears {count} times: rename the copies in the export"
            )
        if count == 1:
            kind = schema.field(name).type
            problem = _refusal(kind)
            if problem:
                raise InputFileError(path, f"column {name} is {kind}, {problem}")


def coerce_batch(batch: pa.RecordBatch) -> Coerced:
    """Every column of ``batch`` in a type validation reads (see the module doc).

    The columns must have passed :func:`check_types`.
    """
    arrays = []
    bad: dict[str, np.ndarray[tuple[int], np.dtype[np.bool_]]] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        array, invalid = _coerce(column)
        arrays.append(array)
        if invalid is not None:
            bad[name] = invalid
    return Coerced(pa.RecordBatch.from_arrays(arrays, names=batch.schema.names), bad)


def _values_type(kind: pa.DataType) -> pa.DataType:
    """The type of the values themselves: an extension's storage, a dictionary's values."""
    while True:
        if isinstance(kind, pa.BaseExtensionType):
            kind = kind.storage_type
        elif pa.types.is_dictionary(kind):
            kind = kind.value_type
        else:
            return kind


def _refusal(kind: pa.DataType) -> str | None:
    kind = _values_type(kind)
    if pa.types.is_nested(kind):
        return _NESTED
    if pa.types.is_time(kind):
        return _TIME_OF_DAY
    if any(
        test(kind)
        for test in (
            pa.types.is_null,
            pa.types.is_boolean,
            pa.types.is_integer,
            pa.types.is_floating,
            pa.types.is_decimal,
            pa.types.is_string,
            pa.types.is_large_string,
            pa.types.is_string_view,
            _is_binary,
            pa.types.is_date,
            pa.types.is_timestamp,
            pa.types.is_duration,
        )
    ):
        return None
    return _UNKNOWN


def _is_binary(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
        or pa.types.is_binary_view(kind)
    )


_Mask = np.ndarray[tuple[int], np.dtype[np.bool_]]


def _coerce(array: pa.Array) -> tuple[pa.Array, _Mask | None]:
    kind = array.type
    if isinstance(kind, pa.UuidType):
        return _uuid_text(array.storage), None
    if isinstance(kind, pa.BaseExtensionType):
        return _coerce(array.storage)
    if pa.types.is_dictionary(kind):
        return _coerce(array.dictionary_decode())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string()), None
    if pa.types.is_float16(kind):
        return array.cast(pa.float32()), None
    if pa.types.is_decimal(kind):
        return array.cast(pa.string()), None
    if _is_binary(kind):
        return _decode(array)
    if pa.types.is_date(kind):
        return _date(array), None
    if pa.types.is_timestamp(kind):
        return _timestamp(array), None
    if pa.types.is_duration(kind):
        return _seconds(array), None
    return array, None


def _uuid_text(storage: pa.Array) -> pa.Array:
    """UUIDs in their usual spelling (``550e8400-e29b-41d4-a716-446655440000``), not as 16 bytes
    that are not text."""
    digits = pl.Series(storage).bin.encode("hex")
    parts = [digits.str.slice(start, length) for start, length in _UUID_GROUPS]
    return pl.select(pl.concat_str(parts, separator="-")).to_series().to_arrow()


def _clamp(ints: pa.Array, limit: int) -> pa.Array:
    # skip_nulls=False: a null stays null instead of becoming the limit
    low = pc.max_element_wise(ints, pa.scalar(-limit, ints.type), skip_nulls=False)
    return pc.min_element_wise(low, pa.scalar(limit, ints.type), skip_nulls=False)


def _date(array: pa.Array) -> pa.Array:
    if pa.types.is_date64(array.type):
        ms = _clamp(array.cast(pa.int64()), _LIMIT_S * 1000)
        days = pc.floor(pc.divide(ms.cast(pa.float64()), _DAY_MS)).cast(pa.int32())
    else:
        days = _clamp(array.cast(pa.int32()), _LIMIT_S // 86_400)
    return days.cast(pa.date32())


def _timestamp(array: pa.Array) -> pa.Array:
    kind: pa.TimestampType = array.type
    limit = min(_LIMIT_S * _PER_SECOND[kind.unit], _INT64_MAX)
    ints = _clamp(array.cast(pa.int64()), limit)
    zone = "UTC" if kind.tz else None
    return ints.cast(pa.timestamp(kind.unit, zone)).cast(pa.timestamp("us", zone), safe=False)


def _seconds(array: pa.Array) -> pa.Array:
    """A duration as seconds: whole ones as integers, finer units as floats (30.5 s is kept as
    30.5 and quarantined as not whole, as the same value written as text would be)."""
    kind: pa.DurationType = array.type
    ints = array.cast(pa.int64())
    if kind.unit == "s":
        return ints
    # safe=False: beyond 2**53 a float rounds, which is harmless for seconds that large
    return pc.divide(ints.cast(pa.float64(), safe=False), float(_PER_SECOND[kind.unit]))


def _decode(array: pa.Array) -> tuple[pa.Array, _Mask | None]:
    """Binary as UTF-8 text; values that are not UTF-8 come back escaped, and flagged."""
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        array = array.cast(pa.large_binary())
    try:
        return array.cast(pa.large_string()), None  # the cast checks that it is UTF-8
    except pa.ArrowInvalid:
        pass
    values: list[bytes | None] = array.to_pylist()
    bad = np.zeros(len(values), dtype=np.bool_)
    text: list[str | None] = []
    for i, value in enumerate(values):
        if value is None:
            text.append(None)
            continue
        try:
            text.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            bad[i] = True
            text.append(value.decode("utf-8", errors="backslashreplace"))
    return pa.array(text, pa.large_string()), bad

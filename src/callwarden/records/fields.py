"""Parse and check one column of raw values into its canonical type, vectorised.

Each :class:`~callwarden.records.schema.FieldKind` has one parser. A parser takes the column as
read (text from CSV and JSON Lines, typed values from Parquet) and returns a :class:`Parsed`:
the canonical values, plus for every bad row a :class:`~callwarden.records.quarantine.Reason`
code and a message naming the field and the bad value. Work is done on whole columns with
polars; only phone numbers that are not plain Chinese mobiles fall back to one Python call per
distinct value (in :func:`callwarden.numbers.normalise_series`).

>>> p = parse_field("duration_s", FieldKind.INT, pl.Series(["30", "-5", "abc", ""]),
...                 ParseOptions(), required=True)
>>> p.values.to_list(), p.code.to_list()
([30, None, None, None], [None, 'negative_value', 'bad_integer', 'missing_value'])
>>> p.message[1]
'negative duration_s -5'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import polars as pl

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.errors import InternalError
from callwarden.numbers import normalise_series, presented_series
from callwarden.records.quarantine import Reason
from callwarden.records.schema import FieldKind

__all__ = ["ParseOptions", "Parsed", "parse_field"]

INT32_MAX = 2**31 - 1
# Years outside this range are typing errors (or milliseconds read as seconds), not data.
MIN_YEAR, MAX_YEAR = 1900, 2100
# Event times before the epoch or after 2100 come from wrong units or broken clocks.
_TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
# Epoch seconds are clamped to this before becoming microseconds, which could overflow Int64;
# clamped values (beyond the years -1199 and 5138) are still out of range.
_EPOCH_LIMIT = 1e11
_SHOWN_CHARS = 60  # how much of a bad value a message quotes
_TRUE = ("true", "t", "yes", "y", "1", "是")
_FALSE = ("false", "f", "no", "n", "0", "否")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
_TIME_HINT = "expected ISO-8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds"
UTC_US = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class ParseOptions:
    """How raw values are read: where naive times are, which numbering plan, which format."""

    #: zone of timestamps written without an offset
    timezone: str = DEFAULT_TIMEZONE
    #: numbering region for numbers written without a country code
    region: str = "CN"
    #: a strptime-style format for timestamps; empty accepts the usual forms (see parse_field)
    time_format: str = ""
    #: identifiers are hashed or pseudonymised: keep them as they are, only require non-empty
    opaque_numbers: bool = False


@dataclass(frozen=True)
class Parsed:
    """One parsed column: ``values`` is null wherever ``code`` says why the row is bad."""

    values: pl.Series
    code: pl.Series
    message: pl.Series
    #: numbers parsed with ``keep_suspect``: why a kept number is suspect, null when it is not
    flag: pl.Series | None = None


def parse_field(
    name: str,
    kind: FieldKind,
    raw: pl.Series,
    options: ParseOptions,
    *,
    required: bool = False,
    choices: Sequence[str] = (),
    max_chars: int | None = None,
    keep_suspect: bool = False,
) -> Parsed:
    """Parse one column; blank values are null, and a ``missing_value`` error when required.

    A phone number column with ``keep_suspect`` keeps a number nobody can own (malformed,
    impossible, unallocated) with the reason in :attr:`Parsed.flag`, rather than rejecting it
    (see :func:`callwarden.numbers.presented_number`).

    Text longer than ``max_chars`` characters (after trimming) is a ``field_too_long`` error and
    is not parsed at all.

    Timestamps without a ``time_format`` may be ISO-8601 (``2026-07-08T18:00:00``, optional
    fraction, optional ``Z`` or ``+08:00`` offset), ``YYYY-MM-DD HH:MM[:SS]`` with ``-`` or ``/``,
    a bare date (midnight), or epoch seconds. Times without an offset are in
    ``options.timezone``; all come out as UTC microseconds.

    >>> p = parse_field("start_time", FieldKind.TIMESTAMP, pl.Series(["2026-07-08 18:00:00"]),
    ...                 ParseOptions(timezone="Asia/Shanghai"))
    >>> p.values[0]
    datetime.datetime(2026, 7, 8, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
    >>> parse_field("owner_type", FieldKind.ENUM, pl.Series(["person"]), ParseOptions(),
    ...             choices=("individual", "enterprise")).message[0]
    "owner_type 'person' is not one of individual, enterprise"
    >>> parse_field("caller_imei", FieldKind.STRING, pl.Series(["3" * 70]), ParseOptions(),
    ...             max_chars=64).code[0]
    'field_too_long'
    >>> p = parse_field("caller", FieldKind.NUMBER, pl.Series(["+371573613369"]), ParseOptions(),
    ...                 keep_suspect=True)
    >>> p.values[0], p.flag[0], p.code[0]
    ('+371573613369', 'impossible', None)
    """
    parser = _PARSERS.get(kind)
    if parser is None:
        raise InternalError(f"ingest cannot parse {kind.value} columns ({name})")
    text = _text(raw) if raw.dtype == pl.String else None
    long = _too_long(text, max_chars) if text is not None and max_chars else None
    # Parsers never see an over-long value: no regex work on megabytes, and one reason per row.
    kept = text if long is None else _where(long.mask, pl.lit(None, pl.String), long.text)
    col = _Column(name, raw, kept, options, tuple(choices))
    flag = None
    if kind is FieldKind.NUMBER and keep_suspect and not options.opaque_numbers:
        values, code, message, flag = _parse_presented(col)
    else:
        values, code, message = parser(col)
    if required:
        missing = (text if text is not None else raw).is_null().arg_true()
        if missing.len():
            code = code.scatter(missing, Reason.MISSING_VALUE.value)
            message = message.scatter(missing, f"{name} is empty")
    if long is not None:
        rows = long.mask.arg_true()
        code = code.scatter(rows, Reason.FIELD_TOO_LONG.value)
        message = message.scatter(rows, long.describe(name, rows))
    if flag is not None:
        flag = _where(code.is_null(), flag, pl.lit(None, pl.String)).alias(name)
    return Parsed(
        values=values.alias(name), code=code.alias(name), message=message.alias(name), flag=flag
    )


@dataclass(frozen=True)
class _TooLong:
    """Which values of ``text`` are longer than ``limit`` characters."""

    mask: pl.Series
    text: pl.Series
    limit: int

    def describe(self, name: str, rows: pl.Series) -> pl.Series:
        long = self.text.gather(rows)
        shown = f"{name} '" + long.str.slice(0, _SHOWN_CHARS) + "...' is "
        count = long.str.len_chars().cast(pl.String)
        return shown + count + f" characters long (at most {self.limit})"


def _too_long(text: pl.Series, max_chars: int) -> _TooLong | None:
    """The values over ``max_chars`` characters; None when there are none (the usual case)."""
    # A value no longer than the limit in bytes is no longer in characters, and the byte length
    # is free (Arrow keeps offsets): only values long in bytes pay for counting characters.
    if not (text.str.len_bytes() > max_chars).any():
        return None
    mask = (text.str.len_chars() > max_chars).fill_null(False)
    return _TooLong(mask, text, max_chars) if mask.any() else None


@dataclass(frozen=True)
class _Column:
    name: str
    raw: pl.Series
    text: pl.Series | None  # stripped text, blanks as null; None when raw is typed (Parquet)
    options: ParseOptions
    choices: tuple[str, ...]

    def as_text(self) -> pl.Series:
        return self.text if self.text is not None else _text(self.raw.cast(pl.String))

    def present(self) -> pl.Series:
        return (self.text if self.text is not None else self.raw).is_not_null()

    def said(self, rows: pl.Series) -> pl.Series:
        """``name 'value'`` of some rows, for their messages."""
        if self.text is not None:
            text = self.text.gather(rows)
        else:
            text = self.raw.gather(rows).cast(pl.String)
        long = text.str.len_chars() > _SHOWN_CHARS
        # Cut short so that a garbage field cannot flood the quarantine.
        shown = _where(long, text.str.slice(0, _SHOWN_CHARS) + "...", text)
        return f"{self.name} '" + shown.fill_null("") + "'"


_Result = tuple[pl.Series, pl.Series, pl.Series]
#: builds the messages of the bad rows, given their indices: only bad rows pay for messages
_Describe = Callable[[pl.Series], pl.Series]


def _nulls(n: int, dtype: pl.DataType) -> pl.Series:
    return pl.repeat(None, n, dtype=dtype, eager=True)


def _text(values: pl.Series) -> pl.Series:
    stripped = values.str.strip_chars()
    return _where(stripped == "", pl.lit(None, pl.String), stripped)


def _where(mask: pl.Series, then: pl.Expr | pl.Series, otherwise: pl.Expr | pl.Series) -> pl.Series:
    """Elementwise ``then if mask else otherwise`` (a null mask counts as false)."""
    return pl.select(
        pl.when(pl.lit(mask).fill_null(False)).then(then).otherwise(otherwise)
    ).to_series()


def _errors(n: int, *cases: tuple[pl.Series, Reason, _Describe]) -> tuple[pl.Series, pl.Series]:
    """Code and message columns from (mask, reason, describe) cases; the first true case wins."""
    code = _nulls(n, pl.String())
    message = _nulls(n, pl.String())
    taken: pl.Series | None = None
    for mask, reason, describe in cases:
        hit = mask.fill_null(False)
        if taken is not None:
            hit = hit & ~taken
        rows = hit.arg_true()
        if rows.len() == 0:
            continue
        code = code.scatter(rows, reason.value)
        message = message.scatter(rows, describe(rows))
        taken = hit if taken is None else taken | hit
    return code, message


def _parse_string(col: _Column) -> _Result:
    return (col.as_text(), *_errors(len(col.raw)))


def _parse_number(col: _Column) -> _Result:
    text = col.as_text()
    if col.options.opaque_numbers:
        return (text, *_errors(len(text)))
    e164, reason = normalise_series(text, col.options.region)
    bad = text.is_not_null() & e164.is_null()
    return (
        e164,
        *_errors(len(text), (bad, Reason.BAD_NUMBER, lambda r: f"{col.name}: " + reason.gather(r))),
    )


def _parse_presented(col: _Column) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
    text = col.as_text()
    stored, flag, reason = presented_series(text, col.options.region)
    bad = text.is_not_null() & stored.is_null()
    code, message = _errors(
        len(text), (bad, Reason.BAD_NUMBER, lambda r: f"{col.name}: " + reason.gather(r))
    )
    return stored, code, message, flag


def _parse_enum(col: _Column) -> _Result:
    text = col.as_text().str.to_lowercase()
    bad = text.is_not_null() & ~text.is_in(col.choices)
    allowed = f" is not one of {', '.join(col.choices)}"
    code, msg = _errors(len(text), (bad, Reason.BAD_CHOICE, lambda r: col.said(r) + allowed))
    return _where(bad, pl.lit(None, pl.String), text), code, msg


def _parse_bool(col: _Column) -> _Result:
    if col.raw.dtype == pl.Boolean:
        return (col.raw, *_errors(len(col.raw)))
    text = col.as_text()
    lower = text.str.to_lowercase()
    values = _where(
        lower.is_in(_TRUE), pl.lit(True), _where(lower.is_in(_FALSE), pl.lit(False), pl.lit(None))
    ).cast(pl.Boolean)
    bad = text.is_not_null() & values.is_null()
    hint = " is not true/false (use true, false, 1, 0, yes, no)"
    return (values, *_errors(len(text), (bad, Reason.BAD_BOOL, lambda r: col.said(r) + hint)))


def _integers(col: _Column) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
    """Whole numbers as Int64, plus masks of values that are not numbers / not whole / whole
    but too large for Int64 (or for a float to hold exactly)."""
    dtype = col.raw.dtype
    n = len(col.raw)
    if dtype.is_integer():
        ints = col.raw.cast(pl.Int64, strict=False)
        overflow = col.raw.is_not_null() & ints.is_null()  # a UInt64 beyond Int64
        no = pl.repeat(False, n, eager=True)
        return ints, no, no, overflow
    if dtype.is_float():
        floats, ints, present = col.raw, _nulls(n, pl.Int64()), col.raw.is_not_null()
    else:
        text = col.as_text()
        ints = text.cast(pl.Int64, strict=False)
        present = text.is_not_null()
        todo = (present & ints.is_null()).arg_true()
        # Exports written by spreadsheets and pandas often say 30.0 for 30: accept whole floats.
        floats = _nulls(n, pl.Float64())
        if todo.len():
            floats = floats.scatter(todo, text.gather(todo).cast(pl.Float64, strict=False))
    whole = floats.is_finite() & (floats == floats.floor())
    exact = whole & (floats.abs() < 2.0**53)
    ints = ints.fill_null(_where(exact, floats, pl.lit(None, pl.Float64)).cast(pl.Int64))
    not_number = present & ints.is_null() & ~floats.is_finite().fill_null(False)
    too_big = present & ints.is_null() & whole.fill_null(False)
    not_whole = present & ints.is_null() & ~not_number & ~too_big
    return ints, not_number, not_whole, too_big


def _parse_int(col: _Column) -> _Result:
    ints, not_number, not_whole, too_big = _integers(col)
    name = col.name
    code, message = _errors(
        len(ints),
        (not_number, Reason.BAD_INTEGER, lambda r: col.said(r) + " is not an integer"),
        (not_whole, Reason.BAD_INTEGER, lambda r: col.said(r) + " is not a whole number"),
        (too_big, Reason.OUT_OF_RANGE, lambda r: col.said(r) + f" is beyond {INT32_MAX}"),
        (
            ints < 0,
            Reason.NEGATIVE_VALUE,
            lambda r: f"negative {name} " + ints.gather(r).cast(pl.String),
        ),
        (
            ints > INT32_MAX,
            Reason.OUT_OF_RANGE,
            lambda r: f"{name} " + ints.gather(r).cast(pl.String) + f" is over {INT32_MAX}",
        ),
    )
    return _where(code.is_null(), ints, pl.lit(None, pl.Int64)).cast(pl.Int32), code, message


def _parse_year(col: _Column) -> _Result:
    ints, not_number, not_whole, too_big = _integers(col)
    plausible = f" is not a plausible year ({MIN_YEAR}-{MAX_YEAR})"
    code, message = _errors(
        len(ints),
        (not_number | not_whole, Reason.BAD_INTEGER, lambda r: col.said(r) + " is not a year"),
        (too_big, Reason.OUT_OF_RANGE, lambda r: col.said(r) + plausible),
        (
            (ints < MIN_YEAR) | (ints > MAX_YEAR),
            Reason.OUT_OF_RANGE,
            lambda r: f"{col.name} " + ints.gather(r).cast(pl.String) + plausible,
        ),
    )
    return _where(code.is_null(), ints, pl.lit(None, pl.Int64)).cast(pl.Int16), code, message


def _parse_float(col: _Column) -> _Result:
    """A finite decimal number (``0.87``, ``1e-3``); NaN, infinities and words are not."""
    if col.raw.dtype.is_float() or col.raw.dtype.is_integer():
        floats = col.raw.cast(pl.Float64)
    else:
        floats = col.as_text().cast(pl.Float64, strict=False)
    bad = col.present() & ~floats.is_finite().fill_null(False)
    code, message = _errors(
        len(floats), (bad, Reason.BAD_FLOAT, lambda r: col.said(r) + " is not a finite number")
    )
    return _where(bad, pl.lit(None, pl.Float64), floats), code, message


def _parse_date(col: _Column) -> _Result:
    dtype = col.raw.dtype
    if dtype == pl.Date:
        return (col.raw, *_errors(len(col.raw)))
    if isinstance(dtype, pl.Datetime):
        return (col.raw.dt.date(), *_errors(len(col.raw)))
    text = col.as_text()
    dates = text.str.to_date(_DATE_FORMATS[0], strict=False)
    for fmt in _DATE_FORMATS[1:]:
        dates = _fill_where_null(dates, text, partial(_to_date, fmt=fmt))
    bad = text.is_not_null() & dates.is_null()
    hint = " is not a date (expected YYYY-MM-DD)"
    return (dates, *_errors(len(text), (bad, Reason.BAD_DATE, lambda r: col.said(r) + hint)))


def _fill_where_null(
    values: pl.Series, text: pl.Series, parse: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    """Parse only the rows still unparsed: most files need one format, so the rest is cheap."""
    todo = (values.is_null() & text.is_not_null()).arg_true()
    if todo.len() == 0:
        return values
    return values.scatter(todo, parse(text.gather(todo)))


def _localise(naive: pl.Series, zone: str) -> pl.Series:
    # A wall time skipped by a daylight-saving jump does not exist: reject it rather than guess;
    # one that happens twice is taken as the first (zones like Asia/Shanghai have neither).
    return naive.dt.replace_time_zone(
        zone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def _to_date(text: pl.Series, fmt: str) -> pl.Series:
    return text.str.to_date(fmt, strict=False)


def _to_naive(text: pl.Series, fmt: str) -> pl.Series:
    return text.str.to_datetime(fmt, strict=False, time_unit="us")


def _to_aware(text: pl.Series, fmt: str) -> pl.Series:
    return text.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")


def _from_epoch(seconds: pl.Series) -> pl.Series:
    """Epoch seconds as UTC times; NaN becomes null (unparsable), far-off values are clamped."""
    clamped = seconds.cast(pl.Float64).clip(-_EPOCH_LIMIT, _EPOCH_LIMIT)
    return (clamped * 1_000_000).round().cast(pl.Int64, strict=False).cast(UTC_US)


def _parse_time_text(text: pl.Series, options: ParseOptions) -> pl.Series:
    zone = options.timezone
    fmt = options.time_format
    if fmt:
        if "%z" in fmt or "%:z" in fmt or "%#z" in fmt:
            return _to_aware(text, fmt)
        return _localise(_to_naive(text, fmt), zone)
    # The common spelling parses in one pass over the column; only what fails it is normalised
    # ('T' between date and time, '/' in dates, 'Z' or '+08' for the offset) and tried again.
    naive = _to_naive(text, "%Y-%m-%d %H:%M:%S%.f")
    todo = (naive.is_null() & text.is_not_null()).arg_true()
    if todo.len() == 0:
        return _localise(naive, zone)
    norm = (
        text.gather(todo)
        .str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", "$1-$2-$3")
        .str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[Tt ]\s*", "$1 ")
        .str.replace(r"\s*[Zz]$", "+00:00")
        .str.replace(r"(:\d{2}(?:\.\d+)?)\s*([+-]\d{2})$", "${1}${2}00")  # '+08' -> '+0800'
    )
    rest = _to_naive(norm, "%Y-%m-%d %H:%M:%S%.f")
    for other in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        rest = _fill_where_null(rest, norm, partial(_to_naive, fmt=other))
    rest = _localise(rest, zone)
    rest = _fill_where_null(rest, norm, partial(_to_aware, fmt="%Y-%m-%d %H:%M:%S%.f%z"))
    # Epoch seconds: 9 or 10 digits (1973 to 2286); 13-digit milliseconds are refused.
    epoch = _where(norm.str.contains(r"^\d{9,10}(?:\.\d{1,6})?$"), norm, pl.lit(None, pl.String))
    rest = _fill_where_null(rest, epoch, _from_epoch)
    return _localise(naive, zone).scatter(todo, rest)


def _parse_timestamp(col: _Column) -> _Result:
    dtype = col.raw.dtype
    options = col.options
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            values = _localise(col.raw.dt.cast_time_unit("us"), options.timezone)
        else:
            values = col.raw.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    elif dtype == pl.Date:
        values = _localise(col.raw.cast(pl.Datetime("us")), options.timezone)
    elif dtype.is_numeric():
        values = _from_epoch(col.raw)
    else:
        values = _parse_time_text(col.as_text(), options)
    hint = f"expected {options.time_format!r}" if options.time_format else _TIME_HINT
    code, message = _errors(
        len(values),
        (
            col.present() & values.is_null(),
            Reason.UNPARSABLE_TIME,
            lambda r: col.said(r) + f" is not a time ({hint})",
        ),
        (
            (values < _TIME_MIN) | (values >= _TIME_MAX),
            Reason.OUT_OF_RANGE,
            lambda r: col.said(r) + " is before 1970 or after 2099",
        ),
    )
    return _where(code.is_null(), values, pl.lit(None, UTC_US)), code, message


_PARSERS: dict[FieldKind, Callable[[_Column], _Result]] = {
    FieldKind.STRING: _parse_string,
    FieldKind.NUMBER: _parse_number,
    FieldKind.TIMESTAMP: _parse_timestamp,
    FieldKind.DATE: _parse_date,
    FieldKind.INT: _parse_int,
    FieldKind.YEAR: _parse_year,
    FieldKind.BOOL: _parse_bool,
    FieldKind.ENUM: _parse_enum,
    FieldKind.FLOAT: _parse_float,
}

#: kinds that ingest can read; records with other kinds (alerts) are produced, not ingested
INGESTIBLE_KINDS: frozenset[FieldKind] = frozenset(_PARSERS)

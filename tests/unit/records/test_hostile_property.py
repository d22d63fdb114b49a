"""Property: whatever a file holds, ingest ends in counts that add up or in a clear error.

Hypothesis builds hostile sources: Parquet tables with columns of random Arrow types (nested,
dictionary, duration, decimal, binary, null, timestamps in odd units and zones, ...) under names
drawn partly from the canonical ones, JSON Lines with nested values, huge numbers, NaN and
garbage lines, and CSV with quotes, newlines and huge fields. Ingest must either account for
every row (read = accepted + quarantined, the quarantine file holds exactly the quarantined
rows, the dataset exactly the accepted ones) or raise a callwarden error whose message names
the file; any other exception is a bug.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callwarden.errors import CallwardenError, InternalError
from callwarden.records import ingest, load_mapping, read_canonical, read_quarantine

CANONICAL = [
    "call_id",
    "caller",
    "callee",
    "start_time",
    "duration_s",
    "ring_s",
    "caller_cell",
    "caller_imei",
]
REQUIRED = ["caller", "callee", "start_time", "duration_s"]
# Long values are drawn from these rather than generated: building them is what would be slow.
HUGE = ["9" * 300, "诈" * 40_000, "3" * 200_000]
PLAUSIBLE = [
    "13812345678",
    "+86 139 1234 5678",
    "2026-07-08 18:00:00",
    "2026-07-08T10:00:00Z",
    "1783504800",
    "30",
    "30.0",
    "-5",
    "",
    " ",
]
# Plausible values of each canonical column, as text: rows that may well be accepted.
GOOD = {
    "call_id": st.integers(0, 10**6).map(lambda i: f"c{i}"),
    "caller": st.sampled_from(["13812345678", "+86 139 1234 5678", "0086 150 0000 1111"]),
    "callee": st.sampled_from(["13912345678", "10086", "+8618600001111"]),
    "start_time": st.sampled_from(["2026-07-08 18:00:00", "2026-07-08T10:00:01Z", "1783504802"]),
    "duration_s": st.integers(0, 3600).map(str),
    "ring_s": st.integers(0, 60).map(str),
    "caller_cell": st.sampled_from(["C1", "成都/武侯区"]),
    "caller_imei": st.sampled_from(["35209900176148", "8" * 128]),
}
ZONES = [None, "UTC", "Asia/Shanghai", "+08:00", "-03:30", "America/New_York"]
UNITS = ["s", "ms", "us", "ns"]
INT64 = pa.int64()
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

texts = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=12),
    st.sampled_from(HUGE),
)


def ints(bits: int, signed: bool = True) -> st.SearchStrategy[int]:
    if signed:
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return st.integers(0, 2**bits - 1)


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values, values, values)


# How each kind of column is built: (Arrow type from a draw, values strategy, array builder).
Column = Callable[[st.DrawFn, int], pa.Array]


def plain(kind: pa.DataType, values: st.SearchStrategy[Any]) -> Column:
    def build(draw: st.DrawFn, n: int) -> pa.Array:
        return pa.array(draw(st.lists(maybe(values), min_size=n, max_size=n)), kind)

    return build


def via_int(
    make: Callable[[st.DrawFn], pa.DataType],
    values: st.SearchStrategy[int],
    storage: pa.DataType = INT64,
) -> Column:
    """Types whose values are integers underneath (dates, times, timestamps, durations)."""

    def build(draw: st.DrawFn, n: int) -> pa.Array:
        raw = pa.array(draw(st.lists(maybe(values), min_size=n, max_size=n)), storage)
        return raw.cast(make(draw))

    return build


def decimal(draw: st.DrawFn, n: int) -> pa.Array:
    wide = draw(st.booleans())
    precision = draw(st.integers(1, 76 if wide else 38))
    scale = draw(st.integers(0, precision))
    digits = st.integers(-(10**precision) + 1, 10**precision - 1)
    values = draw(st.lists(maybe(digits), min_size=n, max_size=n))
    kind = pa.decimal256(precision, scale) if wide else pa.decimal128(precision, scale)
    return pa.array([None if v is None else Decimal(f"{v}e-{scale}") for v in values], kind)


def dictionary(inner: Column) -> Column:
    def build(draw: st.DrawFn, n: int) -> pa.Array:
        return inner(draw, n).dictionary_encode()

    return build


def timestamp_type(draw: st.DrawFn) -> pa.DataType:
    return pa.timestamp(draw(st.sampled_from(UNITS)), draw(st.sampled_from(ZONES)))


# Parquet stores seconds as milliseconds: seconds beyond 2**53 could not be written at all.
TIMESTAMP_VALUES = st.one_of(
    st.integers(-(2**53), 2**53), st.integers(1_700_000_000, 1_800_000_000)
)
COLUMNS: dict[str, Column] = {
    "string": plain(pa.string(), texts),
    "large_string": plain(pa.large_string(), texts),
    "int8": plain(pa.int8(), ints(8)),
    "int32": plain(pa.int32(), ints(32)),
    "int64": plain(pa.int64(), ints(64)),
    "uint64": plain(pa.uint64(), ints(64, signed=False)),
    "float16": plain(pa.float16(), st.floats(width=16)),
    "float64": plain(pa.float64(), st.floats()),
    "bool": plain(pa.bool_(), st.booleans()),
    "decimal": decimal,
    "binary": plain(pa.binary(), st.one_of(st.binary(max_size=8), texts.map(str.encode))),
    "fixed_binary": plain(pa.binary(3), st.binary(min_size=3, max_size=3)),
    "null": lambda draw, n: pa.nulls(n),
    "date32": via_int(lambda draw: pa.date32(), ints(32), pa.int32()),
    "date64": via_int(
        lambda draw: pa.date64(), st.integers(-(10**8), 10**8).map(lambda d: d * 86_400_000)
    ),
    "timestamp": via_int(timestamp_type, TIMESTAMP_VALUES),
    "duration": via_int(lambda draw: pa.duration(draw(st.sampled_from(UNITS))), ints(62)),
    "time64": via_int(lambda draw: pa.time64("us"), st.integers(0, 86_400 * 10**6 - 1)),
    "time32": via_int(lambda draw: pa.time32("s"), st.integers(0, 86_399), pa.int32()),
    "dictionary_string": dictionary(plain(pa.string(), texts)),
    "dictionary_int": dictionary(plain(pa.int64(), ints(64))),
    "list": plain(pa.list_(pa.int64()), st.lists(maybe(ints(64)), max_size=3)),
    "large_list": plain(pa.large_list(pa.string()), st.lists(maybe(texts), max_size=3)),
    "struct": plain(
        pa.struct([("lac", pa.int32()), ("ci", pa.string())]),
        st.fixed_dictionaries({"lac": maybe(ints(32)), "ci": maybe(texts)}),
    ),
    "map": plain(
        pa.map_(pa.string(), pa.string()),
        st.lists(st.tuples(st.text(max_size=3), maybe(texts)), max_size=3),
    ),
    "uuid": lambda draw, n: pa.ExtensionArray.from_storage(
        pa.uuid(),
        pa.array(
            draw(st.lists(maybe(st.binary(min_size=16, max_size=16)), min_size=n, max_size=n)),
            pa.binary(16),
        ),
    ),
}
REFUSED = ["list", "large_list", "struct", "map", "time32", "time64"]
READABLE = [kind for kind in COLUMNS if kind not in REFUSED]


def chance(draw: st.DrawFn, percent: int) -> bool:
    """True about ``percent`` times in a hundred (st.integers favours its bounds)."""
    return draw(st.sampled_from(range(100))) < percent


def canonical_names(draw: st.DrawFn) -> list[str]:
    """Mostly every required column, some optional ones, now and then another name."""
    names = [name for name in CANONICAL if chance(draw, 95 if name in REQUIRED else 40)]
    return names + draw(st.lists(st.sampled_from(["x", "备注", "a.b"]), max_size=1))


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    n = 0 if chance(draw, 5) else draw(st.sampled_from(range(1, 7)))
    names = canonical_names(draw)
    if chance(draw, 5):
        names.append(draw(st.sampled_from(names or CANONICAL)))  # one column twice
    # Most tables only have readable types, so that they get as far as validating rows.
    kinds = [*READABLE, *REFUSED] if chance(draw, 20) else READABLE
    arrays = []
    for name in names:
        if name in GOOD and chance(draw, 75):
            arrays.append(pa.array(draw(st.lists(GOOD[name], min_size=n, max_size=n))))
        else:
            arrays.append(COLUMNS[draw(st.sampled_from(kinds))](draw, n))
    return pa.Table.from_arrays(arrays, names=names)


@contextmanager
def ingested(name: str, write: Callable[[Path], None], chunk_rows: int) -> Iterator[Any]:
    """Write a source, ingest it; yield the report, or None after a clear error."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / name
        write(source)
        out = Path(tmp) / "out"
        try:
            report = ingest(source, load_mapping("calls"), out, chunk_rows=chunk_rows)
        except CallwardenError as exc:
            assert not isinstance(exc, InternalError), exc
            assert str(source) in str(exc), exc
            # Those are for files broken beyond reading; these are well formed.
            assert "cannot be read past row" not in str(exc), exc
            assert "cannot be read as CSV" not in str(exc), exc
            event(f"refused: {str(exc).removeprefix(str(source))[:40]}")
            yield None
            return
        assert report.read == report.accepted + report.quarantined
        assert report.quarantined == sum(report.reasons.values())
        lines = []
        if report.quarantine_path is not None:
            lines = list(read_quarantine(Path(report.quarantine_path)))
        assert len(lines) == report.quarantined
        assert all(q["reason"] and q["message"] and q["file"] == str(source) for q in lines)
        assert read_canonical(out, "calls").collect().height == report.accepted
        event("some rows accepted" if report.accepted else "every row quarantined")
        yield report


@EXAMPLES
@given(tables(), st.integers(1, 7))
def test_any_arrow_table_as_parquet_is_accounted_for_or_refused_clearly(
    table: pa.Table, chunk_rows: int
) -> None:
    with ingested("calls.parquet", lambda p: pq.write_table(table, p), chunk_rows) as report:
        if report is not None:
            assert report.read == table.num_rows


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints(64),
    st.integers(-(10**60), 10**60),
    st.floats(),  # NaN and Infinity too: json.dumps writes them, JSON does not have them
    texts,
    st.sampled_from(["\ud800", "\udfff x", "\ud83d\ude00"]),  # lone and paired surrogates
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def json_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(range(10)))
        if kind < 7:
            obj: dict[str, Any] = {n: draw(GOOD[n]) for n in canonical_names(draw) if n in GOOD}
            for name in draw(st.lists(st.sampled_from([*CANONICAL, "x"]), max_size=3)):
                obj[name] = draw(json_values)
            lines.append(json.dumps(obj))  # ASCII: surrogates become escapes
        elif kind == 7:
            lines.append(draw(st.text(max_size=20).map(lambda t: t.replace("\n", " "))))
        elif kind == 8:
            lines.append(draw(st.sampled_from(['{"caller": ' + "[" * 5000, "[1]", "NaN", ""])))
        else:
            lines.append(json.dumps(draw(json_values)))
    return lines


@EXAMPLES
@given(json_lines(), st.integers(1, 9))
def test_any_json_lines_are_accounted_for_or_refused_clearly(
    lines: list[str], chunk_rows: int
) -> None:
    data = "\n".join(lines) + "\n"

    def write(path: Path) -> None:
        path.write_text(data, encoding="utf-8")

    with ingested("calls.jsonl", write, chunk_rows) as report:
        if report is not None:
            assert report.read == sum(1 for line in lines if line.encode().strip())


@st.composite
def csv_rows(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    header = list(dict.fromkeys(canonical_names(draw))) or ["x"]
    hostile = st.one_of(texts, st.text(max_size=12), st.sampled_from(['"', ",", "a\nb", "\r"]))
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = [draw(GOOD[c] if c in GOOD and chance(draw, 75) else hostile) for c in header]
        if chance(draw, 10):  # a field too many or too few
            row = row[:-1] if draw(st.booleans()) else [*row, "extra"]
        rows.append(row or [""])
    return header, rows


@EXAMPLES
@given(csv_rows(), st.integers(1, 9))
def test_any_csv_text_is_accounted_for_or_refused_clearly(
    source: tuple[list[str], list[list[str]]], chunk_rows: int
) -> None:
    header, rows = source
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so a bare \r in a value is quoted
    writer.writerow(header)
    writer.writerows(rows)

    def write(path: Path) -> None:
        path.write_text(buffer.getvalue(), encoding="utf-8")

    with ingested("calls.csv", write, chunk_rows) as report:
        if report is not None:
            assert report.read == len(rows)

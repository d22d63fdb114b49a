"""Hostile input: odd Arrow types, over-long values and strange JSON end in a clear error naming
the file and column, or in quarantined rows with a reason; never in a traceback."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callwarden.errors import InputFileError, MappingError
from callwarden.records import Reason, ingest, load_mapping, read_canonical, read_quarantine
from callwarden.records.fields import ParseOptions, parse_field
from callwarden.records.schema import ID_CHARS, SMS_CONTENT_CHARS, FieldKind

GOOD: dict[str, Any] = {
    "caller": ["13812345678", "13812345679"],
    "callee": ["13912345678", "13912345678"],
    "start_time": ["2026-07-08 18:00:00", "2026-07-08 18:01:00"],
    "duration_s": [30, 31],
}


def parquet(path: Path, **columns: Any) -> Path:
    pq.write_table(pa.table({**GOOD, **columns}), path)
    return path


def ingest_calls(source: Path, out: Path) -> Any:
    report = ingest(source, load_mapping("calls"), out)
    assert report.read == report.accepted + report.quarantined
    return report


def quarantined(report: Any) -> dict[int, dict[str, Any]]:
    if report.quarantine_path is None:
        return {}
    return {r["row"]: r for r in read_quarantine(Path(report.quarantine_path))}


@pytest.mark.parametrize(
    ("column", "array", "shown"),
    [
        ("duration_s", pa.array([[1, 2], [3]], pa.list_(pa.int64())), "list<element: int64>"),
        ("caller", pa.array([["13812345678"], []], pa.list_(pa.string())), "list<element: string>"),
        ("caller_cell", pa.array([[("lac", "1")], []], pa.map_(pa.string(), pa.string())), "map<"),
        ("callee", pa.array([{"n": "1"}, {"n": "2"}]), "struct<n: string>"),
        ("ring_s", pa.array([[1], [2]], pa.large_list(pa.int64())), "large_list<element: int64>"),
    ],
)
def test_a_nested_parquet_column_is_refused_naming_file_column_and_type(
    tmp_path: Path, column: str, array: pa.Array, shown: str
) -> None:
    source = parquet(tmp_path / "calls.parquet", **{column: array})
    with pytest.raises(InputFileError) as caught:
        ingest_calls(source, tmp_path / "out")
    assert caught.value.exit_code == 3
    assert caught.value.path == str(source)
    assert caught.value.problem.startswith(f"column {column} is {shown}")
    assert "several values in each row" in caught.value.problem
    assert not (tmp_path / "out" / "calls").exists()


def test_a_nested_column_the_mapping_does_not_read_is_no_problem(tmp_path: Path) -> None:
    source = parquet(tmp_path / "calls.parquet", extra=pa.array([[1], [2]]))
    assert ingest_calls(source, tmp_path / "out").accepted == 2


def test_a_time_of_day_or_a_repeated_column_is_refused(tmp_path: Path) -> None:
    times = parquet(tmp_path / "t.parquet", start_time=pa.array([1, 2], pa.time32("s")))
    with pytest.raises(InputFileError, match=r"column start_time is time32\[ms\], a time of day"):
        ingest_calls(times, tmp_path / "out")
    table = pa.table(GOOD).append_column("caller", pa.array(["1", "2"]))
    pq.write_table(table, tmp_path / "twice.parquet")
    with pytest.raises(InputFileError, match="column caller appears 2 times"):
        ingest_calls(tmp_path / "twice.parquet", tmp_path / "out")


def test_sensible_arrow_types_are_converted(tmp_path: Path) -> None:
    start = pa.array([1783504800, 1783504860], pa.int64())  # 2026-07-08 10:00 and 10:01 UTC
    source = parquet(
        tmp_path / "calls.parquet",
        caller=pa.array(GOOD["caller"]).dictionary_encode(),
        callee=pa.array(GOOD["callee"], pa.large_string()),
        start_time=(start * 10**9).cast(pa.timestamp("ns", tz="+08:00")),
        duration_s=pa.array([Decimal("30.00"), Decimal("31")], pa.decimal128(10, 2)),
        ring_s=pa.array([4000, 5000], pa.int64()).cast(pa.duration("ms")),
        caller_cell=pa.array([b"\xe6\x88\x90\xe9\x83\xbd", None], pa.binary()),
        caller_imei=pa.nulls(2),
    )
    report = ingest_calls(source, tmp_path / "out")
    assert report.accepted == 2
    calls = read_canonical(tmp_path / "out", "calls").collect().sort("caller")
    assert calls["caller"].to_list() == ["+8613812345678", "+8613812345679"]
    assert [str(t) for t in calls["start_time"]] == [
        "2026-07-08 10:00:00+00:00",
        "2026-07-08 10:01:00+00:00",
    ]
    assert calls["duration_s"].to_list() == [30, 31]
    assert calls["ring_s"].to_list() == [4, 5]
    assert calls["caller_cell"].to_list() == ["成都", None]
    assert calls["caller_imei"].to_list() == [None, None]


def test_a_naive_timestamp_of_any_unit_is_in_the_operators_zone(tmp_path: Path) -> None:
    for unit, scale in (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)):
        wall = pa.array([1783533600 * scale, 1783533660 * scale])  # 18:00 as if it were UTC
        source = parquet(tmp_path / f"{unit}.parquet", start_time=wall.cast(pa.timestamp(unit)))
        ingest_calls(source, tmp_path / unit)
        times = read_canonical(tmp_path / unit, "calls").collect().sort("start_time")
        assert str(times["start_time"][0]) == "2026-07-08 10:00:00+00:00", unit


def test_per_row_type_problems_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    source = parquet(
        tmp_path / "calls.parquet",
        caller_cell=pa.array([b"ok", b"\xff\xfe"], pa.binary()),
        duration_s=pa.array([Decimal("30.50"), Decimal("31")], pa.decimal128(10, 2)),
    )
    report = ingest_calls(source, tmp_path / "out")
    rows = quarantined(report)
    assert report.accepted == 0
    assert (rows[1]["reason"], rows[1]["field"]) == ("bad_integer", "duration_s")
    assert rows[1]["message"] == "duration_s '30.50' is not a whole number"
    assert (rows[2]["reason"], rows[2]["field"]) == ("bad_text", "caller_cell")
    assert rows[2]["message"] == "caller_cell '\\xff\\xfe' is not UTF-8 text"
    assert rows[2]["raw"]["caller_cell"] == "\\xff\\xfe"


@pytest.mark.parametrize(
    "array",
    [
        pa.array([2**52, 0], pa.int64()).cast(pa.timestamp("s")),
        pa.array([2**31 - 1, 0], pa.int32()).cast(pa.date32()),
        pa.array([2**64 - 1, 0], pa.uint64()),
        pa.array([float("inf"), float("nan")]),
    ],
    ids=["timestamp", "date", "uint64", "float"],
)
def test_times_far_beyond_any_calendar_are_out_of_range_rows(
    tmp_path: Path, array: pa.Array
) -> None:
    report = ingest_calls(parquet(tmp_path / "c.parquet", start_time=array), tmp_path / "out")
    assert quarantined(report)[1]["reason"] == "out_of_range"


def test_integers_too_large_for_any_column_are_out_of_range() -> None:
    raw = ["99999999999999999999999", "1e30", "2147483648"]
    parsed = parse_field(
        "duration_s", FieldKind.INT, pl.Series(raw, dtype=pl.String), ParseOptions()
    )
    assert parsed.code.to_list() == ["out_of_range"] * 3
    assert parsed.message[0] == "duration_s '99999999999999999999999' is beyond 2147483647"


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_ten_megabyte_imei_is_quarantined_as_too_long(tmp_path: Path, fmt: str) -> None:
    imeis = ["35209900176148", "3" * 10_000_000]
    if fmt == "parquet":
        source = parquet(tmp_path / "calls.parquet", caller_imei=imeis)
    elif fmt == "csv":
        source = tmp_path / "calls.csv"
        lines = [",".join([*GOOD, "caller_imei"])]
        lines += [",".join([*(str(GOOD[c][i]) for c in GOOD), imeis[i]]) for i in range(len(imeis))]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        source = tmp_path / "calls.jsonl"
        rows = [{**{c: GOOD[c][i] for c in GOOD}, "caller_imei": imeis[i]} for i in range(2)]
        source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = ingest_calls(source, tmp_path / "out")
    assert (report.accepted, report.reasons) == (1, {"field_too_long": 1})
    (row,) = quarantined(report).values()
    assert row["field"] == "caller_imei"
    assert row["message"].endswith(f"' is 10000000 characters long (at most {ID_CHARS})")
    assert row["message"].startswith("caller_imei '3333")
    assert len(row["message"]) < 200
    imei = read_canonical(tmp_path / "out", "calls").collect()["caller_imei"]
    assert imei.to_list() == ["35209900176148"]


def test_limits_count_characters_not_bytes(tmp_path: Path) -> None:
    source = tmp_path / "sms.csv"
    longest = "诈" * SMS_CONTENT_CHARS  # three bytes each in UTF-8
    source.write_text(
        "sender,recipient,sent_time,length,content\n"
        f"13812345678,13912345678,2026-07-08 18:00:00,1,{longest}\n"
        f"13812345678,13912345678,2026-07-08 18:00:01,1,{longest}!\n",
        encoding="utf-8",
    )
    report = ingest(source, load_mapping("sms"), tmp_path / "out")
    assert (report.accepted, report.reasons) == (1, {"field_too_long": 1})
    assert quarantined(report)[3]["field"] == "content"


JSON_BASE = '"caller": "13812345678", "callee": "13912345678", "start_time": "2026-07-08 18:00:00"'


@pytest.mark.parametrize(
    ("rest", "reason", "field", "message"),
    [
        ('"duration_s": NaN', "invalid_json", None, "NaN is not JSON: write null"),
        ('"duration_s": -Infinity', "invalid_json", None, "-Infinity is not JSON"),
        ('"duration_s": [30]', "nested_value", "duration_s", "duration_s is a JSON list"),
        ('"duration_s": 1, "ring_s": {"n": 1}', "nested_value", "ring_s", "a JSON object"),
        ('"duration_s": ' + "9" * 5000, "field_too_long", "duration_s", "5000 characters"),
        ('"duration_s": ' + "[" * 50_000 + "]" * 50_000, "invalid_json", None, "too deeply"),
        ('"duration_s": 1, "caller_cell": "\\udc00"', "bad_text", "caller_cell", "surrogate"),
        ('"duration_s": 1e400', "bad_integer", "duration_s", "'1e400' is not an integer"),
    ],
)
def test_strange_json_lines_are_quarantined_with_their_reason(
    tmp_path: Path, rest: str, reason: str, field: str | None, message: str
) -> None:
    source = tmp_path / "calls.jsonl"
    good = "{" + JSON_BASE + ', "duration_s": 30}'
    source.write_text(f"{good}\n{{{JSON_BASE}, {rest}}}\n", encoding="utf-8")
    report = ingest_calls(source, tmp_path / "out")
    assert report.accepted == 1
    row = quarantined(report)[2]
    assert (row["reason"], row["field"]) == (reason, field)
    assert message in row["message"]


def test_json_numbers_and_escaped_emoji_are_values(tmp_path: Path) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_text(
        '{"caller": 13812345678, "callee": "13912345678", "start_time": 1783504800,'
        ' "duration_s": 30.00, "caller_imei": 35209900176148, "caller_cell": "\\ud83d\\udcf6"}\n',
        encoding="utf-8",
    )
    report = ingest_calls(source, tmp_path / "out")
    assert report.accepted == 1
    call = read_canonical(tmp_path / "out", "calls").collect().row(0, named=True)
    assert (call["caller_imei"], call["caller_cell"], call["duration_s"]) == (
        "35209900176148",
        "📶",
        30,
    )


def test_a_mapping_default_over_the_limit_is_refused_when_loaded(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'record = "calls"\n[columns]\ncaller = "a"\ncallee = "b"\nstart_time = "t"\n'
        f'duration_s = "d"\n[defaults]\ncaller_cell = "{"x" * 300}"\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match=r"defaults\.caller_cell: caller_cell 'xxx.*300 char"):
        load_mapping(mapping)


def test_every_reason_code_is_in_the_ingest_docs_reason_table() -> None:
    docs = Path(__file__).parents[3] / "docs" / "ingest.md"
    table = docs.read_text(encoding="utf-8").split("## Validation and quarantine")[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented = {code for line in rows for code in line.split("|")[1].split("`")[1::2]}
    assert {reason.value for reason in Reason} <= documented


@pytest.mark.parametrize(
    ("record", "column"),
    [("calls", "caller"), ("calls", "callee"), ("calls", "start_time"), ("sms", "sent_time")],
)
def test_canonical_rows_without_a_number_or_time_name_the_file_and_row(
    tmp_path: Path, record: str, column: str
) -> None:
    """A canonical folder read as it is (``callwarden score`` on Parquet) where a row of the
    second file has no caller, callee or time: a clear error naming that file and row and the
    way to quarantine it, not an internal error deep in the engine. (The same file through
    ``callwarden ingest`` keeps the other rows and quarantines that one.)"""
    from callwarden.records.load import load_records  # noqa: PLC0415

    t0 = pl.datetime(2026, 7, 8, 10, time_zone="UTC")
    if record == "calls":
        frame = pl.DataFrame(
            {"call_id": ["a", "b", "c"], "caller": ["+8613812345678"] * 3,
             "callee": ["+8613912345678"] * 3, "duration_s": [30, 31, 0]},
            schema_overrides={"duration_s": pl.Int32},
        ).with_columns(start_time=t0)  # fmt: skip
    else:
        frame = pl.DataFrame(
            {"sms_id": ["a", "b", "c"], "sender": ["+8613812345678"] * 3,
             "recipient": ["+8613912345678"] * 3, "length": [10, 11, 12]},
            schema_overrides={"length": pl.Int32},
        ).with_columns(sent_time=t0)  # fmt: skip
    folder = tmp_path / record
    folder.mkdir()
    frame.write_parquet(folder / "part-0.parquet")
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col(column)).alias(column)
    )
    broken.write_parquet(folder / "part-1.parquet")
    assert load_records(folder / "part-0.parquet", record).height == 3
    with pytest.raises(InputFileError) as err:
        load_records(folder, record)
    assert err.value.path.endswith("part-1.parquet")
    assert f"1 {record} row(s) with no {column} (the first at row 2)" in err.value.problem
    assert "callwarden ingest" in err.value.problem

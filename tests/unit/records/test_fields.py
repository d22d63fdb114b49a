"""Field parsers: what each kind accepts, and the reason and message for what it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from callwarden.records.fields import ParseOptions, parse_field
from callwarden.records.schema import FieldKind

SHANGHAI = ParseOptions(timezone="Asia/Shanghai")


def parse(kind: FieldKind, values: list[Any], **options: Any) -> list[tuple[Any, Any, Any]]:
    series = pl.Series("v", values)
    choices = options.pop("choices", ())
    required = options.pop("required", False)
    parsed = parse_field(
        "v", kind, series, ParseOptions(**options), required=required, choices=choices
    )
    return list(
        zip(parsed.values.to_list(), parsed.code.to_list(), parsed.message.to_list(), strict=True)
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-08 18:00:00", utc(2026, 7, 8, 10)),
        ("2026-7-8 18:00:00", utc(2026, 7, 8, 10)),
        ("2026/07/08 18:00:00", utc(2026, 7, 8, 10)),
        ("2026-07-08T18:00:00.250", utc(2026, 7, 8, 10, 0, 0, 250_000)),
        ("2026-07-08 18:00", utc(2026, 7, 8, 10)),
        ("2026-07-08", utc(2026, 7, 7, 16)),
        ("2026-07-08T10:00:00Z", utc(2026, 7, 8, 10)),
        ("2026-07-08T18:00:00+08:00", utc(2026, 7, 8, 10)),
        ("2026-07-08 19:00:00+0900", utc(2026, 7, 8, 10)),
        ("2026-07-08 18:00:00+08", utc(2026, 7, 8, 10)),
        ("1783504800", utc(2026, 7, 8, 10)),
        ("1783504800.5", utc(2026, 7, 8, 10, 0, 0, 500_000)),
    ],
)
def test_timestamps_in_the_usual_spellings(text: str, expected: datetime) -> None:
    assert parse(FieldKind.TIMESTAMP, [text], timezone="Asia/Shanghai") == [(expected, None, None)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("yesterday", "unparsable_time"),
        ("2026-02-30 10:00:00", "unparsable_time"),
        ("1783504800000", "unparsable_time"),  # milliseconds: refused, not read as year 58000
        ("1969-12-31 23:00:00", "out_of_range"),
        ("2100-01-01 08:00:00", "out_of_range"),
    ],
)
def test_bad_timestamps_are_refused(text: str, code: str) -> None:
    ((value, got, message),) = parse(FieldKind.TIMESTAMP, [text], timezone="Asia/Shanghai")
    assert (value, got) == (None, code)
    assert message.startswith(f"v '{text}' is ")


def test_a_time_format_and_a_time_zone_from_the_mapping() -> None:
    rows = parse(FieldKind.TIMESTAMP, ["08/07/2026 12:00"], time_format="%d/%m/%Y %H:%M",
                 timezone="Europe/London")  # fmt: skip
    assert rows == [(utc(2026, 7, 8, 11), None, None)]
    ((_, code, message),) = parse(FieldKind.TIMESTAMP, ["2026-07-08"], time_format="%d/%m/%Y")
    assert code == "unparsable_time"
    assert message == "v '2026-07-08' is not a time (expected '%d/%m/%Y')"


def test_a_wall_time_skipped_by_daylight_saving_is_refused() -> None:
    rows = parse(FieldKind.TIMESTAMP, ["2026-03-08 02:30:00"], timezone="America/New_York")
    assert rows[0][1] == "unparsable_time"


def test_typed_timestamps_from_parquet() -> None:
    naive = pl.Series("v", [datetime(2026, 7, 8, 18)])
    aware = naive.dt.replace_time_zone("Asia/Tokyo").dt.cast_time_unit("ns")
    for series, expected in ((naive, utc(2026, 7, 8, 10)), (aware, utc(2026, 7, 8, 9))):
        parsed = parse_field("v", FieldKind.TIMESTAMP, series, SHANGHAI)
        assert parsed.values.to_list() == [expected]
        assert parsed.values.dtype == pl.Datetime("us", "UTC")
    epoch = parse_field("v", FieldKind.TIMESTAMP, pl.Series("v", [1783504800]), SHANGHAI)
    assert epoch.values.to_list() == [utc(2026, 7, 8, 10)]


@pytest.mark.parametrize(
    ("text", "value", "code", "message"),
    [
        ("30", 30, None, None),
        (" 30 ", 30, None, None),
        ("30.0", 30, None, None),
        ("0", 0, None, None),
        ("-5", None, "negative_value", "negative v -5"),
        ("abc", None, "bad_integer", "v 'abc' is not an integer"),
        ("12.5", None, "bad_integer", "v '12.5' is not a whole number"),
        ("inf", None, "bad_integer", "v 'inf' is not an integer"),
        ("3000000000", None, "out_of_range", "v 3000000000 is over 2147483647"),
        ("", None, None, None),
    ],
)
def test_integers(text: str, value: int | None, code: str | None, message: str | None) -> None:
    assert parse(FieldKind.INT, [text]) == [(value, code, message)]


def test_a_required_blank_is_a_missing_value() -> None:
    assert (
        parse(FieldKind.INT, ["", None, "  "], required=True)
        == [(None, "missing_value", "v is empty")] * 3
    )


def test_typed_integers_and_floats() -> None:
    ints = parse_field("v", FieldKind.INT, pl.Series("v", [5, -1, None]), ParseOptions())
    assert ints.values.to_list() == [5, None, None]
    assert ints.code.to_list() == [None, "negative_value", None]
    floats = parse_field("v", FieldKind.INT, pl.Series("v", [5.0, 5.5]), ParseOptions())
    assert floats.code.to_list() == [None, "bad_integer"]
    assert floats.values.dtype == pl.Int32


def test_years_dates_bools_and_choices() -> None:
    assert parse(FieldKind.YEAR, ["1948", "1850", "x"]) == [
        (1948, None, None),
        (None, "out_of_range", "v 1850 is not a plausible year (1900-2100)"),
        (None, "bad_integer", "v 'x' is not a year"),
    ]
    assert [r[0] for r in parse(FieldKind.DATE, ["2026-07-08", "2026/07/08", "20260708"])] == [
        date(2026, 7, 8)
    ] * 3
    assert parse(FieldKind.DATE, ["08.07.2026"])[0][1] == "bad_date"
    assert [r[0] for r in parse(FieldKind.BOOL, ["true", "No", "1", "0", "是", "否"])] == [
        True, False, True, False, True, False,
    ]  # fmt: skip
    assert parse(FieldKind.BOOL, ["maybe"])[0][1] == "bad_bool"
    assert parse(
        FieldKind.ENUM, ["Enterprise", "person"], choices=("individual", "enterprise")
    ) == [
        ("enterprise", None, None),
        (None, "bad_choice", "v 'person' is not one of individual, enterprise"),
    ]


def test_numbers_are_normalised_or_kept_opaque() -> None:
    assert parse(FieldKind.NUMBER, ["138 1234 5678", "12"]) == [
        ("+8613812345678", None, None),
        (None, "bad_number", "v: '12' is not a valid Chinese number"),
    ]
    assert parse(FieldKind.NUMBER, [" 672ddbf02a ", ""], opaque_numbers=True) == [
        ("672ddbf02a", None, None),
        (None, None, None),
    ]


def test_a_long_bad_value_is_cut_short_in_the_message() -> None:
    ((_, _, message),) = parse(FieldKind.INT, ["x" * 500])
    assert message == "v '" + "x" * 60 + "...' is not an integer"

"""Column mappings: shipped ones load and read their raw formats; bad ones say what is wrong."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callwarden.errors import MappingError
from callwarden.records import ingest, list_mappings, load_mapping, read_canonical, read_quarantine
from callwarden.records.keys import derive_keys

SHIPPED = [
    "calls", "labels", "sichuan-calls", "sichuan-sms", "sms", "subscribers", "transcripts"
]  # fmt: skip

# The Sichuan competition's raw voice export, by hand: hashed numbers, calltype 1/2/3, one
# unknown calltype and one empty calltype.
SICHUAN_CALLS = """\
phone_no_m,opposite_no_m,calltype_id,start_datetime,call_dur,city_name,county_name,imei_m
aaa111,bbb222,1,2020-01-02 07:11:05,30,成都,武侯区,imeiA
aaa111,ccc333,2,2020-01-02 08:00:00,12,成都,武侯区,imeiA
aaa111,ddd444,3,2020-01-02 09:30:00,0,成都,,imeiA
aaa111,eee555,9,2020-01-02 10:00:00,5,成都,武侯区,imeiA
aaa111,fff666,,2020-01-02 11:00:00,5,成都,武侯区,imeiA
"""

SICHUAN_SMS = """\
phone_no_m,opposite_no_m,calltype_id,request_datetime
aaa111,bbb222,1,2020-01-02 07:11:05
aaa111,ccc333,2,2020-01-02 23:59:59
"""


def test_every_shipped_mapping_loads_and_is_listed() -> None:
    assert sorted(list_mappings()) == SHIPPED
    for name in SHIPPED:
        mapping = load_mapping(name)
        assert mapping.name == name
        assert mapping.description
        assert mapping.source_text.startswith("#")  # the CLI prints it to copy and adapt


def test_sichuan_calls_mapping_turns_subscriber_legs_into_calls(tmp_path: Path) -> None:
    source = tmp_path / "voc.csv"
    source.write_text(SICHUAN_CALLS, encoding="utf-8")
    report = ingest(source, load_mapping("sichuan-calls"), tmp_path / "out")

    assert (report.read, report.accepted, report.quarantined) == (5, 3, 2)
    assert report.reasons == {"unknown_direction": 2}
    calls = read_canonical(tmp_path / "out", "calls").collect().sort("start_time")
    # Outgoing (1) and forwarded (3): the subscriber called. Incoming (2): the other party did,
    # and the subscriber's cell and device are not the caller's, so they are left empty.
    assert calls.select("caller", "callee").rows() == [
        ("aaa111", "bbb222"),
        ("ccc333", "aaa111"),
        ("aaa111", "ddd444"),
    ]
    assert calls["caller_cell"].to_list() == ["成都/武侯区", None, "成都"]
    assert calls["caller_imei"].to_list() == ["imeiA", None, "imeiA"]
    assert calls["duration_s"].to_list() == [30, 12, 0]
    assert str(calls["start_time"][0]) == "2020-01-01 23:11:05+00:00"
    # The export has no call id: it is derived, the same way for every source format.
    assert (
        calls["call_id"].to_list()
        == derive_keys(calls, ["caller", "callee", "start_time", "duration_s"]).to_list()
    )

    assert report.quarantine_path is not None
    rejected = list(read_quarantine(Path(report.quarantine_path)))
    assert [(r["row"], r["field"]) for r in rejected] == [(5, "calltype_id"), (6, "calltype_id")]
    assert rejected[0]["message"] == (
        "calltype_id '9' is not a direction code (outgoing 1, 3; incoming 2)"
    )
    assert rejected[0]["raw"]["city_name"] == "成都"


def test_sichuan_sms_mapping_fills_the_unknown_length_with_zero(tmp_path: Path) -> None:
    source = tmp_path / "sms.csv"
    source.write_text(SICHUAN_SMS, encoding="utf-8")
    report = ingest(source, load_mapping("sichuan-sms"), tmp_path / "out")

    assert (report.read, report.accepted) == (2, 2)
    sms = read_canonical(tmp_path / "out", "sms").collect().sort("sent_time")
    assert sms.select("sender", "recipient", "length").rows() == [
        ("aaa111", "bbb222", 0),
        ("ccc333", "aaa111", 0),
    ]
    # 23:59:59 in Beijing is still 2020-01-02 there: the partition follows local days.
    days = sorted(p.name for p in (tmp_path / "out" / "sms").iterdir() if p.is_dir())
    assert days == ["day=2020-01-02"]


def test_a_mapping_file_given_by_path(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        'record = "calls"\ntime_format = "%d/%m/%Y %H:%M"\n'
        '[columns]\ncaller = "A"\ncallee = "B"\nstart_time = "T"\nduration_s = "D"\n'
        "[defaults]\nring_s = 0\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.name == "acme"
    source = tmp_path / "acme.csv"
    source.write_text("A,B,T,D\n13812345678,13912345678,08/07/2026 18:00,7\n", encoding="utf-8")
    report = ingest(source, mapping, tmp_path / "out")
    assert report.accepted == 1
    row = read_canonical(tmp_path / "out", "calls").collect().row(0, named=True)
    assert str(row["start_time"]) == "2026-07-08 10:00:00+00:00"
    assert row["ring_s"] == 0


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


CALLS_COLUMNS = '[columns]\ncaller = "a"\ncallee = "b"\nstart_time = "t"\nduration_s = "d"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('record = "calls"\ncolums = {}\n', "colums: unknown key (allowed: description, record"),
        ('record = "cals"\n' + CALLS_COLUMNS, "record: unknown record 'cals'"),
        ('record = "alerts"\n[columns]\n', "record: alerts are produced by callwarden"),
        (
            'record = "calls"\n' + CALLS_COLUMNS + 'calling = "x"\n',
            "columns.calling: not a column of calls",
        ),
        (
            'record = "calls"\n[columns]\ncaller = "a"\ncallee = "b"\n',
            "columns: required column(s) start_time, duration_s of calls not mapped",
        ),
        ('record = "calls"\nnumbers = "hashed"\n' + CALLS_COLUMNS, "numbers: Input should be"),
        ('record = "calls"\ntimezone = "Mars/Base"\n' + CALLS_COLUMNS, "timezone: unknown time"),
        ('record = "calls"\nencoding = "klingon"\n' + CALLS_COLUMNS, "encoding: unknown encoding"),
        (
            'record = "calls"\n' + CALLS_COLUMNS + "[defaults]\nring_s = -1\n",
            "defaults.ring_s: negative ring_s -1",
        ),
        (
            'record = "calls"\n' + CALLS_COLUMNS + "[defaults]\nduration_s = 0\n",
            "defaults.duration_s: is also in [columns]",
        ),
        (
            'record = "subscribers"\n[direction]\ncolumn = "c"\nsubscriber = "s"\nother = "o"\n'
            'outgoing = ["1"]\n',
            "direction: only calls and sms have a direction",
        ),
        (
            'record = "calls"\n[columns]\ncaller = "x"\nstart_time = "t"\nduration_s = "d"\n'
            '[direction]\ncolumn = "c"\nsubscriber = "s"\nother = "o"\noutgoing = [1]\n',
            "columns.caller: comes from [direction]",
        ),
        (
            'record = "calls"\n' + CALLS_COLUMNS + '[direction]\ncolumn = "c"\nsubscriber = "s"\n'
            'other = "o"\noutgoing = [1]\nincomming = [2]\n',
            "direction.incomming: unknown key",
        ),
        ('record = "calls\n', "not valid TOML"),
    ],
)
def test_a_bad_mapping_names_the_file_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write_mapping(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_an_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match="shipped: calls, labels, sichuan-calls"):
        load_mapping("sichuan")


def test_direction_codes_may_be_written_as_numbers(tmp_path: Path) -> None:
    path = write_mapping(
        tmp_path,
        'record = "sms"\nnumbers = "opaque"\n[columns]\nsent_time = "t"\n'
        '[defaults]\nlength = 0\n[direction]\ncolumn = "c"\nsubscriber = "s"\nother = "o"\n'
        "outgoing = [1]\nincoming = [2]\n",
    )
    mapping = load_mapping(path)
    assert mapping.direction is not None
    assert (mapping.direction.outgoing, mapping.direction.incoming) == (("1",), ("2",))
    frame = pl.DataFrame({"c": [1, 2], "s": ["me", "me"], "o": ["you", "them"], "t": [1e9, 1e9]})
    source = tmp_path / "sms.parquet"
    frame.write_parquet(source)
    report = ingest(source, mapping, tmp_path / "out")
    assert report.accepted == 2
    sms = read_canonical(tmp_path / "out", "sms").collect().sort("recipient")
    assert sms.select("sender", "recipient").rows() == [("them", "me"), ("me", "you")]

"""A call that happened is evidence: numbers nobody can own are kept with a flag, only rows that
cannot be used at all are quarantined (DESIGN.md section 4). The numbers here are ones the
simulator never draws."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callwarden.records import ingest, load_mapping, read_canonical, read_quarantine

VICTIM = "13912345678"
# (as written, as stored, flag): kept
KEPT = [
    ("+371573613369", "+371573613369", "impossible"),
    ("+960180379979", "+960180379979", "impossible"),
    ("+252959790022", "+252959790022", "unallocated"),
    ("+999123456", "+999123456", "malformed"),
    ("+44 7911 123456", "+447911123456", None),
    ("13012345678", "+8613012345678", None),
    ("17012345678", "+8617012345678", None),
    ("95588", "+8695588", None),
    ("10086", "+8610086", None),
    ("12321", "+8612321", None),
    ("010-62345678", "+861062345678", None),
    ("1062345678", "+861062345678", None),
    ("12345678901", "+8612345678901", "unallocated"),
    ("１３８１２３４５６７８", "+8613812345678", None),
]
# as written: quarantined as bad_number (empty: missing_value)
REFUSED = ["abc", "--", "+", "12", "+0123456"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def call(caller: str, minute: int, callee: str = VICTIM) -> dict[str, str]:
    return {
        "caller": caller,
        "callee": callee,
        "start_time": f"2026-07-08 18:{minute:02d}:00",
        "duration_s": "0",
    }


def test_numbers_from_outside_are_kept_with_a_flag_or_quarantined(tmp_path: Path) -> None:
    rows = [call(raw, i) for i, (raw, _, _) in enumerate(KEPT)]
    rows += [call(raw, 30 + i) for i, raw in enumerate(REFUSED)]
    rows.append(call("", 50))
    rows.append(call("13812345678", 51, callee="+371573613369"))  # a call-back to a spoofed ID
    report = ingest(write_csv(tmp_path / "calls.csv", rows), load_mapping("calls"), tmp_path / "o")

    assert report.read == len(rows) == report.accepted + report.quarantined
    assert report.quarantined == len(REFUSED) + 1
    assert report.reasons == {"bad_number": len(REFUSED), "missing_value": 1}
    flagged = [flag for _, _, flag in KEPT if flag]
    assert report.flagged == len(flagged) + 1
    assert report.flags == {
        "caller_flag": {"impossible": 2, "malformed": 1, "unallocated": 2},
        "callee_flag": {"impossible": 1},
    }
    data = read_canonical(tmp_path / "o", "calls").collect().sort("start_time")
    got = list(zip(data["caller"], data["caller_flag"], strict=True))
    assert got[: len(KEPT)] == [(stored, flag) for _, stored, flag in KEPT]
    assert data["callee_flag"].to_list()[-1] == "impossible"
    assert report.quarantine_path is not None
    quarantined = {r["raw"]["caller"]: r for r in read_quarantine(Path(report.quarantine_path))}
    assert quarantined["abc"]["message"] == "caller: 'abc' is not a phone number"
    assert "too short" in quarantined["12"]["message"]
    assert quarantined[""]["reason"] == "missing_value"
    saved = json.loads(Path(report.report_path).read_text(encoding="utf-8"))
    assert saved["flagged"] == report.flagged and saved["flags"] == report.flags


def test_a_flag_the_source_carries_is_kept_where_ingest_finds_nothing(tmp_path: Path) -> None:
    rows = [
        call("13812345678", 0) | {"caller_flag": "trunk_mismatch", "trunk": "GW-INTL"},
        call("+371573613369", 1) | {"caller_flag": "trunk_mismatch", "trunk": "GW-INTL"},
        call("13812345678", 2) | {"caller_flag": "", "trunk": ""},
    ]
    report = ingest(write_csv(tmp_path / "calls.csv", rows), load_mapping("calls"), tmp_path / "o")
    data = read_canonical(tmp_path / "o", "calls").collect().sort("start_time")
    # the number's own problem comes first; otherwise the source's word stands
    assert data["caller_flag"].to_list() == ["trunk_mismatch", "impossible", None]
    assert data["trunk"].to_list() == ["GW-INTL", "GW-INTL", None]
    assert report.flagged == 2
    assert not any("caller_flag" in w for w in report.warnings)


def test_sms_senders_and_labels_keep_spoofed_numbers(tmp_path: Path) -> None:
    sms = [
        {
            "sender": sender,
            "recipient": VICTIM,
            "sent_time": f"2026-07-08 18:0{i}:00",
            "length": "70",
            "content": "",
        }
        for i, sender in enumerate(["+371573613369", "95588", "abc"])
    ]
    report = ingest(write_csv(tmp_path / "sms.csv", sms), load_mapping("sms"), tmp_path / "o")
    assert (report.accepted, report.quarantined, report.flagged) == (2, 1, 1)
    data = read_canonical(tmp_path / "o", "sms").collect().sort("sent_time")
    assert data["sender_flag"].to_list() == ["impossible", None]
    labels = [{"msisdn": "+371573613369", "label": "spoofed_caller_id"}]
    report = ingest(
        write_csv(tmp_path / "labels.csv", labels), load_mapping("labels"), tmp_path / "o"
    )
    assert report.accepted == 1
    assert read_canonical(tmp_path / "o", "labels").collect()["msisdn"].to_list() == [
        "+371573613369"
    ]


def test_subscribers_still_refuse_a_number_nobody_can_own(tmp_path: Path) -> None:
    rows = [
        {
            "msisdn": "+371573613369",
            "owner_type": "individual",
            "activated_on": "2020-01-01",
            "realname_status": "verified",
            "region": "成都",
            "whitelisted": "false",
        }
    ]
    report = ingest(
        write_csv(tmp_path / "subs.csv", rows), load_mapping("subscribers"), tmp_path / "o"
    )
    assert report.reasons == {"bad_number": 1}


numbers = st.one_of(
    st.text(max_size=24),
    st.from_regex(r"\A\+?[0-9０-９ \-]{0,22}\Z"),
    st.sampled_from([raw for raw, _, _ in KEPT] + REFUSED),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(numbers, numbers), min_size=1, max_size=20),
    st.sampled_from(["csv", "parquet"]),
)
def test_no_number_string_crashes_ingest_and_counts_add_up(
    pairs: list[tuple[str, str]], fmt: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = [{"call_id": f"c{i}"} | call(a, i % 60, callee=b) for i, (a, b) in enumerate(pairs)]
        if fmt == "csv":
            # CSV cannot hold every text as it is (a NUL, line breaks)
            rows = [
                {
                    k: v.replace("\x00", "").replace("\r", "").replace("\n", " ")
                    for k, v in r.items()
                }
                for r in rows
            ]
            source = write_csv(folder / "calls.csv", rows)
        else:
            source = folder / "calls.parquet"
            pq.write_table(pa.Table.from_pylist(rows), source)
        report = ingest(source, load_mapping("calls"), folder / "out", chunk_rows=7)
        assert report.read == len(pairs) == report.accepted + report.quarantined
        data = read_canonical(folder / "out", "calls").collect()
        assert data.height == report.accepted
        flagged = data.filter(
            pl.col("caller_flag").is_not_null() | pl.col("callee_flag").is_not_null()
        )
        assert flagged.height == report.flagged
        assert data["caller"].str.contains(r"^\+[1-9][0-9]{4,17}$").all()
        assert data["callee"].str.contains(r"^\+[1-9][0-9]{4,17}$").all()
        if report.quarantined:
            assert report.quarantine_path is not None
            reasons = {r["reason"] for r in read_quarantine(Path(report.quarantine_path))}
            assert reasons <= {"bad_number", "missing_value", "field_too_long", "bad_text"}

"""Ingest end to end: partitions by local day, chunk size changes nothing, re-runs are safe."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from callwarden.config import Settings
from callwarden.errors import ConfigError, InputFileError
from callwarden.records import RECORDS, ingest, load_mapping, read_canonical, read_quarantine

HEADER = "call_id,caller,callee,start_time,duration_s"


def write_calls(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def day_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_a_naive_evening_in_shanghai_is_morning_utc_in_that_days_partition(
    tmp_path: Path,
) -> None:
    source = write_calls(
        tmp_path / "calls.csv",
        [
            "a,13812345678,13912345678,2026-07-08 18:00:00,30",
            "b,13812345678,13912345678,2026-07-08 23:59:59,30",
            "c,13812345678,13912345678,2026-07-08T16:30:00Z,30",  # 00:30 on the 9th in Beijing
        ],
    )
    report = ingest(source, load_mapping("calls"), tmp_path / "out")
    assert report.accepted == 3
    dataset = tmp_path / "out" / "calls"
    assert day_folders(dataset) == ["day=2026-07-08", "day=2026-07-09"]
    first_day = pl.read_parquet(dataset / "day=2026-07-08", hive_partitioning=False)
    assert first_day.sort("call_id")["start_time"].cast(pl.String).to_list() == [
        "2026-07-08 10:00:00.000000+00:00",
        "2026-07-08 15:59:59.000000+00:00",
    ]


def test_the_day_follows_the_settings_time_zone(tmp_path: Path) -> None:
    source = write_calls(
        tmp_path / "calls.csv", ["a,13812345678,13912345678,2026-07-08T16:30:00Z,1"]
    )
    ingest(source, load_mapping("calls"), tmp_path / "out", settings=Settings(timezone="UTC"))
    assert day_folders(tmp_path / "out" / "calls") == ["day=2026-07-08"]


def test_files_conform_exactly_to_the_canonical_schema(tmp_path: Path) -> None:
    source = write_calls(tmp_path / "calls.csv", ["a,13812345678,13912345678,2026-07-08 18:00,1"])
    report = ingest(source, load_mapping("calls"), tmp_path / "out")
    (part,) = report.files
    assert pq.read_schema(part).equals(RECORDS["calls"].schema)
    labels = tmp_path / "labels.csv"
    labels.write_text("msisdn,label\n13812345678,relay_call\n", encoding="utf-8")
    report = ingest(labels, load_mapping("labels"), tmp_path / "out")
    (part,) = report.files
    assert Path(part).parent == tmp_path / "out" / "labels"  # no time column: no partitions
    assert pq.read_schema(part).equals(RECORDS["labels"].schema)


def many_calls(n: int) -> list[str]:
    lines = []
    for i in range(n):
        call_id = f"c{i % 37}" if i % 5 == 0 else f"u{i}"  # repeats far apart: across chunks
        minute = i % 60
        lines.append(f"{call_id},1381234{i:04d},13912345678,2026-07-08 18:{minute:02d}:00,{i}")
    lines[10] = "broken,line"
    lines[20] = lines[20].replace("13912345678", "12")
    return lines


def test_chunk_size_changes_nothing_and_catches_duplicates_across_chunks(tmp_path: Path) -> None:
    source = write_calls(tmp_path / "calls.csv", many_calls(300))
    outputs = []
    for chunk_rows in (7, 300, 1000):
        out = tmp_path / f"out{chunk_rows}"
        report = ingest(source, load_mapping("calls"), out, chunk_rows=chunk_rows)
        assert report.read == 300
        assert report.quarantine_path is not None
        quarantine = sorted(read_quarantine(Path(report.quarantine_path)), key=lambda r: r["row"])
        data = read_canonical(out, "calls").collect().sort("call_id")
        outputs.append((report.accepted, report.reasons, quarantine, data))
    for other in outputs[1:]:
        assert other[:3] == outputs[0][:3]
        assert other[3].equals(outputs[0][3])
    _, reasons, quarantine, data = outputs[0]
    assert data["call_id"].is_unique().all()
    # c0 first appears on line 2 (i = 0), again at i = 185 (line 187).
    (again,) = [r for r in quarantine if r["raw"].get("call_id") == "c0"]
    assert again["message"] == "duplicate call_id c0 (first at row 2)"
    assert again["row"] == 187
    assert reasons["malformed_row"] == 1
    assert reasons["bad_number"] == 1


def test_reingesting_a_source_replaces_only_its_own_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    jan = write_calls(tmp_path / "jan.csv", ["a,13812345678,13912345678,2026-01-08 18:00,1", "bad"])
    feb = write_calls(tmp_path / "feb.csv", ["b,13812345678,13912345678,2026-02-08 18:00,1"])
    ingest(jan, load_mapping("calls"), out)
    ingest(feb, load_mapping("calls"), out)
    assert (out / "quarantine" / "calls-jan.jsonl").exists()

    write_calls(jan, ["a,13812345678,13912345678,2026-01-09 18:00,1"])  # corrected export
    report = ingest(jan, load_mapping("calls"), out)
    data = read_canonical(out, "calls").collect().sort("call_id")
    assert data["call_id"].to_list() == ["a", "b"]
    assert data["start_time"].dt.day().to_list() == [9, 8]
    assert day_folders(out / "calls") == ["day=2026-01-09", "day=2026-02-08"]
    assert report.quarantine_path is None
    assert not (out / "quarantine" / "calls-jan.jsonl").exists()  # stale reasons would mislead
    saved = json.loads((out / "reports" / "calls-jan.json").read_text(encoding="utf-8"))
    assert saved == report.to_dict()


def test_a_failure_midway_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = write_calls(tmp_path / "calls.csv", ["a,13812345678,13912345678,2026-07-08 18:00,1"])
    ingest(source, load_mapping("calls"), out)
    before = read_canonical(out, "calls").collect()

    # Valid UTF-8 for the first megabyte, then a byte that is not: found only while streaming.
    good = "x,13812345678,13912345678,2026-07-08 18:00,1\n" * 30_000
    source.write_bytes((HEADER + "\n" + good).encode() + b"y,\xff\xfe,1,2,3\n")
    with pytest.raises(InputFileError, match="cannot be read as CSV"):
        ingest(source, load_mapping("calls"), out, chunk_rows=1000)
    assert read_canonical(out, "calls").collect().equals(before)
    assert not (out / ".staging").exists()


def test_progress_reports_rows_read_so_far(tmp_path: Path) -> None:
    source = write_calls(tmp_path / "calls.csv", many_calls(50))
    calls: list[tuple[int, int]] = []
    ingest(
        source,
        load_mapping("calls"),
        tmp_path / "out",
        chunk_rows=10,
        progress=lambda done, total: calls.append((done, total)),
    )
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert done[-1] == 50
    assert all(total >= done for done, total in calls)


def test_read_canonical_gives_exactly_the_canonical_columns(tmp_path: Path) -> None:
    source = write_calls(tmp_path / "calls.csv", ["a,13812345678,13912345678,2026-07-08 18:00,1"])
    report = ingest(source, load_mapping("calls"), tmp_path / "out")
    expected = RECORDS["calls"].schema.names
    for path in (tmp_path / "out", tmp_path / "out" / "calls", Path(report.files[0])):
        frame = read_canonical(path, "calls").collect()
        assert frame.columns == expected
        assert frame.height == 1
    (tmp_path / "empty").mkdir()
    empty = read_canonical(tmp_path / "empty", "calls").collect()
    assert (empty.columns, empty.height) == (expected, 0)


def test_an_output_that_would_overwrite_the_source_is_refused(tmp_path: Path) -> None:
    source = write_calls(tmp_path / "calls.csv", ["a,13812345678,13912345678,2026-07-08 18:00,1"])
    ingest(source, load_mapping("calls"), tmp_path / "out")
    with pytest.raises(ConfigError, match="would overwrite the source"):
        ingest(tmp_path / "out" / "calls", load_mapping("calls"), tmp_path / "out")

"""Readers: whole-file problems are one clear error; row numbers point at the right line."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from callwarden.errors import InputFileError
from callwarden.records import ingest, load_mapping, read_canonical, read_quarantine
from callwarden.records.readers import ROW, open_source

HEADER = "call_id,caller,callee,start_time,duration_s"
GOOD = "c1,13812345678,13912345678,2026-07-08 18:00:00,30"


def ingest_calls(source: Path, out: Path, **kwargs: object) -> None:
    ingest(source, load_mapping("calls"), out, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("calls.csv", b"", "is empty (0 bytes)"),
        ("calls.jsonl", b"", "is empty (0 bytes)"),
        ("calls.parquet", b"", "is empty (0 bytes)"),
        ("calls.csv", (HEADER + "\n").encode(), "has a header but no rows"),
        ("calls.csv", b"\n\n", "has no header line"),
        ("calls.jsonl", b"\n\n", "has no rows"),
        ("calls.csv", b"PAR1\x15\x04\x15", "is not a CSV text file: it is a Parquet file"),
        ("calls.csv", gzip.compress(b"a,b\n1,2\n"), "is not a CSV text file: it is gzip"),
        ("calls.csv", b"a,b\x00\x01\x02\n", "holds binary data"),
        ("calls.csv", "caller,城市\n1,成都\n".encode("gbk"), 'set encoding = "gb18030"'),
        ("calls.parquet", b"caller,callee\n1,2\n", "is not a readable Parquet file"),
        ("calls.json", b'[{"caller": "1"}]\n', "is a JSON array, not JSON Lines"),
        ("calls.jsonl", b"caller,callee\n1,2\n", "is not JSON Lines"),
        ("calls.xlsx", b"whatever", "cannot tell the format from the name (.xlsx)"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_clear_error(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(InputFileError) as caught:
        ingest_calls(source, tmp_path / "out")
    assert caught.value.path == str(source)
    assert problem in caught.value.problem
    assert not (tmp_path / "out" / "calls").exists()  # nothing half-written


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"calls\.csv: no such file or folder"):
        ingest_calls(tmp_path / "calls.csv", tmp_path / "out")


def test_wrong_columns_name_what_is_missing_and_what_was_found(tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    source.write_text("call_id,caller,callee,when,secs\nc1,1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        ingest_calls(source, tmp_path / "out")
    message = str(caught.value)
    assert "missing column(s) start_time, duration_s needed by mapping calls" in message
    assert "the file has: call_id, caller, callee, when, secs" in message

    source.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="none of the columns mapping calls needs"):
        ingest_calls(source, tmp_path / "out")


def test_malformed_csv_rows_are_quarantined_with_their_line_numbers(tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    lines = [
        HEADER,
        GOOD,  # line 2
        "c2,13812345678",  # line 3: too few fields
        "c3,13812345678,13912345678,2026-07-08 18:00:00,30,extra",  # line 4: too many
        'c4,13812345678,13912345678,"2026-07-08 18:00:00",30',  # line 5: quoted, fine
        "c5,13812345678,13912345678,2026-07-08 18:00:00,30",  # line 6
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest(source, load_mapping("calls"), tmp_path / "out", chunk_rows=2)
    assert (report.read, report.accepted, report.quarantined) == (5, 3, 2)
    assert report.quarantine_path is not None
    rejected = {r["row"]: r for r in read_quarantine(Path(report.quarantine_path))}
    assert sorted(rejected) == [3, 4]
    assert rejected[3]["message"] == "row has 2 fields, header has 5"
    assert rejected[3]["raw"] == {"_line": "c2,13812345678"}
    assert rejected[4]["message"] == "row has 6 fields, header has 5"


def test_row_numbers_count_a_quoted_multiline_value_as_one_row(tmp_path: Path) -> None:
    source = tmp_path / "sms.csv"
    source.write_text(
        "sender,recipient,sent_time,length,content\n"
        '13812345678,13912345678,2026-07-08 18:00:00,20,"two\nlines"\n'
        "13812345678,13912345678,2026-07-08 18:00:00,-1,bad\n",
        encoding="utf-8",
    )
    report = ingest(source, load_mapping("sms"), tmp_path / "out")
    assert (report.accepted, report.quarantined) == (1, 1)
    assert report.quarantine_path is not None
    (rejected,) = read_quarantine(Path(report.quarantine_path))
    assert rejected["row"] == 3
    content = read_canonical(tmp_path / "out", "sms").collect()["content"]
    assert content.to_list() == ["two\nlines"]


def test_tsv_semicolons_bom_and_gzip_are_read(tmp_path: Path) -> None:
    rows = [HEADER.split(","), GOOD.split(",")]
    (tmp_path / "a.tsv").write_text("\n".join("\t".join(r) for r in rows), encoding="utf-8")
    (tmp_path / "b.csv").write_text("\n".join(";".join(r) for r in rows), encoding="utf-8-sig")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(f"{HEADER}\n{GOOD}\n".encode()))
    for name in ("a.tsv", "b.csv", "c.csv.gz"):
        report = ingest(tmp_path / name, load_mapping("calls"), tmp_path / "out")
        assert (report.read, report.accepted) == (1, 1), name


def test_json_lines_skip_blank_lines_and_read_numbers_as_text(tmp_path: Path) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_text(
        '{"caller": 13812345678, "callee": "13912345678", "start_time": 1783504800,'
        ' "duration_s": 30.0, "ring_s": null}\n'
        "\n"
        '["not", "an", "object"]\n'
        '{"caller": "13812345678", "callee": "10086", "start_time": "2026-07-08T10:00:00Z"}\n',
        encoding="utf-8",
    )
    report = ingest(source, load_mapping("calls"), tmp_path / "out")
    assert (report.read, report.accepted, report.quarantined) == (3, 1, 2)
    assert report.quarantine_path is not None
    rejected = {r["row"]: r for r in read_quarantine(Path(report.quarantine_path))}
    assert rejected[3]["reason"] == "invalid_json"
    assert rejected[3]["message"] == "line is not a JSON object (a JSON list)"
    assert (rejected[4]["reason"], rejected[4]["field"]) == ("missing_value", "duration_s")
    call = read_canonical(tmp_path / "out", "calls").collect().row(0, named=True)
    assert (call["caller"], call["duration_s"]) == ("+8613812345678", 30)
    assert str(call["start_time"]) == "2026-07-08 10:00:00+00:00"


def test_a_folder_of_hive_partitioned_parquet_reads_like_one_file(tmp_path: Path) -> None:
    source = tmp_path / "calls"
    for day in ("2026-07-08", "2026-07-09"):
        folder = source / f"day={day}"
        folder.mkdir(parents=True)
        frame = pl.DataFrame(
            {
                "call_id": [f"{day}-a", f"{day}-b"],
                "caller": ["+8613812345678"] * 2,
                "callee": ["+8613912345678", "12"],
                "start_time": pl.Series([f"{day} 03:00:00"] * 2).str.to_datetime(
                    time_unit="us", time_zone="UTC"
                ),
                "duration_s": pl.Series([1, 2], dtype=pl.Int32),
            }
        )
        frame.write_parquet(folder / "part-00000.parquet")
    (source / "_ingest_report.json").write_text("{}")  # not data: ignored
    (source / ".hidden").mkdir()
    pq.write_table(pa.table({"junk": [1]}), source / ".hidden" / "x.parquet")

    reader = open_source(source)
    assert reader.estimated_rows() == 4
    report = ingest(source, load_mapping("calls"), tmp_path / "out", chunk_rows=1)
    assert (report.read, report.accepted, report.quarantined) == (4, 2, 2)
    assert report.quarantine_path is not None
    rejected = list(read_quarantine(Path(report.quarantine_path)))
    # Each rejected row names its own file and its row there.
    assert [(Path(r["file"]).parent.name, r["row"]) for r in rejected] == [
        ("day=2026-07-08", 2),
        ("day=2026-07-09", 2),
    ]


def test_a_folder_whose_files_disagree_on_columns_names_the_odd_file(tmp_path: Path) -> None:
    source = tmp_path / "calls"
    source.mkdir()
    good = {"caller": ["1"], "callee": ["2"], "start_time": ["x"], "duration_s": ["1"]}
    pq.write_table(pa.table(good), source / "a.parquet")
    pq.write_table(pa.table({"caller": ["1"]}), source / "b.parquet")
    with pytest.raises(InputFileError) as caught:
        ingest_calls(source, tmp_path / "out")
    assert caught.value.path == str(source / "b.parquet")
    assert "missing column(s) callee, start_time, duration_s" in caught.value.problem


def test_chunks_carry_row_numbers(tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    source.write_text(HEADER + "\n" + "\n".join([GOOD] * 5) + "\n", encoding="utf-8")
    reader = open_source(source)
    chunks = list(reader.chunks(2, ["caller", "duration_s"]))
    assert [c.frame[ROW].to_list() for c in chunks] == [[2, 3], [4, 5], [6]]
    assert chunks[0].frame.columns == ["caller", "duration_s", ROW]


def test_json_lines_values_read_the_same_whether_or_not_a_chunk_has_a_bad_line(
    tmp_path: Path,
) -> None:
    lines = [
        '{"caller": 13812345678, "callee": "+86 139 1234 5678", "start_time": 1783504800,'
        ' "duration_s": 30.0, "ring_s": 4, "caller_cell": "[成都] 武侯区"}',
        '{"caller": "13812345678", "callee": 10086, "start_time": "2026-07-08 18:00:00",'
        ' "duration_s": 7, "caller_imei": true, "caller_imei": "twice: the first wins"}',
        # Line 3: a nested value is not one value, fast path or not.
        '{"caller": "13812345678", "callee": 10010, "start_time": "2026-07-08 18:00:00",'
        ' "duration_s": 7, "caller_cell": {"lac": 1, "ci": "成都"}}',
    ]
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dirty = tmp_path / "dirty.jsonl"
    dirty.write_text("\n".join([*lines, "{oops"]) + "\n", encoding="utf-8")
    frames = []
    for source in (clean, dirty):
        out = tmp_path / source.stem
        report = ingest(source, load_mapping("calls"), out)
        assert report.accepted == 2
        assert report.quarantine_path is not None
        nested = next(read_quarantine(Path(report.quarantine_path)))
        assert (nested["row"], nested["reason"], nested["field"]) == (
            3,
            "nested_value",
            "caller_cell",
        )
        frames.append(read_canonical(out, "calls").collect().sort("callee"))
    assert frames[0].equals(frames[1])
    assert frames[0]["caller_cell"].to_list()[1] == "[成都] 武侯区"


def test_row_numbers_stay_right_across_csv_blocks(tmp_path: Path) -> None:
    # Over 1 MiB, so pyarrow parses several blocks, with bad lines throughout.
    lines = [HEADER]
    malformed = set()
    for i in range(60_000):
        if i % 7 == 3:
            lines.append("short,line")
            malformed.add(len(lines))
        else:
            lines.append(f"c{i},13812345678,13912345678,2026-07-08 18:00:00,{i}")
    lines.append("c59999,13812345678,13912345678,2026-07-08 18:00:00,1")  # a duplicate, last
    source = tmp_path / "calls.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert source.stat().st_size > 1 << 21

    report = ingest(source, load_mapping("calls"), tmp_path / "out", chunk_rows=5000)
    assert report.quarantine_path is not None
    rejected = list(read_quarantine(Path(report.quarantine_path)))
    assert {r["row"] for r in rejected if r["reason"] == "malformed_row"} == malformed
    (duplicate,) = [r for r in rejected if r["reason"] == "duplicate_key"]
    assert duplicate["row"] == len(lines)
    assert duplicate["message"] == f"duplicate call_id c59999 (first at row {len(lines) - 1})"

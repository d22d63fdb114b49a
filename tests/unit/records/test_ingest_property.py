"""Property: nothing is lost, and exactly the corrupted rows are quarantined, for the right reason.

Hypothesis writes a valid canonical calls table as CSV, JSON Lines or Parquet (text columns),
some of its numbers ones nobody can own (kept, with their flag), corrupts some rows with every
kind of damage operators' files show, ingests it with a random chunk size, and checks the counts,
the quarantine and the accepted values.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callwarden.records import ingest, load_mapping, read_canonical, read_quarantine

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS = ["call_id", "caller", "callee", "start_time", "duration_s", "ring_s", "caller_cell"]
# (raw text, E.164) pairs that need the slow path of number normalisation
OTHER_NUMBERS = [
    ("010-6234 5678", "+861062345678"),
    ("95588", "+8695588"),
    ("+44 7911 123456", "+447911123456"),
    ("4008123456", "+864008123456"),
]
# (raw text, as stored, flag): numbers a call may present that nobody can own
SUSPECT_NUMBERS = [
    ("+371573613369", "+371573613369", "impossible"),
    ("+960 180379979", "+960180379979", "impossible"),
    ("+252959790022", "+252959790022", "unallocated"),
    ("+999123456", "+999123456", "malformed"),
    ("12345678901", "+8612345678901", "unallocated"),
]
CORRUPTIONS = {
    # kind: expected reason per format (None: the kind does not exist in that format)
    "time": {"csv": "unparsable_time", "jsonl": "unparsable_time", "parquet": "unparsable_time"},
    "number": {"csv": "bad_number", "jsonl": "bad_number", "parquet": "bad_number"},
    "negative": {"csv": "negative_value", "jsonl": "negative_value", "parquet": "negative_value"},
    "not_int": {"csv": "bad_integer", "jsonl": "bad_integer", "parquet": "bad_integer"},
    "missing": {"csv": "missing_value", "jsonl": "missing_value", "parquet": "missing_value"},
    "short": {"csv": "malformed_row", "jsonl": "missing_value", "parquet": "missing_value"},
    "duplicate": {"csv": "duplicate_key", "jsonl": "duplicate_key", "parquet": "duplicate_key"},
    "garbage": {"csv": "malformed_row", "jsonl": "invalid_json", "parquet": None},
}


@dataclass
class Row:
    call_id: str
    caller: tuple[str, str, str | None]  # (as written, as canonical, flag)
    callee: tuple[str, str, str | None]
    start: datetime  # UTC
    time_style: int
    duration: int
    ring: int | None
    cell: str | None

    def time_text(self) -> str:
        local = self.start.astimezone(SHANGHAI)
        return [
            local.strftime("%Y-%m-%d %H:%M:%S"),  # naive, operator's zone
            local.isoformat(),  # with +08:00 and microseconds
            self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            str(int(self.start.timestamp())),  # epoch seconds
        ][self.time_style]

    def texts(self) -> dict[str, str]:
        return {
            "call_id": self.call_id,
            "caller": self.caller[0],
            "callee": self.callee[0],
            "start_time": self.time_text(),
            "duration_s": str(self.duration),
            "ring_s": "" if self.ring is None else str(self.ring),
            "caller_cell": self.cell or "",
        }


def number(draw: st.DrawFn) -> tuple[str, str, str | None]:
    """A number as an operator might write it, its E.164 form (as stored) and its flag."""
    pick = draw(st.integers(0, 5))
    if pick == 0:
        return (*draw(st.sampled_from(OTHER_NUMBERS)), None)
    if pick == 1:
        return draw(st.sampled_from(SUSPECT_NUMBERS))
    prefix = draw(st.sampled_from(["138", "139", "150", "186"]))
    digits = f"{prefix}{draw(st.integers(0, 10**8 - 1)):08d}"
    text = [digits, f"+86{digits}", f"0086{digits}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"][
        draw(st.integers(0, 3))
    ]
    return text, f"+86{digits}", None


@st.composite
def rows(draw: st.DrawFn, index: int) -> Row:
    # Whole seconds unless the style writes microseconds: every style must round-trip exactly.
    style = draw(st.integers(0, 3))
    seconds = draw(st.integers(0, 30 * 86400))
    micros = draw(st.integers(0, 999_999)) if style == 1 else 0
    return Row(
        call_id=f"call-{index:05d}",
        caller=number(draw),
        callee=number(draw),
        start=datetime(2026, 7, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=micros),
        time_style=style,
        duration=draw(st.integers(0, 7200)),
        ring=draw(st.one_of(st.none(), st.integers(0, 60))),
        cell=draw(st.one_of(st.none(), st.sampled_from(["C1", "成都/武侯区", "cell 7"]))),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[Row], dict[int, str], int]:
    fmt = draw(st.sampled_from(["csv", "jsonl", "parquet"]))
    n = draw(st.integers(3, 40))
    table = [draw(rows(i)) for i in range(n)]
    kinds = [k for k, by_format in CORRUPTIONS.items() if by_format[fmt] is not None]
    damaged = draw(
        st.dictionaries(st.integers(0, n - 1), st.sampled_from(kinds), max_size=max(1, n // 3))
    )
    # A duplicate needs an earlier intact row to copy the key from.
    for i, kind in list(damaged.items()):
        if kind == "duplicate" and not any(j not in damaged for j in range(i)):
            del damaged[i]
    chunk_rows = draw(st.integers(1, n + 5))
    return fmt, table, damaged, chunk_rows


def corrupt(fmt: str, table: list[Row], damaged: dict[int, str]) -> list[dict[str, str] | str]:
    """Each row as column texts (or a raw line for garbage), with the damage applied."""
    out: list[dict[str, str] | str] = []
    for i, row in enumerate(table):
        texts = row.texts()
        kind = damaged.get(i)
        if kind == "time":
            texts["start_time"] = "2026-13-45 25:61:00"
        elif kind == "number":
            texts["caller"] = "12"
        elif kind == "negative":
            texts["duration_s"] = "-5"
        elif kind == "not_int":
            texts["duration_s"] = "abc"
        elif kind == "missing":
            texts["callee"] = ""
        elif kind == "short":
            if fmt == "csv":
                out.append(",".join(texts[c] for c in COLUMNS[:4]))
                continue
            texts.pop("duration_s")
        elif kind == "duplicate":
            original = max(j for j in range(i) if j not in damaged)
            texts["call_id"] = table[original].call_id
        elif kind == "garbage":
            out.append("@@ garbage" if fmt == "csv" else '{"call_id": "x", broken')
            continue
        out.append(texts)
    return out


def write(fmt: str, folder: Path, records: list[dict[str, str] | str]) -> Path:
    if fmt == "csv":
        path = folder / "calls.csv"
        lines = [",".join(COLUMNS)]
        lines += [r if isinstance(r, str) else ",".join(r[c] for c in COLUMNS) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        path = folder / "calls.jsonl"
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path = folder / "calls.parquet"
        columns = {
            c: [None if isinstance(r, str) else (r.get(c) or None) for r in records]
            for c in COLUMNS
        }
        pq.write_table(pa.table({c: pa.array(v, pa.string()) for c, v in columns.items()}), path)
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_counts_add_up_and_exactly_the_damaged_rows_are_quarantined(
    case: tuple[str, list[Row], dict[int, str], int],
) -> None:
    fmt, table, damaged, chunk_rows = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = write(fmt, folder, corrupt(fmt, table, damaged))
        report = ingest(source, load_mapping("calls"), folder / "out", chunk_rows=chunk_rows)

        assert report.read == len(table)
        assert report.accepted + report.quarantined == report.read
        assert report.quarantined == len(damaged)

        first_row = 2 if fmt == "csv" else 1  # CSV rows are line numbers, after the header
        expected = {i + first_row: CORRUPTIONS[kind][fmt] for i, kind in damaged.items()}
        got = {}
        if damaged:
            assert report.quarantine_path is not None
            for entry in read_quarantine(Path(report.quarantine_path)):
                got[entry["row"]] = entry["reason"]
                assert entry["file"] == str(source)
                assert entry["message"]
                assert entry["raw"]
        assert got == expected
        assert report.reasons == {
            reason: list(expected.values()).count(reason) for reason in set(expected.values())
        }

        accepted = read_canonical(folder / "out", "calls").collect().sort("call_id")
        intact = [row for i, row in enumerate(table) if i not in damaged]
        want = pl.DataFrame(
            {
                "call_id": [r.call_id for r in intact],
                "caller": [r.caller[1] for r in intact],
                "callee": [r.callee[1] for r in intact],
                "start_time": pl.Series([r.start for r in intact], dtype=pl.Datetime("us", "UTC")),
                "duration_s": pl.Series([r.duration for r in intact], dtype=pl.Int32),
                "ring_s": pl.Series([r.ring for r in intact], dtype=pl.Int32),
                "caller_cell": pl.Series([r.cell for r in intact], dtype=pl.String),
                "caller_imei": pl.Series([None] * len(intact), dtype=pl.String),
                "caller_flag": pl.Series([r.caller[2] for r in intact], dtype=pl.String),
                "callee_flag": pl.Series([r.callee[2] for r in intact], dtype=pl.String),
                "trunk": pl.Series([None] * len(intact), dtype=pl.String),
            }
        ).sort("call_id")
        flagged = sum(1 for r in intact if r.caller[2] or r.callee[2])
        assert report.flagged == flagged
        assert accepted.equals(want), (accepted, want)

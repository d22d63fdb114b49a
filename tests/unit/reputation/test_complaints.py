"""Complaints from files (bad rows quarantined, counts add up, filed once) and their statistics
in the shape 12321 publishes them."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callwarden.cases.db import open_database
from callwarden.cli.app import main
from callwarden.reputation.complaint_import import import_complaints, read_complaints
from callwarden.reputation.complaint_stats import complaint_stats
from callwarden.reputation.complaints import Filer, pseudonym
from callwarden.reputation.models import Complaint, Mark, MarkEvent

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 8, 1, 2, tzinfo=UTC)
FEED = Filer("file", "file:12321")

EXPORT = """举报编号,被举报号码,举报类型,来电时间,举报人,处理状态
JB1,13812345678,贷款理财类,2026-07-08 14:23:00,13900000001,已处理
JB2,010-6234 5678,违规催收,2026/07/08 09:10,13900000002,
JB3,+1 415 555 2671,real estate,2026-07-09T22:00:00+08:00,,
JB4,12,诈骗,2026-07-09 10:00,,
JB5,13812345678,快递,2026-07-09 10:00,,
JB6,13812345678,贷款理财,2026-07-09,,
JB1,13812345679,贷款理财,2026-07-09 10:00,,
JB8,138 1234 5678,loans_finance,2026-07-08 21:00,13900000001,
JB9,+999123456,诈骗,2099-07-08 15:00,,
JB10,+999123456,诈骗,2026-07-08 15:00,,,extra
JB11,+999123456,诈骗,2026-07-08 15:00:00,,
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
        main()
    out = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, out.out, out.err


def test_an_export_is_filed_and_bad_rows_are_quarantined_with_their_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "july.csv"
    export.write_text(EXPORT, encoding="utf-8")
    db = str(tmp_path / "cases.db")
    code, out, _ = cli(capsys, "complaints", "import", str(export), "--feed", "12321", "--db", db)
    assert code == 0
    assert "read 11 = accepted 4 + quarantined 7" in out
    with (tmp_path / "july.rejected.csv").open(encoding="utf-8") as fh:
        bad = [(r["line"], r["reason"].split(":")[0]) for r in csv.DictReader(fh)]
    assert bad == [
        ("5", "msisdn"),  # '12'
        ("6", "category"),  # 快递 is benign: nobody complains about a courier
        ("7", "called_at"),  # a date without the hour
        ("8", "external_id"),  # JB1 again
        ("9", "msisdn"),  # the same complainant, the same number, the same day
        ("10", "called_at"),  # in the future
        ("11", "7 columns; the file's rows have 6"),
    ]
    # filed once: the same export again adds nothing
    code, out, _ = cli(capsys, "complaints", "import", str(export), "--feed", "12321", "--db", db)
    assert "read 11 = accepted 0 + quarantined 11" in out
    with open_database(db).reads() as s:
        rows = {c.external_id: c for c in s.scalars(select(Complaint))}
        assert set(rows) == {
            "file:12321:JB1",
            "file:12321:JB2",
            "file:12321:JB3",
            "file:12321:JB11",
        }
        first = rows["file:12321:JB1"]
        assert (first.msisdn, first.category, first.day, first.hour) == (
            "+8613812345678",
            "loans_finance",
            date(2026, 7, 8),
            14,  # local time as written
        )
        assert (first.region, first.carrier, first.reporter) == (
            "江苏省",
            "中国移动",
            pseudonym("+8613900000001"),
        )
        assert rows["file:12321:JB3"].region == "美国" and rows["file:12321:JB3"].hour == 22
        assert rows["file:12321:JB11"].region == "无效号码"  # a spoofed number is kept
        # each complaint is a report in the marks book, with provenance back to it
        event = s.get(MarkEvent, first.mark_event_id)
        assert event is not None and event.source == "complaint"
        assert (
            event.reporter == first.reporter and event.note == f"complaint {first.id} (file:12321)"
        )


def test_a_headerless_tsv_reads_in_the_documented_order(tmp_path: Path) -> None:
    tsv = tmp_path / "hotline.tsv"
    tsv.write_text(
        "13812345678\tmarketing\t2026-07-30 10:00\n\n13812345678\t保险\n", encoding="utf-8"
    )
    db = open_database("sqlite://")
    with db.sessions.begin() as s:
        counts, bad = import_complaints(s, read_complaints(tsv), FEED, NOW, ZONE)
    assert (counts.read, counts.accepted, bad) == (2, 2, [])
    with db.reads() as s:
        marks = {m.category: m.count for m in s.scalars(select(Mark))}
        hours = sorted(c.hour for c in s.scalars(select(Complaint)))
    assert marks == {"marketing": 1, "insurance": 1}
    assert hours == [10, 10]  # the second has no call time: the import's (10:00 in Shanghai)


def test_a_header_without_the_number_is_refused_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("举报类型,来电时间\n诈骗,2026-07-08 10:00\n", encoding="utf-8")
    code, _, err = cli(capsys, "complaints", "import", str(bad), "--db", str(tmp_path / "c.db"))
    assert code == 3 and "bad.csv" in err and "msisdn" in err


def _month(tmp_path: Path) -> Path:
    """1,000 complaints in the shares 12321 published for July 2018."""
    shares = [
        ("贷款理财", 309),
        ("违规催收", 210),
        ("房产中介", 140),
        ("保险", 120),
        ("骚扰/推销", 111),
        ("诈骗", 80),
        ("响一声", 30),
    ]
    lines = ["msisdn,category,called_at"]
    i = 0
    for category, n in shares:
        for _ in range(n):
            mobile = f"+86{'1381234' if i % 2 else '1501234'}{i % 50:04d}"  # 江苏, 云南
            number = mobile if i % 10 else f"+861062{i:06d}"  # 北京 landlines
            lines.append(f"{number},{category},2026-07-{1 + i % 31:02d} {9 + i % 12:02d}:30")
            i += 1
    path = tmp_path / "month.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_statistics_come_in_the_shape_12321_publishes(tmp_path: Path) -> None:
    db = open_database("sqlite://")
    with db.sessions.begin() as s:
        counts, bad = import_complaints(s, read_complaints(_month(tmp_path)), FEED, NOW, ZONE)
    assert (counts.accepted, bad) == (1000, [])
    with db.reads() as s:
        view = complaint_stats(s)
        july = complaint_stats(s, since=date(2026, 7, 1), until=date(2026, 7, 15))
    shares = [(c["name_zh"], c["share"]) for c in view["by_category"][:3]]
    assert shares == [("贷款理财", 30.9), ("违规催收", 21.0), ("房产中介", 14.0)]
    assert view["headline"]["zh"] == (
        "共收到举报 1,000 件次, 其中贷款理财类、违规催收类、房产中介类居前三位, "
        "占比分别为 30.9%、21.0%、14.0%。"
    )
    assert sum(c["count"] for c in view["by_category"]) == view["total"] == 1000
    assert sum(h["count"] for h in view["by_hour"]) == 1000 and len(view["by_hour"]) == 24
    assert {h["hour"] for h in view["by_hour"] if h["count"]} == set(range(9, 21))
    assert len(view["by_day"]) == 31 and sum(d["count"] for d in view["by_day"]) == 1000
    regions = {r["region"]: r["count"] for r in view["by_region"]}
    assert regions == {"江苏省": 500, "云南省": 400, "北京市": 100}
    carriers = {c["carrier"]: c["share"] for c in view["by_carrier"]}
    assert carriers == {"中国移动": 90.0, "固定电话": 10.0}
    assert view["top_numbers"][0]["count"] == 20  # 900 mobile complaints over 45 numbers
    assert july["since"] == "2026-07-01" and july["until"] == "2026-07-15"
    assert july["total"] == sum(d["count"] for d in july["by_day"]) < 1000


def test_stats_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cases.db")
    assert cli(capsys, "complaints", "import", str(_month(tmp_path)), "--db", db)[0] == 0
    code, out, _ = cli(capsys, "complaints", "stats", "--db", db, "--json", "--top", "3")
    view = json.loads(out)
    assert code == 0 and len(view["top_numbers"]) == 3
    code, out, _ = cli(capsys, "complaints", "stats", "--db", db, "--since", "2026-07-02")
    assert code == 0 and "贷款理财" in out and "by region" in out
    code, _, err = cli(capsys, "complaints", "stats", "--db", db, "--since", "July")
    assert code == 2 and "--since" in err


def test_a_complaint_without_a_category_takes_the_one_its_words_read_as(tmp_path: Path) -> None:
    export = tmp_path / "words.csv"
    export.write_text(
        "被举报号码,举报内容\n"
        "13812345678,对方自称民警，说我的账户涉嫌洗钱，让我把钱转到安全账户配合调查\n"
        "13812345679,对方说是快递员，问我在不在家\n",
        encoding="utf-8",
    )
    db = open_database("sqlite://")
    with db.sessions.begin() as s:
        counts, bad = import_complaints(s, read_complaints(export), FEED, NOW, ZONE)
    assert (counts.read, counts.accepted) == (2, 1)
    assert bad[0].reason == "category: not given, and the text reads as no complaint category"
    with db.reads() as s:
        assert {m.category: m.count for m in s.scalars(select(Mark))} == {"fraud": 1}

"""``callwarden marks``: marks from a CSV list (bad rows quarantined, counts add up), and a
number's marks shown (its API is in tests/unit/api/test_number_marks.py)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from unittest.mock import patch

import pytest

from callwarden.cli.app import main

ROWS = """msisdn,category,source
13812345678,fraud
138 1234 5678,marketing,complaint
12,fraud
13912345678,spam
13912345678,fraud,gossip
13912345678,delivery,enterprise_block
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
        main()
    out = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, out.out, out.err


def test_import_quarantines_bad_rows_and_counts_add_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marks = tmp_path / "marks.csv"
    marks.write_text(ROWS, encoding="utf-8")
    db = str(tmp_path / "cases.db")
    code, out, _ = cli(capsys, "marks", "import", str(marks), "--db", db)
    assert code == 0
    assert "read 6 = accepted 3 + quarantined 3" in out
    with (tmp_path / "marks.rejected.csv").open(encoding="utf-8") as fh:
        bad = list(csv.DictReader(fh))
    assert [(r["line"], r["reason"].split(":")[0]) for r in bad] == [
        ("4", "msisdn"),
        ("5", "category"),
        ("6", "source"),
    ]
    code, out, _ = cli(capsys, "marks", "show", "13812345678", "--db", db, "--json")
    view = json.loads(out)
    assert code == 0 and view["msisdn"] == "+8613812345678"
    got = {m["category"]: m["sources"] for m in view["marks"]}
    assert got == {"fraud": {"imported_list": 1}, "marketing": {"complaint": 1}}
    assert view["marks"][0]["events"][0]["note"] == "marks.csv"  # provenance: the file


def test_show_refuses_a_bad_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marks = tmp_path / "marks.csv"
    marks.write_text("13812345678,fraud\n", encoding="utf-8")
    db = str(tmp_path / "cases.db")
    assert cli(capsys, "marks", "import", str(marks), "--db", db)[0] == 0
    code, _, err = cli(capsys, "marks", "show", "hello", "--db", db)
    assert code == 2 and err.startswith("error: MSISDN")

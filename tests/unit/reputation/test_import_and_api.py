"""Marks from a CSV list (bad rows quarantined, counts add up) and over the API."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
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


def _client(svc: CaseService, role: str) -> tuple[TestClient, dict[str, str]]:
    token = svc.add_user(f"user-{role}", role)
    return TestClient(create_app(svc)), {"Authorization": f"Bearer {token}"}


def test_the_api_shows_a_numbers_marks(case_service: CaseService) -> None:
    alert: dict[str, Any] = {
        "msisdn": "+8613812345678",
        "flagged_at": "2026-07-08T10:08:00Z",
        "score": 0.9,
        "decision": "restrict",
        "reasons": [{"code": "wangiri", "weight": 1.0}],
    }
    case_service.intake([AlertIn.model_validate(alert)])
    client, staff = _client(case_service, "agent")
    r = client.get("/api/v1/numbers/13812345678/marks", headers=staff)
    assert r.status_code == 200, r.text
    (mark,) = r.json()["marks"]
    assert mark["category"] == "one_ring" and mark["name_zh"] == "响一声"
    assert mark["events"][0]["source"] == "detection_alert"


@pytest.mark.parametrize("number", ["hello", "+12", "1" * 41])
def test_bad_input_is_a_4xx_in_the_one_format(case_service: CaseService, number: str) -> None:
    client, staff = _client(case_service, "analyst")
    r = client.get(f"/api/v1/numbers/{number}/marks", headers=staff)
    assert r.status_code == 422
    assert set(r.json()) == {"detail", "field"} and r.json()["field"] == "msisdn"


def test_marks_are_for_staff_only(case_service: CaseService) -> None:
    client, _ = _client(case_service, "agent")
    assert client.get("/api/v1/numbers/13812345678/marks").status_code == 401


@pytest.mark.parametrize("raw", ["%00", "%F0%9F%98%80", "%ED%A0%80", "NaN", "%2B", "-1"])
def test_hostile_numbers_never_make_a_5xx(case_service: CaseService, raw: str) -> None:
    client, staff = _client(case_service, "supervisor")
    r = client.get(f"/api/v1/numbers/{raw}/marks", headers=staff)
    assert 400 <= r.status_code < 500, r.text
    assert set(r.json()) == {"detail", "field"}

"""``GET /api/v1/numbers/{msisdn}/marks``: a number's marks for staff, bad and hostile numbers a
4xx in the one format (the CSV import is in tests/unit/cli/commands/test_marks.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService


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

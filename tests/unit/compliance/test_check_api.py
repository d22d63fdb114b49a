"""``POST /api/v1/outbound/check``: each rule answered with its reason, the registers followed
as they change, every check logged, and hostile input answered 4xx in the one error format."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.compliance.businesses import add_business
from callwarden.compliance.checker import Checker
from callwarden.compliance.models import Check
from callwarden.compliance.registers import import_register

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
POLICY = """
category = "real_estate"
lines = ["021-6123-0000", "0755-8610-0000"]
[hours]
windows = ["09:00-12:00", "14:00-20:00"]
[[limits]]
calls = 2
days = 1
"""
CONSENTS = """callee,granted_at,expires_at,withdrawn_at,evidence
13800000001,2026-11-01 10:00,,,REC-1
13800000002,2026-01-01 10:00,2026-06-30 00:00,,REC-2
13800000003,2026-10-01 10:00,,,REC-3
13800000003,,,2026-11-20 09:00,
13800000004,2026-10-01 10:00,,,REC-4
13800000005,2026-11-25 10:00,,,REC-5
+447911123456,2026-11-01 10:00,,,REC-6
"""
REFUSALS = """callee,refused_at,line,vendor
13800000004,2026-11-15 11:00,02161230000,haiyun
13800000005,2026-11-15 11:00,075586100000,jinhu
"""


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], CaseService, Path]]:
    svc = CaseService(open_database(str(tmp_path / "cases.db")), clock=lambda: NOW)
    (tmp_path / "c.csv").write_text(CONSENTS, encoding="utf-8")
    (tmp_path / "r.csv").write_text(REFUSALS, encoding="utf-8")
    with svc.db.sessions.begin() as s:
        token = add_business(s, "seaview", POLICY, NOW)
    with svc.db.sessions.begin() as s:
        import_register(s, "seaview", tmp_path / "c.csv", "consent", NOW)
        import_register(s, "seaview", tmp_path / "r.csv", "refusal", NOW)
    with TestClient(create_app(svc)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, svc, tmp_path


def _dial(callee: str, **extra: Any) -> dict[str, Any]:
    body = {
        "business": "seaview",
        "caller_line": "02161230000",
        "callee": callee,
        "time": "2026-12-02T10:00:00+08:00",
    }
    return body | extra


def _codes(client: TestClient, auth: dict[str, str], body: dict[str, Any]) -> list[str]:
    answer = client.post("/api/v1/outbound/check", json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["allowed"] == (not data["reasons"])
    for reason in data["reasons"]:
        assert reason["text_zh"] and reason["text_en"] and reason["rule"]
    return [r["code"] for r in data["reasons"]]


def test_each_rule_gives_its_reason(api: Any) -> None:
    client, auth, _, _ = api
    assert _codes(client, auth, _dial("13800000001")) == []
    assert _codes(client, auth, _dial("13900000000")) == ["no_consent"]
    assert _codes(client, auth, _dial("13800000002")) == ["consent_expired"]
    assert _codes(client, auth, _dial("13800000003")) == ["consent_withdrawn"]
    # refused on the other vendor's line: binds every line of the business
    assert _codes(client, auth, _dial("13800000004")) == ["refused"]
    # agreed again after refusing: may be called
    assert _codes(client, auth, _dial("13800000005", caller_line="075586100000")) == []
    assert _codes(client, auth, _dial("13800000001", time="2026-12-02T21:30:00+08:00")) == [
        "outside_hours"
    ]
    assert _codes(client, auth, _dial("13800000001", time="2026-12-02 12:30")) == ["outside_hours"]
    assert _codes(client, auth, _dial("13800000001", caller_line="17012000000")) == [
        "line_not_registered"
    ]
    # London: 10:00 in Shanghai is 02:00 there; 18:00 is 10:00
    assert _codes(client, auth, _dial("+447911123456")) == ["outside_hours"]
    assert _codes(client, auth, _dial("+447911123456", time="2026-12-02T18:00:00+08:00")) == []


def test_frequency_counts_the_dials_it_allowed(api: Any) -> None:
    client, auth, _, _ = api
    times = ["10:00", "10:05", "10:10"]
    got = [
        _codes(client, auth, _dial("13800000001", time=f"2026-12-02T{t}:00+08:00")) for t in times
    ]
    assert got == [[], [], ["frequency"]]
    # a day later the window has moved on
    assert _codes(client, auth, _dial("13800000001", time="2026-12-03T10:06:00+08:00")) == []


def test_registers_are_followed_and_every_check_logged(api: Any) -> None:
    client, auth, svc, tmp = api
    assert _codes(client, auth, _dial("13800000001")) == []
    (tmp / "r2.csv").write_text("callee,refused_at\n13800000001,2026-12-02 09:30\n")
    with svc.db.sessions.begin() as s:
        import_register(s, "seaview", tmp / "r2.csv", "refusal", NOW)
    checker = Checker(svc.db, clock=lambda: NOW)
    checker.start(background=False)
    assert checker.refresh() == 0  # loaded at start already
    checker.close()
    # the app's checker follows the table on its own (polls every second); one dial a day
    # so the frequency limit stays out of the way
    codes: list[str] = []
    for day in range(3, 28):
        codes = _codes(client, auth, _dial("13800000001", time=f"2026-12-{day:02d}T10:00:00+08:00"))
        if codes:
            break
        time.sleep(0.2)
    assert codes == ["refused"]
    for _ in range(100):
        with svc.db.reads() as s:
            rows = s.scalars(select(Check).order_by(Check.id)).all()
        if rows and rows[-1].reasons == ["refused"]:
            break
        time.sleep(0.1)
    assert rows[0].allowed and rows[0].reasons == [] and rows[0].callee == "+8613800000001"
    assert rows[-1].reasons == ["refused"] and not rows[-1].allowed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_dial("not a number"), "callee"),
        (_dial("+999123"), "callee"),
        (_dial("\x00138"), "callee"),
        (_dial("13800000001", caller_line="anonymous"), "caller_line"),
        (_dial("13800000001", time="yesterday"), "time"),
        (_dial("13800000001", time="9999-12-31T23:59:59+14:00"), "time"),
        (_dial("13800000001", time="1970-01-01T00:00:00Z"), "time"),
        (_dial("13800000001", business="x" * 65), "business"),
        (_dial("13800000001", business="other"), "business"),
        (_dial("13800000001", extra=1), "extra"),
        ({"business": "seaview"}, "caller_line"),
        (_dial("1" * 5000), "callee"),
        (_dial("13800000001") | {"callee": ["13800000001"]}, "callee"),
    ],
)
def test_hostile_input_is_4xx_in_one_format(api: Any, body: Any, field: str) -> None:
    client, auth, _, _ = api
    answer = client.post("/api/v1/outbound/check", json=body, headers=auth)
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"detail", "field"}
    assert answer.json()["field"] == field


def test_tokens(api: Any) -> None:
    client, _, _, _ = api
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        answer = client.post("/api/v1/outbound/check", json=_dial("13800000001"), headers=headers)
        assert answer.status_code == 401 and set(answer.json()) == {"detail", "field"}
    raw = client.post(
        "/api/v1/outbound/check",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert raw.status_code == 422

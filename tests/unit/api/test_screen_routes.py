"""``POST /api/v1/screen``: the contract the SIP edge relies on, logged decisions, and hostile
input answered 4xx in the one error format, never 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.models import ScreenDecision

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
POLICY = """
allow = ["13800000001"]
[[bands]]
categories = ["fraud"]
min_score = 0.3
action = "block"
[[bands]]
categories = ["marketing"]
action = "challenge"
[challenge]
code = "66"
retries = 2
queue = "ivr-code"
"""


@pytest.fixture
def api(tmp_path: Any) -> Iterator[tuple[TestClient, dict[str, str], CaseService]]:
    svc = CaseService(open_database(str(tmp_path / "cases.db")), clock=lambda: NOW)
    with svc.db.sessions.begin() as s:
        token = add_hotline(s, "acme", "400-123-4567", NOW)
        install_policy(s, "acme", POLICY, NOW, "admin")
        report(s, "+8613900000009", Category.FRAUD, Source.COMPLAINT, NOW)
        report(s, "+8613700000007", Category.MARKETING, Source.COMPLAINT, NOW)
    with TestClient(create_app(svc)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, svc


def _call(caller: str, **extra: Any) -> dict[str, Any]:
    return {"caller": caller, "callee": "4001234567", "time": "2026-12-02T10:00:00+08:00"} | extra


def test_the_contract_allow_block_challenge(api: tuple[TestClient, dict[str, str], Any]) -> None:
    client, auth, svc = api
    allowed = client.post("/api/v1/screen", json=_call("13800000001"), headers=auth)
    assert allowed.status_code == 200
    assert allowed.json()["action"] == "allow" and allowed.json()["queue"] == "agents"
    assert set(allowed.json()) == {"action", "queue", "reasons", "policy_version"}
    blocked = client.post("/api/v1/screen", json=_call("+8613900000009"), headers=auth).json()
    assert blocked["action"] == "block" and blocked["policy_version"] == 1
    assert {"code", "text_zh", "text_en"} == set(blocked["reasons"][0])
    asked = client.post("/api/v1/screen", json=_call("13700000007"), headers=auth).json()
    assert (asked["action"], asked["queue"]) == ("challenge", "ivr-code")
    wrong = client.post("/api/v1/screen", json=_call("13700000007", ivr_input="1"), headers=auth)
    assert wrong.json()["action"] == "challenge"
    out = client.post("/api/v1/screen", json=_call("13700000007", ivr_input="2"), headers=auth)
    assert out.json()["action"] == "block"
    passed = client.post("/api/v1/screen", json=_call("13700000007", ivr_input="66"), headers=auth)
    assert passed.json()["action"] == "allow"
    # a time without a zone is read in the policy's zone; decisions are logged
    naive = _call("13800000001") | {"time": "2026-12-02T10:00:00"}
    assert client.post("/api/v1/screen", json=naive, headers=auth).status_code == 200
    client.__exit__(None, None, None)  # shutdown writes what the log holds
    with svc.db.reads() as s:
        rows = s.scalars(select(ScreenDecision).order_by(ScreenDecision.id)).all()
    assert [r.action for r in rows] == [
        "allow",
        "block",
        "challenge",
        "challenge",
        "block",
        "allow",
        "allow",
    ]
    assert rows[1].category == "fraud" and rows[1].region.startswith("新疆")
    assert rows[-1].at == NOW


@pytest.mark.parametrize(
    ("headers", "body", "status", "field"),
    [
        ({}, _call("13800000001"), 401, None),
        ({"Authorization": "Bearer nope"}, _call("13800000001"), 401, None),
        ("auth", _call("13800000001") | {"callee": "4009999999"}, 403, "callee"),
        ("auth", _call("13800000001") | {"callee": "hello"}, 422, "callee"),
        ("auth", _call("13800000001") | {"callee": "400\x00"}, 422, "callee"),
        ("auth", _call("13800000001") | {"time": "yesterday"}, 422, "time"),
        ("auth", _call("13800000001") | {"time": "99999-01-01T00:00:00Z"}, 422, "time"),
        ("auth", _call("13800000001") | {"time": "0001-01-01T00:00:00+08:00"}, 422, "time"),
        ("auth", _call("13800000001") | {"time": "9999-12-31T23:59:59-12:00"}, 422, "time"),
        ("auth", _call("13800000001") | {"time": 10**20}, 422, "time"),
        ("auth", _call("13800000001") | {"ivr_input": "12ab"}, 422, "ivr_input"),
        ("auth", _call("13800000001") | {"colour": "red"}, 422, "colour"),
        ("auth", {"caller": "13800000001"}, 422, "callee"),
        ("auth", [1, 2], 422, None),
        ("auth", _call("1" * 300), 422, "caller"),
        ("auth", _call("138\x00"), 422, "caller"),
        ("auth", _call("13800000001") | {"caller": None}, 422, "caller"),
        ("auth", _call("13800000001") | {"time": float("nan")}, 422, "time"),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(
    api: tuple[TestClient, dict[str, str], Any],
    headers: Any,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    client, auth, _ = api
    sent = auth if headers == "auth" else headers
    if isinstance(body, dict) and isinstance(body.get("time"), float):
        got = client.post(
            "/api/v1/screen",
            content=b'{"caller":"1","callee":"4001234567","time":NaN}',
            headers=sent | {"content-type": "application/json"},
        )
    else:
        got = client.post("/api/v1/screen", json=body, headers=sent)
    assert got.status_code == status, got.text
    assert got.json()["detail"]
    if field is not None:
        assert got.json()["field"] == field


@pytest.mark.parametrize(
    "caller", ["anonymous", "", "+999123456", "💣", "+8612345678901", "00441234", "+0"]
)
def test_odd_callers_are_screened_not_refused(
    api: tuple[TestClient, dict[str, str], Any], caller: str
) -> None:
    client, auth, _ = api
    got = client.post("/api/v1/screen", json=_call(caller), headers=auth)
    assert got.status_code == 200, got.text
    assert got.json()["action"] in ("allow", "challenge")
    assert got.json()["reasons"][0]["code"].startswith("odd_caller")


def test_a_body_that_is_not_json_is_a_422(api: tuple[TestClient, dict[str, str], Any]) -> None:
    client, auth, _ = api
    got = client.post(
        "/api/v1/screen", content=b"{caller", headers=auth | {"content-type": "application/json"}
    )
    assert got.status_code == 422 and "JSON" in got.json()["detail"]


def test_marks_are_loaded_at_startup_before_the_first_call(tmp_path: Any) -> None:
    svc = CaseService(open_database(str(tmp_path / "cases.db")), clock=lambda: NOW)
    with svc.db.sessions.begin() as s:
        add_hotline(s, "acme", "400-123-4567", NOW)
    app = create_app(svc)
    unstarted = TestClient(app)  # no startup event yet: nothing loaded
    assert unstarted.get("/health").json()["screening"] == "loading"
    with TestClient(app) as client:  # the startup event loads marks and policies
        assert client.get("/health").json()["screening"] == "ready"


def test_served_with_the_fast_parser_and_no_access_log() -> None:
    from callwarden.api.server import fast_options, uvicorn_options  # noqa: PLC0415
    from callwarden.cases.config import ApiConfig  # noqa: PLC0415

    assert fast_options() == {"http": "httptools", "loop": "uvloop"}  # both are dependencies
    assert uvicorn_options(ApiConfig())["access_log"] is False
    assert uvicorn_options(ApiConfig(access_log=True))["access_log"] is True

"""The REST API against what an attacker or a careless client sends, on SQLite and PostgreSQL.

Each test is one finding of a hostile review: before the fix it answered 5xx, echoed the input,
or accepted what the database cannot hold alike. Every error answer has the one documented
shape, ``{"detail": str, "field": str | null}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api import create_app
from callwarden.cases.config import ApiConfig, CaseConfig
from callwarden.cases.models import CaseEvent
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService

ALERT = {
    "msisdn": "+8613812345678",
    "flagged_at": "2026-07-08T10:00:00Z",
    "score": 0.85,
    "decision": "restrict",
    "reasons": [{"code": "relay_call"}],
}


@pytest.fixture
def api(case_service: CaseService) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    (r,) = case_service.intake([AlertIn.model_validate(ALERT)])
    token = case_service.add_user("sup", "supervisor")
    client = TestClient(create_app(case_service), raise_server_exceptions=False)
    assert r.case_id is not None
    yield client, {"Authorization": f"Bearer {token}"}, r.case_id


def _problem(r: Any, status: int) -> dict[str, Any]:
    """The answer has the status and the one error shape, and is well-formed UTF-8 JSON."""
    assert r.status_code == status, r.text[:300]
    body = json.loads(r.content.decode("utf-8"))
    assert set(body) == {"detail", "field"}, body
    assert isinstance(body["detail"], str)
    assert body["field"] is None or isinstance(body["field"], str)
    return body


RAW_BODIES = [
    '{"msisdn": NaN}',
    '{"msisdn": Infinity}',
    '{"msisdn": -Infinity}',
    '{"msisdn": "\\ud800"}',
    '{"msisdn": "1380013\\u00008000"}',
    '{"msisdn": 1' + "0" * 5000 + "}",
    "[" * 100_00 + "]" * 100_00,
    '{"msisdn": "138',
    "\xff\xfe not json",
]


@pytest.mark.parametrize("body", RAW_BODIES, ids=range(len(RAW_BODIES)))
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/self-service/code",
        "/api/v1/self-service/session",
        "/api/v1/self-service/me/actions",
        "/api/v1/alerts",
        "/api/v1/cases/{case}/actions",
    ],
)
def test_hostile_bodies_get_a_4xx_in_the_error_format(api: Any, path: str, body: str) -> None:
    client, auth, case_id = api
    r = client.post(
        path.format(case=case_id),
        content=body.encode("utf-8", "surrogatepass"),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert 400 <= r.status_code < 500, r.text[:300]
    _problem(r, r.status_code)
    # the connection is still good for the next request
    assert client.get("/health").status_code == 200


def test_non_finite_numbers_and_surrogates_in_typed_fields(api: Any) -> None:
    client, auth, _ = api
    for bad in ("NaN", "Infinity", "-1e400", '"\\udfff"', "1" + "0" * 30):
        raw = json.dumps({"alerts": [{**ALERT, "score": "__X__"}]}).replace('"__X__"', bad)
        r = client.post(
            "/api/v1/alerts", content=raw, headers={**auth, "Content-Type": "application/json"}
        )
        assert _problem(r, 422)["field"] == "alerts.0.score", bad


def test_numbers_out_of_range_are_422(api: Any) -> None:
    client, auth, case_id = api
    for after in ("|9223372036854775808", "|2147483648", "|-1", "|1e5", "x|1", "2026-07-08|1"):
        r = client.get("/api/v1/cases", params={"after": after}, headers=auth)
        assert _problem(r, 422)["field"] == "after"
    r = client.post(
        f"/api/v1/cases/{case_id}/actions",
        json={"action": "comment", "reason": "x", "expected_version": 2**40},
        headers=auth,
    )
    assert _problem(r, 422)["field"] == "expected_version"
    assert client.get("/api/v1/cases/99999999999", headers=auth).status_code == 422


@pytest.mark.parametrize("text", ["a\u0000b", "a\u0007b", "\u007f"])
def test_control_characters_are_refused_alike_on_both_databases(
    api: Any, case_service: CaseService, text: str
) -> None:
    client, auth, case_id = api
    r = client.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "comment", "reason": text}, headers=auth
    )
    assert _problem(r, 422)["field"] == "reason"
    r = client.get("/api/v1/cases", params={"state": text}, headers=auth)
    assert _problem(r, 422)["field"] == "state"
    r = client.get(f"/api/v1/numbers/{quote(text)}", headers=auth)
    _problem(r, 422)
    with case_service.db.reads() as s:
        assert all("\x00" not in (e.reason or "") for e in s.scalars(select(CaseEvent)))
    # tabs and line breaks in a comment are fine
    r = client.post(
        f"/api/v1/cases/{case_id}/actions",
        json={"action": "comment", "reason": "第一行\n\t第二行"},
        headers=auth,
    )
    assert r.status_code == 200, r.text


def test_large_bodies_are_413_and_errors_never_echo_the_input(case_service: CaseService) -> None:
    small = CaseService(
        case_service.db, CaseConfig(api=ApiConfig(max_body_bytes=64_000)), case_service.clock
    )
    client = TestClient(create_app(small), raise_server_exceptions=False)
    big = "1" * 10_000_000
    r = client.post("/api/v1/self-service/code", json={"msisdn": big})
    _problem(r, 413)
    assert len(r.content) < 500
    # the staff limit is the setting; the public routes' is smaller still
    r = client.post("/api/v1/alerts", content=b'{"alerts": ["' + b"x" * 70_000 + b'"]}')
    _problem(r, 413)
    r = client.post("/api/v1/self-service/code", json={"msisdn": "1" * 10_000})
    _problem(r, 422)
    assert len(r.content) < 1000
    r = client.post("/api/v1/self-service/code", json={"msisdn": "+8613800138000", "x": "y" * 9000})
    body = _problem(r, 422)
    assert len(r.content) < 1000 and body["field"] == "x"


def test_streamed_body_without_length_is_cut_at_the_limit(case_service: CaseService) -> None:
    small = CaseService(case_service.db, CaseConfig(api=ApiConfig(max_body_bytes=4096)))
    client = TestClient(create_app(small), raise_server_exceptions=False)

    def chunks() -> Iterator[bytes]:
        yield b'{"alerts": ['
        for _ in range(10_000):
            yield b'"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",'
        yield b'"x"]}'

    r = client.post("/api/v1/alerts", content=chunks())
    _problem(r, 413)


@pytest.mark.parametrize("year", ["0001", "1969", "2100", "9999"])
def test_alert_times_outside_plausible_years_are_reported_and_open_nothing(
    api: Any, year: str
) -> None:
    client, auth, _ = api
    bad = {**ALERT, "msisdn": "+8613900000001", "flagged_at": f"{year}-07-08T10:00:00Z"}
    good = {**ALERT, "msisdn": "+8613900000002"}
    r = client.post("/api/v1/alerts", json={"alerts": [bad, good]}, headers=auth)
    assert r.status_code == 201, r.text
    first, second = r.json()["results"]
    assert first["field"] == "flagged_at" and "1970" in first["error"]
    assert second["opened"] is True
    assert r.json()["counts"]["reported"] == 1 and r.json()["counts"]["cases_opened"] == 1


def test_unknown_routes_and_methods_answer_in_the_error_format(api: Any) -> None:
    client, auth, _ = api
    _problem(client.get("/api/v1/nope", headers=auth), 404)
    _problem(client.put("/api/v1/alerts", headers=auth), 405)
    _problem(client.post("/api/v1/alerts", json={"alerts": []}), 401)

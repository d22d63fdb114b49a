"""Complaints over the API, on SQLite and PostgreSQL: who may file, what a complaint links to,
statistics, and hostile input (a 4xx in the one error format, never a 5xx)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api.app import create_app
from callwarden.cases.config import CaseConfig
from callwarden.cases.models import NoticeRow, SubscriberProfile
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.reputation.complaints import pseudonym
from callwarden.reputation.models import Complaint

CALLER = "+8613812345678"  # the number complained about; it has a case
SUBSCRIBER = "+8613900000001"


def _client(svc: CaseService) -> TestClient:
    return TestClient(create_app(svc), raise_server_exceptions=False)


def _staff(svc: CaseService, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {svc.add_user(f'user-{role}', role)}"}


def _customer(svc: CaseService, msisdn: str = SUBSCRIBER) -> dict[str, str]:
    """A subscriber's session, by the one-time code sent to their number."""
    with svc.db.sessions.begin() as s:
        s.add(SubscriberProfile(msisdn=msisdn))
    svc.request_code(msisdn)
    with svc.db.reads() as s:
        text = s.scalars(select(NoticeRow.text).where(NoticeRow.msisdn == msisdn)).all()[-1]
    code = "".join(c for c in text if c.isdigit())[:6]
    token, _ = svc.open_session(msisdn, code)
    return {"Authorization": f"Bearer {token}"}


def _case(svc: CaseService) -> int:
    (r,) = svc.intake(
        [
            AlertIn.model_validate(
                {
                    "msisdn": CALLER,
                    "flagged_at": "2026-07-08T01:00:00Z",
                    "score": 0.85,
                    "decision": "restrict",
                    "reasons": [{"code": "robocall"}],
                }
            )
        ]
    )
    assert r.case_id is not None
    return r.case_id


def _problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text[:300]
    body = json.loads(r.content.decode("utf-8"))
    assert set(body) == {"detail", "field"}, body
    if field is not None:
        assert body["field"] == field, body
    return dict(body)


def test_a_subscriber_files_a_complaint_that_marks_the_number(case_service: CaseService) -> None:
    case_id = _case(case_service)
    client, me = _client(case_service), _customer(case_service)
    body = {"msisdn": "138 1234 5678", "category": "贷款理财", "called_at": "2026-07-08T01:30Z"}
    r = client.post("/api/v1/complaints", json=body, headers=me)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["msisdn"] == "138****5678" and got["category"] == "loans_finance"
    assert (got["region"], got["carrier"], got["hour"]) == ("江苏省", "中国移动", 9)
    assert got["case_id"] == case_id and got["channel"] == "self_service"
    assert got["mark"]["category"] == "loans_finance" and got["mark"]["count"] == 1
    # once a day per number and complainant; never about oneself; no ids from a subscriber
    _problem(client.post("/api/v1/complaints", json=body, headers=me), 409, "msisdn")
    own = {"msisdn": SUBSCRIBER, "category": "fraud"}
    _problem(client.post("/api/v1/complaints", json=own, headers=me), 422, "msisdn")
    named = {"msisdn": "13812345679", "category": "fraud", "reporter": "13700000000"}
    _problem(client.post("/api/v1/complaints", json=named, headers=me), 422, "reporter")
    with case_service.db.reads() as s:
        row = s.scalars(select(Complaint)).one()
    assert row.reporter == pseudonym(SUBSCRIBER)  # the complainant's number is not kept


def test_agents_and_feeds_file_complaints_once(case_service: CaseService) -> None:
    client = _client(case_service)
    agent, feed = _staff(case_service, "agent"), _staff(case_service, "system")
    taken = {"msisdn": CALLER, "category": "debt_collection", "reporter": "139 0000 0001"}
    r = client.post("/api/v1/complaints", json=taken, headers=agent)
    assert r.status_code == 201 and r.json()["channel"] == "staff"
    fwd = {"msisdn": CALLER, "category": "骚扰", "reporter": "u-77", "external_id": "JB1"}
    r = client.post("/api/v1/complaints", json=fwd, headers=feed)
    assert r.status_code == 201 and r.json()["external_id"] == "system:user-system:JB1"
    assert r.json()["category"] == "marketing" and r.json()["msisdn"] == CALLER
    again = fwd | {"reporter": "u-78"}
    _problem(client.post("/api/v1/complaints", json=again, headers=feed), 409, "external_id")
    tech = _staff(case_service, "technician")
    _problem(client.post("/api/v1/complaints", json=taken, headers=tech), 403)
    _problem(client.post("/api/v1/complaints", json=taken), 401)
    with case_service.db.reads() as s:
        reporters = [c.reporter for c in s.scalars(select(Complaint).order_by(Complaint.id))]
    # the agent's complainant is the same person as that subscriber on self service
    assert reporters == [pseudonym(SUBSCRIBER), "system:user-system:u-77"]


def test_a_complainant_files_a_bounded_number_a_day(case_service: CaseService) -> None:
    svc = CaseService(case_service.db, CaseConfig(complaints_per_day=2), clock=case_service.clock)
    client, me = _client(svc), _customer(svc)
    for n in range(2):
        body = {"msisdn": f"1381234567{n}", "category": "marketing"}
        assert client.post("/api/v1/complaints", json=body, headers=me).status_code == 201
    r = client.post(
        "/api/v1/complaints", json={"msisdn": "13812345672", "category": "fraud"}, headers=me
    )
    _problem(r, 429)
    assert r.headers["Retry-After"] == "60"


def test_staff_read_complaints_their_links_and_statistics(case_service: CaseService) -> None:
    case_id = _case(case_service)
    client, feed = _client(case_service), _staff(case_service, "system")
    for i, category in enumerate(["loans_finance", "loans_finance", "real_estate", "fraud"]):
        body = {"msisdn": CALLER if i < 3 else "+14155552671", "category": category}
        body |= {"reporter": f"r{i}", "called_at": f"2026-07-0{1 + i}T02:00:00Z"}
        assert client.post("/api/v1/complaints", json=body, headers=feed).status_code == 201
    analyst, agent = _staff(case_service, "analyst"), _staff(case_service, "agent")
    page = client.get(
        "/api/v1/complaints", params={"msisdn": "13812345678", "limit": 2}, headers=analyst
    )
    assert page.status_code == 200 and len(page.json()["items"]) == 2 and page.json()["next"]
    first = page.json()["items"][0]["id"]
    detail = client.get(f"/api/v1/complaints/{first}", headers=analyst).json()
    assert detail["case"]["id"] == case_id and detail["case"]["kind"] == "suspension"
    marks = {m["category"]: m["count"] for m in detail["marks"]}
    assert marks["loans_finance"] == 2 and marks["real_estate"] == 1
    stats = client.get("/api/v1/complaints/stats", headers=analyst).json()
    assert [(c["category"], c["share"]) for c in stats["by_category"]] == [
        ("loans_finance", 50.0),
        ("fraud", 25.0),
        ("real_estate", 25.0),
    ]
    assert {r["region_en"] for r in stats["by_region"]} == {"Jiangsu", "United States"}
    assert stats["top_numbers"][0] == {"msisdn": CALLER, "count": 3}
    masked = client.get("/api/v1/complaints/stats", headers=agent).json()
    assert masked["top_numbers"][0]["msisdn"] == "138****5678"
    july2 = client.get(
        "/api/v1/complaints/stats",
        params={"since": "2026-07-02", "until": "2026-07-03"},
        headers=agent,
    ).json()
    assert july2["total"] == 2
    _problem(client.get("/api/v1/complaints/stats", headers=_customer(case_service)), 403)


HOSTILE_BODIES = [
    '{"msisdn": NaN, "category": "fraud"}',
    '{"msisdn": "\\ud800", "category": "fraud"}',
    '{"msisdn": "1380013\\u00008000", "category": "fraud"}',
    '{"msisdn": "13812345678", "category": "fraud", "text": "a\\u0007b"}',
    '{"msisdn": "13812345678", "category": "spam"}',
    '{"msisdn": "13812345678", "category": "快递"}',
    '{"msisdn": "13812345678", "category": 7}',
    '{"msisdn": "13812345678", "category": "fraud", "called_at": "2026-07-08T10:00:00"}',
    '{"msisdn": "13812345678", "category": "fraud", "called_at": "0001-01-01T00:00:00Z"}',
    '{"msisdn": "13812345678", "category": "fraud", "called_at": "2099-12-31T00:00:00Z"}',
    '{"msisdn": "13812345678", "category": "fraud", "extra": 1}',
    '{"msisdn": "13812345678", "category": "fraud", "reporter": ""}',
    '{"msisdn": "hello", "category": "fraud"}',
    '{"msisdn": "' + "1" * 41 + '", "category": "fraud"}',
    '{"msisdn": "13812345678", "category": "fraud", "text": "' + "x" * 2001 + '"}',
    '{"msisdn": "13812345678"',
    "[1, 2]",
    "\xff\xfe not json",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_complaints_get_a_4xx_in_the_error_format(
    case_service: CaseService, body: str
) -> None:
    client, feed = _client(case_service), _staff(case_service, "system")
    headers = feed | {"Content-Type": "application/json"}
    r = client.post(
        "/api/v1/complaints", content=body.encode("utf-8", "surrogatepass"), headers=headers
    )
    assert 400 <= r.status_code < 500, r.text[:300]
    _problem(r, r.status_code)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/complaints/stats?since=2026-02-30", 422),
        ("/api/v1/complaints/stats?since=2026-07-02&until=2026-07-01", 422),
        ("/api/v1/complaints/stats?top=0", 422),
        ("/api/v1/complaints/stats?since=%00", 422),
        ("/api/v1/complaints/0", 422),
        ("/api/v1/complaints/99999", 404),
        ("/api/v1/complaints/2147483648", 422),
        ("/api/v1/complaints/NaN", 422),
        ("/api/v1/complaints?msisdn=hello", 422),
        ("/api/v1/complaints?msisdn=%F0%9F%98%80", 422),
        ("/api/v1/complaints?after=-1", 422),
        ("/api/v1/complaints?limit=100000", 422),
    ],
)
def test_hostile_queries_get_a_4xx(case_service: CaseService, path: str, status: int) -> None:
    client = _client(case_service)
    _problem(client.get(path, headers=_staff(case_service, "supervisor")), status)

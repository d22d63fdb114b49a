"""An appeal from filing to the mark's withdrawal, over the REST API, on SQLite and PostgreSQL.

A courier's dispatch line is marked as marketing by complaints. Its owner proves the number with
the one-time code, appeals with the business licence and asks for the verified-business label;
an analyst asks for more, the owner provides it, the analyst and then a supervisor approve. The
marketing mark is withdrawn (with provenance), the label granted, the owner told, the audit chain
whole, and the in-memory marks that screening serves drop the mark at their next catch-up.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api.app import create_app
from callwarden.cases.models import NoticeRow
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.callers import key_of
from callwarden.screen.feed import MarkFeed

COURIER = "+8613812345678"


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _notices(client: TestClient, gateway: dict[str, str], kind: str) -> list[dict[str, Any]]:
    items = client.get("/api/v1/notices", params={"limit": 1000}, headers=gateway).json()["items"]
    return [n for n in items if n["kind"] == kind and n["msisdn"] == COURIER]


def test_an_appeal_from_filing_to_the_marks_withdrawal(case_service: CaseService) -> None:
    svc = case_service
    client = TestClient(create_app(svc), raise_server_exceptions=False)
    feed_token = _headers(svc.add_user("12321-feed", "system"))
    gateway = _headers(svc.add_user("sms-gateway", "system"))
    analyst = _headers(svc.add_user("wang", "analyst"))
    supervisor = _headers(svc.add_user("zhao", "supervisor"))

    # callees complain: the number is marked as marketing, and as real estate once
    for i, category in enumerate(["marketing", "marketing", "marketing", "real_estate"]):
        body = {"msisdn": "138 1234 5678", "category": category, "reporter": f"u{i}"}
        assert client.post("/api/v1/complaints", json=body, headers=feed_token).status_code == 201
    served = MarkFeed(svc.db)  # what screening serves from memory
    table = served.load(svc.now())
    key = key_of(COURIER)
    assert key is not None
    assert Category.MARKETING in dict(table.lookup(key, svc.now()))

    # the owner proves the number with a one-time code (a marked number may ask for one)
    code = client.post("/api/v1/self-service/code", json={"msisdn": COURIER})
    assert code.status_code == 202
    (otp,) = _notices(client, gateway, "otp")
    digits = "".join(c for c in otp["text"] if c.isdigit())[:6]
    session = client.post("/api/v1/self-service/session", json={"msisdn": COURIER, "code": digits})
    assert session.status_code == 200, session.text
    owner = _headers(session.json()["token"])

    appeal = {
        "categories": ["marketing"],
        "label": True,
        "business_name": "某某快递有限公司",
        "reason": "这是快递员派件电话, 不是推销",
        "evidence": [
            {"kind": "business_licence", "ref": "doc://licence/91110000"},
            {"kind": "call_records", "ref": "doc://calls/2026-07", "note": "派件通话记录"},
        ],
    }
    filed = client.post("/api/v1/appeals", json=appeal, headers=owner)
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["case_id"]
    again = client.post("/api/v1/appeals", json=appeal, headers=owner)
    assert again.status_code == 409 and set(again.json()) == {"detail", "field"}
    staff_filing = client.post("/api/v1/appeals", json=appeal, headers=analyst)
    assert staff_filing.status_code == 403
    (received,) = _notices(client, gateway, "appeal_received")
    assert "申诉已受理" in received["text"] and "认证企业" in received["text"]

    # staff find it in the queue and read the evidence, the marks and the complaints
    queue = client.get("/api/v1/cases", params={"kind": "appeal"}, headers=analyst).json()
    assert [c["id"] for c in queue["items"]] == [case_id]
    detail = client.get(f"/api/v1/cases/{case_id}", headers=analyst).json()
    assert detail["appeal"]["complaints"] == {"marketing": 3, "real_estate": 1}
    assert detail["appeal"]["evidence"][0]["ref"] == "doc://licence/91110000"
    assert "review:approve" in detail["allowed_actions"]

    def act(who: dict[str, str], **body: Any) -> Any:
        return client.post(f"/api/v1/cases/{case_id}/actions", json=body, headers=who)

    asked = act(analyst, action="review", verdict="ask", reason="请补充派件单号样例")
    assert asked.json()["state"] == "awaiting_customer"
    me = client.get("/api/v1/self-service/me", headers=owner).json()
    assert me["case"]["step"] == "审核人员需要您补充说明或材料"
    provided = client.post(
        "/api/v1/self-service/me/actions",
        json={"action": "provide", "reason": "已上传派件单号样例 doc://waybills/1"},
        headers=owner,
    )
    assert provided.json()["state"] == "under_review"
    assert act(analyst, action="review", verdict="approve").json()["state"] == (
        "awaiting_second_approval"
    )
    assert act(analyst, action="review", verdict="approve").status_code == 403  # four eyes
    newest = served.newest()
    upheld = act(supervisor, action="review", verdict="approve")
    assert upheld.status_code == 200 and upheld.json()["state"] == "closed", upheld.text

    # withdrawn, with provenance; the label granted; the other mark stands
    marks = client.get(f"/api/v1/numbers/{COURIER}/marks", headers=analyst).json()["marks"]
    by = {m["category"]: m for m in marks}
    assert (by["marketing"]["count"], by["marketing"]["score"]) == (0, 0.0)
    withdrawn = [e for e in by["marketing"]["events"] if e["action"] == "withdraw"]
    assert len(withdrawn) == 3 and all(e["case_id"] == case_id for e in withdrawn)
    assert all(e["id"] > newest for e in withdrawn)  # in the change log, after what was seen
    assert by["real_estate"]["count"] == 1
    assert by["verified_business"]["score"] > 0.99

    # the in-memory copy follows the change log: the mark is gone, the label is there
    served.catch_up(table)
    now_served = dict(table.lookup(key, svc.now()))
    assert Category.MARKETING not in now_served and Category.REAL_ESTATE in now_served
    assert now_served[Category.VERIFIED_BUSINESS] > 0.99

    # the owner is told, and sees the outcome
    (told,) = _notices(client, gateway, "appeal_upheld")
    assert "申诉成立" in told["text"] and "骚扰/推销" in told["text"] and told["language"] == "zh"
    mine = client.get("/api/v1/self-service/me", params={"lang": "en"}, headers=owner).json()
    assert mine["case"]["step"].startswith("Appeal upheld")
    assert mine["case"]["appeal"]["verified"] and mine["case"]["appeal"]["marks"][0]["score"] == 0
    audit = client.get("/api/v1/audit/verify", headers=supervisor).json()
    assert audit["ok"] and audit["broken"] == []
    timeline = client.get(f"/api/v1/cases/{case_id}", headers=analyst).json()["timeline"]
    assert [e["action"] for e in timeline] == ["open", "review", "provide", "review", "review"]


HOSTILE = [
    "{}",
    '{"categories": ["marketing"]}',
    '{"categories": ["spam"], "reason": "x"}',
    '{"categories": "marketing", "reason": "x"}',
    '{"categories": ["marketing"], "reason": "x", "language": "fr"}',
    '{"categories": ["marketing"], "reason": "a\\u0000b"}',
    '{"categories": ["marketing"], "reason": NaN}',
    '{"label": true, "business_name": "x", "reason": "x"}',
    '{"label": true, "business_name": "x", "reason": "x", "evidence": [{"kind": "id"}]}',
    '{"categories": ["marketing"], "reason": "' + "x" * 2001 + '"}',
    '{"categories": ["marketing"], "reason": "x", "evidence": ['
    + ",".join(['{"kind": "other", "ref": "r"}'] * 21)
    + "]}",
    '{"categories": ["marketing"], "reason": "x", "extra": 1}',
    "[]",
    "\xff not json",
]


def test_hostile_appeals_get_a_4xx_in_the_error_format(case_service: CaseService) -> None:
    svc = case_service
    client = TestClient(create_app(svc), raise_server_exceptions=False)
    with svc.db.sessions.begin() as s:
        report(s, COURIER, Category.MARKETING, Source.COMPLAINT, svc.now())
    svc.request_code(COURIER)
    with svc.db.reads() as s:
        text = s.scalars(select(NoticeRow.text).where(NoticeRow.kind == "otp")).one()
    token, _ = svc.open_session(COURIER, "".join(c for c in text if c.isdigit())[:6])
    owner = _headers(token) | {"Content-Type": "application/json"}
    for body in HOSTILE:
        raw = body.encode("utf-8", "surrogatepass")
        r = client.post("/api/v1/appeals", content=raw, headers=owner)
        assert 400 <= r.status_code < 500, (body[:60], r.status_code, r.text[:200])
        parsed = json.loads(r.content.decode("utf-8"))
        assert set(parsed) == {"detail", "field"}, parsed
    good = '{"categories": ["marketing"], "reason": "x"}'
    anonymous = client.post(
        "/api/v1/appeals", content=good, headers={"Content-Type": "application/json"}
    )
    assert anonymous.status_code == 401
    assert client.post("/api/v1/appeals", content=good, headers=owner).status_code == 201

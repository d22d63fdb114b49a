"""Seed 000 end to end through the REST API, on SQLite and on PostgreSQL.

A 78-year-old's SIM dials a stranger every 2 minutes from 18:00 (her grandson relays calls for a
"game friend"). Detection restricts it with a relay-call reason within its first calls, and
suspends it as the dialling goes on; the grandson calls the hotline;
the checklist asks for the owner's ID copy and his student card; the business hall verifies;
security reviews (the risk is high, so two people approve); the technician restores; the case
closes with a survey; the outcome is exported as a label; every step is in the audit chain.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi.testclient import TestClient

from callwarden.api import create_app
from callwarden.cases.from_files import alerts_from_frame
from callwarden.cases.labels import outcome_labels
from callwarden.cases.service import CaseService
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_relay_call_grandson_story(
    case_service: CaseService, clock: Any, seed000_records: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    calls, subscribers = seed000_records
    owner = subscribers["msisdn"][0]
    api = TestClient(create_app(case_service))
    tokens = {
        name: case_service.add_user(name, role)
        for name, role in [
            ("detector", "system"),
            ("agent-li", "agent"),
            ("analyst-wang", "analyst"),
            ("supervisor-chen", "supervisor"),
            ("tech-zhao", "technician"),
        ]
    }
    h = {name: _bearer(t) for name, t in tokens.items()}

    # 1. detection: restricted within its first calls, with a relay-call reason, and
    # suspended once the dialling goes on (the first few calls restrict at most)
    alerts = score_records(Traffic(calls, None, subscribers)).alerts
    flagged = alerts.filter(pl.col("msisdn") == owner).sort("flagged_at")
    assert flagged["decision"].to_list() == ["restrict", "suspend"]
    assert all(r[0]["code"] == "relay_call" for r in flagged["reasons"])

    def own_calls_to(at: object) -> int:  # (the owner's two calls of the day before 18:00)
        return calls.filter(pl.col("start_time") <= at).height - 2

    assert own_calls_to(flagged["flagged_at"][0]) < 6
    assert 8 <= own_calls_to(flagged["flagged_at"][1]) <= 12
    inputs, rejected = alerts_from_frame(alerts, subscribers)
    assert rejected == []
    body = {"alerts": [a.model_dump(mode="json") for a in inputs]}
    r = api.post("/api/v1/alerts", json=body, headers=h["detector"])
    assert r.status_code == 201, r.text
    case_id = r.json()["results"][0]["case_id"]
    assert api.post("/api/v1/alerts", json=body, headers=h["detector"]).json()["results"][0][
        "duplicate"
    ]

    # 2. suspended, and the owner was told why, what to bring and where
    number = api.get(f"/api/v1/numbers/{owner}", headers=h["agent-li"]).json()
    assert number["status"] == "suspended"
    assert number["reasons"][0]["code"] == "relay_call"
    assert "78 岁" in number["reasons"][0]["text_zh"]
    outbox = api.get("/api/v1/notices", headers=h["detector"]).json()["items"]
    first = next(n for n in outbox if n["kind"] == "suspended")
    assert "中转呼叫" in first["text"] and "10086" in first["text"] and "营业厅" in first["text"]
    assert owner not in first["text"]  # masked in the SMS body

    # 3. the grandson calls the hotline; the agent opens the re-activation request
    r = api.post(
        f"/api/v1/cases/{case_id}/actions",
        json={
            "action": "request",
            "channel": "hotline",
            "requester": {"relationship": "family", "document": "student_card", "minor": True},
        },
        headers=h["agent-li"],
    )
    assert r.status_code == 200, r.text
    case = api.get(f"/api/v1/cases/{case_id}", headers=h["agent-li"]).json()
    codes = {i["code"]: i for i in case["checklist"]["items"]}
    assert "身份证复印件" in codes["owner_id_copy"]["text_zh"]
    assert "学生证" in codes["proxy_document"]["text_zh"]
    assert case["checklist"]["channels"] == ["business_hall"]  # high risk: in person only
    assert case["expected_completion"] is not None

    # the customer follows it on the self-service page, in plain words
    def login() -> dict[str, str]:
        assert api.post("/api/v1/self-service/code", json={"msisdn": owner}).status_code == 202
        otp = [
            n
            for n in api.get("/api/v1/notices", headers=h["detector"]).json()["items"]
            if n["kind"] == "otp"
        ][-1]
        code = "".join(ch for ch in otp["text"] if ch.isdigit())[:6]
        session = api.post("/api/v1/self-service/session", json={"msisdn": owner, "code": code})
        assert session.status_code == 200, session.text
        return _bearer(session.json()["token"])

    me = api.get("/api/v1/self-service/me", headers=login()).json()
    assert me["status"] == "suspended"
    assert me["case"]["reasons"][0]["plain"].startswith("短时间内频繁拨打陌生号码")
    assert [i["code"] for i in me["case"]["checklist"] if i["required"]] == [
        "owner_id_copy",
        "proxy_document",
    ]

    # 4. the business hall checks the documents the same afternoon
    clock.advance(hours=20)  # next day, 14:00 in Shanghai
    r = api.post(
        f"/api/v1/cases/{case_id}/actions",
        json={"action": "verify", "channel": "remote_face", "items": ["owner_id_copy"]},
        headers=h["agent-li"],
    )
    assert r.status_code == 422  # high risk: not remotely, and not without the student card
    r = api.post(
        f"/api/v1/cases/{case_id}/actions",
        json={
            "action": "verify",
            "channel": "business_hall",
            "items": ["owner_id_copy", "proxy_document"],
        },
        headers=h["agent-li"],
    )
    assert r.status_code == 200, r.text

    # 5. security review: four eyes, because the risk score is high
    review = {"action": "review", "verdict": "approve", "reason": "relay scam victim, police told"}
    assert (
        api.post(f"/api/v1/cases/{case_id}/actions", json=review, headers=h["analyst-wang"]).json()[
            "state"
        ]
        == "awaiting_second_approval"
    )
    again = api.post(f"/api/v1/cases/{case_id}/actions", json=review, headers=h["analyst-wang"])
    assert again.status_code == 403 and "four eyes" in again.json()["detail"]
    assert (
        api.post(
            f"/api/v1/cases/{case_id}/actions", json=review, headers=h["supervisor-chen"]
        ).json()["state"]
        == "approved"
    )
    # an analyst cannot do the technical step
    assert (
        api.post(
            f"/api/v1/cases/{case_id}/actions",
            json={"action": "restore"},
            headers=h["analyst-wang"],
        ).status_code
        == 403
    )

    # 6. restore, once
    r = api.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "restore"}, headers=h["tech-zhao"]
    )
    assert r.json()["state"] == "closed"
    twice = api.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "restore"}, headers=h["tech-zhao"]
    )
    assert twice.status_code == 409
    assert api.get(f"/api/v1/numbers/{owner}", headers=h["agent-li"]).json()["status"] == "active"

    # 7. the survey, from the customer's own page
    r = api.post(
        "/api/v1/self-service/me/actions",
        json={"action": "survey", "rating": 5},
        headers=login(),  # a new code: yesterday's session has expired
    )
    assert r.status_code == 200, r.text

    # 8. the outcome becomes a label for retraining
    with case_service.db.sessions() as s:
        labels = outcome_labels(s)
    assert labels.filter(pl.col("msisdn") == owner)["label"].to_list() == ["normal"]

    # 9. every step is in the audit chain, and the chain verifies
    timeline = api.get(f"/api/v1/cases/{case_id}", headers=h["supervisor-chen"]).json()["timeline"]
    steps = [e["action"] + (f":{e['verdict']}" if e["verdict"] else "") for e in timeline]
    assert steps[:2] == ["open", "suspend"]
    assert steps[-6:] == [
        "request",
        "verify",
        "review:approve",
        "review:approve",
        "restore",
        "survey",
    ]
    audit = api.get("/api/v1/audit/verify", headers=h["supervisor-chen"]).json()
    assert audit["ok"] and audit["events"] == len(timeline)

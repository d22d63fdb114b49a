"""A number's story after the way back: why it was stopped still reads once it is restored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.db import open_database
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService

OWNER = "+8613812345678"
AGENT = Actor("agent-1", Role.agent)
ANALYST = Actor("analyst-1", Role.analyst)
TECH = Actor("tech-1", Role.technician)


def alert(decision: str, score: float, at: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": OWNER,
            "flagged_at": at,
            "score": score,
            "decision": decision,
            "reasons": [
                {
                    "code": "relay_call",
                    "weight": 0.8,
                    "text_zh": f"60 分钟内主叫 {int(score * 10)} 次",
                    "text_en": f"{int(score * 10)} outbound calls in 60 min",
                }
            ],
        }
    )


@pytest.fixture
def restored(clock: Any) -> CaseService:
    """Watched at 18:04, restricted at 18:08, then verified, approved and restored."""
    svc = CaseService(open_database("sqlite://"), clock=clock)
    _, taken = svc.intake(
        [
            alert("watch", 0.45, "2026-07-08T10:04:00Z"),
            alert("restrict", 0.85, "2026-07-08T10:08:00Z"),
        ]
    )
    assert taken.case_id is not None
    for who, body in [
        (AGENT, {"action": "request", "channel": "hotline"}),
        (AGENT, {"action": "verify", "channel": "business_hall", "items": ["owner_document"]}),
        (ANALYST, {"action": "review", "verdict": "approve"}),
        (TECH, {"action": "restore"}),
    ]:
        svc.act(taken.case_id, who, ActionIn.model_validate(body))
    return svc


def test_reasons_stay_as_history_after_a_restore(restored: CaseService) -> None:
    staff = restored.add_user("li", "agent")
    client = TestClient(create_app(restored))
    r = client.get(f"/api/v1/numbers/{OWNER}", headers={"Authorization": f"Bearer {staff}"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "active"
    assert view["reasons"] == []  # nothing is in force any more
    watch, restrict = view["history"]["alerts"]
    assert (watch["decision"], restrict["decision"]) == ("watch", "restrict")
    assert restrict["reasons"][0]["text_en"] == "8 outbound calls in 60 min"
    assert restrict["reasons"][0]["text_zh"] == "60 分钟内主叫 8 次"
    assert watch["case_id"] is None and restrict["case_id"] == 1
    (suspension,) = view["history"]["suspensions"]
    assert suspension["lifted_at"] is not None and suspension["lifted_by"] == "technician:tech-1"
    assert suspension["reasons"][0]["code"] == "relay_call"


def test_each_case_comes_with_its_timeline(restored: CaseService) -> None:
    with restored.db.sessions() as s:
        view = queries.number_view(s, AGENT, OWNER)
    (case,) = view["history"]["cases"]
    assert case["outcome"] == "restored" and case["closed_at"] is not None
    steps = [(e["action"], e["to_state"]) for e in case["timeline"]]
    assert steps[-1] == ("restore", "closed")
    assert [a for a, _ in steps][-4:] == ["request", "verify", "review", "restore"]
    assert case["timeline"][-1]["actor"] == "tech-1"

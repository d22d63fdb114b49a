"""A rating given through the self-service survey after the case closed on an earlier day
changes that day's satisfaction figure on the dashboard: the day the roll-up stored is counted
again (SQLite and PostgreSQL, the whole app, no browser)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from tests.conftest import Clock

from callwarden.api.app import create_app
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.rollup.models import DailyFigures

OWNER = "+8613812345678"


def _csrf(c: TestClient) -> str:
    return str(c.cookies.get("cw_csrf"))


def test_a_survey_after_the_close_changes_that_days_satisfaction(
    case_service: CaseService, clock: Clock
) -> None:
    svc = case_service
    flagged = clock.now - timedelta(minutes=10)  # 2026-07-08, 09:50 in Shanghai
    alert = AlertIn.model_validate(
        {
            "msisdn": OWNER,
            "flagged_at": flagged.isoformat(),
            "score": 0.7,
            "decision": "review",
            "reasons": [{"code": "relay_call", "weight": 1.0, "text_zh": "主叫频繁",
                         "text_en": "many calls", "evidence": {}}],
        }
    )  # fmt: skip
    svc.intake([alert])
    with svc.db.reads() as s:
        case_id = int(queries.number_view(s, Actor("t", Role.system), OWNER)["open_case_id"])
    svc.act(case_id, Actor("amy", Role.analyst), ActionIn(action="review", verdict="clear"))
    day = clock.now.date().isoformat()  # the case closed on 2026-07-08 (Shanghai)
    clock.now += timedelta(days=2)

    boss = TestClient(create_app(svc), follow_redirects=True)
    boss.get("/")
    token = svc.add_user("sue", "supervisor")
    r = boss.post("/console/login", data={"csrf": _csrf(boss), "username": "sue", "token": token})
    assert r.status_code == 200

    def satisfaction() -> str:
        """That day's satisfaction cell, from a fresh app (one app reuses its figures for a
        minute; the days the roll-up stored are the database's)."""
        c = TestClient(create_app(svc), follow_redirects=True)
        c.cookies.update(boss.cookies)
        page = c.get("/console/dashboard").text
        row = re.search(rf"<tr><th>{day}</th>(.*?)</tr>", page)
        assert row is not None, page
        return re.findall(r"<td>(.*?)</td>", row.group(1))[-1]

    assert satisfaction() == ""  # closed, not rated
    with svc.db.reads() as s:
        assert s.query(DailyFigures).count() > 0  # the day is stored now

    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/self/")
    r = c.post("/self/code", data={"csrf": _csrf(c), "msisdn": OWNER})
    assert r.status_code == 200
    with svc.db.reads() as s:
        text = [n["text"] for n in queries.notices(s) if n["kind"] == "otp"][-1]
    code = re.findall(r"\b\d{6}\b", text)[0]
    r = c.post("/self/session", data={"csrf": _csrf(c), "msisdn": OWNER, "code": code})
    assert r.url.path == "/self/case" and 'name="rating"' in r.text
    r = c.post("/self/act", data={"csrf": _csrf(c), "action": "survey", "rating": "4"})
    assert r.status_code == 200 and r.url.path == "/self/case"
    assert satisfaction() == "4.0"

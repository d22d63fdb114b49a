"""Reputation marks: decay, reporter weight and bursts, feeding from alerts and cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from callwarden.cases.access import Actor
from callwarden.cases.db import Database, open_database
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.reputation import Category, MarkEvent, Reporter, Scoring, Source
from callwarden.reputation.book import marks_of, report

NUMBER = "+8613812345678"
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
AGENT = Actor("agent-1", Role.agent)
ANALYST = Actor("analyst-1", Role.analyst)
TECH = Actor("tech-1", Role.technician)


def alert(
    code: str = "relay_call", decision: str = "restrict", score: float = 0.85, at: str = "10:08"
) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": NUMBER,
            "flagged_at": f"2026-07-08T{at}:00Z",
            "score": score,
            "decision": decision,
            "reasons": [{"code": "profile_mismatch", "weight": 0.2}, {"code": code, "weight": 0.8}],
        }
    )


def act(svc: CaseService, case_id: int, actor: Actor, **fields: Any) -> str:
    return svc.act(case_id, actor, ActionIn.model_validate(fields)).state


def marks(svc: CaseService) -> dict[str, dict[str, Any]]:
    with svc.db.reads() as s:
        return {m["category"]: m for m in marks_of(s, NUMBER, svc.now())["marks"]}


@pytest.fixture
def db() -> Database:
    """An empty case database in memory."""
    return open_database("sqlite://")


@pytest.fixture
def verified(case_service: CaseService) -> int:
    """A restrict alert's case on :data:`NUMBER`, requested and verified: under review."""
    (r,) = case_service.intake([alert()])
    assert r.case_id is not None
    act(case_service, r.case_id, AGENT, action="request", channel="hotline")
    act(
        case_service,
        r.case_id,
        AGENT,
        action="verify",
        channel="business_hall",
        items=["owner_document"],
    )
    return r.case_id


def test_a_mark_fades_by_half_lives_when_reports_stop(db: Database) -> None:
    scoring = Scoring(half_life=timedelta(days=10))
    fresh = scoring.score(2.0, timedelta(0))
    assert scoring.score(2.0, timedelta(days=10)) == pytest.approx(scoring.score(1.0, timedelta(0)))
    assert scoring.score(2.0, timedelta(days=100)) < 0.01 < fresh
    with db.sessions.begin() as s:
        report(s, NUMBER, Category.MARKETING, Source.COMPLAINT, T0, scoring=scoring)
        report(s, NUMBER, Category.MARKETING, Source.COMPLAINT, T0, scoring=scoring)
        now = marks_of(s, NUMBER, T0, scoring)["marks"][0]
        later = marks_of(s, NUMBER, T0 + timedelta(days=30), scoring)["marks"][0]
    assert now["count"] == later["count"] == 2  # the reports stand; only the score fades
    assert later["score"] == pytest.approx(1 - (1 - now["score"]) ** (1 / 8), abs=1e-3)


def test_a_reporter_proven_right_counts_more_and_a_burst_is_damped(db: Database) -> None:
    with db.sessions.begin() as s:
        s.add(
            Reporter(
                id="veteran",
                first_seen=T0 - timedelta(days=90),
                reports=9,
                confirmed=8,
                refuted=0,
                link=None,
            )
        )
        s.add(
            Reporter(
                id="old",
                first_seen=T0 - timedelta(days=90),
                reports=1,
                confirmed=0,
                refuted=0,
                link=None,
            )
        )
        right = report(s, NUMBER, Category.FRAUD, Source.COMPLAINT, T0, reporter="veteran")
        plain = report(s, "+8613812345679", Category.FRAUD, Source.COMPLAINT, T0, reporter="old")
        # ten fresh accounts report one number within minutes
        burst = [
            report(
                s,
                "+8613900000001",
                Category.FRAUD,
                Source.COMPLAINT,
                T0 + timedelta(minutes=i),
                reporter=f"new-{i}",
            )
            for i in range(10)
        ]
        linked = [
            report(
                s,
                "+8613900000002",
                Category.FRAUD,
                Source.COMPLAINT,
                T0 + timedelta(minutes=i),
                reporter=f"shop-{i}",
                link="one-shop",
            )
            for i in range(3)
        ]
    assert right.weight > plain.weight == 1.0
    assert burst[0].weight == 0.5 and burst[9].weight == pytest.approx(0.05)
    assert sum(e.weight for e in burst) < 2 * burst[0].weight * 2  # ten reports weigh < log-ish
    assert linked[2].weight < linked[0].weight


def test_an_alert_marks_its_number_by_its_top_reason(case_service: CaseService) -> None:
    case_service.intake([alert("wangiri", "watch", 0.6)])
    case_service.intake([alert("sms_spam", "watch", 0.5, at="11:00")])
    got = marks(case_service)
    assert set(got) == {"one_ring", "marketing"}
    assert got["one_ring"]["sources"] == {"detection_alert": 1}
    assert got["one_ring"]["name_zh"] == "响一声"
    (ev,) = got["one_ring"]["events"]
    assert ev["action"] == "add" and ev["alert_id"] and ev["note"] == "wangiri"
    case_service.intake([alert("wangiri", "watch", 0.6)])  # the same alert again: no new report
    assert marks(case_service)["one_ring"]["count"] == 1


def test_a_confirmed_case_strengthens_and_a_restore_withdraws(
    case_service: CaseService, verified: int
) -> None:
    before = marks(case_service)["fraud"]  # request and verify leave the marks alone
    act(case_service, verified, ANALYST, action="reject", reason="a relay-call SIM")
    confirmed = marks(case_service)["fraud"]
    assert confirmed["score"] > before["score"]
    assert [e["action"] for e in confirmed["events"]] == ["add", "confirm"]
    act(case_service, verified, AGENT, action="appeal", reason="my grandson did it")
    act(case_service, verified, ANALYST, action="review", verdict="approve")
    act(case_service, verified, TECH, action="restore")
    withdrawn = marks(case_service)["fraud"]
    assert withdrawn["count"] == 0 and withdrawn["sources"] == {}
    assert withdrawn["score"] == pytest.approx(0.0, abs=1e-6)
    events = withdrawn["events"]
    assert [e["action"] for e in events] == ["add", "confirm", "withdraw", "withdraw"]
    assert {e["withdraws"] for e in events[2:]} == {events[0]["id"], events[1]["id"]}
    assert all(e["case_id"] == verified for e in events[1:])


def test_a_restore_leaves_marks_from_elsewhere(case_service: CaseService, verified: int) -> None:
    with case_service.db.sessions.begin() as s:
        report(s, NUMBER, Category.FRAUD, Source.COMPLAINT, case_service.now(), reporter="u1")
    act(case_service, verified, ANALYST, action="review", verdict="approve")
    act(case_service, verified, TECH, action="restore")
    fraud = marks(case_service)["fraud"]
    assert fraud["count"] == 1 and fraud["sources"] == {"complaint": 1} and fraud["score"] > 0
    with case_service.db.reads() as s:
        assert s.get(Reporter, "u1").refuted == 1  # type: ignore[union-attr]
        assert len(s.scalars(select(MarkEvent)).all()) == 3


def test_a_confirmed_interception_strengthens_and_lifting_it_withdraws(
    case_service: CaseService,
) -> None:
    foreign = "+447911123456"  # not the operator's: intercepted, not suspended
    (r,) = case_service.intake(
        [alert("spoofed_caller_id", "suspend", 0.9).model_copy(update={"msisdn": foreign})]
    )
    assert r.intercepted
    supervisor = Actor("chen", Role.supervisor)

    def fraud() -> dict[str, Any]:
        with case_service.db.reads() as s:
            (mark,) = marks_of(s, foreign, case_service.now())["marks"]
        return mark

    added = fraud()
    act(case_service, r.case_id, ANALYST, action="review", verdict="approve")
    confirmed = fraud()
    assert confirmed["score"] > added["score"]
    assert [e["action"] for e in confirmed["events"]] == ["add", "confirm"]
    act(case_service, r.case_id, supervisor, action="review", verdict="clear")
    lifted = fraud()
    assert lifted["count"] == 0
    assert [e["action"] for e in lifted["events"]] == ["add", "confirm", "withdraw", "withdraw"]


def test_an_alert_with_scam_texts_marks_by_what_they_said(case_service: CaseService) -> None:
    content = {
        "code": "content", "weight": 0.3, "text_zh": "短信内容像冒充公检法", "text_en": "police",
        "evidence": '{"label": "impersonate_police_gov", "score": 0.9, "terms": ["安全账户"]}',
    }  # fmt: skip
    burst = AlertIn.model_validate(
        {
            "msisdn": NUMBER, "flagged_at": "2026-07-08T10:08:00Z", "score": 0.9,
            "decision": "watch", "reasons": [{"code": "sms_burst", "weight": 0.7}, content],
        }
    )  # fmt: skip
    case_service.intake([burst])
    got = marks(case_service)
    assert set(got) == {"fraud"}  # not "marketing", as the burst's volume alone would say
    assert got["fraud"]["events"][0]["note"] == "content"

"""The case service's rules, one behaviour a test (SQLite; the PostgreSQL run is in integration)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from sqlalchemy import select, text

from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.actions import HANDLERS
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.machine import ACTIONS, VERDICTS, Role
from callwarden.cases.models import Case, NoticeRow
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unprocessable,
)

AGENT = Actor("agent-1", Role.agent)
ANALYST = Actor("analyst-1", Role.analyst)
ANALYST2 = Actor("analyst-2", Role.analyst)
TECH = Actor("tech-1", Role.technician)
SUPERVISOR = Actor("supervisor-1", Role.supervisor)


def alert(
    msisdn: str = "+8613812345678", decision: str = "suspend", score: float = 0.97, **kw: Any
) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": kw.pop("at", "2026-07-08T10:08:00Z"),
            "score": score,
            "decision": decision,
            "reasons": [
                {"code": "relay_call", "text_zh": "60 分钟内主叫 5 次", "text_en": "5 calls"}
            ],
            **kw,
        }
    )


@pytest.fixture
def svc(clock: Any) -> CaseService:
    return CaseService(open_database("sqlite://"), clock=clock)


def act(svc: CaseService, case_id: int, actor: Actor, **fields: Any) -> str:
    return svc.act(case_id, actor, ActionIn.model_validate(fields)).state


def to_review(svc: CaseService, case_id: int) -> None:
    act(svc, case_id, AGENT, action="request", channel="hotline")
    act(svc, case_id, AGENT, action="verify", channel="business_hall", items=["owner_document"])


def test_intake_is_idempotent_and_watch_opens_nothing(svc: CaseService) -> None:
    first, again = svc.intake([alert(), alert()])
    assert first.opened and again.duplicate and again.case_id == first.case_id
    (watch,) = svc.intake([alert("+8613900000000", "watch", 0.45)])
    assert watch.case_id is None


def test_review_alert_opens_a_review_case_without_suspending(svc: CaseService) -> None:
    (r,) = svc.intake([alert(decision="review", score=0.65)])
    with svc.db.sessions() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and (case.kind, case.state, case.queue) == (
            "review",
            "under_review",
            "analyst",
        )
        assert s.scalars(select(NoticeRow)).all() == []  # nobody is told of a mere review
    assert (
        act(svc, r.case_id, ANALYST, action="review", verdict="clear", reason="courier") == "closed"
    )


def test_restrict_then_suspend_raises_one_suspension_in_one_case(svc: CaseService) -> None:
    a, b = svc.intake(
        [
            alert(decision="restrict", score=0.85),
            alert(decision="suspend", at="2026-07-08T10:20:00Z"),
        ]
    )
    assert a.opened and not b.opened and a.case_id == b.case_id
    with svc.db.sessions() as s:
        kinds = [n.kind for n in s.scalars(select(NoticeRow).order_by(NoticeRow.id))]
    assert kinds == ["restricted", "suspended"]


def test_low_risk_restore_needs_one_approver(svc: CaseService) -> None:
    (r,) = svc.intake([alert(decision="restrict", score=0.85)])
    to_review(svc, r.case_id)
    assert act(svc, r.case_id, ANALYST, action="review", verdict="approve") == "approved"
    assert act(svc, r.case_id, TECH, action="restore") == "closed"


def test_high_risk_restore_needs_two_different_people(svc: CaseService) -> None:
    (r,) = svc.intake([alert(score=0.99)])
    act(svc, r.case_id, AGENT, action="request", channel="hotline")
    with pytest.raises(Unprocessable, match="business_hall"):  # high risk: in person only
        svc.act(
            r.case_id, Actor("face", Role.system), ActionIn(action="verify", channel="remote_face")
        )
    act(svc, r.case_id, AGENT, action="verify", channel="business_hall", items=["owner_document"])
    assert (
        act(svc, r.case_id, ANALYST, action="review", verdict="approve")
        == "awaiting_second_approval"
    )
    with pytest.raises(Forbidden, match="four eyes"):
        act(svc, r.case_id, ANALYST, action="review", verdict="approve")
    with pytest.raises(Forbidden, match="supervisor"):  # the second approval is a supervisor's
        act(svc, r.case_id, ANALYST2, action="review", verdict="approve")
    assert act(svc, r.case_id, SUPERVISOR, action="review", verdict="approve") == "approved"


def test_a_supervisor_who_approved_first_cannot_approve_again(svc: CaseService) -> None:
    (r,) = svc.intake([alert(score=0.99)])
    act(svc, r.case_id, AGENT, action="request", channel="hotline")
    act(svc, r.case_id, AGENT, action="verify", channel="business_hall", items=["owner_document"])
    act(svc, r.case_id, SUPERVISOR, action="review", verdict="approve")
    with pytest.raises(Conflict, match="four eyes"):
        act(svc, r.case_id, SUPERVISOR, action="review", verdict="approve")


def test_verification_needs_every_required_item(svc: CaseService) -> None:
    (r,) = svc.intake([alert(score=0.85, decision="restrict")])
    act(
        svc,
        r.case_id,
        AGENT,
        action="request",
        channel="hotline",
        requester={"relationship": "family", "document": "student_card", "minor": True},
    )
    with pytest.raises(Unprocessable, match="proxy_document"):
        act(
            svc, r.case_id, AGENT, action="verify", channel="business_hall", items=["owner_id_copy"]
        )


def test_roles_and_ownership(svc: CaseService) -> None:
    (r,) = svc.intake([alert()])
    with pytest.raises(Forbidden):
        act(svc, r.case_id, TECH, action="request")
    stranger = Actor("customer", Role.customer, "+8613999999999")
    with pytest.raises(NotFound):  # not "forbidden": a stranger must not learn the case exists
        act(svc, r.case_id, stranger, action="comment", reason="hi")
    owner = Actor("customer", Role.customer, "+8613812345678")
    assert act(svc, r.case_id, owner, action="request") == "awaiting_verification"
    with pytest.raises(Forbidden):
        svc.intake([alert("+8613700000000")], AGENT)


def test_sla_pauses_while_the_customer_has_the_ball(svc: CaseService, clock: Any) -> None:
    (r,) = svc.intake([alert(decision="restrict", score=0.85)])
    to_review(svc, r.case_id)  # Wednesday 10:00 Shanghai: the 120-minute review clock starts
    clock.advance(hours=1)
    act(svc, r.case_id, ANALYST, action="review", verdict="ask", reason="who were the callees?")
    clock.advance(days=5)  # the customer answers on Monday: no SLA time passed meanwhile
    act(svc, r.case_id, AGENT, action="provide", reason="a game friend asked him")
    with svc.db.sessions() as s:
        case = s.get(Case, r.case_id)
        assert case is not None
        assert svc.sla.remaining(case, clock.now) == 3600
    assert svc.sweep() == []
    clock.advance(hours=2)
    assert svc.sweep() == [r.case_id]
    with svc.db.sessions() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.breached and case.queue == "supervisor"


def test_expected_version_guards_against_acting_on_stale_data(svc: CaseService) -> None:
    (r,) = svc.intake([alert()])
    with pytest.raises(Conflict, match="someone acted first"):
        svc.act(r.case_id, AGENT, ActionIn(action="comment", reason="x", expected_version=1))


def test_tampering_is_detected(svc: CaseService) -> None:
    (r,) = svc.intake([alert()])
    act(svc, r.case_id, AGENT, action="comment", reason="called the owner")
    with svc.db.sessions() as s:
        assert verify(s).ok
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE case_events SET reason = 'nothing happened' WHERE seq = 3"))
    with svc.db.sessions() as s:
        assert verify(s).broken == [f"case {r.case_id}: event 3 (comment) was altered"]
    with svc.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM case_events WHERE seq = 3"))
    with svc.db.sessions() as s:
        assert "deleted" in verify(s).broken[0]


def test_one_time_codes(svc: CaseService) -> None:
    svc.intake([alert()])
    svc.request_code("+8613812345678")
    svc.request_code("+8613000000000")  # unknown: same answer, no SMS
    with svc.db.sessions() as s:
        otps = [n for n in s.scalars(select(NoticeRow)) if n.kind == "otp"]
    assert [n.msisdn for n in otps] == ["+8613812345678"]
    code = "".join(c for c in otps[0].text if c.isdigit())[:6]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(Unauthorized):
        svc.open_session("+8613812345678", wrong)
    token, _ = svc.open_session("+8613812345678", code)
    assert svc.authenticate(token).msisdn == "+8613812345678"
    with pytest.raises(Unauthorized):  # a code works once
        svc.open_session("+8613812345678", code)
    for _ in range(2):
        svc.request_code("+8613000000000")
    with pytest.raises(RateLimited):
        svc.request_code("+8613000000000")


def test_times_come_back_aware(svc: CaseService) -> None:
    (r,) = svc.intake([alert()])
    with svc.db.sessions() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.opened_at.tzinfo is not None
        assert case.opened_at == datetime(2026, 7, 8, 2, 0, tzinfo=UTC)


def test_queue_pages_cover_every_case_once_nearest_deadline_first(
    svc: CaseService, clock: Any
) -> None:
    results = svc.intake(
        [alert(f"+86138000000{i:02d}", "review" if i % 2 else "suspend") for i in range(7)]
    )
    for r in results[:3]:
        clock.advance(minutes=7)
        if r.decision == "suspend":
            to_review(svc, r.case_id)  # a running review clock: a deadline
    who = Actor("sup", Role.supervisor)
    seen, cursor = [], None
    with svc.db.sessions() as s:
        while True:
            page = queries.list_cases(
                s, who, svc.sla, clock.now, queries.CaseFilter(), limit=2, after=cursor
            )
            seen += page["items"]
            cursor = page["next"]
            if cursor is None:
                break
    assert sorted(i["id"] for i in seen) == [r.case_id for r in results]
    dated = [i["due_at"] for i in seen if i["due_at"]]
    assert dated == sorted(dated) and all(i["due_at"] is None for i in seen[len(dated) :])


def test_the_api_accepts_exactly_the_machine_s_actions_and_verdicts() -> None:
    assert set(get_args(ActionIn.model_fields["action"].annotation)) == set(ACTIONS)
    verdicts = get_args(ActionIn.model_fields["verdict"].annotation)[0]
    assert set(get_args(verdicts)) == set(VERDICTS)


def test_every_action_has_exactly_one_handler_in_the_machine_s_order() -> None:
    assert tuple(HANDLERS) == ACTIONS

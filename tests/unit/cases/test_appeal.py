"""Appeals against marks as cases of kind ``appeal``: filing, four eyes, ask and provide,
rejection and a second appeal, the verified-business label, and what the appellant reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from callwarden.cases.access import Actor
from callwarden.cases.appeal import AppealIn, file_appeal
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.labels import outcome_labels
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, NoticeRow
from callwarden.cases.queries import case_detail, customer_view
from callwarden.cases.schemas import ActionIn
from callwarden.cases.service import CaseService
from callwarden.errors import Conflict, Forbidden, Unprocessable
from callwarden.reputation.book import marks_of, report
from callwarden.reputation.categories import Category, Source
from callwarden.reputation.models import Reporter

NUMBER = "+8613812345678"
OWNER = Actor("customer", Role.customer, NUMBER)
ANALYST = Actor("wang", Role.analyst)
SUPERVISOR = Actor("zhao", Role.supervisor)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 8, 2, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def svc() -> CaseService:
    service = CaseService(open_database("sqlite://"), clock=Clock())
    with service.db.sessions.begin() as s:
        for i in range(3):
            report(s, NUMBER, Category.MARKETING, Source.COMPLAINT, service.now(), reporter=f"r{i}")
        report(s, NUMBER, Category.FRAUD, Source.IMPORTED_LIST, service.now())
    return service


def act(svc: CaseService, case_id: int, who: Actor, **fields: Any) -> str:
    return svc.act(case_id, who, ActionIn.model_validate(fields)).state


def marks(svc: CaseService) -> dict[str, dict[str, Any]]:
    with svc.db.reads() as s:
        return {m["category"]: m for m in marks_of(s, NUMBER, svc.now())["marks"]}


def notices(svc: CaseService) -> list[tuple[str, str, str]]:
    with svc.db.reads() as s:
        rows = s.scalars(select(NoticeRow).order_by(NoticeRow.id))
        return [(n.kind, n.language, n.text) for n in rows]


def test_what_an_appeal_must_ask() -> None:
    with pytest.raises(ValidationError, match="name the marks"):
        AppealIn(reason="wrong")
    with pytest.raises(ValidationError, match="business_licence"):
        AppealIn(label=True, business_name="某某快递", reason="we deliver")
    with pytest.raises(ValidationError, match="verified_business"):
        AppealIn(categories=["verified_business"], reason="x")
    twice = AppealIn(categories=["fraud", "marketing", "fraud"], reason="x")
    assert [c.value for c in twice.categories] == ["fraud", "marketing"]


def test_only_the_owner_files_and_only_against_marks_that_show(svc: CaseService) -> None:
    body = AppealIn(categories=["marketing"], reason="we are a courier")
    with pytest.raises(Forbidden, match="self-service"):
        file_appeal(svc, ANALYST, body)
    with pytest.raises(Unprocessable, match="no real_estate mark"):
        file_appeal(svc, OWNER, AppealIn(categories=["real_estate"], reason="x"))
    opened = file_appeal(svc, OWNER, body)
    assert opened["state"] == "under_review" and opened["expected_completion"]
    with pytest.raises(Conflict, match="open"):
        file_appeal(svc, OWNER, body)
    (kind, language, text) = notices(svc)[-1]
    assert (kind, language) == ("appeal_received", "zh")
    assert "138****5678" in text and "撤销标记: 骚扰/推销" in text and "10086" in text


def test_upholding_takes_two_people_and_withdraws_the_marks(svc: CaseService) -> None:
    case_id = file_appeal(svc, OWNER, AppealIn(categories=["marketing"], reason="courier"))[
        "case_id"
    ]
    assert act(svc, case_id, SUPERVISOR, action="review", verdict="approve") == (
        "awaiting_second_approval"
    )
    with pytest.raises(Conflict, match="four eyes"):  # the same supervisor again
        act(svc, case_id, SUPERVISOR, action="review", verdict="approve")
    with pytest.raises(Forbidden, match="four eyes"):  # an analyst cannot give the second
        act(svc, case_id, ANALYST, action="review", verdict="approve")
    assert marks(svc)["marketing"]["count"] == 3  # nothing withdrawn before the second
    other = Actor("sun", Role.supervisor)
    assert act(svc, case_id, other, action="review", verdict="approve") == "closed"
    got = marks(svc)
    assert (got["marketing"]["count"], got["marketing"]["score"]) == (0, 0.0)
    assert got["fraud"]["count"] == 1  # not disputed: stands
    withdrawals = [e for e in got["marketing"]["events"] if e["action"] == "withdraw"]
    assert len(withdrawals) == 3 and {e["case_id"] for e in withdrawals} == {case_id}
    assert all(e["note"] == f"appeal case {case_id} upheld" for e in withdrawals)
    with svc.db.reads() as s:
        assert {r.id: r.refuted for r in s.scalars(select(Reporter))} == {
            "r0": 1,
            "r1": 1,
            "r2": 1,
        }
        case = s.get(Case, case_id)
        assert case is not None and case.outcome == "upheld" and case.closed_at == svc.now()
        assert verify(s).ok
        assert outcome_labels(s).rows() == [
            (NUMBER, "normal", None, "case_outcome", f"case-{case_id}")
        ]
    kind, _, text = notices(svc)[-1]
    assert kind == "appeal_upheld" and "申诉成立" in text and "1 分钟内" in text


def test_ask_provide_reject_and_appeal_again(svc: CaseService) -> None:
    body = AppealIn(categories=["fraud", "marketing"], reason="x", language="en")
    case_id = file_appeal(svc, OWNER, body)["case_id"]
    with pytest.raises(Unprocessable, match="reason"):
        act(svc, case_id, ANALYST, action="review", verdict="ask")
    assert act(svc, case_id, ANALYST, action="review", verdict="ask", reason="your licence") == (
        "awaiting_customer"
    )
    assert notices(svc)[-1][:2] == ("appeal_more_info", "en")
    assert act(svc, case_id, OWNER, action="provide", reason="licence uploaded") == "under_review"
    assert act(svc, case_id, ANALYST, action="reject", reason="calls match the reports") == (
        "rejected"
    )
    kind, language, text = notices(svc)[-1]
    assert (kind, language) == ("appeal_rejected", "en") and "calls match the reports" in text
    assert marks(svc)["fraud"]["count"] == 1  # a rejected appeal takes nothing off
    with svc.db.reads() as s:
        view = customer_view(s, OWNER, svc.sla, svc.now(), "zh")
        assert outcome_labels(s).is_empty()  # a dismissed appeal says nothing of the calling
    assert view["case"]["step"] == "申诉未通过, 有新的材料可再次申诉"
    assert "appeal" in view["case"]["allowed_actions"]
    assert act(svc, case_id, OWNER, action="appeal", reason="new evidence") == "under_review"
    with svc.db.reads() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.escalated and case.queue == "supervisor"


def test_a_business_gets_the_verified_label_with_four_eyes(svc: CaseService) -> None:
    body = AppealIn(
        label=True,
        business_name="某某快递有限公司",
        reason="our dispatch line",
        evidence=[{"kind": "business_licence", "ref": "doc://lic/1"}],
    )
    case_id = file_appeal(svc, OWNER, body)["case_id"]
    assert "verified_business" not in marks(svc)
    act(svc, case_id, ANALYST, action="review", verdict="approve")
    assert "verified_business" not in marks(svc)  # one person cannot vouch for a business
    act(svc, case_id, SUPERVISOR, action="review", verdict="approve")
    label = marks(svc)["verified_business"]
    assert label["score"] > 0.99 and label["count"] == 1 and label["sources"] == {"appeal": 1}
    assert label["events"][0]["action"] == "grant"
    assert marks(svc)["marketing"]["count"] == 3  # the label alone takes no mark off
    with pytest.raises(Conflict, match="already holds"):
        file_appeal(svc, OWNER, body)
    with svc.db.reads() as s:
        detail = case_detail(s, SUPERVISOR, case_id, svc.sla, svc.now())
        mine = customer_view(s, OWNER, svc.sla, svc.now(), "en")
    assert detail["kind"] == "appeal" and detail["appeal"]["business_name"] == "某某快递有限公司"
    assert detail["appeal"]["evidence"][0]["ref"] == "doc://lic/1"
    assert mine["case"]["appeal"]["verified"] and mine["case"]["step"].startswith("Appeal upheld")

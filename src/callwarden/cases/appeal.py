"""Appeals: the owner of a marked number disputes its marks, or asks for the verified-business
label (认证企业), with evidence; reviewed as a case of kind ``appeal`` on the one case engine.

The owner proves they hold the number with the self-service one-time code (a marked number may
ask for one, :func:`callwarden.cases.access.request_code`) and files on that session. The case
then runs on the same machinery as a re-activation: the state machine
(:mod:`callwarden.cases.machine`), the SLA clock, the hash-chained audit trail, the customer's
progress page and SMS notices. Upholding always takes two people (an analyst, then a supervisor
who is not the first): it takes marks off a number every callee of it is warned by, or vouches
for a business. When upheld, the disputed marks are withdrawn in the marks book (one
``withdraw`` event per standing report, the change log every in-memory copy of the marks
follows), the label is granted, and the appellant is told in their language.

>>> AppealIn(categories=["marketing"], reason="our delivery line").categories
[<Category.MARKETING: 'marketing'>]
>>> AppealIn(label=True, reason="x").label  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for AppealIn
...
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.cases import access
from callwarden.cases.access import Actor
from callwarden.cases.context import CaseContext
from callwarden.cases.machine import OPEN_STATES, Role
from callwarden.cases.models import Case
from callwarden.cases.notices import render
from callwarden.cases.schemas import ActionIn, _In
from callwarden.errors import Conflict, Forbidden, Unprocessable
from callwarden.numbers import mask
from callwarden.reputation.book import SCORING, grant, marks_of, withdraw_marks
from callwarden.reputation.categories import Category
from callwarden.reputation.models import Appeal, Complaint, Mark

__all__ = ["KIND", "AppealIn", "EvidenceIn", "customer_view", "detail", "file_appeal"]

KIND = "appeal"
#: a mark below this score no longer shows: there is nothing to appeal
_SHOWN = 0.01


class EvidenceIn(_In):
    """One document, by reference: the operator's document store keeps it, not the case."""

    kind: Literal[
        "business_licence", "authorisation_letter", "call_records", "customer_consent", "other"
    ]
    #: where the reviewer finds it (a document id or address)
    ref: str = Field(min_length=1, max_length=256)
    note: str = Field(default="", max_length=500)


class AppealIn(_In):
    """An appeal: the marks disputed and/or the label asked for, why, and the evidence."""

    categories: list[Category] = Field(default_factory=list, max_length=len(Category))
    #: ask for the verified-business label (认证企业): needs the business licence as evidence
    label: bool = False
    business_name: str | None = Field(default=None, min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=2000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    #: the language of the notices the appellant gets
    language: Literal["zh", "en"] = "zh"

    @model_validator(mode="after")
    def _asks_something(self) -> Self:
        if not self.categories and not self.label:
            raise ValueError("name the marks you dispute (categories), or ask for the label")
        if Category.VERIFIED_BUSINESS in self.categories:
            raise ValueError("verified_business is asked for with label, not disputed")
        if self.label and (
            not self.business_name or all(e.kind != "business_licence" for e in self.evidence)
        ):
            raise ValueError("the label needs business_name and a business_licence in evidence")
        self.categories = sorted(set(self.categories), key=list(Category).index)
        return self


def _scores(s: Session, msisdn: str, now: datetime) -> dict[Category, float]:
    """The number's marks that still show, with their scores now."""
    out = {}
    for mark in s.scalars(select(Mark).where(Mark.msisdn == msisdn)):
        score = SCORING.score(mark.evidence, now - mark.evidence_at)
        if score >= _SHOWN:
            out[Category(mark.category)] = round(score, 4)
    return out


def _names(categories: list[str], language: str) -> str:
    return ("、" if language == "zh" else ", ").join(
        Category(c).zh if language == "zh" else Category(c).en for c in categories
    )


def _asked(appeal: Appeal, language: str) -> str:
    zh = language == "zh"
    parts = []
    if appeal.categories:
        parts.append(
            ("撤销标记: " if zh else "withdraw the marks ") + _names(appeal.categories, language)
        )
    if appeal.label:
        parts.append(
            f"申请认证企业标识({appeal.business_name})"
            if zh
            else f"the verified-business label ({appeal.business_name})"
        )
    return ("; " if zh else " and ").join(parts)


def file_appeal(svc: CaseContext, actor: Actor, body: AppealIn) -> dict[str, Any]:
    """Open an appeal case for the caller's own number (a self-service session proves it)."""
    if actor.role is not Role.customer or actor.msisdn is None:
        raise Forbidden(
            "the owner appeals on a self-service session: POST /api/v1/self-service/code, then "
            "/session with the code sent to the number"
        )
    msisdn = actor.msisdn

    def work(s: Session) -> dict[str, Any]:
        now = svc.now()
        access.serialise(s, "appeal:" + msisdn)
        pending = s.scalar(
            select(Case.id).where(
                Case.msisdn == msisdn, Case.kind == KIND, Case.state.in_(OPEN_STATES)
            )
        )
        if pending is not None:
            raise Conflict(f"appeal {pending} on this number is open; add to it there", "case")
        scores = _scores(s, msisdn, now)
        for category in body.categories:
            if category not in scores:
                raise Unprocessable("categories", f"no {category.value} mark shows on the number")
        if body.label and scores.get(Category.VERIFIED_BUSINESS, 0.0) >= 0.5:
            raise Conflict("the number already holds the verified-business label", "label")
        risk = max((scores[c] for c in body.categories), default=0.0)
        asked = {"categories": [c.value for c in body.categories], "label": body.label}
        case = svc.new_case(s, msisdn, KIND, risk, actor, now, asked | {"reason": body.reason})
        appeal = Appeal(
            case_id=case.id,
            msisdn=msisdn,
            categories=asked["categories"],
            label=body.label,
            business_name=body.business_name,
            reason=body.reason,
            evidence=[e.model_dump() for e in body.evidence],
            language=body.language,
            filed_at=now,
        )
        s.add(appeal)
        expected = svc.sla.expected_completion(case, now)
        text = render(
            "appeal_received",
            body.language,
            masked=mask(msisdn),
            case_id=case.id,
            what=_asked(appeal, body.language),
            expected=svc.local_time(expected, body.language),
            url=svc.config.self_service_url,
            hotline=svc.config.hotline,
        )
        svc.notice(s, case, msisdn, "appeal_received", text, body.language)
        s.flush()
        return {
            "case_id": case.id,
            "state": case.state,
            "version": case.version,
            "expected_completion": expected.isoformat() if expected else None,
        }

    return svc.retrying(work)


def _appeal(s: Session, case: Case) -> Appeal:
    appeal = s.scalar(select(Appeal).where(Appeal.case_id == case.id))
    if appeal is None:  # every appeal case is opened with its row; be safe
        raise Conflict(f"case {case.id}: no appeal to review")
    return appeal


def review(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    """ask: the appellant is asked for more; approve: the first approval, or (the second, by
    another person) the appeal is upheld."""
    appeal = _appeal(s, case)
    if action.verdict == "ask":
        if not action.reason:
            raise Unprocessable("reason", "review:ask needs what the appellant should explain")
        text = render(
            "appeal_more_info",
            appeal.language,
            reason=action.reason,
            url=svc.config.self_service_url,
            hotline=svc.config.hotline,
        )
        svc.notice(s, case, case.msisdn, "appeal_more_info", text, appeal.language)
        return {}
    if case.state != "awaiting_second_approval":
        return {"approval": 1}
    if actor.name == case.first_approver:
        raise Conflict("four eyes: a second person, not the first approver, must approve", "actor")
    return _uphold(svc, s, case, appeal, now)


def _uphold(
    svc: CaseContext, s: Session, case: Case, appeal: Appeal, now: datetime
) -> dict[str, Any]:
    note = f"appeal case {case.id} upheld"
    categories = [Category(c) for c in appeal.categories]
    withdrawn = withdraw_marks(s, case.msisdn, categories, now, case_id=case.id, note=note)
    label = None
    if appeal.label:
        label = grant(
            s,
            case.msisdn,
            Category.VERIFIED_BUSINESS,
            now,
            case_id=case.id,
            note=f"{note}: {appeal.business_name}",
        )
    s.flush()
    case.outcome = "upheld"
    case.closed_at = now
    zh = appeal.language == "zh"
    done = []
    if categories:
        done.append(
            ("已撤销标记: " if zh else "marks withdrawn: ")
            + _names(appeal.categories, appeal.language)
        )
    if label is not None:
        done.append("已授予认证企业标识" if zh else "the verified-business label granted")
    text = render(
        "appeal_upheld",
        appeal.language,
        masked=mask(case.msisdn),
        done="; ".join(done),
    )
    svc.notice(s, case, case.msisdn, "appeal_upheld", text, appeal.language)
    return {
        "categories": appeal.categories,
        "withdrawn_events": [ev.id for ev in withdrawn],
        "label_event": label.id if label is not None else None,
    }


def reject(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    """The appeal is not upheld: the appellant reads why, and may appeal again."""
    appeal = _appeal(s, case)
    if not action.reason:
        raise Unprocessable("reason", "reject needs the reason the appellant will read")
    case.outcome = "dismissed"
    text = render(
        "appeal_rejected",
        appeal.language,
        masked=mask(case.msisdn),
        reason=action.reason,
        url=svc.config.self_service_url,
        hotline=svc.config.hotline,
    )
    svc.notice(s, case, case.msisdn, "appeal_rejected", text, appeal.language)
    return {}


def customer_view(s: Session, case: Case, language: str, now: datetime) -> dict[str, Any]:
    """What the appellant sees of their appeal: what they asked, and each mark as it shows now."""
    appeal = _appeal(s, case)
    scores = _scores(s, case.msisdn, now)
    zh = language == "zh"
    return {
        "marks": [
            {
                "category": c,
                "name": Category(c).zh if zh else Category(c).en,
                "score": scores.get(Category(c), 0.0),
            }
            for c in appeal.categories
        ],
        "label": appeal.label,
        "verified": scores.get(Category.VERIFIED_BUSINESS, 0.0) >= 0.5,
        "business_name": appeal.business_name,
        "evidence": len(appeal.evidence),
        "outcome": case.outcome,
    }


def detail(s: Session, case: Case, now: datetime) -> dict[str, Any]:
    """What reviewers see: the appeal, the number's marks with every change, its complaints."""
    appeal = _appeal(s, case)
    complaints = s.execute(
        select(Complaint.category, func.count())
        .where(Complaint.msisdn == case.msisdn)
        .group_by(Complaint.category)
    ).all()
    return {
        "categories": appeal.categories,
        "label": appeal.label,
        "business_name": appeal.business_name,
        "reason": appeal.reason,
        "evidence": appeal.evidence,
        "language": appeal.language,
        "filed_at": appeal.filed_at.isoformat(),
        "marks": marks_of(s, case.msisdn, now)["marks"],
        "complaints": {str(c): int(n) for c, n in complaints},
    }

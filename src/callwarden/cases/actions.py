"""What each action does beyond moving the state: check its fields, change the case, notify.

One function per action, each returning the payload of the action's audit event. The state
machine has already said the move is allowed for this role; these check what only the case can
tell (the checklist, the channel, four eyes, a suspension still in place).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.cases import appeal, realname_case
from callwarden.cases.access import Actor
from callwarden.cases.checklist import Checklist
from callwarden.cases.context import CaseContext
from callwarden.cases.machine import ACTIONS, Action, Role
from callwarden.cases.models import Alert, Case, Interception, NumberStatus, Suspension
from callwarden.cases.notices import channel_names, render
from callwarden.cases.schemas import ActionIn, RequesterIn
from callwarden.errors import Conflict, Unprocessable
from callwarden.numbers import mask

__all__ = ["HANDLERS"]


def need(action: ActionIn, field: str, what: str) -> None:
    if getattr(action, field) in (None, "", []):
        raise Unprocessable(field, f"{action.action} needs {what}")


# each handler validates its fields, changes the case and returns the audit payload


def on_request(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    if actor.role is Role.customer:
        if action.channel not in (None, "self_service"):
            raise Unprocessable("channel", "a customer's own request comes by self_service")
        channel = "self_service"
    else:
        channel = action.channel or "hotline"
        if channel in ("self_service", "remote_face"):
            raise Unprocessable("channel", "an agent takes requests by hotline, hall or video")
    requester = action.requester or RequesterIn()
    checklist = svc.checklist_for(s, case, requester)
    case.requester = requester.model_dump() | {"channel": channel}
    case.checklist = checklist.to_json()
    language = svc.language(s, case.msisdn)
    expected = svc.sla.expected_completion(case, now)
    svc.notice(
        s,
        case,
        case.msisdn,
        "request_received",
        render(
            "request_received",
            language,
            masked=mask(case.msisdn),
            case_id=case.id,
            checklist=checklist.summary(language),
            channels=channel_names(checklist.channels, language),
            expected=svc.local_time(expected, language),
            hotline=svc.config.hotline,
        ),
    )
    return {
        "channel": channel,
        "requester": requester.model_dump(),
        "checklist": sorted(checklist.required_codes),
    }


def on_verify(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    checklist = Checklist.from_json(case.checklist or {"items": [], "channels": []})
    need(action, "channel", "the verification channel")
    channel = str(action.channel)
    if channel not in checklist.channels:
        raise Unprocessable(
            "channel",
            f"this case must be verified via {' or '.join(checklist.channels)}, not {channel}",
        )
    if (actor.role is Role.system) != (channel == "remote_face"):
        raise Unprocessable(
            "channel", "remote_face is done by the face-verification system, the rest by agents"
        )
    missing = sorted(checklist.required_codes - set(action.items))
    if missing:
        raise Unprocessable("items", f"not all required items were presented: {missing}")
    case.verified_channel = channel
    reset = bool((case.requester or {}).get("forgotten_password"))
    return {"channel": channel, "items": sorted(action.items), "password_reset": reset}


def on_review(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    verdict = action.verdict
    if case.kind == "interception":
        return _review_interception(s, case, actor, verdict, now)
    if case.kind == appeal.KIND:
        return appeal.review(svc, s, case, actor, action, now)
    if case.kind == "realname" and verdict == "approve":
        realname_case.need_hardship(action)
    if verdict == "ask":
        need(action, "reason", "what the customer should explain or bring")
        language = svc.language(s, case.msisdn)
        svc.notice(
            s,
            case,
            case.msisdn,
            "more_info",
            render(
                "more_info",
                language,
                reason=action.reason,
                url=svc.config.self_service_url,
                hotline=svc.config.hotline,
            ),
        )
    elif verdict == "clear":
        end_case(s, case, "cleared", now)
    elif verdict in ("restrict", "suspend"):
        status = s.get(NumberStatus, case.msisdn, with_for_update=True)
        if status is None:  # a review case always has a status row; be safe
            status = NumberStatus(
                msisdn=case.msisdn, status="active", risk_score=case.risk_score, updated_at=now
            )
            s.add(status)
        case.kind = "suspension"
        reasons = case_reasons(s, case)
        return svc.suspend(
            s, case, status, verdict, case.risk_score, reasons, actor, None, now, audit=False
        )
    return {"risk_score": case.risk_score} if verdict == "approve" else {}


def _review_interception(
    s: Session, case: Case, actor: Actor, verdict: str | None, now: datetime
) -> dict[str, Any]:
    """approve: the block stays and the report stands; clear: the block is lifted."""
    block = s.get(Interception, case.interception_id) if case.interception_id else None
    if block is None:
        raise Conflict(f"case {case.id}: no interception to review")
    if verdict == "clear":
        block.lifted_at = now
        block.lifted_by = f"{actor.role.value}:{actor.name}"
        end_case(s, case, "lifted", now)
        return {"interception_id": block.id, "lifted": True}
    case.outcome = "intercepted"
    return {
        "interception_id": block.id,
        "until": block.until.isoformat(),
        "report_to": block.report_to,
    }


def case_reasons(s: Session, case: Case) -> list[dict[str, Any]]:
    alert = s.scalar(
        select(Alert).where(Alert.case_id == case.id).order_by(Alert.score.desc()).limit(1)
    )
    return list(alert.reasons) if alert else []


def on_text(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    need(action, "reason", "a text")
    if action.action == "complain":
        case.complaints += 1
    return {}


def on_reject(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    if case.kind == appeal.KIND:
        return appeal.reject(svc, s, case, actor, action, now)
    need(action, "reason", "the reason the customer will read")
    case.outcome = "confirmed_fraud"
    language = svc.language(s, case.msisdn)
    svc.notice(
        s,
        case,
        case.msisdn,
        "rejected",
        render(
            "rejected",
            language,
            masked=mask(case.msisdn),
            reason=action.reason,
            url=svc.config.self_service_url,
            hotline=svc.config.hotline,
        ),
    )
    return {}


def on_appeal(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    need(action, "reason", "why the decision is wrong")
    case.outcome = None
    return {}


def on_restore(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    susp = s.get(Suspension, case.suspension_id) if case.suspension_id else None
    if susp is None or susp.lifted_at is not None:
        raise Conflict(f"case {case.id}: the number is not suspended; nothing to restore")
    susp.lifted_at = now
    susp.lifted_by = f"{actor.role.value}:{actor.name}"
    end_case(s, case, "restored", now)
    language = svc.language(s, case.msisdn)
    svc.notice(
        s,
        case,
        case.msisdn,
        "restored",
        render("restored", language, masked=mask(case.msisdn), url=svc.config.self_service_url),
    )
    return {"suspension_id": susp.id}


def end_case(s: Session, case: Case, outcome: str, now: datetime) -> None:
    case.outcome = outcome
    case.closed_at = now
    status = s.get(NumberStatus, case.msisdn, with_for_update=True)
    # the number's standing is this case's to end (an interception of an own number's
    # presentations runs beside, and leaves, the number's own suspension case)
    if status is not None and status.open_case_id in (case.id, None):
        status.status = "active"
        status.open_case_id = None
        status.updated_at = now


def on_survey(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    need(action, "rating", "a rating from 1 to 5")
    if case.satisfaction is not None:
        raise Conflict(f"case {case.id} was already rated", "rating")
    case.satisfaction = action.rating
    return {"rating": action.rating}


Handler = Callable[[CaseContext, Session, Case, Actor, ActionIn, datetime], dict[str, Any]]
_HANDLER_OF: dict[Action, Handler] = {
    "request": on_request,
    "verify": on_verify,
    "review": on_review,
    "provide": on_text,
    "restore": on_restore,
    "reject": on_reject,
    "appeal": on_appeal,
    "comment": on_text,
    "escalate": on_text,
    "complain": on_text,
    "survey": on_survey,
    "register": realname_case.on_register,
    "terminate": realname_case.on_terminate,
}
#: one handler per action of the machine, in its order (an action without one fails at import)
HANDLERS: dict[Action, Handler] = {action: _HANDLER_OF[action] for action in ACTIONS}

"""Interceptions: numbers the operator does not serve, and own numbers others present (改号).

An interception blocks the presented number at the gateway for ``intercept_days`` and reports
it, with the alert's reasons, to whoever answers for it (:func:`callwarden.network.report_to`).
It is a decision like a suspension, on the same case machinery: an interception case under
review, confirmed (``intercepting``) or lifted, closed when the block runs out. A subscriber's
own service is never touched: its calls start in the mobile core, not at the gateway.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.actions import end_case
from callwarden.cases.context import CaseContext
from callwarden.cases.models import Alert, Case, Interception
from callwarden.cases.schemas import AlertIn
from callwarden.network import Network, report_to

__all__ = ["expire", "intercept"]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def intercept(
    svc: CaseContext,
    s: Session,
    alert: AlertIn,
    row: Alert,
    actor: Actor,
    now: datetime,
    network: Network,
) -> tuple[int, bool]:
    """Block the presented number, report it, and open (or extend) its interception case.

    A later alert on a number already intercepted extends the block (one more event in the
    same case); a block that was lifted or ran out starts a new case. Returns the case id and
    whether it was opened now.
    """
    aid = row.alert_id
    status = svc.standing(s, alert, now)
    # an own number may have a suspension case of its own beside this one: look for the
    # open interception case itself, and leave the number's own standing alone
    case = s.scalars(
        select(Case)
        .where(
            Case.msisdn == alert.msisdn,
            Case.kind == "interception",
            Case.closed_at.is_(None),
        )
        .order_by(Case.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    until = now + timedelta(days=svc.config.intercept_days)
    block = s.get(Interception, case.interception_id) if case and case.interception_id else None
    payload: dict[str, Any] = {"alert_id": aid, "score": alert.score, "network": network}
    if case is not None and block is not None and block.lifted_at is None:
        block.until = max(block.until, until)
        block.score = max(block.score, alert.score)
        case.risk_score = max(case.risk_score, alert.score)
        extended = payload | {"until": _iso(until)}
        svc.event(s, case, actor, "alert", case.state, now, payload=extended)
        row.case_id = case.id
        return case.id, False
    block = Interception(
        msisdn=alert.msisdn,
        network=network.value,
        report_to=report_to(alert.msisdn, network),
        score=alert.score,
        reasons=list(row.reasons),
        decided_by=f"{actor.role.value}:{actor.name}",
        alert_id=aid,
        started_at=now,
        until=until,
    )
    s.add(block)
    s.flush()
    case = svc.open_case(s, alert, aid, actor, now, "interception")
    case.interception_id = block.id
    if network is not Network.OWN:  # a number with no standing here but this block
        status.open_case_id = case.id
        status.status = "intercepted"
    svc.event(
        s,
        case,
        actor,
        "intercept",
        case.state,
        now,
        payload=payload
        | {"interception_id": block.id, "report_to": block.report_to, "until": _iso(until)},
    )
    row.case_id = case.id
    return case.id, True


def expire(svc: CaseContext, s: Session, now: datetime, actor: Actor) -> None:
    """Close the cases of confirmed interceptions whose block has run out."""
    ended = s.scalars(
        select(Case)
        .join(Interception, Interception.id == Case.interception_id)
        .where(
            Case.state == "intercepting",
            Interception.until <= now,
            Interception.lifted_at.is_(None),
        )
        .with_for_update()
    ).all()
    for case in ended:
        case.state = "closed"
        case.queue = None
        end_case(s, case, "expired", now)
        svc.event(s, case, actor, "expire", "intercepting", now)

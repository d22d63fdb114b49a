"""Reading cases: the work queue, one case with its timeline, a number's story, the customer's view.

Answers are plain dicts (JSON-ready) so the API, the CLI and the demo show the same thing.
Numbers are masked for roles that do not need them in full (agents and technicians in lists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from callwarden.cases import appeal
from callwarden.cases.access import Actor
from callwarden.cases.checklist import Checklist
from callwarden.cases.groups import group_view
from callwarden.cases.machine import RULES, Role, step_text
from callwarden.cases.models import (
    Alert,
    Case,
    CaseEvent,
    Interception,
    NoticeRow,
    NumberStatus,
    Suspension,
)
from callwarden.cases.notices import plain_reason
from callwarden.cases.sla import SlaClock
from callwarden.detect.reasons import group_of
from callwarden.errors import Forbidden, NotFound, Unprocessable
from callwarden.numbers import mask

__all__ = [
    "CaseFilter",
    "case_detail",
    "count_cases",
    "customer_view",
    "interceptions",
    "list_cases",
    "notices",
    "number_view",
    "summary",
]

MAX_PAGE = 200
#: ids are 32-bit integers on every database callwarden runs on
MAX_ID = 2**31 - 1


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _shown(actor: Actor, msisdn: str) -> str:
    return actor.shows(msisdn)


def allowed_actions(case: Case, role: Role) -> list[str]:
    """What this role may do to this case now (verdicts as ``review:approve``)."""
    return [
        r.action + (f":{r.verdict}" if r.verdict else "")
        for r in RULES
        if case.kind in r.kinds and case.state in r.from_states and r.allows(role)
    ]


def _case_row(case: Case, actor: Actor, sla: SlaClock, now: datetime) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind,
        "msisdn": _shown(actor, case.msisdn),
        "state": case.state,
        "queue": case.queue,
        "outcome": case.outcome,
        "risk_score": case.risk_score,
        "high_risk": case.high_risk,
        "escalated": case.escalated,
        "breached": case.breached,
        "complaints": case.complaints,
        "opened_at": _iso(case.opened_at),
        "due_at": _iso(case.due_at),
        "sla_remaining_s": sla.remaining(case, now) if case.sla_running_since else None,
        "version": case.version,
    }


class CaseFilter:
    """Filters of the work queue (all optional)."""

    def __init__(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        queue: str | None = None,
        msisdn: str | None = None,
        breached: bool | None = None,
        escalated: bool | None = None,
        open_only: bool = False,
    ) -> None:
        self.state, self.kind, self.queue, self.msisdn = state, kind, queue, msisdn
        self.breached, self.escalated, self.open_only = breached, escalated, open_only


def _cursor(after: str) -> tuple[datetime | None, int]:
    """The (deadline, id) a page cursor names; 422 for anything a page never gave out.

    >>> _cursor("2026-07-08T10:00:00+00:00|7")[1], _cursor("|7")
    (7, (None, 7))
    """
    due, sep, last_id = after.partition("|")
    bad = Unprocessable("after", "not a cursor from a previous page")
    if not sep or not last_id.isascii() or not last_id.isdigit() or len(last_id) > 10:
        raise bad
    last = int(last_id)
    if last > MAX_ID:  # the ids are the database's 32-bit integers
        raise bad
    if not due:
        return None, last
    try:
        due_at = datetime.fromisoformat(due)
    except ValueError:
        raise bad from None
    if due_at.tzinfo is None or not 1970 <= due_at.year <= 2099:
        raise bad
    return due_at, last


def _filtered(q: Select[Any], flt: CaseFilter) -> Select[Any]:
    for column, value in (
        (Case.state, flt.state),
        (Case.kind, flt.kind),
        (Case.queue, flt.queue),
        (Case.msisdn, flt.msisdn),
        (Case.breached, flt.breached),
        (Case.escalated, flt.escalated),
    ):
        if value is not None:
            q = q.where(column == value)
    if flt.open_only:
        q = q.where(Case.closed_at.is_(None))
    return q


def count_cases(s: Session, flt: CaseFilter) -> int:
    """How many cases the filters match in all (what a page of ``list_cases`` is out of)."""
    return int(s.scalar(_filtered(select(func.count()).select_from(Case), flt)) or 0)


def list_cases(
    s: Session,
    actor: Actor,
    sla: SlaClock,
    now: datetime,
    flt: CaseFilter,
    *,
    limit: int = 50,
    after: str | None = None,
) -> dict[str, Any]:
    """One page of the queue, SLA first (the nearest deadline on top, paused cases last).

    ``after`` is the cursor of the previous page's last row, so paging stays fast on millions
    of cases (keyset pagination on the (due_at, id) index).
    """
    if actor.role is Role.customer:
        raise Forbidden("customers see their own case on the self-service page")
    if not 1 <= limit <= MAX_PAGE:
        raise Unprocessable("limit", f"between 1 and {MAX_PAGE}")
    q = _filtered(select(Case), flt)
    due_at: datetime | None = None
    last = 0
    if after:
        due_at, last = _cursor(after)
    # Two index range scans rather than one OR: cases with a deadline in (due_at, id) order,
    # then the paused ones (no deadline) in id order.
    rows: list[Case] = []
    if not after or due_at is not None:
        dated = q.where(Case.due_at.is_not(None))
        if due_at is not None:
            dated = dated.where(tuple_(Case.due_at, Case.id) > tuple_(due_at, last))
        rows = list(s.scalars(dated.order_by(Case.due_at, Case.id).limit(limit)))
    if len(rows) < limit:
        paused = q.where(Case.due_at.is_(None))
        if after and due_at is None:
            paused = paused.where(Case.id > last)
        rows += s.scalars(paused.order_by(Case.id).limit(limit - len(rows)))
    cursor = None
    if len(rows) == limit:
        last_row = rows[-1]
        cursor = f"{_iso(last_row.due_at) or ''}|{last_row.id}"
    return {"items": [_case_row(c, actor, sla, now) for c in rows], "next": cursor}


def _timeline(events: list[CaseEvent], *, for_customer: bool) -> list[dict[str, Any]]:
    out = []
    for ev in events:
        item: dict[str, Any] = {
            "seq": ev.seq,
            "at": _iso(ev.at),
            "action": ev.action,
            "verdict": ev.verdict,
            "from_state": ev.from_state,
            "to_state": ev.to_state,
            "role": ev.role,
        }
        if not for_customer:
            item |= {"actor": ev.actor, "reason": ev.reason, "payload": ev.payload, "hash": ev.hash}
        elif ev.action in ("review", "reject") and ev.reason:
            item["reason"] = ev.reason  # what security asked for, or why it said no
        out.append(item)
    return out


def _suspension(s: Session, case: Case) -> dict[str, Any] | None:
    susp = s.get(Suspension, case.suspension_id) if case.suspension_id else None
    if susp is None:
        return None
    return {
        "id": susp.id,
        "level": susp.level,
        "score": susp.score,
        "decided_by": susp.decided_by,
        "reasons": susp.reasons,
        "started_at": _iso(susp.started_at),
        "lifted_at": _iso(susp.lifted_at),
    }


def case_detail(
    s: Session, actor: Actor, case_id: int, sla: SlaClock, now: datetime
) -> dict[str, Any]:
    case = s.get(Case, case_id)
    if case is None or actor.role is Role.customer:
        raise NotFound(f"no case {case_id}")
    events = list(
        s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
    )
    alerts = list(
        s.scalars(select(Alert).where(Alert.case_id == case_id).order_by(Alert.flagged_at))
    )
    group = next((g for a in reversed(alerts) if (g := group_of(a.reasons)) is not None), None)
    return _case_row(case, actor, sla, now) | {
        "msisdn": case.msisdn if actor.role is not Role.technician else mask(case.msisdn),
        "requester": case.requester,
        "checklist": case.checklist,
        "verified_channel": case.verified_channel,
        "satisfaction": case.satisfaction,
        "closed_at": _iso(case.closed_at),
        "expected_completion": _iso(sla.expected_completion(case, now)),
        "suspension": _suspension(s, case),
        "appeal": appeal.detail(s, case, now) if case.kind == appeal.KIND else None,
        "alerts": [
            {
                "alert_id": a.alert_id,
                "flagged_at": _iso(a.flagged_at),
                "score": a.score,
                "decision": a.decision,
                "reasons": a.reasons,
            }
            for a in alerts
        ],
        "allowed_actions": allowed_actions(case, actor.role),
        "timeline": _timeline(events, for_customer=False),
        "campaign_group": group_view(s, actor, group) if group is not None else None,
    }


def number_view(s: Session, actor: Actor, msisdn: str) -> dict[str, Any]:
    """A number's standing, the reasons behind it, and its whole history.

    ``reasons`` are those of the measure in force (empty once it is lifted); every alert,
    suspension and interception in ``history`` keeps its own reasons, so why a number was once
    stopped still reads after it was restored. Each case comes with its timeline.
    """
    if actor.role is Role.customer and actor.msisdn != msisdn:
        raise NotFound("no such number")
    status = s.get(NumberStatus, msisdn)
    suspensions = list(
        s.scalars(select(Suspension).where(Suspension.msisdn == msisdn).order_by(Suspension.id))
    )
    cases = list(s.scalars(select(Case).where(Case.msisdn == msisdn).order_by(Case.id)))
    alerts = list(s.scalars(select(Alert).where(Alert.msisdn == msisdn).order_by(Alert.flagged_at)))
    if status is None and not alerts:
        raise NotFound(f"{mask(msisdn)}: callwarden has no record of this number")
    blocks = list(
        s.scalars(
            select(Interception).where(Interception.msisdn == msisdn).order_by(Interception.id)
        )
    )
    events: dict[int, list[CaseEvent]] = {c.id: [] for c in cases}
    if cases:
        for ev in s.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(list(events)))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        ):
            events[ev.case_id].append(ev)
    active = next((x for x in reversed(suspensions) if x.lifted_at is None), None)
    block = next((x for x in reversed(blocks) if x.lifted_at is None), None)
    return {
        "msisdn": msisdn,
        "status": status.status if status else "active",
        "risk_score": status.risk_score if status else max(a.score for a in alerts),
        "open_case_id": status.open_case_id if status else None,
        "reasons": active.reasons if active else (block.reasons if block else []),
        "history": {
            "alerts": [
                {
                    "alert_id": a.alert_id,
                    "flagged_at": _iso(a.flagged_at),
                    "decision": a.decision,
                    "score": a.score,
                    "case_id": a.case_id,
                    "reasons": a.reasons,
                }
                for a in alerts
            ],
            "suspensions": [
                {
                    "id": x.id,
                    "level": x.level,
                    "score": x.score,
                    "decided_by": x.decided_by,
                    "started_at": _iso(x.started_at),
                    "lifted_at": _iso(x.lifted_at),
                    "lifted_by": x.lifted_by,
                    "reasons": x.reasons,
                }
                for x in suspensions
            ],
            "interceptions": [_interception(x) | {"reasons": x.reasons} for x in blocks],
            "cases": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "state": c.state,
                    "outcome": c.outcome,
                    "opened_at": _iso(c.opened_at),
                    "closed_at": _iso(c.closed_at),
                    "timeline": _timeline(events[c.id], for_customer=False),
                }
                for c in cases
            ],
        },
    }


def _interception(x: Interception) -> dict[str, Any]:
    return {
        "id": x.id,
        "msisdn": x.msisdn,
        "network": x.network,
        "report_to": x.report_to,
        "score": x.score,
        "started_at": _iso(x.started_at),
        "until": _iso(x.until),
        "lifted_at": _iso(x.lifted_at),
    }


def interceptions(
    s: Session, now: datetime, *, active: bool = True, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """The gateway's block list (active: not lifted, not run out), with the evidence to report.

    Paged by id: pass ``next`` back as ``after``.
    """
    q = select(Interception).where(Interception.id > after)
    if active:
        q = q.where(Interception.lifted_at.is_(None), Interception.until > now)
    rows = list(s.scalars(q.order_by(Interception.id).limit(limit)))
    items = [_interception(x) | {"reasons": x.reasons} for x in rows]
    return {"items": items, "next": rows[-1].id if len(rows) == limit else None}


def customer_view(
    s: Session, actor: Actor, sla: SlaClock, now: datetime, language: str
) -> dict[str, Any]:
    """What the subscriber sees: why, what to bring, where, the current step and when it ends."""
    msisdn = actor.msisdn or ""
    status = s.get(NumberStatus, msisdn)
    case = s.scalar(select(Case).where(Case.msisdn == msisdn).order_by(Case.id.desc()).limit(1))
    zh = language == "zh"
    view: dict[str, Any] = {
        "msisdn": mask(msisdn),
        "status": status.status if status else "active",
        "case": None,
    }
    if case is None:
        return view
    susp = s.get(Suspension, case.suspension_id) if case.suspension_id else None
    reasons = [
        {
            "code": r["code"],
            "plain": plain_reason(r["code"], language),
            "detail": r["text_zh"] if zh else r["text_en"],
        }
        for r in (susp.reasons if susp else [])
    ]
    checklist = Checklist.from_json(case.checklist) if case.checklist else None
    events = list(
        s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )
    step_zh, step_en = step_text(case.kind, case.state)
    view["case"] = {
        "id": case.id,
        "state": case.state,
        "step": step_zh if zh else step_en,
        "reasons": reasons,
        "checklist": [
            {"code": i.code, "text": i.text_zh if zh else i.text_en, "required": i.required}
            for i in checklist.items
        ]
        if checklist
        else None,
        "channels": list(checklist.channels) if checklist else None,
        "notes": [n[0] if zh else n[1] for n in checklist.notes] if checklist else [],
        "expected_completion": _iso(sla.expected_completion(case, now)),
        "allowed_actions": allowed_actions(case, Role.customer),
        "version": case.version,
        "timeline": _timeline(events, for_customer=True),
    }
    if case.kind == appeal.KIND:
        view["case"]["appeal"] = appeal.customer_view(s, case, language, now)
    return view


def summary(s: Session) -> dict[str, Any]:
    """Counts for the operator's dashboard and the demo."""

    def counts(column: Any) -> dict[str, int]:
        rows = s.execute(select(column, func.count()).group_by(column)).all()
        return {str(k): int(v) for k, v in rows}

    return {
        "cases_by_state": counts(Case.state),
        "cases_by_kind": counts(Case.kind),
        "outcomes": counts(Case.outcome),
        "numbers_by_status": counts(NumberStatus.status),
        "notices_queued": s.scalar(
            select(func.count()).select_from(NoticeRow).where(NoticeRow.status == "queued")
        ),
        "breached": s.scalar(select(func.count()).select_from(Case).where(Case.breached.is_(True))),
        "alerts": s.scalar(select(func.count()).select_from(Alert)),
    }


def notices(s: Session, *, status: str = "queued", limit: int = 100) -> list[dict[str, Any]]:
    """The outbox, oldest first, for the SMS gateway."""
    if not 1 <= limit <= 1000:
        raise Unprocessable("limit", "between 1 and 1000")
    rows = s.scalars(
        select(NoticeRow).where(NoticeRow.status == status).order_by(NoticeRow.id).limit(limit)
    )
    return [
        {
            "id": n.id,
            "case_id": n.case_id,
            "msisdn": n.msisdn,
            "kind": n.kind,
            "language": n.language,
            "text": n.text,
            "status": n.status,
            "created_at": _iso(n.created_at),
        }
        for n in rows
    ]

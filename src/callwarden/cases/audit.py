"""The tamper-evident audit trail: each case event carries the hash of the one before it.

The hash covers every field a person would rely on (who, when, what, from which state to which,
why, the payload). The case row keeps the head of its chain and the number of events, so an
edited, inserted, reordered or deleted event (even the last one) is found by :func:`verify`.

>>> h1 = event_hash("", {"case_id": 1, "seq": 1, "action": "open"})
>>> h2 = event_hash(h1, {"case_id": 1, "seq": 2, "action": "request"})
>>> len(h2), h1 != h2
(64, True)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.cases.models import Case, CaseEvent

__all__ = ["AuditReport", "event_fields", "event_hash", "verify"]


def event_fields(ev: CaseEvent) -> dict[str, Any]:
    """The fields the hash covers, in a stable form."""
    at: datetime = ev.at
    return {
        "case_id": ev.case_id,
        "seq": ev.seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": ev.actor,
        "role": ev.role,
        "action": ev.action,
        "verdict": ev.verdict,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "reason": ev.reason,
        "payload": ev.payload,
    }


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + body).encode()).hexdigest()


@dataclass
class AuditReport:
    cases: int = 0
    events: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def _check_case(case: Case, events: list[CaseEvent], report: AuditReport) -> None:
    prev = ""
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            report.broken.append(f"case {case.id}: event {expected_seq} is missing or reordered")
            return
        if ev.prev_hash != prev or event_hash(prev, event_fields(ev)) != ev.hash:
            report.broken.append(f"case {case.id}: event {ev.seq} ({ev.action}) was altered")
            return
        prev = ev.hash
    if len(events) != case.audit_seq or prev != case.audit_head:
        report.broken.append(
            f"case {case.id}: the chain ends at event {len(events)}, the case expects "
            f"{case.audit_seq} (events were deleted or added outside the service)"
        )


def verify(session: Session, case_ids: list[int] | None = None, batch: int = 500) -> AuditReport:
    """Recompute every chain (or the given cases'); list the first break in each broken one."""
    report = AuditReport()
    query = select(Case).order_by(Case.id)
    if case_ids is not None:
        query = query.where(Case.id.in_(case_ids))
    last_id = 0
    while True:
        cases = list(session.scalars(query.where(Case.id > last_id).limit(batch)))
        if not cases:
            return report
        ids = [c.id for c in cases]
        events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
        for ev in session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(ids))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        ):
            events[ev.case_id].append(ev)
        for case in cases:
            report.cases += 1
            report.events += len(events[case.id])
            _check_case(case, events[case.id], report)
        last_id = ids[-1]

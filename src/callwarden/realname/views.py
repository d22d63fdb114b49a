"""What the console shows of a campaign beside its report: subjects by state, and the
suspended numbers an emergency restore (紧急复机) may be asked for, with their case's state.

>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> with db.reads() as s:
...     state_counts(s, "c"), suspended(s, "c")
({'open': 0, 'suspended': 0, 'emergency': 0, 'registered': 0, 'terminated': 0}, [])
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.cases.models import Case
from callwarden.realname.models import SUBJECT_STATES, Subject

__all__ = ["state_counts", "suspended"]


def state_counts(s: Session, campaign: str) -> dict[str, int]:
    """How many of the campaign's subjects are in each state (every state named, 0 included)."""
    got = dict(
        s.execute(
            select(Subject.state, func.count())
            .where(Subject.campaign == campaign)
            .group_by(Subject.state)
        ).all()
    )
    return {state: int(got.get(state, 0)) for state in SUBJECT_STATES}


def suspended(
    s: Session, campaign: str, *, msisdn: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Suspended subjects, longest suspended first (or the one number asked for), with their
    case and its state (``awaiting_second_approval`` once a first approver said yes)."""
    q = (
        select(
            Subject.msisdn,
            Subject.kind,
            Subject.region,
            Subject.suspended_at,
            Subject.case_id,
            Case.state,
        )
        .outerjoin(Case, Case.id == Subject.case_id)
        .where(Subject.campaign == campaign, Subject.state == "suspended")
    )
    if msisdn is not None:
        q = q.where(Subject.msisdn == msisdn)
    rows = s.execute(q.order_by(Subject.suspended_at, Subject.msisdn).limit(limit)).all()
    return [
        {
            "msisdn": m,
            "kind": kind,
            "region": region,
            "suspended_at": at.isoformat() if at else None,
            "case_id": case_id,
            "case_state": state,
        }
        for m, kind, region, at, case_id, state in rows
    ]

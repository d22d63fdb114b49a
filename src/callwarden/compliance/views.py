"""What the console shows of outbound compliance: the businesses, their consent and refusal
registers (newest rows first), and the pre-dial check log with its counts by reason and line.

>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> with db.reads() as s:
...     businesses(s), register(s, 1, "consent"), checks(s, 1)
([], [], [])
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.compliance.models import Business, Check, Consent, Refusal

__all__ = ["businesses", "check_summary", "checks", "register"]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def businesses(s: Session) -> list[dict[str, Any]]:
    """Every business (active or not) with the size of its registers and check log."""

    def per_business(column: Any) -> dict[int, int]:
        return dict(s.execute(select(column, func.count()).group_by(column)).all())

    consents = per_business(Consent.business_id)
    refusals = per_business(Refusal.business_id)
    logged = per_business(Check.business_id)
    return [
        {
            "id": b.id,
            "name": b.name,
            "active": b.active,
            "updated_at": _iso(b.updated_at),
            "policy": b.policy,
            "consents": int(consents.get(b.id, 0)),
            "refusals": int(refusals.get(b.id, 0)),
            "checks": int(logged.get(b.id, 0)),
        }
        for b in s.scalars(select(Business).order_by(Business.name))
    ]


def register(
    s: Session, business_id: int, kind: Literal["consent", "refusal"], *, limit: int = 50
) -> list[dict[str, Any]]:
    """A register's newest rows (the register is append-only: a withdrawal is a row too)."""
    if kind == "consent":
        return [
            {
                "id": c.id,
                "callee": c.callee,
                "granted_at": _iso(c.granted_at),
                "expires_at": _iso(c.expires_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "channel": c.channel,
                "evidence": c.evidence,
                "imported_at": _iso(c.imported_at),
            }
            for c in s.scalars(
                select(Consent)
                .where(Consent.business_id == business_id)
                .order_by(Consent.id.desc())
                .limit(limit)
            )
        ]
    return [
        {
            "id": r.id,
            "callee": r.callee,
            "refused_at": _iso(r.refused_at),
            "line": r.line,
            "vendor": r.vendor,
            "evidence": r.evidence,
            "imported_at": _iso(r.imported_at),
        }
        for r in s.scalars(
            select(Refusal)
            .where(Refusal.business_id == business_id)
            .order_by(Refusal.id.desc())
            .limit(limit)
        )
    ]


def checks(
    s: Session, business_id: int, *, denied_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest pre-dial checks of a business, each with its answer and reasons' codes."""
    q = select(Check).where(Check.business_id == business_id)
    if denied_only:
        q = q.where(Check.allowed.is_(False))
    return [
        {
            "id": c.id,
            "at": _iso(c.at),
            "checked_at": _iso(c.checked_at),
            "caller_line": c.caller_line,
            "callee": c.callee,
            "allowed": c.allowed,
            "reasons": list(c.reasons or []),
        }
        for c in s.scalars(q.order_by(Check.id.desc()).limit(limit))
    ]


def check_summary(s: Session, business_id: int, since: datetime) -> dict[str, Any]:
    """Checks since ``since`` (by the call's time): how many, how many refused, refusals by
    reason code and, per caller line, checks and refusals (most refused first)."""
    rows = s.execute(
        select(Check.caller_line, Check.allowed, Check.reasons).where(
            Check.business_id == business_id, Check.at >= since
        )
    ).all()
    by_reason: Counter[str] = Counter()
    lines: dict[str, list[int]] = {}
    for line, allowed, reasons in rows:
        counts = lines.setdefault(line, [0, 0])
        counts[0] += 1
        if not allowed:
            counts[1] += 1
            by_reason.update(str(r) for r in reasons or [])
    return {
        "checks": len(rows),
        "denied": sum(v[1] for v in lines.values()),
        "by_reason": dict(by_reason.most_common()),
        "by_line": [
            {"caller_line": line, "checks": v[0], "denied": v[1]}
            for line, v in sorted(lines.items(), key=lambda kv: (-kv[1][1], kv[0]))
        ],
    }

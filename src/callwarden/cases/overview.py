"""What the operator console shows beside the case queue: the alert list and the day's figures.

Answers are plain dicts, like :mod:`callwarden.cases.queries`, so a page, the API or a report
shows the same numbers. An alert's *type* is the code of its weightiest reason (relay_call,
robocall, wangiri, ...). Days are local days in the operator's time zone.

>>> alert_type([{"code": "a", "weight": 0.2}, {"code": "b", "weight": 0.7}]), alert_type([])
('b', 'other')
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.models import Alert, Case, CaseEvent, Suspension
from callwarden.config import DEFAULT_TIMEZONE
from callwarden.errors import Forbidden, Unprocessable
from callwarden.numbers import mask

__all__ = ["DECISIONS", "alert_type", "figures", "list_alerts"]

DECISIONS = ("watch", "review", "restrict", "suspend", "intercept")
_FULL_NUMBER = (Role.analyst, Role.supervisor, Role.system)


def alert_type(reasons: list[Any]) -> str:
    """The code of the weightiest reason, or ``other`` when there is none."""
    best = max(reasons, key=lambda r: float(r.get("weight", 0) or 0), default=None)
    return str(best.get("code") or "other") if best else "other"


def list_alerts(
    s: Session,
    actor: Actor,
    *,
    decision: str | None = None,
    msisdn: str | None = None,
    min_score: float = 0.0,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The newest alerts first, filtered by decision, number, least score and open case."""
    if actor.role is Role.customer:
        raise Forbidden("alerts are for staff")
    if decision is not None and decision not in DECISIONS:
        raise Unprocessable("decision", f"one of {', '.join(DECISIONS)}")
    if not 0.0 <= min_score <= 1.0:
        raise Unprocessable("min_score", "between 0 and 1")
    if not 1 <= limit <= 200 or not 0 <= offset <= 100_000:
        raise Unprocessable("limit", "between 1 and 200 (offset at most 100000)")
    q = select(Alert, Case.state).outerjoin(Case, Case.id == Alert.case_id)
    if decision is not None:
        q = q.where(Alert.decision == decision)
    if msisdn is not None:
        q = q.where(Alert.msisdn == msisdn)
    if min_score > 0:
        q = q.where(Alert.score >= min_score)
    if open_only:
        q = q.where(Case.closed_at.is_(None), Alert.case_id.is_not(None))
    rows = s.execute(q.order_by(Alert.flagged_at.desc()).offset(offset).limit(limit + 1)).all()
    full = actor.role in _FULL_NUMBER
    items = [
        {
            "alert_id": a.alert_id,
            "msisdn": a.msisdn if full else mask(a.msisdn),
            "number": a.msisdn,  # for the link to the number's page; never shown to agents
            "flagged_at": a.flagged_at.isoformat(),
            "score": a.score,
            "decision": a.decision,
            "type": alert_type(a.reasons),
            "reasons": a.reasons,
            "case_id": a.case_id,
            "case_state": state,
        }
        for a, state in rows[:limit]
    ]
    return {"items": items, "more": len(rows) > limit}


def _local_day(column: Any, dialect: str, zone: ZoneInfo, now: datetime) -> Any:
    """The local day of a stored UTC time, as ``YYYY-MM-DD`` text, computed by the database.

    PostgreSQL converts with the zone's rules; SQLite (the embedded database) with the zone's
    offset now, which is exact for zones without daylight saving such as Asia/Shanghai."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(zone.key, column), "YYYY-MM-DD")
    offset = now.astimezone(zone).utcoffset() or timedelta(0)
    return func.strftime("%Y-%m-%d", column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def _empty() -> dict[str, Any]:
    return {
        "alerts": Counter(),
        "suspensions": 0,
        "restorations": 0,
        "restore_hours": [],
        "breaches": 0,
        "closed": 0,
        "resolved": 0,
        "rating_sum": 0,
        "ratings": 0,
    }


def figures(  # noqa: PLR0912  (one grouped query per source table)
    s: Session, now: datetime, *, days: int = 14, timezone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Daily and weekly figures of the last ``days`` local days (today included).

    alerts by type (the code of an alert's first reason: detection lists them strongest first),
    suspensions, restorations, median hours to restore (of the numbers restored that day), SLA
    breaches, cases closed and how many of them ended restored (resolution rate), the mean
    satisfaction (1-5) given on them. Counts are grouped by the database; only the restoration
    times of the window are read, for their medians.
    """
    if not 1 <= days <= 92:
        raise Unprocessable("days", "between 1 and 92")
    zone = ZoneInfo(timezone)
    dialect = s.get_bind().dialect.name
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    by_day = {(first + timedelta(days=i)).isoformat(): _empty() for i in range(days)}

    def day(column: Any) -> Any:
        return _local_day(column, dialect, zone, now)

    code = Alert.reasons[0]["code"].as_string()
    alert_day = day(Alert.flagged_at)
    for d, kind, n in s.execute(
        select(alert_day, code, func.count())
        .where(Alert.flagged_at >= since)
        .group_by(alert_day, code)
    ):
        if d in by_day:
            by_day[d]["alerts"][kind or "other"] += int(n)
    started = day(Suspension.started_at)
    for d, n in s.execute(
        select(started, func.count()).where(Suspension.started_at >= since).group_by(started)
    ):
        if d in by_day:
            by_day[d]["suspensions"] += int(n)
    for begun, lifted in s.execute(
        select(Suspension.started_at, Suspension.lifted_at).where(Suspension.lifted_at >= since)
    ):
        d = lifted.astimezone(zone).date().isoformat() if lifted else ""
        if lifted is not None and d in by_day:
            by_day[d]["restorations"] += 1
            by_day[d]["restore_hours"].append((lifted - begun).total_seconds() / 3600)
    breach = day(CaseEvent.at)
    for d, n in s.execute(
        select(breach, func.count())
        .where(CaseEvent.action == "breach", CaseEvent.at >= since)
        .group_by(breach)
    ):
        if d in by_day:
            by_day[d]["breaches"] += int(n)
    closed = day(Case.closed_at)
    restored = func.sum(case((Case.outcome == "restored", 1), else_=0))
    for d, n, ok, rating_sum, ratings in s.execute(
        select(
            closed,
            func.count(),
            restored,
            func.sum(Case.satisfaction),
            func.count(Case.satisfaction),
        )
        .where(Case.closed_at >= since)
        .group_by(closed)
    ):
        if d in by_day:
            row = by_day[d]
            row["closed"] += int(n)
            row["resolved"] += int(ok or 0)
            row["rating_sum"] += int(rating_sum or 0)
            row["ratings"] += int(ratings or 0)
    daily = [_row(d, v) for d, v in sorted(by_day.items())]
    weeks: dict[str, dict[str, Any]] = defaultdict(_empty)
    for d, v in sorted(by_day.items()):
        w = weeks[_week(date.fromisoformat(d))]
        w["alerts"].update(v["alerts"])
        for key in ("suspensions", "restorations", "breaches", "closed", "resolved"):
            w[key] += v[key]
        for key in ("rating_sum", "ratings"):
            w[key] += v[key]
        w["restore_hours"] += v["restore_hours"]
    types = sorted({t for v in by_day.values() for t in v["alerts"]})
    open_cases = s.scalar(select(func.count()).select_from(Case).where(Case.closed_at.is_(None)))
    return {
        "since": first.isoformat(),
        "types": types,
        "daily": daily,
        "weekly": [_row(k, v) for k, v in weeks.items()],
        "open_cases": int(open_cases or 0),
    }


def _row(label: str, v: dict[str, Any]) -> dict[str, Any]:
    hours = v["restore_hours"]
    return {
        "label": label,
        "alerts": dict(v["alerts"]),
        "alerts_total": sum(v["alerts"].values()),
        "suspensions": v["suspensions"],
        "restorations": v["restorations"],
        "median_restore_h": round(statistics.median(hours), 1) if hours else None,
        "breaches": v["breaches"],
        "closed": v["closed"],
        "resolution_rate": round(v["resolved"] / v["closed"], 3) if v["closed"] else None,
        "satisfaction": round(v["rating_sum"] / v["ratings"], 2) if v["ratings"] else None,
    }

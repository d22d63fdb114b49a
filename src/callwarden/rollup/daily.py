"""The dashboard's daily and weekly figures from a roll-up, equal to counting them afresh.

Counting 14 days afresh (:func:`callwarden.cases.overview.figures`) groups every alert,
suspension and case of the window by local day. Here each local day that has closed is counted
once, alone (its rows found through the time indexes), and stored in ``daily_figures``; today
is counted from slices: each closed hour of today once per process (counted again after
:data:`HOURS_TTL`), the current hour on every call. So a call reads the stored days and about
an hour of rows. The answer has the same shape
and the same numbers as :func:`~callwarden.cases.overview.figures` (a test compares them).

A slice counts as closed :data:`SETTLE` after it ended, to let late rows (an alert flagged a
moment before it reached the database) land in it first. Rows written later into a stored day
through the case service (an alert of an earlier day taken in, a rating given on a case closed
on an earlier day) drop that day in the writer's transaction (:mod:`callwarden.rollup.watch`),
and the next call counts it again. Writes that bypass the ORM (bulk SQL, another program) call
:func:`forget` (``callwarden cases open`` does, for the days of the alerts it takes in) or
:func:`rated`.
"""

from __future__ import annotations

import threading
import time as clock
import weakref
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callwarden.cases.db import Database
from callwarden.cases.models import Alert, Case, CaseEvent, Suspension
from callwarden.config import DEFAULT_TIMEZONE
from callwarden.errors import Unprocessable
from callwarden.rollup import watch
from callwarden.rollup.models import DailyFigures

__all__ = ["HOURS_TTL", "SETTLE", "count_slice", "figures", "forget", "rated"]

#: a day or an hour is final this long after it ended
SETTLE = timedelta(minutes=10)
_HOUR = timedelta(hours=1)
_MICRO = timedelta(microseconds=1)
#: closed hours of today, per process and database: engine -> (zone, start) -> counts
_hours_of: weakref.WeakKeyDictionary[
    Engine, dict[tuple[str, datetime], tuple[float, dict[str, Any]]]
] = weakref.WeakKeyDictionary()
#: seconds an hour of today is reused before it is counted again (rows that reach it late,
#: written by another process, are in the figures within this long)
HOURS_TTL = 600
_hours_lock = threading.Lock()


def _empty() -> dict[str, Any]:
    return {
        "alerts": {},
        "suspensions": 0,
        "restorations": 0,
        "restore_us": {},
        "breaches": 0,
        "closed": 0,
        "resolved": 0,
        "rating_sum": 0,
        "ratings": 0,
    }


def _add(into: dict[str, Any], part: dict[str, Any]) -> None:
    alerts = Counter(into["alerts"])
    alerts.update(part["alerts"])
    into["alerts"] = dict(alerts)
    for key in ("suspensions", "restorations", "breaches", "closed", "resolved"):
        into[key] += part[key]
    into["rating_sum"] += part["rating_sum"]
    into["ratings"] += part["ratings"]
    durations = Counter(into["restore_us"])
    durations.update(part["restore_us"])
    into["restore_us"] = dict(durations)


def count_slice(s: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """The counts of the rows in ``[start, end)``: each source read by its time index."""
    out = _empty()
    code = Alert.reasons[0]["code"].as_string()
    alerts: Counter[str] = Counter()
    for kind, n in s.execute(
        select(code, func.count())
        .where(Alert.flagged_at >= start, Alert.flagged_at < end)
        .group_by(code)
    ):
        alerts[kind or "other"] += int(n)
    out["alerts"] = dict(alerts)
    out["suspensions"] = int(
        s.scalar(
            select(func.count()).where(Suspension.started_at >= start, Suspension.started_at < end)
        )
        or 0
    )
    # each restoration's time to restore, in microseconds (exact), counted per value: a day
    # keeps a few thousand numbers at most, and the median is read from them exactly
    durations: Counter[str] = Counter()
    for begun, lifted in s.execute(
        select(Suspension.started_at, Suspension.lifted_at).where(
            Suspension.lifted_at >= start, Suspension.lifted_at < end
        )
    ):
        durations[str((lifted - begun) // _MICRO)] += 1  # type: ignore[operator]
    out["restorations"], out["restore_us"] = sum(durations.values()), dict(durations)
    out["breaches"] = int(
        s.scalar(
            select(func.count()).where(
                CaseEvent.action == "breach", CaseEvent.at >= start, CaseEvent.at < end
            )
        )
        or 0
    )
    n, ok, rating_sum, ratings = s.execute(
        select(
            func.count(),
            func.sum(case((Case.outcome == "restored", 1), else_=0)),
            func.sum(Case.satisfaction),
            func.count(Case.satisfaction),
        ).where(Case.closed_at >= start, Case.closed_at < end)
    ).one()
    out["closed"], out["resolved"] = int(n or 0), int(ok or 0)
    out["rating_sum"], out["ratings"] = int(rating_sum or 0), int(ratings or 0)
    return out


def _bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _closed_days(db: Database, zone: ZoneInfo, days: list[date]) -> dict[date, dict[str, Any]]:
    """The stored figures of closed days, counting (and storing) those not stored yet."""
    with db.reads() as s:
        have = {
            r.day: r.figures
            for r in s.scalars(
                select(DailyFigures).where(
                    DailyFigures.zone == zone.key, DailyFigures.day.in_(days)
                )
            )
        }
    for day in days:
        if day in have:
            continue
        start, end = _bounds(day, zone)
        with db.reads() as s:
            counts = count_slice(s, start, end)
        have[day] = counts
        rows = {k: v for k, v in counts.items() if k not in ("alerts", "restore_us")}
        try:
            with db.sessions.begin() as s:
                s.add(
                    DailyFigures(
                        zone=zone.key,
                        day=day,
                        figures=counts,
                        sources={"alerts": sum(counts["alerts"].values()), **rows},
                        counted_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:  # another worker stored the day meanwhile: the same counts
            pass
    return have


def _today(
    db: Database, start: datetime, end: datetime, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """Today: each closed hour counted once per process and reused for :data:`HOURS_TTL`
    seconds, the rest of the day now (rows dated later today, which a clock behind the data's
    can see, count as they do afresh)."""
    total = _empty()
    at = start
    with _hours_lock:
        _hours = _hours_of.setdefault(db.engine, {})
    with db.reads() as s:
        while at + _HOUR + SETTLE <= now:
            key = (zone.key, at)
            with _hours_lock:
                kept = _hours.get(key)
            if kept is not None and clock.monotonic() - kept[0] <= HOURS_TTL:
                part = kept[1]
            else:
                part = count_slice(s, at, at + _HOUR)
                with _hours_lock:
                    _hours[key] = (clock.monotonic(), part)
            _add(total, part)
            at += _HOUR
        _add(total, count_slice(s, at, end))
    with _hours_lock:  # yesterday's hours are in the stored days now
        for key in [k for k in _hours if k[1] < start]:
            del _hours[key]
    return total


def forget(
    db: Database, since: date, timezone: str = DEFAULT_TIMEZONE, *, until: date | None = None
) -> int:
    """Drop the stored figures of ``since`` and later days (to ``until`` when given): rows
    were written into them after they were counted; the next call counts them again. How
    many days were dropped."""
    with _hours_lock:
        _hours_of.pop(db.engine, None)
    where = [DailyFigures.zone == timezone, DailyFigures.day >= since]
    if until is not None:
        where.append(DailyFigures.day <= until)
    with db.sessions.begin() as s:
        done = s.execute(delete(DailyFigures).where(*where))
    return int(getattr(done, "rowcount", 0))


def rated(db: Database, case_id: int, timezone: str = DEFAULT_TIMEZONE) -> int:
    """A case was rated (or otherwise changed) after it closed by a write around the case
    service (bulk SQL): the day it closed is counted again (its satisfaction figures). A rating
    through the service (the self-service survey) needs no call: :mod:`callwarden.rollup.watch`
    drops the day in the survey's own transaction. How many days were dropped (0 or 1)."""
    with db.reads() as s:
        closed = s.scalar(select(Case.closed_at).where(Case.id == case_id))
    if closed is None:
        return 0
    day = closed.astimezone(ZoneInfo(timezone)).date()
    return forget(db, day, timezone, until=day)


def _median_hours(durations: dict[str, int]) -> float | None:
    """The median time to restore in hours, as ``statistics.median`` of the hours gives it."""
    n = sum(durations.values())
    if not n:
        return None
    wanted = (n // 2,) if n % 2 else (n // 2 - 1, n // 2)
    found: list[float] = []
    seen = 0
    for us in sorted(durations, key=int):
        count = durations[us]
        while len(found) < len(wanted) and wanted[len(found)] < seen + count:
            found.append(timedelta(microseconds=int(us)).total_seconds() / 3600)
        seen += count
        if len(found) == len(wanted):
            break
    return round(found[0] if n % 2 else (found[0] + found[1]) / 2, 1)


def _row(label: str, v: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": label,
        "alerts": dict(v["alerts"]),
        "alerts_total": sum(v["alerts"].values()),
        "suspensions": v["suspensions"],
        "restorations": v["restorations"],
        "median_restore_h": _median_hours(v["restore_us"]),
        "breaches": v["breaches"],
        "closed": v["closed"],
        "resolution_rate": round(v["resolved"] / v["closed"], 3) if v["closed"] else None,
        "satisfaction": round(v["rating_sum"] / v["ratings"], 2) if v["ratings"] else None,
    }


def figures(
    db: Database, now: datetime, *, days: int = 14, timezone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Daily and weekly figures of the last ``days`` local days, today included: the same
    answer as :func:`callwarden.cases.overview.figures`, from the roll-up."""
    if not 1 <= days <= 92:
        raise Unprocessable("days", "between 1 and 92")
    zone = ZoneInfo(timezone)
    watch.ZONES.add(zone.key)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    window = [first + timedelta(days=i) for i in range(days)]
    closed = [d for d in window if _bounds(d, zone)[1] + SETTLE <= now]
    by_day = _closed_days(db, zone, closed)
    for d in window:
        if d not in by_day:  # today, and yesterday until it has settled
            start, end = _bounds(d, zone)
            by_day[d] = _today(db, start, end, now, zone) if d == today else _slice(db, start, end)
    weeks: dict[str, dict[str, Any]] = {}
    for d in window:
        year, week, _ = d.isocalendar()
        _add(weeks.setdefault(f"{year}-W{week:02d}", _empty()), by_day[d])
    types = sorted({t for d in window for t in by_day[d]["alerts"]})
    with db.reads() as s:
        open_cases = s.scalar(
            select(func.count()).select_from(Case).where(Case.closed_at.is_(None))
        )
    return {
        "since": first.isoformat(),
        "types": types,
        "daily": [_row(d.isoformat(), by_day[d]) for d in window],
        "weekly": [_row(k, v) for k, v in weeks.items()],
        "open_cases": int(open_cases or 0),
    }


def _slice(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    with db.reads() as s:
        return count_slice(s, start, end)

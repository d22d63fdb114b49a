"""Rows written into a day the roll-up has stored make it count that day again, whoever
writes them: an alert flagged on a closed day (a batch of yesterday's alerts taken in today),
a rating given on a case that closed on an earlier day. Registered on import (the console and
``callwarden cases open`` import it); each flush drops the stored figures of the closed local
days it touched, in the writer's own transaction. A day has closed by the clock of the service
that opened the session (:data:`callwarden.cases.db.CLOCK`, set by the case service), so a
service run on another clock than the wall's (a test's, a replay's) drops the days it sees as
closed; a session opened around the service falls back to the wall clock.

>>> from callwarden.cases.db import open_database
>>> from callwarden.rollup import daily
>>> from datetime import UTC, datetime
>>> db = open_database("sqlite://")
>>> figs = daily.figures(db, datetime(2026, 7, 8, 2, tzinfo=UTC), days=3)
>>> stored_days(db)
2
"""

from __future__ import annotations

import weakref
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, event, func, inspect, select
from sqlalchemy.orm import Session

from callwarden.cases.db import CLOCK, Database
from callwarden.cases.models import Alert, Case
from callwarden.config import DEFAULT_TIMEZONE
from callwarden.rollup.models import DailyFigures

__all__ = ["ZONES", "stored_days"]

#: the time zones whose days are dropped (the console adds the zone it counts in)
ZONES: set[str] = {DEFAULT_TIMEZONE}


def stored_days(db: Database) -> int:
    with db.reads() as s:
        return int(s.scalar(select(func.count()).select_from(DailyFigures)) or 0)


def _closed_days(at: datetime | None, now: datetime) -> set[tuple[str, date]]:
    """The (zone, local day) of ``at`` in each zone, when that day has closed."""
    if at is None:
        return set()
    out = set()
    for key in ZONES:
        zone = ZoneInfo(key)
        day = at.astimezone(zone).date()
        if datetime.combine(day, time(), zone) < datetime.combine(
            now.astimezone(zone).date(), time(), zone
        ):
            out.add((key, day))
    return out


_tables: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _has_table(session: Session) -> bool:
    """Whether this database has the roll-up's table (one made before migration 0014 has not)."""
    connection = session.connection()
    engine = connection.engine
    if engine not in _tables:
        _tables[engine] = inspect(connection).has_table(DailyFigures.__tablename__)
    return _tables[engine]


@event.listens_for(Session, "after_flush")
def _touched(session: Session, _context: Any) -> None:
    clock = session.info.get(CLOCK)
    now: datetime = clock() if clock is not None else datetime.now(UTC)
    days: set[tuple[str, date]] = set()
    for obj in session.new:
        if isinstance(obj, Alert):
            days |= _closed_days(obj.flagged_at, now)
    for obj in session.dirty:
        if (
            isinstance(obj, Case)
            and obj.closed_at is not None
            and inspect(obj).attrs.satisfaction.history.has_changes()
        ):
            days |= _closed_days(obj.closed_at, now)
    if not days or not _has_table(session):
        return
    for zone, day in days:
        session.execute(
            delete(DailyFigures).where(DailyFigures.zone == zone, DailyFigures.day == day)
        )

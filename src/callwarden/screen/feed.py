"""Keeping the in-memory marks current from the database's change log, not a query per call.

``reputation_events`` is the one change log of marks: every report, confirmation and
withdrawal (an upheld appeal's too) appends a row. The feed remembers the newest event id it
has applied; catching up reads the events after it, reloads the marks of the numbers they
touched, and puts those numbers in the table's overlay. PostgreSQL hands out ids before commit,
so a transaction that commits late can land below ids already seen: ids skipped in a catch-up
are asked for again in the next ones for two minutes.

What wakes a catch-up: on PostgreSQL, ``NOTIFY callwarden_screen`` (a trigger sends it when a
transaction that changed the log commits), with a slow poll behind it; on SQLite, a poll of the
newest id every second (:class:`callwarden.screen.service.Screener`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callwarden.cases.db import Database
from callwarden.reputation.models import Mark, MarkEvent
from callwarden.screen.callers import key_of
from callwarden.screen.marktable import MarkTable, Row

__all__ = ["MarkFeed"]

_PAGE = 20_000
_GAP_SECONDS = 120.0
_MAX_GAPS = 100_000


class MarkFeed:
    """Reads the marks once, then the change log after the last event applied."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.last_event = 0
        #: ids skipped by a catch-up (not committed yet, or rolled back): when first missed
        self.gaps: dict[int, float] = {}

    def load(self, at: datetime) -> MarkTable:
        """Every standing mark, as a compact table with evidence as of ``at``."""
        with self.db.reads() as s:
            # the newest id first: a change committed while the marks stream in is applied
            # again by the next catch-up (applying a number's marks twice is harmless)
            self.last_event = s.scalar(select(func.max(MarkEvent.id))) or 0
            return MarkTable.from_rows(_rows(s), at)

    def newest(self) -> int:
        """The newest event id in the log (0 when empty)."""
        with self.db.reads() as s:
            return s.scalar(select(func.max(MarkEvent.id))) or 0

    def catch_up(self, table: MarkTable) -> int:
        """Apply the changes after the last event seen to ``table``; the numbers updated."""
        updated = 0
        while True:
            with self.db.reads() as s:
                events = s.execute(
                    select(MarkEvent.id, MarkEvent.mark_id)
                    .where(or_(MarkEvent.id > self.last_event, MarkEvent.id.in_(list(self.gaps))))
                    .order_by(MarkEvent.id)
                    .limit(_PAGE)
                ).all()
                if not events:
                    self._expire()
                    return updated
                updated += _apply(s, table, {mark_id for _, mark_id in events})
            seen = {event_id for event_id, _ in events}
            for event_id in seen:
                self.gaps.pop(event_id, None)
            newest = max(seen)
            if newest > self.last_event:
                now = time.monotonic()
                for missing in range(self.last_event + 1, newest):
                    if missing not in seen and len(self.gaps) < _MAX_GAPS:
                        self.gaps.setdefault(missing, now)
                self.last_event = newest
            if len(events) < _PAGE:
                self._expire()
                return updated

    def _expire(self) -> None:
        """An id missing for two minutes was rolled back (or never used): stop asking."""
        cutoff = time.monotonic() - _GAP_SECONDS
        for event_id in [i for i, t in self.gaps.items() if t < cutoff]:
            del self.gaps[event_id]


def _rows(s: Session) -> Iterator[Row]:
    query = select(Mark.msisdn, Mark.category, Mark.evidence, Mark.evidence_at).where(
        Mark.count > 0
    )
    for msisdn, category, evidence, evidence_at in s.execute(
        query.execution_options(yield_per=100_000)
    ):
        key = key_of(msisdn)
        if key is not None:
            yield key, category, evidence, evidence_at


def _apply(s: Session, table: MarkTable, mark_ids: set[int]) -> int:
    """Reload every mark of the numbers these marks belong to; the numbers updated."""
    ids = sorted(mark_ids)
    numbers: set[str] = set()
    for i in range(0, len(ids), 5000):
        numbers.update(s.scalars(select(Mark.msisdn).where(Mark.id.in_(ids[i : i + 5000]))))
    marks: dict[str, list[tuple[str, float, datetime]]] = defaultdict(list)
    listed = sorted(numbers)
    for i in range(0, len(listed), 5000):
        for msisdn, category, evidence, evidence_at, count in s.execute(
            select(Mark.msisdn, Mark.category, Mark.evidence, Mark.evidence_at, Mark.count).where(
                Mark.msisdn.in_(listed[i : i + 5000])
            )
        ):
            if count > 0:
                marks[msisdn].append((category, evidence, evidence_at))
    for msisdn in listed:
        key = key_of(msisdn)
        if key is not None:
            table.put(key, marks.get(msisdn, []))
    return len(listed)

"""The roll-up's table: one row of figures per local day and time zone, counted once the day
has closed; and the index that lets today's SLA breaches be counted without a scan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base, CaseEvent

__all__ = ["DailyFigures"]


class DailyFigures(Base):
    """The figures of one closed local day, with the row counts they were taken from.

    ``figures`` holds the day's counts (alerts by type, suspensions, restorations with their
    times to restore, breaches, cases closed, resolved and rated); ``sources`` how many rows of
    each source the count read, for an operator comparing a day with its tables. A row is
    deleted when rows are written into its day later (:mod:`callwarden.rollup.watch`,
    :func:`callwarden.rollup.daily.forget`) and counted again on the next call.
    """

    __tablename__ = "daily_figures"
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]]
    sources: Mapped[dict[str, Any]]
    counted_at: Mapped[datetime]


#: a day's SLA breaches by time, read through this index rather than a scan of the audit trail
BREACHES_INDEX = Index("ix_case_events_action_at", CaseEvent.action, CaseEvent.at)

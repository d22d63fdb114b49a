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

    ``sources`` holds, per source table, how many rows of the day there were when the figures
    were counted (alerts, suspensions started and lifted, breaches, cases closed and rated): a
    day whose counts have moved since (rows imported late, a rating given after the case
    closed) is counted again.
    """

    __tablename__ = "daily_figures"
    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]]
    sources: Mapped[dict[str, Any]]
    counted_at: Mapped[datetime]


#: a day's SLA breaches by time, read through this index rather than a scan of the audit trail
BREACHES_INDEX = Index("ix_case_events_action_at", CaseEvent.action, CaseEvent.at)

"""The campaign's tables in the case database (migration ``0007``).

A subject is one unregistered subscriber in one campaign, with where it stands; every action
of a campaign day is one row of ``realname_actions``, unique per (campaign, number, day,
action): that key makes a campaign day idempotent. Complaints about the campaign are kept as
they come from the hotline. The region totals (subscribers and registered ones when the
campaign was planned) are what the real-name rate is counted against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["SUBJECT_STATES", "Action", "Complaint", "RegionTotal", "Subject", "table_of"]

#: open: unregistered, in service; suspended (停机); emergency: restored for hardship, still
#: unregistered; registered; terminated (销户)
SUBJECT_STATES = ("open", "suspended", "emergency", "registered", "terminated")


class Subject(Base):
    """One unregistered subscriber in one campaign."""

    __tablename__ = "realname_subjects"
    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    reason_zh: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(64))
    owner_type: Mapped[str] = mapped_column(String(16))
    batch: Mapped[int] = mapped_column(Integer)
    balance_fen: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    ivr_tag: Mapped[str | None] = mapped_column(String(32))
    registered_at: Mapped[datetime | None]
    registration_channel: Mapped[str | None] = mapped_column(String(16))
    suspended_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(Integer)
    restored_at: Mapped[datetime | None]
    grace_until: Mapped[date | None] = mapped_column(Date)
    terminated_at: Mapped[datetime | None]
    refund_fen: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (
        Index("ix_realname_subjects_state", "campaign", "state"),
        Index("ix_realname_subjects_case", "case_id"),
    )


class Action(Base):
    """One thing a campaign day did to one number: ``sms_reminder``, ``sms_warning``,
    ``ivr_tag``, ``outbound_call``, ``suspend``, ``suspend_deferred``, ``registered``,
    ``restore``, ``emergency_restore``, ``terminate``."""

    __tablename__ = "realname_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    msisdn: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any] | None]
    __table_args__ = (
        UniqueConstraint("campaign", "msisdn", "day", "action", name="uq_realname_actions_once"),
        Index("ix_realname_actions_day", "campaign", "day", "action"),
    )


class Complaint(Base):
    """A complaint about the campaign (reminders, a suspension, a refund...), from any channel."""

    __tablename__ = "realname_complaints"
    complaint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64))
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    resolved: Mapped[bool] = mapped_column(Boolean)
    #: the caller's rating 1..5 when the survey was answered
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (Index("ix_realname_complaints_at", "campaign", "at"),)


class RegionTotal(Base):
    """Subscribers of a region, and those registered, when the campaign was planned."""

    __tablename__ = "realname_totals"
    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribers: Mapped[int] = mapped_column(Integer)
    verified: Mapped[int] = mapped_column(Integer)


def table_of(model: type[Base]) -> Table:
    """A model's table, for Core statements and bulk copies."""
    table = model.__table__
    assert isinstance(table, Table)  # noqa: S101  (declarative models map one Table)
    return table

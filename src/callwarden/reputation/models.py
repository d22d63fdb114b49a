"""Reputation marks in the case database: a number's marks, every change to them, reporters.

The tables share the case database's metadata (:class:`callwarden.cases.models.Base`) and
are created by its migration ``0004``. A mark keeps its evidence as of one moment
(``evidence``, ``evidence_at``); the score is that evidence decayed to the time it is read
(:mod:`callwarden.reputation.scoring`), so nothing has to run for a mark to fade.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["Appeal", "Complaint", "Mark", "MarkEvent", "Reporter"]


class Mark(Base):
    """One number in one category: its sources, count, first and last seen, evidence."""

    __tablename__ = "reputation_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(24))
    #: reports standing, by source ({"complaint": 3, "detection_alert": 1})
    sources: Mapped[dict[str, Any]]
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    #: weighted reports, decayed to evidence_at
    evidence: Mapped[float] = mapped_column(Float, default=0.0)
    evidence_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("msisdn", "category", name="uq_reputation_marks_number"),)


class MarkEvent(Base):
    """One change to a mark, append-only: what, from where, by whom, with what weight."""

    __tablename__ = "reputation_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("reputation_marks.id"), index=True)
    at: Mapped[datetime]
    #: add (a report), confirm (a case confirmed it), grant (a case granted a label),
    #: withdraw (a case restored the number, or upheld an appeal)
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(24))
    reporter: Mapped[str | None] = mapped_column(String(64))
    #: evidence this event added (negative for a withdrawal), at ``at``
    weight: Mapped[float] = mapped_column(Float)
    alert_id: Mapped[str | None] = mapped_column(String(32), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the event this one withdraws
    withdraws: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class Reporter(Base):
    """Someone who reports numbers; their record decides how much their reports weigh."""

    __tablename__ = "reputation_reporters"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen: Mapped[datetime]
    reports: Mapped[int] = mapped_column(Integer, default=0)
    #: reports later proven right (a case confirmed the number) or wrong (it was restored)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    refuted: Mapped[int] = mapped_column(Integer, default=0)
    #: reporters known to act together (one device, one enterprise, one campaign)
    link: Mapped[str | None] = mapped_column(String(64), index=True)


class Complaint(Base):
    """One nuisance report (12321 举报) about a number, and what it became.

    Where the number is from (归属地: province, or country for a foreign number) and its
    carrier are read from the number when the complaint is filed, and the call's local day and
    hour are kept with it, so statistics are plain GROUP BYs on any database.
    """

    __tablename__ = "reputation_complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the number complained about: E.164, or '+' and digits when it is no valid number
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(24))
    #: when the call came (as the complainant says), and when the complaint came in
    called_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    #: the call's day and hour where the operator is (the complaint's when no call time)
    day: Mapped[date] = mapped_column(Date, index=True)
    hour: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(64))
    region_en: Mapped[str] = mapped_column(String(64))
    #: ISO country of the number ("" when it is no valid number)
    country: Mapped[str] = mapped_column(String(2))
    carrier: Mapped[str] = mapped_column(String(64))
    carrier_en: Mapped[str] = mapped_column(String(64))
    #: the complainant as the marks book knows them (a pseudonym, never a phone number)
    reporter: Mapped[str | None] = mapped_column(String(64), index=True)
    #: self_service (a subscriber), staff (taken by an agent), partner (a feed), file (import)
    channel: Mapped[str] = mapped_column(String(16))
    filed_by: Mapped[str] = mapped_column(String(96))
    #: the feed's own id (a 12321 ticket number), prefixed with the feed; unique
    external_id: Mapped[str | None] = mapped_column(String(96), unique=True)
    text: Mapped[str | None] = mapped_column(Text)
    #: the report this complaint made in the marks book
    mark_event_id: Mapped[int | None] = mapped_column(ForeignKey("reputation_events.id"))
    #: the number's case when the complaint came (open, else the latest)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Appeal(Base):
    """What the owner of a marked number asks in an appeal case (kind ``appeal``): marks to
    take off, the verified-business label (认证企业) to grant, and the evidence."""

    __tablename__ = "reputation_appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    #: the categories of the marks disputed (may be empty when only the label is asked for)
    categories: Mapped[list[Any]]
    #: the owner asks for the verified-business label
    label: Mapped[bool] = mapped_column(Boolean, default=False)
    business_name: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    #: documents by reference only ({kind, ref, note}): nothing of them is stored here
    evidence: Mapped[list[Any]]
    #: the appellant's language for notices (zh or en)
    language: Mapped[str] = mapped_column(String(2))
    filed_at: Mapped[datetime]

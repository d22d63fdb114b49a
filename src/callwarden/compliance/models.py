"""Outbound compliance in the case database: businesses, consent and refusal registers, checks.

The registers are append-only: a consent withdrawn or a refusal heard is a new row, never an
update, so the rows' ids are a change log that the pre-dial check follows
(:mod:`callwarden.compliance.feed`) and every row stays as evidence. Each row keeps the person's
number as stored (E.164) and as the integer key the in-memory tables use (its digits).
A business's API token is stored only as its SHA-256 hash, as hotline tokens are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["Business", "Check", "Consent", "Refusal"]


class Business(Base):
    """A business whose outbound (marketing) calls are checked, with its policy."""

    __tablename__ = "outbound_businesses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the policy file's TOML text as installed (docs/outbound.md)
    policy: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Consent(Base):
    """A person agreed to the business's calls (白名单), or withdrew that agreement."""

    __tablename__ = "outbound_consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("outbound_businesses.id"))
    callee: Mapped[str] = mapped_column(String(20))
    callee_key: Mapped[int] = mapped_column(BigInteger)
    #: when the person agreed (None on a row that only records a withdrawal)
    granted_at: Mapped[datetime | None]
    #: the consent lapses at this moment (None: no expiry)
    expires_at: Mapped[datetime | None]
    #: the person withdrew consent at this moment
    withdrawn_at: Mapped[datetime | None]
    #: where the proof is kept: a recording id, a signed form, a web form's log line
    evidence: Mapped[str] = mapped_column(String(256))
    channel: Mapped[str | None] = mapped_column(String(32))
    imported_at: Mapped[datetime]
    __table_args__ = (Index("ix_outbound_consents_person", "business_id", "callee_key"),)


class Refusal(Base):
    """A person said no to the business: never called again by it, on any line or vendor."""

    __tablename__ = "outbound_refusals"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("outbound_businesses.id"))
    callee: Mapped[str] = mapped_column(String(20))
    callee_key: Mapped[int] = mapped_column(BigInteger)
    refused_at: Mapped[datetime]
    #: the line and vendor that heard it (for the record; the refusal binds every line)
    line: Mapped[str | None] = mapped_column(String(20))
    vendor: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(String(256))
    imported_at: Mapped[datetime]
    __table_args__ = (Index("ix_outbound_refusals_person", "business_id", "callee_key"),)


class Check(Base):
    """One pre-dial check and its answer: the evidence that a dial was (not) allowed."""

    __tablename__ = "outbound_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(Integer)
    #: the call's time as the request gave it (UTC)
    at: Mapped[datetime]
    checked_at: Mapped[datetime]
    caller_line: Mapped[str] = mapped_column(String(20))
    callee: Mapped[str] = mapped_column(String(20))
    callee_key: Mapped[int] = mapped_column(BigInteger)
    allowed: Mapped[bool] = mapped_column(Boolean)
    #: the reasons' codes, in order (empty when allowed)
    reasons: Mapped[list[Any]]
    __table_args__ = (Index("ix_outbound_checks_business_at", "business_id", "at"),)

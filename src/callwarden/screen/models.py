"""Hotline screening in the case database: hotlines, their policy versions, the decision log.

The tables share the case database's metadata (:class:`callwarden.cases.models.Base`) and are
created by the screening migration. A hotline's API token is stored only as its SHA-256 hash;
a policy version is kept as the TOML text that was installed, so ``policy show`` prints exactly
what was checked, and older versions stay for rollback and dry-runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["Hotline", "HotlinePolicy", "ScreenDecision", "WrongCode"]


class Hotline(Base):
    """An enterprise hotline (a 400 number) whose incoming calls are screened."""

    __tablename__ = "screen_hotlines"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the policy version in force (None: the built-in default policy, version 0)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HotlinePolicy(Base):
    """One installed version of a hotline's policy, as its TOML text."""

    __tablename__ = "screen_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(ForeignKey("screen_hotlines.id"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("hotline_id", "version", name="uq_screen_policies_version"),)


class ScreenDecision(Base):
    """One screening decision, for analytics (by hour, category, region; top offenders)."""

    __tablename__ = "screen_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(Integer)
    #: the call's time as the request gave it (UTC)
    at: Mapped[datetime]
    #: when the decision was made
    decided_at: Mapped[datetime]
    #: the caller as stored, or the presented value (cut short) when it is no number
    caller: Mapped[str] = mapped_column(String(64))
    #: malformed, impossible, unallocated, unreadable; None for a number someone can own
    caller_flag: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str | None] = mapped_column(String(64))
    #: the mark that decided (or the caller's strongest), and its score
    category: Mapped[str | None] = mapped_column(String(24))
    score: Mapped[float | None] = mapped_column(Float)
    country: Mapped[str] = mapped_column(String(4))
    region: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(Integer)
    #: the reasons' codes, in order
    reasons: Mapped[list[Any]]
    __table_args__ = (Index("ix_screen_decisions_hotline_at", "hotline_id", "at"),)


class WrongCode(Base):
    """One wrong business code keyed at a hotline's IVR challenge, within its window.

    Kept in the database, not in a worker's memory, so that every worker of ``serve --workers
    N`` (and every thread) counts the same tries: a caller gets ``retries`` tries in all.
    """

    __tablename__ = "screen_wrong_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(Integer)
    #: the caller as stored, or the presented value (cut short) when it is no number
    caller: Mapped[str] = mapped_column(String(64))
    #: the call's time (UTC)
    at: Mapped[datetime]
    __table_args__ = (Index("ix_screen_wrong_codes_caller", "hotline_id", "caller", "at"),)

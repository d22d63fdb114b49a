"""The case database: subscribers' status, suspensions, cases, their audit trail, notices, access.

SQLAlchemy 2 declarative models; the schema is created and changed only by the Alembic
migrations in ``cases/migrations`` (a test checks that they and these models agree). Times are
stored as UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Alert",
    "Base",
    "Case",
    "CaseEvent",
    "CustomerSession",
    "Interception",
    "NoticeRow",
    "NumberStatus",
    "OneTimeCode",
    "StaffUser",
    "SubscriberProfile",
    "Suspension",
    "UTCDateTime",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out (SQLite forgets the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the case database; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012  (SQLAlchemy reads it once)
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class StaffUser(Base):
    """A person (or system) who acts on cases; tokens are stored only as hashes."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class SubscriberProfile(Base):
    """What the checklist needs to know about the owner (copied from the subscribers records)."""

    __tablename__ = "subscriber_profiles"
    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    owner_birth_year: Mapped[int | None] = mapped_column(Integer)
    owner_type: Mapped[str] = mapped_column(String(16), default="individual")
    realname_status: Mapped[str] = mapped_column(String(24), default="verified")
    region: Mapped[str] = mapped_column(String(32), default="")
    whitelisted: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="zh")


class NumberStatus(Base):
    """A number's current standing: active, restricted (outbound) or suspended."""

    __tablename__ = "number_status"
    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    open_case_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Alert(Base):
    """Every alert received, once (the id is a hash of number, time and decision)."""

    __tablename__ = "alerts"
    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    flagged_at: Mapped[datetime] = mapped_column(index=True)  # the console's newest first
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]]
    received_at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)  # a case's alerts
    #: the campaign group the alert's reasons name (detect/reasons.group_of), if any: a
    #: group's lines are found by this index, not by reading every alert's reasons
    campaign_group: Mapped[str | None] = mapped_column(String(48), index=True)


class Suspension(Base):
    """A protective measure on a number: who or what decided it, why, and when it ended."""

    __tablename__ = "suspensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[str] = mapped_column(String(16))  # restrict | suspend
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]]
    decided_by: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str | None] = mapped_column(String(32))
    # indexed for the dashboard's days (suspensions and restorations per day)
    started_at: Mapped[datetime] = mapped_column(index=True)
    lifted_at: Mapped[datetime | None] = mapped_column(index=True)
    lifted_by: Mapped[str | None] = mapped_column(String(64))


class Interception(Base):
    """A number the operator does not serve, blocked at its gateway and reported to its owner.

    The on-net counterpart of a suspension: logged, reviewed in its case, reversible (lifted).
    """

    __tablename__ = "interceptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    #: the network of the number (callwarden.network.Network): foreign, invalid, virtual, ...
    network: Mapped[str] = mapped_column(String(24))
    #: whom the interception is reported to, with the reasons as evidence
    report_to: Mapped[str] = mapped_column(String(128))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]]
    decided_by: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    #: the block ends by itself then, unless renewed by a later alert
    until: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(64))


class Case(Base):
    """A work order: a suspension's way back, or a review of a suspicious number."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    risk_score: Mapped[float] = mapped_column(Float)
    high_risk: Mapped[bool] = mapped_column(Boolean)
    suspension_id: Mapped[int | None] = mapped_column(ForeignKey("suspensions.id"))
    interception_id: Mapped[int | None] = mapped_column(
        ForeignKey("interceptions.id", name="fk_cases_interception_id")
    )
    requester: Mapped[dict[str, Any] | None]
    checklist: Mapped[dict[str, Any] | None]
    verified_channel: Mapped[str | None] = mapped_column(String(16))
    first_approver: Mapped[str | None] = mapped_column(String(64))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)  # the dashboard's days
    # SLA clock of the current step, in business seconds
    sla_budget_s: Mapped[int | None] = mapped_column(Integer)
    sla_used_s: Mapped[int] = mapped_column(Integer, default=0)
    sla_running_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    # head of the tamper-evident audit chain
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_cases_queue_due", "queue", "due_at", "id"),
        Index("ix_cases_state_due", "state", "due_at", "id"),
        # the "open cases" queue: only the rows it can return
        Index(
            "ix_cases_open_due",
            "due_at",
            "id",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )


class CaseEvent(Base):
    """One step of a case's audit trail; append-only, each event hashes the one before."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),)


class NoticeRow(Base):
    """An SMS to the owner, queued until the operator's gateway collects it."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="queued")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OneTimeCode(Base):
    """A self-service login code, stored hashed; counted per number for rate limiting."""

    __tablename__ = "one_time_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerSession(Base):
    """A customer's short-lived access to their own number only."""

    __tablename__ = "customer_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime]

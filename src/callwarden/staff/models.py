"""The staff sessions' table: one row per console login, keyed by the hash of its secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["StaffSession"]


class StaffSession(Base):
    """A console login: who, since when, last seen, until when at most, and when it ended."""

    __tablename__ = "staff_sessions"
    #: SHA-256 of the session's secret (the browser holds the secret, the database its hash)
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: logged out (or ended by an operator) at this moment; the cookie is refused from then on
    ended_at: Mapped[datetime | None]

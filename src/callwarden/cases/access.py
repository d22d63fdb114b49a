"""Who may act: staff tokens, and customers' one-time codes and short sessions.

Staff (agents, analysts, technicians, supervisors, and systems such as the detection stream) hold
a bearer token created by ``callwarden cases add-user``; only its hash is stored. Customers prove
they hold their number with a one-time code sent to it by SMS, and get a session that sees that
number only. Asking for a code answers the same whether or not the number is known, so nobody
can learn which numbers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.cases.config import CaseConfig
from callwarden.cases.machine import Role
from callwarden.cases.models import (
    CustomerSession,
    NumberStatus,
    OneTimeCode,
    StaffUser,
    SubscriberProfile,
)
from callwarden.errors import Conflict, RateLimited, Unauthorized, Unprocessable

__all__ = ["Actor", "add_user", "authenticate", "open_session", "request_code"]

_BAD_CODE = "the code is wrong or has expired; ask for a new one"


@dataclass(frozen=True)
class Actor:
    """The person or system behind an action. Customers carry their own number."""

    name: str
    role: Role
    msisdn: str | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def add_user(session: Session, username: str, role: str, now: datetime) -> str:
    """Create a staff user; return the bearer token (shown once, stored only as a hash)."""
    if role not in {r.value for r in Role} or role == Role.customer:
        raise Unprocessable("role", f"{role!r} is not a staff role ({', '.join(_staff_roles())})")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", "username")
    token = secrets.token_urlsafe(24)
    session.add(StaffUser(username=username, role=role, token_hash=_digest(token), created_at=now))
    return token


def _staff_roles() -> list[str]:
    return [r.value for r in Role if r is not Role.customer]


def authenticate(session: Session, token: str | None, now: datetime) -> Actor:
    """The actor behind a bearer token (staff, or a customer's session)."""
    if not token:
        raise Unauthorized("give a bearer token (staff) or a self-service session token")
    digest = _digest(token)
    user = session.scalar(select(StaffUser).where(StaffUser.token_hash == digest))
    if user is not None and user.active:
        return Actor(user.username, Role(user.role))
    cs = session.get(CustomerSession, digest)
    if cs is not None and cs.expires_at > now:
        return Actor("customer", Role.customer, cs.msisdn)
    raise Unauthorized("the token is unknown or has expired")


def _known(session: Session, msisdn: str) -> bool:
    return (
        session.get(NumberStatus, msisdn) is not None
        or session.get(SubscriberProfile, msisdn) is not None
    )


def request_code(session: Session, msisdn: str, now: datetime, config: CaseConfig) -> str | None:
    """Record a code request; return the code to send when the number is known, else None.

    The per-number limit counts every request, known number or not, so the answers (and the
    limits) are the same for numbers that exist and numbers that do not.
    """
    window = now - timedelta(minutes=config.otp_ttl_minutes)
    recent = session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.msisdn == msisdn, OneTimeCode.created_at > window)
    )
    if (recent or 0) >= config.otp_max_per_window:
        raise RateLimited(
            f"too many codes asked for this number; try again in {config.otp_ttl_minutes} minutes"
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OneTimeCode(
            msisdn=msisdn,
            code_hash=_digest(msisdn + ":" + code),
            created_at=now,
            expires_at=now + timedelta(minutes=config.otp_ttl_minutes),
            attempts=0,
            used=False,
        )
    )
    return code if _known(session, msisdn) else None


def open_session(
    session: Session, msisdn: str, code: str, now: datetime, config: CaseConfig
) -> tuple[str, datetime]:
    """Trade a valid code for a session token on that number only."""
    otp = session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.msisdn == msisdn, OneTimeCode.expires_at > now)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if otp is None or otp.used or otp.attempts >= config.otp_max_attempts:
        raise Unauthorized(_BAD_CODE)
    if not hmac.compare_digest(otp.code_hash, _digest(msisdn + ":" + code)):
        otp.attempts += 1
        raise Unauthorized(_BAD_CODE)
    otp.used = True
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(minutes=config.session_minutes)
    session.add(CustomerSession(token_hash=_digest(token), msisdn=msisdn, expires_at=expires))
    return token, expires

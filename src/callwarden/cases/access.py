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

from sqlalchemy import func, select, update
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
from callwarden.numbers import mask
from callwarden.reputation.models import Mark

__all__ = [
    "Actor",
    "add_user",
    "authenticate",
    "redeem",
    "request_code",
    "serialise",
    "staff_key",
    "take_attempt",
]

#: the roles that see whole numbers in lists
_FULL_NUMBER = (Role.analyst, Role.supervisor, Role.system)
BAD_CODE = "the code is wrong or has expired; ask for a new one"


@dataclass(frozen=True)
class Actor:
    """The person or system behind an action. Customers carry their own number."""

    name: str
    role: Role
    msisdn: str | None = None

    def shows(self, msisdn: str) -> str:
        """A number as this actor may see it in lists: whole for those who review evidence
        (analyst, supervisor, system), masked for the rest (``138****5678``)."""
        return msisdn if self.role in _FULL_NUMBER else mask(msisdn)


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


def staff_key(session: Session, username: str) -> tuple[Actor, str] | None:
    """An active staff user and a secret only the server holds (their token's hash), with
    which the console signs that user's browser session; None for anyone else."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or user.role == Role.customer:
        return None
    return Actor(user.username, Role(user.role)), user.token_hash


def _known(session: Session, msisdn: str) -> bool:
    """A number callwarden may send a code to: a subscriber here, not one it only intercepts;
    or another marked number, whose owner may appeal its marks (docs/reputation.md)."""
    status = session.get(NumberStatus, msisdn)
    if (status is not None and status.status != "intercepted") or session.get(
        SubscriberProfile, msisdn
    ) is not None:
        return True
    if status is not None:  # only intercepted: never a code (docs/cases.md)
        return False
    return session.scalar(select(Mark.id).where(Mark.msisdn == msisdn).limit(1)) is not None


def serialise(session: Session, key: str) -> None:
    """Hold a lock named ``key`` until the transaction ends, so read-check-writes on it queue.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite transactions already hold the
    database's write lock from their first statement (``BEGIN IMMEDIATE``, see
    :mod:`callwarden.cases.db`), so there is nothing more to take.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def request_code(session: Session, msisdn: str, now: datetime, config: CaseConfig) -> str | None:
    """Record a code request; return the code to send when the number is known, else None.

    The per-number limit counts every request, known number or not, so the answers (and the
    limits) are the same for numbers that exist and numbers that do not. Requests for one
    number are serialised, so parallel requests cannot all pass the count.
    """
    serialise(session, "otp:" + msisdn)
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


def take_attempt(session: Session, msisdn: str, now: datetime, config: CaseConfig) -> int | None:
    """Count one try against the number's latest live code; its id, or None when none is left.

    One conditional ``UPDATE ... SET attempts = attempts + 1 WHERE attempts < max`` does the
    check and the count at once, so however many tries arrive together, at most
    ``otp_max_attempts`` of them are ever compared with the code, and every one is counted.
    The caller commits this before comparing, so a wrong try stays counted.
    """
    latest = session.scalar(
        select(OneTimeCode.id)
        .where(OneTimeCode.msisdn == msisdn, OneTimeCode.expires_at > now)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    taken = session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == latest,
            OneTimeCode.used.is_(False),
            OneTimeCode.attempts < config.otp_max_attempts,
        )
        .values(attempts=OneTimeCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return latest if _rowcount(taken) == 1 else None


def redeem(
    session: Session, otp_id: int, msisdn: str, code: str, now: datetime, config: CaseConfig
) -> tuple[str, datetime]:
    """Trade a counted try (from :func:`take_attempt`) for a session token, when the code is right.

    The code is burned by a conditional ``UPDATE ... SET used = true WHERE used = false``: of
    any number of parallel redemptions of one code, exactly one changes the row and gets a
    session; the others are told the code is wrong.
    """
    otp = session.get(OneTimeCode, otp_id)
    if otp is None or not hmac.compare_digest(otp.code_hash, _digest(msisdn + ":" + code)):
        raise Unauthorized(BAD_CODE)
    burned = session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == otp_id, OneTimeCode.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(burned) != 1:
        raise Unauthorized(BAD_CODE)
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(minutes=config.session_minutes)
    session.add(CustomerSession(token_hash=_digest(token), msisdn=msisdn, expires_at=expires))
    return token, expires


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))

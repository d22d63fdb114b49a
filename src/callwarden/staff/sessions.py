"""Console logins kept by the server, so a copied cookie stops working.

The browser's cookie carries a random secret beside the signed user name
(:mod:`callwarden.web.security`); the database keeps the secret's SHA-256 with when the session
began, when it was last used and when it ended. A session is refused once it has been idle for
``idle_minutes``, once ``hours`` have passed since the login, and from the moment it was ended
(logout). Last use is written at most once per :data:`TOUCH_SECONDS`, so pages read far more
than they write.

>>> from callwarden.cases.db import open_database
>>> from datetime import UTC, datetime, timedelta
>>> db, t0 = open_database("sqlite://"), datetime(2026, 12, 6, 9, tzinfo=UTC)
>>> secret = begin(db, "ann", t0, hours=8)
>>> alive(db, secret, t0 + timedelta(minutes=20), idle_minutes=30)
'ann'
>>> alive(db, secret, t0 + timedelta(minutes=75), idle_minutes=30) is None  # idle too long
True
>>> secret = begin(db, "ann", t0, hours=8)
>>> end(db, secret, t0), alive(db, secret, t0, idle_minutes=30)
(True, None)
>>> _ = begin(db, "ann", t0 + timedelta(days=2), hours=8)  # the ended ones are dropped
>>> with db.reads() as s:
...     s.query(StaffSession).count()
1
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update

from callwarden.cases.db import Database
from callwarden.staff.models import StaffSession

__all__ = ["TOUCH_SECONDS", "alive", "begin", "end", "end_all"]

#: a session's last use is written again only when older than this
TOUCH_SECONDS = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def begin(db: Database, username: str, now: datetime, *, hours: int) -> str:
    """A new session for ``username``; its secret (kept by the browser only). The user's
    sessions that ended or expired more than a day ago are dropped (the table stays small)."""
    secret = secrets.token_urlsafe(24)
    with db.sessions.begin() as s:
        old = now - timedelta(days=1)
        s.execute(
            delete(StaffSession).where(
                StaffSession.username == username,
                or_(StaffSession.expires_at < old, StaffSession.ended_at < old),
            )
        )
        s.add(
            StaffSession(
                id_hash=_hash(secret),
                username=username,
                created_at=now,
                seen_at=now,
                expires_at=now + timedelta(hours=hours),
                ended_at=None,
            )
        )
    return secret


def alive(db: Database, secret: str, now: datetime, *, idle_minutes: int) -> str | None:
    """The user name of a live session (recording its use), or None when it is unknown, ended,
    past its end or idle for longer than ``idle_minutes``."""
    if not 16 <= len(secret) <= 64:
        return None
    key = _hash(secret)
    with db.reads() as s:
        row = s.get(StaffSession, key)
        if row is None:
            return None
        username, seen, ended, expires = row.username, row.seen_at, row.ended_at, row.expires_at
    if ended is not None or now >= expires or now - seen > timedelta(minutes=idle_minutes):
        return None
    if now - seen > timedelta(seconds=TOUCH_SECONDS):
        with db.sessions.begin() as s:
            s.execute(
                update(StaffSession)
                .where(StaffSession.id_hash == key, StaffSession.ended_at.is_(None))
                .values(seen_at=now)
            )
    return username


def end(db: Database, secret: str, now: datetime) -> bool:
    """End a session (logout): its cookie is refused from now on; False when it was not live."""
    with db.sessions.begin() as s:
        done = s.execute(
            update(StaffSession)
            .where(StaffSession.id_hash == _hash(secret), StaffSession.ended_at.is_(None))
            .values(ended_at=now)
        )
    return bool(getattr(done, "rowcount", 0))


def end_all(db: Database, username: str, now: datetime) -> int:
    """End every live session of a user (an operator's "log this person out everywhere")."""
    with db.sessions.begin() as s:
        done = s.execute(
            update(StaffSession)
            .where(StaffSession.username == username, StaffSession.ended_at.is_(None))
            .values(ended_at=now)
        )
    return int(getattr(done, "rowcount", 0))

"""Hotlines and their policy versions in the case database: add, install, activate, read.

A hotline's API token is made once, shown once, and stored as its SHA-256 hash (as staff tokens
are). Installing a policy adds a version and puts it in force; an older version can be put back
in force (rollback) without losing the newer one.

>>> from datetime import UTC, datetime
>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> with db.sessions.begin() as s:
...     token = add_hotline(s, "acme", "4001234567", now)
...     v = install_policy(s, "acme", 'default_queue = "sales"', now, "admin")
>>> v, len(token) > 20
(1, True)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.errors import Conflict, NotFound, Unprocessable
from callwarden.numbers import try_normalise
from callwarden.screen.models import Hotline, HotlinePolicy
from callwarden.screen.policy import Policy, parse_policy

__all__ = [
    "DEFAULT_POLICY",
    "HotlineState",
    "activate_policy",
    "add_hotline",
    "digest",
    "hotline_named",
    "hotlines_by_name",
    "install_policy",
    "load_hotlines",
    "policy_text",
]

#: what a hotline with no policy installed gets (version 0): block strong fraud and one-ring
#: marks, let everything else through
DEFAULT_POLICY = """\
name = "built-in default"
[[bands]]
categories = ["fraud", "one_ring"]
min_score = 0.6
action = "block"
"""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class HotlineState:
    """A hotline as the decision path needs it: who, which number, the policy in force."""

    id: int
    name: str
    number: str
    token_hash: str
    version: int
    policy: Policy


def _number(value: str) -> str:
    e164, reason = try_normalise(value)
    if e164 is None:
        raise Unprocessable("number", str(reason))
    return e164


def add_hotline(s: Session, name: str, number: str, now: datetime) -> str:
    """Register a hotline; its bearer token for the decision API (shown once)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise Unprocessable("name", "give a name of 1 to 64 characters")
    e164 = _number(number)
    if s.scalar(select(Hotline.id).where(Hotline.name == name)) is not None:
        raise Conflict(f"name: a hotline named {name!r} exists", "name")
    if s.scalar(select(Hotline.name).where(Hotline.number == e164)) is not None:
        raise Conflict(f"number: {e164} is already a hotline", "number")
    token = secrets.token_urlsafe(24)
    s.add(Hotline(name=name, number=e164, token_hash=digest(token), created_at=now, updated_at=now))
    return token


def hotline_named(s: Session, name: str) -> Hotline:
    hotline = s.scalar(select(Hotline).where(Hotline.name == name))
    if hotline is None:
        known = ", ".join(s.scalars(select(Hotline.name).order_by(Hotline.name)).all()) or "none"
        raise NotFound(f"NAME: no hotline {name!r} (hotlines: {known})", "name")
    return hotline


def install_policy(s: Session, name: str, text: str, now: datetime, by: str) -> int:
    """Check a policy's TOML and put it in force as the hotline's next version."""
    parse_policy(text, "policy")
    hotline = hotline_named(s, name)
    last = s.scalar(
        select(func.max(HotlinePolicy.version)).where(HotlinePolicy.hotline_id == hotline.id)
    )
    version = (last or 0) + 1
    s.add(
        HotlinePolicy(
            hotline_id=hotline.id, version=version, body=text, created_at=now, created_by=by
        )
    )
    hotline.policy_version = version
    hotline.updated_at = now
    return version


def activate_policy(s: Session, name: str, version: int, now: datetime) -> None:
    """Put an installed version back in force (0: the built-in default)."""
    hotline = hotline_named(s, name)
    if version != 0 and _row(s, hotline.id, version) is None:
        raise NotFound(f"VERSION: {name!r} has no policy version {version}", "version")
    hotline.policy_version = version or None
    hotline.updated_at = now


def _row(s: Session, hotline_id: int, version: int) -> HotlinePolicy | None:
    return s.scalar(
        select(HotlinePolicy).where(
            HotlinePolicy.hotline_id == hotline_id, HotlinePolicy.version == version
        )
    )


def policy_text(s: Session, name: str, version: int | None = None) -> tuple[int, str]:
    """A hotline's policy text: the version in force, or the one asked for."""
    hotline = hotline_named(s, name)
    version = hotline.policy_version or 0 if version is None else version
    if version == 0:
        return 0, DEFAULT_POLICY
    row = _row(s, hotline.id, version)
    if row is None:
        raise NotFound(f"VERSION: {name!r} has no policy version {version}", "version")
    return version, row.body


def hotlines_by_name(s: Session) -> list[Hotline]:
    """Every hotline, active or not, by name (for people to read)."""
    return list(s.scalars(select(Hotline).order_by(Hotline.name)))


def load_hotlines(s: Session) -> list[HotlineState]:
    """Every active hotline with its policy in force, parsed (for the decision path)."""
    default = parse_policy(DEFAULT_POLICY, "default")
    out = []
    for hotline in s.scalars(select(Hotline).where(Hotline.active.is_(True))):
        version = hotline.policy_version or 0
        policy = default
        if version:
            row = _row(s, hotline.id, version)
            if row is not None:
                policy = parse_policy(row.body, f"{hotline.name} policy v{version}")
        out.append(
            HotlineState(
                hotline.id, hotline.name, hotline.number, hotline.token_hash, version, policy
            )
        )
    return out

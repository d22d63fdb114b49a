"""Businesses whose outbound calls are checked: add one (its API token, shown once), install
its policy, read them for the pre-dial check.

A business's token is made once and stored as its SHA-256 hash, exactly as hotline tokens are
(:func:`callwarden.screen.hotlines.digest`).

>>> from datetime import UTC, datetime
>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> with db.sessions.begin() as s:
...     token = add_business(s, "seaview", 'lines = ["02161234567"]', now)
>>> with db.reads() as s:
...     [(b.name, b.policy.lines) for b in load_businesses(s)]
[('seaview', ('+862161234567',))]
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.compliance.models import Business
from callwarden.compliance.policy import OutboundPolicy, parse_policy
from callwarden.errors import Conflict, NotFound, Unprocessable
from callwarden.screen.hotlines import digest

__all__ = ["BusinessState", "add_business", "business_named", "load_businesses", "set_policy"]


@dataclass(frozen=True)
class BusinessState:
    """A business as the pre-dial check needs it."""

    id: int
    name: str
    token_hash: str
    policy: OutboundPolicy


def _name(name: str) -> str:
    name = name.strip()
    if re.fullmatch(r"[\w.@:-]{1,64}", name) is None:
        raise Unprocessable("name", "give a name of 1 to 64 letters, digits or _ . @ : -")
    return name


def add_business(s: Session, name: str, policy: str, now: datetime) -> str:
    """Register a business with its policy (TOML text); its API token (shown once)."""
    name = _name(name)
    parse_policy(policy, "policy")
    if s.scalar(select(Business.id).where(Business.name == name)) is not None:
        raise Conflict(f"name: a business named {name!r} exists", "name")
    token = secrets.token_urlsafe(24)
    s.add(
        Business(name=name, token_hash=digest(token), policy=policy, created_at=now, updated_at=now)
    )
    return token


def business_named(s: Session, name: str) -> Business:
    business = s.scalar(select(Business).where(Business.name == name))
    if business is None:
        known = ", ".join(s.scalars(select(Business.name).order_by(Business.name))) or "none"
        raise NotFound(f"business: no business {name!r} (businesses: {known})", "business")
    return business


def set_policy(s: Session, name: str, policy: str, now: datetime) -> None:
    """Check a policy's TOML and put it in force for the business."""
    parse_policy(policy, "policy")
    business = business_named(s, name)
    business.policy = policy
    business.updated_at = now


def load_businesses(s: Session) -> list[BusinessState]:
    """Every active business with its policy parsed."""
    return [
        BusinessState(b.id, b.name, b.token_hash, parse_policy(b.policy, f"{b.name} policy"))
        for b in s.scalars(select(Business).where(Business.active.is_(True)).order_by(Business.id))
    ]

"""A hotline that challenges marketing callers with a business code, and one marked caller:
the scene of the wrong-code tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from callwarden.cases.db import Database
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
CALLER = "+8613700000007"


def challenging_hotline(db: Database, number: str, *, retries: int) -> str:
    """Hotline ``acme`` on ``number`` asking marketing callers for code 66 (``retries`` tries),
    and ``CALLER`` marked as marketing; the hotline's token."""
    policy = f"""
[[bands]]
categories = ["marketing"]
action = "challenge"
[challenge]
code = "66"
retries = {retries}
queue = "ivr-code"
"""
    with db.sessions.begin() as s:
        token = add_hotline(s, "acme", number, NOW)
        install_policy(s, "acme", policy, NOW, "admin")
        report(s, CALLER, Category.MARKETING, Source.COMPLAINT, NOW)
    return token

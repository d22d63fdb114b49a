"""Screening on PostgreSQL: a change to the marks arrives by LISTEN/NOTIFY, not by polling."""

from __future__ import annotations

import time
from typing import Any

import pytest

from callwarden.cases.db import open_database
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.service import Screener, ScreenIn

pytestmark = pytest.mark.integration

NUMBER = "+8613812345678"


def test_marks_and_policies_arrive_by_notification(pg_url: str, clock: Any) -> None:
    db = open_database(pg_url)
    with db.sessions.begin() as s:
        token = add_hotline(s, "acme", "4001234567", clock())
        install_policy(
            s, "acme", '[[bands]]\ncategories = ["fraud"]\naction = "block"\n', clock(), "admin"
        )
    # a poll so slow that only a notification can bring a change within the test
    screener = Screener(db, clock=clock, poll=600).start()
    call = ScreenIn(caller=NUMBER, callee="4001234567", time=clock())
    try:
        assert screener.screen(token, call)["action"] == "allow"
        time.sleep(0.5)  # the listener is connected
        with db.sessions.begin() as s:
            report(s, NUMBER, Category.FRAUD, Source.COMPLAINT, clock())
        deadline = time.monotonic() + 20
        while screener.screen(token, call)["action"] != "block":
            assert time.monotonic() < deadline, "no notification reached the decision path"
            time.sleep(0.05)
        with db.sessions.begin() as s:
            install_policy(s, "acme", 'default_queue = "sales"\n', clock(), "admin")
        while screener.screen(token, call)["queue"] != "sales":
            assert time.monotonic() < deadline, "the new policy did not arrive"
            time.sleep(0.05)
        screener.log.flush()
        with db.engine.connect() as conn:
            logged = conn.exec_driver_sql("SELECT count(*) FROM screen_decisions").scalar()
        assert logged is not None and logged >= 3
    finally:
        screener.close()
        db.engine.dispose()

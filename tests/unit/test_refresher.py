"""The refresher behind the in-memory services: it polls, and a failed refresh does not stop it."""

from __future__ import annotations

import threading
import time

from callwarden.cases.db import open_database
from callwarden.refresher import Refresher


def test_it_polls_and_outlives_a_failed_refresh() -> None:
    calls: list[int] = []
    enough = threading.Event()

    def refresh() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        if len(calls) >= 3:
            enough.set()

    refresher = Refresher(open_database("sqlite://"), refresh, poll=0.01, name="test-refresh")
    refresher.start()
    try:
        assert enough.wait(10), calls
    finally:
        refresher.stop()
    stopped_at = len(calls)
    time.sleep(0.1)
    assert len(calls) == stopped_at  # stopped: no refresh after stop()


def test_sqlite_polls_even_with_a_channel() -> None:
    """LISTEN is PostgreSQL's; on SQLite a channel given still means a poll."""
    seen = threading.Event()
    refresher = Refresher(
        open_database("sqlite://"), seen.set, poll=0.01, name="test-refresh", channel="x"
    )
    refresher.start()
    try:
        assert seen.wait(10)
    finally:
        refresher.stop()

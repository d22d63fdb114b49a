"""Wrong business codes on PostgreSQL: two screeners (two workers) and many threads count
one caller's tries together, serialised by an advisory lock, so the limit holds exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.unit.screen.wrong_code_scene import CALLER, NOW, challenging_hotline

from callwarden.cases.db import open_database
from callwarden.screen.models import WrongCode
from callwarden.screen.service import Screener, ScreenIn

pytestmark = pytest.mark.integration


def test_concurrent_wrong_codes_on_two_workers_share_one_count(pg_url: str) -> None:
    db = open_database(pg_url)
    token = challenging_hotline(db, "4001234567", retries=4)
    workers = [Screener(open_database(pg_url), clock=lambda: NOW, poll=600) for _ in range(2)]
    for w in workers:
        w.start(background=False)
    wrong = ScreenIn(caller=CALLER, callee="4001234567", time=NOW, ivr_input="00")
    try:
        with ThreadPoolExecutor(8) as pool:
            actions = list(
                pool.map(lambda i: workers[i % 2].screen(token, wrong)["action"], range(16))
            )
        right = ScreenIn(caller=CALLER, callee="4001234567", time=NOW, ivr_input="66")
        # passing starts afresh (the block before it was for wrong codes only)
        assert workers[0].screen(token, right)["action"] != "challenge"
        assert workers[1].screen(token, wrong)["action"] == "challenge"
    finally:
        for w in workers:
            w.close()
            w.db.engine.dispose()
        db.engine.dispose()
    # retries = 4: three wrong codes are asked again, the fourth and every later one blocks
    assert sorted(actions) == ["block"] * 13 + ["challenge"] * 3


def test_expired_wrong_codes_are_dropped_on_postgres(pg_url: str) -> None:
    """The refresher drops wrong codes that left every challenge window, by its own clock."""
    db = open_database(pg_url)
    token = challenging_hotline(db, "4001234567", retries=4)
    now = [NOW]
    screener = Screener(db, clock=lambda: now[0], poll=600).start(background=False)

    def count() -> int:
        with db.reads() as s:
            return int(s.scalar(select(func.count()).select_from(WrongCode)) or 0)

    try:
        wrong = ScreenIn(caller=CALLER, callee="4001234567", time=NOW, ivr_input="00")
        for _ in range(2):
            assert screener.screen(token, wrong)["action"] == "challenge"
        screener.refresh()
        assert count() == 2  # in the window: kept
        now[0] = NOW + timedelta(minutes=30, hours=1, seconds=1)  # and EXPIRE_EVERY later
        screener.refresh()
        assert count() == 0
    finally:
        screener.close()
        db.engine.dispose()

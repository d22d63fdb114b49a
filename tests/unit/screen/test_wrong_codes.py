"""Wrong business codes at the IVR challenge are counted in the database: every worker of
``serve --workers N`` and every thread counts the same tries, so the limit holds exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.unit.screen.wrong_code_scene import CALLER, NOW, challenging_hotline

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.models import WrongCode
from callwarden.screen.service import EXPIRE_EVERY, Screener, ScreenIn


def _setup(url: str) -> str:
    db = open_database(url)
    token = challenging_hotline(db, "400-123-4567", retries=3)
    db.engine.dispose()
    return token


def _wrong(client: TestClient, token: str) -> str:
    call = {"caller": CALLER, "callee": "4001234567", "time": "2026-12-02T10:00:00+08:00"}
    got = client.post(
        "/api/v1/screen",
        json=call | {"ivr_input": "00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    return str(got.json()["action"])


def test_two_workers_and_many_threads_share_one_count(tmp_path: Path) -> None:
    url = str(tmp_path / "cases.db")
    token = _setup(url)
    # two apps on one database: two workers of serve --workers 2
    workers: list[Any] = [
        TestClient(create_app(CaseService(open_database(url), clock=lambda: NOW))) for _ in range(2)
    ]
    for w in workers:
        w.__enter__()
    try:
        tries = [workers[i % 2] for i in range(9)]
        with ThreadPoolExecutor(6) as pool:
            actions = list(pool.map(lambda w: _wrong(w, token), tries))
    finally:
        for w in workers:
            w.__exit__(None, None, None)
    # in whatever order they were counted: two wrong codes are asked again, the third and every
    # later one in the window blocks; a count per worker would let each worker ask twice
    assert sorted(actions) == ["block"] * 7 + ["challenge"] * 2


def test_wrong_codes_of_callers_who_never_came_back_expire(tmp_path: Path) -> None:
    """The screener's refresher drops wrong codes older than the challenge window (and the
    hour kept for switches' clocks), by the screener's own clock, every EXPIRE_EVERY: the
    table does not grow with every caller who once keyed a wrong code."""
    url = str(tmp_path / "cases.db")
    token = _setup(url)
    other = "+8613700000008"
    db = open_database(url)
    with db.sessions.begin() as s:
        report(s, other, Category.MARKETING, Source.COMPLAINT, NOW)
    now = [NOW]
    screener = Screener(db, clock=lambda: now[0]).start(background=False)
    try:
        for minutes, caller in ((0, CALLER), (100, other), (130, CALLER)):
            at = NOW + timedelta(minutes=minutes)
            call = ScreenIn(caller=caller, callee="4001234567", time=at, ivr_input="00")
            screener.screen(token, call)

        def kept() -> list[tuple[str, datetime]]:
            with screener.db.reads() as s:
                rows = s.execute(select(WrongCode.caller, WrongCode.at).order_by(WrongCode.at))
                return [(c, at.replace(tzinfo=UTC)) for c, at in rows]

        # the caller's own later try already dropped its first (out of its window)
        assert [c for c, _ in kept()] == [other, CALLER]
        now[0] = NOW + timedelta(minutes=130) + timedelta(minutes=30, hours=1)
        screener.refresh()  # 100 min is older than now - 30 min - 1 h; 130 min is not
        assert kept() == [(CALLER, NOW + timedelta(minutes=130))]
        now[0] += timedelta(minutes=1)
        screener.refresh()  # within EXPIRE_EVERY of the last pass: nothing dropped
        assert len(kept()) == 1
        now[0] += EXPIRE_EVERY
        screener.refresh()
        assert kept() == []
    finally:
        screener.close()
        screener.db.engine.dispose()

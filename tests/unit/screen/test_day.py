"""A simulated hotline day through the decision service: the stricter policy keeps most
unwanted callers from the agents and lets customers through; every decision is logged."""

from __future__ import annotations

from sqlalchemy import func, select

from callwarden.cases.db import open_database
from callwarden.screen.day import screen_day
from callwarden.screen.models import ScreenDecision
from callwarden.simulate.hotline import HotlineDayConfig, new_policy, simulate_hotline_day


def test_a_screened_day() -> None:
    db = open_database("sqlite://")
    day = simulate_hotline_day(HotlineDayConfig(calls=800, seed=11))
    done = screen_day(db, day, new_policy(day))
    kept, unwanted = done.unwanted_kept_out
    through, wanted = done.wanted_through
    assert unwanted + wanted == 800 and done.marks_imported == day.marks.height
    assert kept / unwanted > 0.6  # most marketers, scammers, one-ring and spoofed kept out
    assert through / wanted > 0.9  # customers know the business code
    key = done.outcomes.filter(truth="key_customer")
    assert key["blocked"].sum() == 0 and key["challenged"].sum() == 0
    with db.reads() as s:
        logged = s.scalar(select(func.count()).select_from(ScreenDecision))
    assert logged == done.logged >= 800  # challenged callers are decided again on their answer

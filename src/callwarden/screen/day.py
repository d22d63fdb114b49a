"""A simulated hotline day through the decision service, as the SIP edge would drive it.

The day's marks go into the case database as the crowd's reports, a hotline is registered
with a policy, and every call is screened by :class:`~callwarden.screen.service.Screener`
(logged like live traffic). A challenged caller answers with what the simulator says they key,
until the call is let on or blocked, as the edge asks again with ``ivr_input``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl

from callwarden.cases.db import Database
from callwarden.reputation.categories import Source
from callwarden.reputation.importer import import_rows
from callwarden.screen.dryrun import OUTCOMES, outcome_of
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.service import Screener
from callwarden.simulate.hotline import HotlineDay

__all__ = ["ScreenedDay", "screen_day"]


@dataclass
class ScreenedDay:
    hotline: str
    day: date
    token: str
    #: outcomes per caller kind (the simulator's truth)
    outcomes: pl.DataFrame
    logged: int
    marks_imported: int
    #: unwanted calls kept from the agents, of all unwanted; wanted calls that got through
    unwanted_kept_out: tuple[int, int]
    wanted_through: tuple[int, int]


def screen_day(
    db: Database, day: HotlineDay, policy: str, *, name: str = "demo-400"
) -> ScreenedDay:
    """Screen ``day`` for a new hotline ``name`` under ``policy`` (TOML text)."""
    now = datetime.now(UTC)
    rows = ((i + 2, list(r)) for i, r in enumerate(day.marks.iter_rows()))
    with db.sessions.begin() as s:
        counts, _ = import_rows(s, rows, now, source=Source.IMPORTED_LIST, note="hotline day")
        token = add_hotline(s, name, day.config.hotline, now)
        install_policy(s, name, policy, now, "demo")
    screener = Screener(db).start(background=False)
    hotline = screener.hotline(token)
    retries = hotline.policy.challenge.retries if hotline.policy.challenge else 0
    outcomes: list[str] = []
    calls = day.calls
    for caller, at, keyed in zip(
        calls["caller"].to_list(),
        calls["start_time"].to_list(),
        calls["ivr_input"].to_list(),
        strict=True,
    ):
        decision = screener.decide(hotline, caller, at)
        tries = 0
        while decision.action == "challenge" and keyed and tries < retries:
            decision = screener.decide(hotline, caller, at, keyed)
            tries += 1
        outcomes.append(outcome_of(decision))
    screener.close()
    frame = calls.with_columns(outcome=pl.Series(outcomes, dtype=pl.String))
    table = (
        frame.group_by("truth")
        .agg(pl.len().alias("calls"), *[(pl.col("outcome") == o).sum().alias(o) for o in OUTCOMES])
        .sort("calls", descending=True)
    )
    unwanted = frame.filter(~pl.col("wanted"))
    wanted = frame.filter(pl.col("wanted"))
    return ScreenedDay(
        name,
        day.config.day,
        token,
        table,
        screener.log.written,
        counts.accepted,
        (int((unwanted["outcome"] != "connected").sum()), unwanted.height),
        (int((wanted["outcome"] == "connected").sum()), wanted.height),
    )

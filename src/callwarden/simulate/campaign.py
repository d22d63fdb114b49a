"""A simulated real-name campaign's people: when each unregistered subscriber registers (if at
all), and who complains, when, about what. This is the ground truth a campaign's reports are
checked against.

The people do not know the campaign's schedule in detail: some register during the reminders,
some once the suspensions begin, a few never. Complaints follow the phases (reminders, then
suspension, restore, refund), and a few people complain again and again in one week.

>>> import polars as pl
>>> from callwarden.realname.campaign import Campaign
>>> c = Campaign.model_validate({"name": "t", "phases": {
...     "reminder": ["2026-09-01", "2026-09-30"], "suspension": ["2026-10-01", "2026-10-10"],
...     "registration": ["2026-10-11", "2026-11-30"], "termination": ["2026-12-01", "2026-12-15"]}})
>>> plan = pl.DataFrame({"msisdn": [f"+86138000{i:05d}" for i in range(400)],
...     "kind": ["never_registered", "incomplete", "user_differs", "corporate"] * 100})
>>> regs, complaints = simulate_campaign(plan, c, seed=1)
>>> 0 < regs.height < 400, regs.schema["registered_at"]
(True, Datetime(time_unit='us', time_zone='UTC'))
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import polars as pl

from callwarden.realname.campaign import Campaign
from callwarden.records.schema import REGISTRATION_CHANNELS

__all__ = ["COMPLAINT_TOPICS", "simulate_campaign"]

#: what complaints about a campaign are about
COMPLAINT_TOPICS = ("reminder", "suspension", "restore", "refund", "registration", "other")
#: per kind: share registering during the reminders, once suspensions begin, during termination
_FATE = {
    "never_registered": (0.50, 0.30, 0.05),
    "incomplete": (0.70, 0.20, 0.03),
    "user_differs": (0.45, 0.35, 0.05),
    "corporate": (0.55, 0.30, 0.05),
}
_PHASE_TOPIC = {"reminder": 0, "suspension": 1, "registration": 2, "termination": 3}


def _moment(rng: np.random.Generator, first: date, last: date, n: int, zone: str) -> pl.Series:
    """``n`` local times between 09:00 and 20:00 on days from ``first`` to ``last``, in UTC."""
    days = rng.integers(0, (last - first).days + 1, size=n)
    seconds = rng.integers(9 * 3600, 20 * 3600, size=n)
    base = datetime.combine(first, time())
    local = [
        base + timedelta(days=int(d), seconds=int(s)) for d, s in zip(days, seconds, strict=True)
    ]
    return (
        pl.Series(local, dtype=pl.Datetime("us"))
        .dt.replace_time_zone(zone)
        .dt.convert_time_zone("UTC")
    )


def simulate_campaign(
    plan: pl.DataFrame, campaign: Campaign, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(registrations, complaints) of the plan's subjects over the campaign.

    registrations: ``msisdn``, ``registered_at`` (UTC), ``channel``; complaints:
    ``complaint_id``, ``msisdn``, ``at`` (UTC), ``topic``, ``channel``, ``resolved``,
    ``satisfaction`` (1-5, null when the survey went unanswered).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA4]))
    ph, zone = campaign.phases, campaign.timezone
    numbers = plan["msisdn"].to_numpy()
    kinds = plan["kind"].to_list()
    n = len(numbers)
    u = rng.random(n)
    fate = np.full(n, 3)  # 0 reminders, 1 after suspensions begin, 2 termination, 3 never
    for kind, (a, b, c) in _FATE.items():
        mine = np.array([k == kind for k in kinds], dtype=bool)
        fate[mine & (u < a)] = 0
        fate[mine & (u >= a) & (u < a + b)] = 1
        fate[mine & (u >= a + b) & (u < a + b + c)] = 2
    parts = []
    spans = {0: ph.reminder, 1: (ph.suspension[0], ph.registration[1]), 2: ph.termination}
    for f, (first, last) in spans.items():
        idx = np.flatnonzero(fate == f)
        if idx.size:
            parts.append(
                pl.DataFrame(
                    {
                        "msisdn": numbers[idx],
                        "registered_at": _moment(rng, first, last, idx.size, zone),
                        "channel": np.array(REGISTRATION_CHANNELS)[
                            rng.choice(4, size=idx.size, p=[0.5, 0.3, 0.15, 0.05])
                        ],
                    }
                )
            )
    registrations = (
        pl.concat(parts).sort("registered_at")
        if parts
        else pl.DataFrame(
            schema={
                "msisdn": pl.String,
                "registered_at": pl.Datetime("us", "UTC"),
                "channel": pl.String,
            }
        )
    )
    # complaints: 3% complain once, at a random moment of the campaign; 0.5% complain 3 to 6
    # times within one week of the suspension phase (frequent complainers)
    once = np.flatnonzero(rng.random(n) < 0.03)
    often = np.flatnonzero(rng.random(n) < 0.005)
    repeats = rng.integers(3, 7, size=often.size)
    who = np.concatenate([numbers[once], np.repeat(numbers[often], repeats)])
    at_once = _moment(rng, campaign.first_day, campaign.last_day, once.size, zone)
    week_start = ph.suspension[0]
    at_often = _moment(rng, week_start, week_start + timedelta(days=6), int(repeats.sum()), zone)
    at = pl.concat([at_once, at_often])
    m = who.size
    local = at.dt.convert_time_zone(zone).dt.date().to_list()
    topic = [COMPLAINT_TOPICS[_PHASE_TOPIC.get(campaign.phase_on(d) or "", 5)] for d in local]
    answered = rng.random(m) < 0.7
    rating = np.where(rng.random(m) < 0.985, rng.integers(4, 6, size=m), rng.integers(1, 4, size=m))
    complaints = pl.DataFrame(
        {
            "complaint_id": [f"{campaign.name}-c{i:07d}" for i in range(m)],
            "msisdn": who,
            "at": at,
            "topic": topic,
            "channel": np.array(["hotline", "12321", "online"])[
                rng.choice(3, size=m, p=[0.8, 0.1, 0.1])
            ],
            "resolved": rng.random(m) < 0.966,
            "satisfaction": pl.Series(rating).cast(pl.Int32).set(pl.Series(~answered), None),
        },
        schema_overrides={"msisdn": pl.String},
    ).sort("at")
    return registrations, complaints

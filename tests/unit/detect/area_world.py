"""A little operator written by hand (not the simulator): where callees live, for the relay rules.

Subscribers live in ten areas, one of them (成都) home to nearly half of them. Five retired
owners each dial six numbers one after another, two minutes apart, nobody answering: a
relay's pace, each at its own hour of the day (no campaign ties them). What differs is who
they call:

- ``ROUND``: six residents of 绵阳 (a twentieth of the subscribers): a round of calls;
- ``SPREAD``: one resident each of six areas: a list from anywhere;
- ``OTHER_NET``: six numbers of another network (no area known);
- ``FOREIGN``: numbers abroad and odd strings (no area, nothing may break);
- ``COMMON``: five residents of 成都, where so many live that anyone's list does that.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .records_by_hand import CALL_SCHEMA, subscriber_table

T0 = dt.datetime(2026, 7, 8, 8, tzinfo=dt.UTC)
AREAS = ["成都", "绵阳", "德阳", "自贡", "泸州", "乐山", "南充", "宜宾", "达州", "511800"]
COMMON_AREA, ROUND_AREA = AREAS[0], AREAS[1]
#: residents of each area: 48 in 成都, 6 elsewhere
RESIDENTS = {
    a: [f"+8613{k:02d}{j:07d}" for j in range(48 if a == COMMON_AREA else 6)]
    for k, a in enumerate(AREAS)
}
ROUND, SPREAD, OTHER_NET, FOREIGN, COMMON = (f"+86158000000{k:02d}" for k in range(5))
CALLERS = (ROUND, SPREAD, OTHER_NET, FOREIGN, COMMON)
#: numbers called by each caller
CALLED = {
    ROUND: RESIDENTS[ROUND_AREA][:6],
    SPREAD: [RESIDENTS[a][0] for a in AREAS[1:7]],
    OTHER_NET: [f"+8613012{j:06d}" for j in range(6)],
    FOREIGN: ["+447911123456", "+21620123456", "5e1272273e041e82", "+8695588", "12345",
              "+12025550180"],
    COMMON: RESIDENTS[COMMON_AREA][:5],
}  # fmt: skip


def calls() -> pl.DataFrame:
    """Each caller's burst, at its own hour (two minutes apart, unanswered, one place)."""
    rows = []
    for h, caller in enumerate(CALLERS):
        for j, callee in enumerate(CALLED[caller]):
            at = T0 + dt.timedelta(hours=2 * h, seconds=120 * j)
            rows.append((f"{caller}-{j}", caller, callee, at, 0, 20, "C1", f"I{h}"))
    return pl.DataFrame(rows, schema=CALL_SCHEMA, orient="row")


def subscribers(*, one_area: bool = False, regions: bool = True) -> pl.DataFrame:
    """Residents and callers (callers aged 76, living in 成都); ``one_area``: everyone in
    成都; ``regions=False``: no ``region`` column."""
    numbers = [(m, a) for a, ms in RESIDENTS.items() for m in ms]
    numbers += [(c, COMMON_AREA) for c in CALLERS]
    frame = subscriber_table(
        [m for m, _ in numbers],
        [COMMON_AREA if one_area else a for _, a in numbers],
        [1950 if m in CALLERS else 1985 for m, _ in numbers],
        dt.date(2015, 1, 1),
    )
    return frame if regions else frame.drop("region")

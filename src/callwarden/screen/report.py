"""A hotline's daily report from the decision log: who was kept out, when, why, from where.

Reads ``screen_decisions`` for one hotline and one day (midnight to midnight in the hotline's
time zone) into Polars and answers: decisions by action; blocked and challenged calls by hour,
by mark category and by region (province, 归属地); the top offending numbers.

>>> from datetime import UTC, date, datetime
>>> from callwarden.cases.db import open_database
>>> db = open_database("sqlite://")
>>> from callwarden.screen.hotlines import add_hotline
>>> with db.sessions.begin() as s:
...     _ = add_hotline(s, "acme", "4001234567", datetime(2026, 12, 1, tzinfo=UTC))
>>> daily_report(db, "acme", date(2026, 12, 1)).total
0
>>> daily_report(db, "acme", None, now=datetime(2026, 12, 1, 16, 30, tzinfo=UTC)).day  # 00:30
datetime.date(2026, 12, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from sqlalchemy import select

from callwarden.cases.db import Database
from callwarden.numbers import mask
from callwarden.screen.hotlines import hotline_named, load_hotlines
from callwarden.screen.models import ScreenDecision

__all__ = ["DailyReport", "daily_report", "province_of"]

_KEPT_OUT = ("block", "challenge")
_PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))|^(北京|上海|天津|重庆)市?")


def province_of(region: str) -> str:
    """The province (or municipality) of a region as geocoded: ``广东省深圳市`` -> ``广东省``.

    >>> province_of("广东省深圳市"), province_of("北京市"), province_of("美国"), province_of("")
    ('广东省', '北京', '美国', '')
    """
    m = _PROVINCE.match(region)
    if m is None:
        return region
    return m.group(1) or m.group(2)


@dataclass
class DailyReport:
    hotline: str
    day: date
    total: int
    by_action: pl.DataFrame
    by_hour: pl.DataFrame
    by_category: pl.DataFrame
    by_region: pl.DataFrame
    top_numbers: pl.DataFrame


def _frame(db: Database, hotline_id: int, start: datetime, end: datetime) -> pl.DataFrame:
    query = select(
        ScreenDecision.at,
        ScreenDecision.caller,
        ScreenDecision.caller_flag,
        ScreenDecision.action,
        ScreenDecision.category,
        ScreenDecision.country,
        ScreenDecision.region,
    ).where(
        ScreenDecision.hotline_id == hotline_id,
        ScreenDecision.at >= start,
        ScreenDecision.at < end,
    )
    with db.reads() as s:
        rows = s.execute(query).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "at": pl.Datetime("us", "UTC"),
            "caller": pl.String,
            "caller_flag": pl.String,
            "action": pl.String,
            "category": pl.String,
            "country": pl.String,
            "region": pl.String,
        },
        orient="row",
    )


def daily_report(
    db: Database,
    name: str,
    day: date | None,
    *,
    top: int = 10,
    full_numbers: bool = False,
    now: datetime | None = None,
) -> DailyReport:
    """The report of hotline ``name`` for ``day`` (in the hotline's policy's time zone); with
    no day, the day it is there at ``now`` (the wall clock when not given), which from 16:00
    UTC is already the next calendar day in Shanghai."""
    with db.reads() as s:
        hotline = hotline_named(s, name)
        states = {h.id: h for h in load_hotlines(s)}
    zone = states[hotline.id].policy.zone if hotline.id in states else UTC
    if day is None:
        day = (now or datetime.now(UTC)).astimezone(zone).date()
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    frame = _frame(db, hotline.id, start, start + timedelta(days=1))
    frame = frame.with_columns(
        hour=pl.col("at").dt.convert_time_zone(str(zone)).dt.hour(),
        province=pl.col("region").map_elements(province_of, return_dtype=pl.String),
    )
    out = frame.filter(pl.col("action").is_in(_KEPT_OUT))
    kept = [
        (pl.col("action") == "block").sum().alias("blocked"),
        (pl.col("action") == "challenge").sum().alias("challenged"),
    ]
    by_hour = out.group_by("hour").agg(*kept).sort("hour")
    by_category = (
        out.with_columns(pl.col("category").fill_null("(no mark)"))
        .group_by("category")
        .agg(*kept, pl.len().alias("calls"))
        .sort("calls", "category", descending=[True, False])
    )
    by_region = (
        out.with_columns(
            pl.when(pl.col("caller_flag").is_not_null())
            .then(pl.lit("(spoofed or withheld)"))
            .when(pl.col("province") == "")
            .then(pl.lit("(unknown)"))
            .otherwise(pl.col("province"))
            .alias("region")
        )
        .group_by("region")
        .agg(*kept, pl.len().alias("calls"))
        .sort("calls", "region", descending=[True, False])
    )
    shown = (lambda n: n) if full_numbers else _masked
    top_numbers = (
        out.group_by("caller")
        .agg(
            pl.len().alias("calls"),
            (pl.col("action") == "block").sum().alias("blocked"),
            pl.col("category").drop_nulls().first().alias("category"),
            pl.col("province").first().alias("region"),
        )
        .sort("calls", "caller", descending=[True, False])
        .head(top)
        .with_columns(pl.col("caller").map_elements(shown, return_dtype=pl.String))
    )
    by_action = frame.group_by("action").agg(pl.len().alias("calls")).sort("calls", descending=True)
    return DailyReport(
        name, day, frame.height, by_action, by_hour, by_category, by_region, top_numbers
    )


def _masked(number: str) -> str:
    return mask(number) if number.startswith("+") else number

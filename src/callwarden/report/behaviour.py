"""A number's calling behaviour from the call records, as the console's charts draw it.

What an agent needs to see at once (seed 000: "7月8日傍晚短短一小时内...平均每2分钟一次"):
calls per 10 minutes, answered and not; distinct callees per 10 minutes; the time between calls;
the regions (归属地) of the callees. The records are the canonical calls Parquet files; only the
number's own outgoing calls in the window are read (Polars pushes the filter down to the scan).

>>> from datetime import UTC, datetime
>>> import polars as pl
>>> t = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)
>>> calls = pl.LazyFrame({"caller": ["+8613812345678"] * 3, "callee": ["+8613912345678",
...     "+8613912345679", "+861062345678"], "start_time": [t, t.replace(minute=2),
...     t.replace(minute=14)], "duration_s": [30, 0, 12]})
>>> b = behaviour_of(calls, "+8613812345678", hours=1)
>>> b["calls"], b["answered"], b["distinct_callees"], b["median_gap_s"]
(3, 2, 3, 420.0)
>>> [(x["answered"], x["unanswered"]) for x in b["bins"] if x["answered"] or x["unanswered"]]
[(1, 1), (1, 0)]
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.records.ingest import read_canonical
from callwarden.reputation.region import origin

__all__ = ["GAP_BUCKETS", "behaviour_of", "number_behaviour"]

#: time between two calls, bucketed: (upper bound in seconds, label)
GAP_BUCKETS: tuple[tuple[float, str], ...] = (
    (30, "<30s"),
    (60, "30s-1m"),
    (120, "1-2m"),
    (300, "2-5m"),
    (900, "5-15m"),
    (3600, "15-60m"),
    (float("inf"), ">1h"),
)
_BIN = timedelta(minutes=10)


def number_behaviour(
    calls: Path,
    msisdn: str,
    *,
    end: datetime | None = None,
    hours: int = 24,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """The number's behaviour in the ``hours`` before ``end`` (its last call when None)."""
    return behaviour_of(
        read_canonical(calls, "calls"), msisdn, end=end, hours=hours, timezone=timezone
    )


def behaviour_of(
    calls: pl.LazyFrame,
    msisdn: str,
    *,
    end: datetime | None = None,
    hours: int = 24,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """:func:`number_behaviour` over a lazy frame of calls (caller, callee, start_time,
    duration_s)."""
    own = calls.filter(pl.col("caller") == msisdn).select(
        "callee", "start_time", (pl.col("duration_s") > 0).alias("answered")
    )
    if end is None:
        last = own.select(pl.col("start_time").max()).collect().item()
        if last is None:
            return _empty(msisdn, hours)
        end = last + timedelta(seconds=1)
    start = end - timedelta(hours=hours)
    frame = (
        own.filter((pl.col("start_time") >= start) & (pl.col("start_time") < end))
        .sort("start_time")
        .collect()
    )
    if frame.height == 0:
        return _empty(msisdn, hours, start, end)
    zone = ZoneInfo(timezone)
    # the chart starts one bin before the first call in the window: no empty day before it
    first = frame["start_time"][0] - _BIN
    first_bin = first - timedelta(
        minutes=first.minute % 10, seconds=first.second, microseconds=first.microsecond
    )
    per_bin = (
        frame.with_columns(pl.col("start_time").dt.truncate("10m").alias("bin"))
        .group_by("bin")
        .agg(
            pl.col("answered").sum().alias("answered"),
            (~pl.col("answered")).sum().alias("unanswered"),
            pl.col("callee").n_unique().alias("callees"),
        )
    )
    counts = {row["bin"]: row for row in per_bin.iter_rows(named=True)}
    bins = []
    at = first_bin
    while at < end:
        row = counts.get(at, {})
        bins.append(
            {
                "start": at.astimezone(zone).strftime("%m-%d %H:%M"),
                "answered": int(row.get("answered", 0)),
                "unanswered": int(row.get("unanswered", 0)),
                "callees": int(row.get("callees", 0)),
            }
        )
        at += _BIN
    gaps = frame["start_time"].diff().dt.total_seconds().drop_nulls().to_list()
    gap_counts = Counter(next(label for bound, label in GAP_BUCKETS if g < bound) for g in gaps)
    regions = Counter(origin(c).region for c in frame["callee"].to_list())
    answered = int(frame["answered"].sum())
    return {
        "msisdn": msisdn,
        "hours": hours,
        "start": start.astimezone(zone).isoformat(),
        "end": end.astimezone(zone).isoformat(),
        "calls": frame.height,
        "answered": answered,
        "distinct_callees": frame["callee"].n_unique(),
        "median_gap_s": float(pl.Series(gaps).median()) if gaps else None,  # type: ignore[arg-type]
        "bins": bins,
        "gaps": [{"label": label, "count": gap_counts.get(label, 0)} for _, label in GAP_BUCKETS],
        "regions": [{"label": r, "count": n} for r, n in regions.most_common(8)],
    }


def _empty(
    msisdn: str, hours: int, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    return {
        "msisdn": msisdn,
        "hours": hours,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "calls": 0,
        "answered": 0,
        "distinct_callees": 0,
        "median_gap_s": None,
        "bins": [],
        "gaps": [],
        "regions": [],
    }

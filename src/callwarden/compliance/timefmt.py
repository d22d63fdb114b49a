"""Times in register and call files, read as whole columns: ISO 8601 with or without a zone,
``2026-07-08 14:23[:05]``, or a date; a time without a zone is the business's local time.

>>> s = pl.Series(["2026-07-08 14:23", "2026-07-08T06:23:00Z", "2026-07-08", "soon", None])
>>> [str(v) if v else v for v in parse_times(s, "Asia/Shanghai").to_list()]
['2026-07-08 06:23:00+00:00', '2026-07-08 06:23:00+00:00', '2026-07-07 16:00:00+00:00', None, None]
"""

from __future__ import annotations

import polars as pl

__all__ = ["parse_times"]

_ZONED = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_LOCAL = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
_UTC = pl.Datetime("us", "UTC")


def parse_times(values: pl.Series, zone: str) -> pl.Series:
    """UTC times of a text column; null where a value is empty or no time."""
    text = values.cast(pl.Utf8).str.strip_chars().str.replace(r"Z$", "+00:00")
    frame = pl.DataFrame({"t": text})
    zoned = [pl.col("t").str.strptime(_UTC, f, strict=False) for f in _ZONED]
    local = [
        pl.col("t")
        .str.strptime(pl.Datetime("us"), f, strict=False, exact=True)
        .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        for f in _LOCAL
    ]
    day = (
        pl.col("t")
        .str.strptime(pl.Date, "%Y-%m-%d", strict=False, exact=True)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    out = frame.select(pl.coalesce([*zoned, *local, day]).alias(values.name or "t"))
    return out.to_series()

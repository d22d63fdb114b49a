"""Registrations and complaints as they arrive (CSV or Parquet), checked row by row.

A good row is taken in; a bad one is set aside with its line and reason, so read = accepted +
quarantined always holds. A file that cannot be read at all, or lacks a column, is an error
naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from callwarden.errors import InputFileError
from callwarden.numbers import try_normalise
from callwarden.records.schema import REGISTRATION_CHANNELS

__all__ = ["COMPLAINT_TOPICS", "Feed", "read_complaints", "read_registrations"]

COMPLAINT_TOPICS = ("reminder", "suspension", "restore", "refund", "registration", "other")
_UTC = pl.Datetime("us", "UTC")


@dataclass
class Feed:
    """The good rows, and the bad ones with their line (1 = the first data row) and reason."""

    rows: pl.DataFrame
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.rows.height + len(self.rejected)


def _read(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    if not path.is_file():
        raise InputFileError(path, "no such file")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read as CSV or Parquet ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputFileError(
            path,
            f"missing column(s) {', '.join(missing)}; found {', '.join(frame.columns) or 'none'}",
        )
    return frame.with_row_index("line", offset=1)


def _times(col: pl.Series) -> pl.Series:
    if col.dtype == _UTC:
        return col
    if isinstance(col.dtype, pl.Datetime):
        return (
            col.dt.replace_time_zone("UTC")
            if col.dtype.time_zone is None
            else col.dt.convert_time_zone("UTC")
        )
    text = col.cast(pl.String)
    return text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us")


def _split(frame: pl.DataFrame, problems: list[tuple[pl.Expr, str]]) -> Feed:
    reason = pl.lit(None, pl.String)
    for bad, why in reversed(problems):
        reason = pl.when(bad).then(pl.lit(why)).otherwise(reason)
    marked = frame.with_columns(_reason=reason)
    out = marked.filter(pl.col("_reason").is_not_null()).select("line", "_reason")
    rejected = [{"line": r["line"], "reason": r["_reason"]} for r in out.to_dicts()]
    return Feed(marked.filter(pl.col("_reason").is_null()).drop("_reason", "line"), rejected)


def _numbers(frame: pl.DataFrame) -> pl.DataFrame:
    raw = frame["msisdn"].cast(pl.String).to_list()
    return frame.with_columns(
        msisdn=pl.Series([try_normalise(v)[0] if v else None for v in raw], dtype=pl.String)
    )


def read_registrations(path: Path) -> Feed:
    """``msisdn``, ``registered_at`` (ISO-8601 with offset, or UTC), ``channel``."""
    frame = _read(path, ("msisdn", "registered_at", "channel"))
    frame = _numbers(frame).with_columns(
        registered_at=_times(frame["registered_at"]), channel=frame["channel"].cast(pl.String)
    )
    return _split(
        frame.select("line", "msisdn", "registered_at", "channel"),
        [
            (pl.col("msisdn").is_null(), "msisdn: not a phone number"),
            (pl.col("registered_at").is_null(), "registered_at: not a date and time"),
            (
                ~pl.col("channel").is_in(REGISTRATION_CHANNELS).fill_null(False),
                f"channel: not one of {', '.join(REGISTRATION_CHANNELS)}",
            ),
        ],
    )


def read_complaints(path: Path) -> Feed:
    """``complaint_id``, ``msisdn``, ``at``, ``topic``, ``channel``, ``resolved``,
    ``satisfaction`` (1-5 or empty)."""
    cols = ("complaint_id", "msisdn", "at", "topic", "channel", "resolved", "satisfaction")
    frame = _read(path, cols)
    resolved = frame["resolved"].cast(pl.String).str.to_lowercase()
    sat = frame["satisfaction"].cast(pl.String)
    frame = _numbers(frame).with_columns(
        complaint_id=frame["complaint_id"].cast(pl.String),
        at=_times(frame["at"]),
        topic=frame["topic"].cast(pl.String),
        channel=frame["channel"].cast(pl.String),
        resolved=resolved.replace_strict(
            {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False},
            default=None,
            return_dtype=pl.Boolean,
        ),
        satisfaction=sat.cast(pl.Int64, strict=False),
        _sat_given=sat.is_not_null() & (sat.str.strip_chars() != ""),
    )
    feed = _split(
        frame.select("line", *cols, "_sat_given"),
        [
            (
                pl.col("complaint_id").is_null() | (pl.col("complaint_id").str.len_chars() > 64),
                "complaint_id: empty or longer than 64 characters",
            ),
            (pl.col("msisdn").is_null(), "msisdn: not a phone number"),
            (pl.col("at").is_null(), "at: not a date and time"),
            (
                ~pl.col("topic").is_in(COMPLAINT_TOPICS).fill_null(False),
                f"topic: not one of {', '.join(COMPLAINT_TOPICS)}",
            ),
            (
                pl.col("channel").is_null() | (pl.col("channel").str.len_chars() > 16),
                "channel: empty or longer than 16 characters",
            ),
            (pl.col("resolved").is_null(), "resolved: not true or false"),
            (
                pl.col("_sat_given") & ~pl.col("satisfaction").is_between(1, 5).fill_null(False),
                "satisfaction: not a rating from 1 to 5",
            ),
            (
                ~pl.col("complaint_id").is_first_distinct(),
                "complaint_id: given twice in the file (the first is kept)",
            ),
        ],
    )
    feed.rows = feed.rows.drop("_sat_given")
    return feed

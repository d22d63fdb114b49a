"""The audit of a business's outbound day: every call made without consent, after a refusal,
outside the calling hours, over a frequency limit or from a line not registered, with the
seats and lines that dialled them, counted in the categories of the complaint statistics.

The rules are those of the pre-dial check (:mod:`callwarden.compliance.rules`) applied to
whole columns with Polars: the registers are joined on the callee's key, hours are read in
the callee's local time (numbers of the home country in the policy's zone in one pass, foreign
ones one by one), and a frequency limit ``{calls, days}`` flags a call when the person already
had ``calls`` calls of the business in the ``days`` x 24 hours before it (calls in the file,
whatever their other faults: each one reached the person). Calls whose callee or time cannot
be read are set aside (``unreadable``), never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers
import polars as pl
import polars.selectors as cs

from callwarden.compliance.policy import OutboundPolicy
from callwarden.compliance.rules import CODES, consent_expr, refused_expr
from callwarden.compliance.timefmt import parse_times
from callwarden.errors import InputFileError
from callwarden.numbers import normalise_series
from callwarden.reputation.categories import Category
from callwarden.reputation.complaint_stats import headline, share

__all__ = ["AuditResult", "audit_calls", "read_calls"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "call_id": ("call_id", "id", "话单编号", "呼叫编号"),
    "caller_line": ("caller_line", "caller", "line", "主叫号码", "外呼号码"),
    "callee": ("callee", "called", "被叫号码", "用户号码"),
    "start_time": ("start_time", "time", "called_at", "呼叫时间", "开始时间"),
    "seat": ("seat", "seat_id", "agent", "坐席", "坐席号"),
    "vendor": ("vendor", "外包方", "供应商"),
    "category": ("category", "类别", "业务类别"),
    "business": ("business", "企业"),
}
_EPOCH_S = 946_684_800  # 2000-01-01 UTC: the registers' stamps count from there
_DAY = 86_400


def read_calls(path: Path) -> pl.DataFrame:
    """A calls file (Parquet, CSV or TSV) with its known columns renamed; others dropped."""
    try:
        if path.suffix.lower() == ".parquet":
            raw = pl.read_parquet(path)
        else:
            with path.open(encoding="utf-8-sig") as fh:
                first = fh.readline()
            sep = "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in first else ","
            raw = pl.read_csv(
                path,
                separator=sep,
                infer_schema=False,
                encoding="utf8-lossy",
                truncate_ragged_lines=True,
            )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(path, f"cannot read the calls ({exc})") from None
    found: dict[str, str] = {}
    for column in raw.columns:
        name = column.strip().lstrip("\ufeff").lower()
        for fld, aliases in _ALIASES.items():
            if name in aliases and fld not in found:
                found[fld] = column
    missing = [f for f in ("callee", "start_time", "caller_line") if f not in found]
    if missing:
        raise InputFileError(path, f"the header has no column for {', '.join(missing)}")
    return raw.select(pl.col(c).alias(f) for f, c in found.items())


@dataclass
class AuditResult:
    """What the audit found; ``violations`` has one row per call that broke a rule."""

    business: str
    calls: int
    unreadable: int
    violations: pl.DataFrame
    by_rule: list[dict[str, Any]] = field(default_factory=list)
    by_seat: list[dict[str, Any]] = field(default_factory=list)
    by_line: list[dict[str, Any]] = field(default_factory=list)
    by_category: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, top: int = 50) -> dict[str, Any]:
        total = sum(c["count"] for c in self.by_category)
        return {
            "business": self.business,
            "calls": self.calls,
            "unreadable": self.unreadable,
            "violating_calls": self.violations.height,
            "by_rule": self.by_rule,
            "by_seat": self.by_seat[:top],
            "by_line": self.by_line[:top],
            "by_category": self.by_category,
            "headline": {
                "zh": headline(total, self.by_category, "zh"),
                "en": headline(total, self.by_category),
            },
        }


def _prepare(calls: pl.DataFrame, policy: OutboundPolicy) -> tuple[pl.DataFrame, int]:
    """Stored callee and line, key, UTC time, stamp; the rows that cannot be read dropped."""
    n = calls.height
    if "call_id" not in calls.columns:
        calls = calls.with_columns(pl.format("row-{}", pl.int_range(2, n + 2)).alias("call_id"))
    for optional in ("seat", "vendor", "category"):
        if optional not in calls.columns:
            calls = calls.with_columns(pl.lit(None, pl.Utf8).alias(optional))
    callee = _stored(calls["callee"], policy.home_country)
    line = _stored(calls["caller_line"], policy.home_country)
    start = calls["start_time"]
    if isinstance(start.dtype, pl.Datetime):
        at = start.dt.replace_time_zone("UTC") if start.dtype.time_zone is None else start
        at = at.dt.convert_time_zone("UTC")
    else:
        at = parse_times(start.cast(pl.Utf8), policy.timezone)
    frame = calls.with_columns(
        callee.alias("callee"),
        pl.coalesce(line, calls["caller_line"].cast(pl.Utf8)).alias("caller_line"),
        at.dt.cast_time_unit("us").alias("start_time"),
    ).filter(pl.col("callee").is_not_null() & pl.col("start_time").is_not_null())
    frame = frame.with_columns(
        pl.col("callee").str.slice(1).cast(pl.Int64, strict=False).alias("key"),
        (pl.col("start_time").dt.epoch("s") - _EPOCH_S).alias("t"),
    ).filter(pl.col("key").is_not_null())
    return frame, n - frame.height


def _stored(values: pl.Series, home: str) -> pl.Series:
    """Numbers as stored: a value already in E.164 shape is kept as it is (its digits are the
    registers' key; one nobody can own simply matches no consent), every other distinct value
    is normalised once (:func:`callwarden.numbers.normalise_series`); null when it is none."""
    text = values.cast(pl.Utf8)
    shaped = text.str.contains(r"^\+[1-9][0-9]{6,14}$").fill_null(False)
    if shaped.all():
        return text.alias(values.name)
    rows = (~shaped).arg_true()
    others = text.gather(rows)
    distinct = others.unique().drop_nulls()
    e164, _ = normalise_series(distinct, home)
    mapped = others.replace_strict(distinct, e164, default=None, return_dtype=pl.Utf8)
    return text.scatter(rows, mapped).alias(values.name)


def _seconds(window_time: Any) -> int:
    seconds = window_time.hour * 3600 + window_time.minute * 60 + window_time.second
    return (
        _DAY
        if (window_time.hour, window_time.minute, window_time.second) == (23, 59, 59)
        else seconds
    )


def _local_seconds(policy: OutboundPolicy) -> pl.Expr:
    """Seconds since 1970-01-01 on the policy zone's wall clock (computed once per row)."""
    local = pl.col("start_time").dt.convert_time_zone(policy.timezone).dt.replace_time_zone(None)
    return local.dt.epoch("s").alias("local_s")


def _hours_expr(policy: OutboundPolicy) -> pl.Expr:
    """Inside the calling hours, for numbers of the home country (the policy's zone), from
    ``local_s`` in integer arithmetic."""
    clock = pl.col("local_s") % _DAY
    days = pl.col("local_s") // _DAY
    inside = pl.lit(False)
    for w in policy.hours.windows:
        lo, hi = _seconds(w.start), _seconds(w.end)
        if lo <= hi:
            inside = inside | ((clock >= lo) & (clock < hi))
        else:
            inside = inside | (clock >= lo) | (clock < hi)
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    allowed = [i for i, d in enumerate(names) if d in policy.hours.days]
    if len(allowed) < len(names):
        inside = inside & ((days + 3) % 7).is_in(allowed)  # 1970-01-01 was a Thursday
    if policy.hours.closed_on:
        closed = [(date.fromisoformat(d) - date(1970, 1, 1)).days for d in policy.hours.closed_on]
        inside = inside & ~days.is_in(closed)
    return inside


def _frequency(frame: pl.DataFrame, policy: OutboundPolicy) -> pl.Series:
    """Per row (in the frame's order): the limit it goes over (days), or 0."""
    if not policy.limits or frame.height == 0:
        return pl.Series("over", np.zeros(frame.height, np.int32))
    # ties (the same second) in file order, as the dials were made
    order = frame.select(pl.int_range(pl.len()).alias("row"), "key", "t").sort(["key", "t", "row"])
    keys = order["key"].to_numpy()
    rank = np.cumsum(np.concatenate([[True], keys[1:] != keys[:-1]])).astype(np.int64)
    t = order["t"].to_numpy().astype(np.int64)
    combined = (rank << 33) | (t + (1 << 32))  # stamps may be negative before 2000
    index = np.arange(len(combined), dtype=np.int64)
    over = np.zeros(len(combined), np.int32)
    for limit in sorted(policy.limits, key=lambda w: w.days):
        low = (rank << 33) | (t - limit.days * _DAY + 1 + (1 << 32))
        earlier = index - np.searchsorted(combined, low, side="left")
        over = np.where((over == 0) & (earlier >= limit.calls), limit.days, over)
    out = np.zeros(len(combined), np.int32)
    out[order["row"].to_numpy()] = over
    return pl.Series("over", out)


def audit_calls(
    business: str,
    calls: pl.DataFrame,
    policy: OutboundPolicy,
    consents: pl.DataFrame,
    refusals: pl.DataFrame,
) -> AuditResult:
    """Audit ``calls`` of ``business`` against its registers (``consents``: key, g, e, w;
    ``refusals``: key, r, one row per person, as :mod:`callwarden.compliance.rules` merges
    them)."""
    if "business" in calls.columns:
        calls = calls.filter(pl.col("business").cast(pl.Utf8) == business)
    frame, unreadable = _prepare(calls, policy)
    home = f"+{_country_code(policy.home_country)}"
    frame = (
        frame.lazy()
        .join(consents.lazy(), on="key", how="left")
        .join(refusals.lazy(), on="key", how="left")
        .with_columns(
            consent_expr(pl.col("g"), pl.col("e"), pl.col("w"), pl.col("t")).alias("state"),
            pl.col("callee").str.starts_with(home).alias("home"),
            _local_seconds(policy),
        )
        .with_columns(
            refused_expr(pl.col("r"), pl.col("state"), pl.col("g"), pl.col("t")).alias("refused"),
            pl.when(pl.col("home")).then(_hours_expr(policy)).alias("inside"),
        )
        .collect()
    )
    foreign = frame.filter(~pl.col("home")).select("callee", "start_time").unique()
    if foreign.height:  # rare: each foreign number's zones looked up once
        checked = [
            policy.inside_hours(at.astimezone(UTC), callee) for callee, at in foreign.iter_rows()
        ]
        foreign = foreign.with_columns(pl.Series("inside_abroad", checked, pl.Boolean))
        frame = (
            frame.join(foreign, on=["callee", "start_time"], how="left")
            .with_columns(pl.coalesce("inside", "inside_abroad").alias("inside"))
            .drop("inside_abroad")
        )
    frame = frame.with_columns(_frequency(frame, policy))
    flags = {
        "line_not_registered": ~pl.col("caller_line").is_in(list(policy.lines)),
        "refused": pl.col("refused"),
        "no_consent": pl.lit(policy.consent_required) & (pl.col("state") == "none"),
        "consent_expired": pl.lit(policy.consent_required) & (pl.col("state") == "expired"),
        "consent_withdrawn": pl.lit(policy.consent_required) & (pl.col("state") == "withdrawn"),
        "outside_hours": ~pl.col("inside"),
        "frequency": pl.col("over") > 0,
    }
    # one bit per rule; the codes' lists are made once per combination that occurs
    mask = pl.sum_horizontal(
        [expr.fill_null(False).cast(pl.UInt8) * (1 << i) for i, expr in enumerate(flags.values())]
    ).cast(pl.UInt8)
    frame = frame.with_columns(mask.alias("mask"))
    bad = frame.filter(pl.col("mask") > 0)
    masks = bad["mask"].unique().to_list()
    names = list(flags)
    codes = [[n for i, n in enumerate(names) if m >> i & 1] for m in masks]
    known = [c.value for c in Category]
    bad = bad.with_columns(
        pl.col("mask").replace_strict(masks, codes, return_dtype=pl.List(pl.Utf8)).alias("codes"),
        pl.when(pl.col("category").cast(pl.Utf8).is_in(known))
        .then(pl.col("category").cast(pl.Utf8))
        .otherwise(pl.lit(policy.category.value))
        .alias("category"),
    )
    return _summaries(business, frame, bad, unreadable)


def _summaries(
    business: str, frame: pl.DataFrame, bad: pl.DataFrame, unreadable: int
) -> AuditResult:
    violations = bad.select(
        "call_id",
        "start_time",
        "seat",
        "vendor",
        "caller_line",
        "callee",
        "category",
        "codes",
    ).sort("start_time", maintain_order=True)
    exploded = bad.select("call_id", "seat", "caller_line", "codes").explode("codes")
    by_rule = [
        {
            "code": code,
            "rule": CODES[code][0],
            "name_zh": CODES[code][1],
            "name_en": CODES[code][2],
            "count": n,
        }
        for code, n in exploded.group_by("codes")
        .len()
        .sort("len", "codes", descending=[True, False])
        .iter_rows()
    ]
    result = AuditResult(business, frame.height, unreadable, violations, by_rule)
    result.by_seat = _by(frame, bad, "seat", exploded)
    result.by_line = _by(frame, bad, "caller_line", exploded)
    cats = bad.group_by("category").len().sort("len", "category", descending=[True, False])
    total = bad.height
    result.by_category = [
        {
            "category": c,
            "name_zh": Category(c).zh,
            "name_en": Category(c).en,
            "count": n,
            "share": share(n, total),
        }
        for c, n in cats.iter_rows()
    ]
    return result


def _by(
    frame: pl.DataFrame, bad: pl.DataFrame, column: str, exploded: pl.DataFrame
) -> list[dict[str, Any]]:
    """Calls dialled and those that broke a rule, with each rule's count, by seat or line."""
    dialled = frame.group_by(column).len("calls")
    broke = bad.group_by(column).len("violating")
    codes = (
        exploded.group_by(column, "codes").len().pivot("codes", index=column, values="len")
        if exploded.height
        else pl.DataFrame({column: []}, schema={column: pl.Utf8})
    )
    table = (
        broke.join(dialled, on=column, how="left", nulls_equal=True)
        .join(codes, on=column, how="left", nulls_equal=True)
        .with_columns(cs.numeric().fill_null(0))
        .filter(pl.col("violating") > 0)
        .sort("violating", column, descending=[True, False], nulls_last=True)
    )
    out = []
    for row in table.iter_rows(named=True):
        key = row.pop(column)
        out.append(
            {
                column: key if key is not None else "(unknown)",
                "calls": row.pop("calls"),
                "violating": row.pop("violating"),
                "by_rule": {c: int(row.get(c, 0) or 0) for c in CODES if row.get(c)},
            }
        )
    return out


def _country_code(region: str) -> int:
    return int(phonenumbers.country_code_for_region(region)) or 86

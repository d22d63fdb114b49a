"""``campaign plan``: every unregistered subscriber, its kind and the reason, in one file.

Beside the plan goes ``PLAN.summary.json``: subscribers and registered ones per region (the
real-name rate is counted against them) and subjects per kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from callwarden.errors import ConfigError, InputFileError
from callwarden.realname.kinds import KINDS, classify
from callwarden.records.load import load_records

__all__ = ["PlanSummary", "plan_campaign", "read_plan", "summary_path"]

PlanSummary = dict[str, Any]
_COLUMNS = ("msisdn", "kind", "reason", "reason_zh", "region", "owner_type", "balance_fen")


def summary_path(plan: Path) -> Path:
    """``plan.parquet`` -> ``plan.summary.json``."""
    return plan.with_name(plan.stem + ".summary.json")


def plan_campaign(subscribers: Path, out: Path) -> PlanSummary:
    """Classify the subscribers under ``subscribers`` and write the plan to ``out`` (.parquet
    or .csv) and its summary beside it; the summary."""
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ConfigError(f"--out {out}: give a .parquet or .csv file")
    subs = load_records(subscribers, "subscribers")
    plan = classify(subs)
    totals = (
        subs.group_by(pl.col("region").fill_null(""))
        .agg(
            subscribers=pl.len(),
            verified=(pl.col("realname_status") == "verified").sum(),
        )
        .sort("region")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        plan.write_csv(out)
    else:
        plan.write_parquet(out)
    kinds = dict(plan.group_by("kind").len().iter_rows())
    summary: PlanSummary = {
        "subscribers": subs.height,
        "unregistered": plan.height,
        "kinds": {k: int(kinds.get(k, 0)) for k in KINDS},
        "regions": totals.to_dicts(),
    }
    summary_path(out).write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return summary


def read_plan(path: Path) -> tuple[pl.DataFrame, PlanSummary]:
    """A plan written by :func:`plan_campaign`, and its summary; clear errors otherwise."""
    if not path.is_file():
        raise InputFileError(path, "no such plan file; write one with `callwarden campaign plan`")
    try:
        frame = pl.read_csv(path) if path.suffix.lower() == ".csv" else pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputFileError(path, f"not a campaign plan ({exc})") from None
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(path, f"not a campaign plan: no column(s) {', '.join(missing)}")
    bad = frame.filter(~pl.col("kind").is_in(KINDS))
    if bad.height:
        row = bad.row(0, named=True)
        raise InputFileError(
            path,
            f"msisdn {row['msisdn']}: unknown kind {row['kind']!r} (one of {', '.join(KINDS)})",
        )
    side = summary_path(path)
    try:
        summary: PlanSummary = json.loads(side.read_text(encoding="utf-8"))
        summary["regions"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputFileError(
            side, "the plan's summary is missing or unreadable; write the plan again"
        ) from None
    return frame.select(
        pl.col("msisdn").cast(pl.String),
        "kind",
        pl.col("reason").cast(pl.String),
        pl.col("reason_zh").cast(pl.String),
        pl.col("region").cast(pl.String).fill_null(""),
        pl.col("owner_type").cast(pl.String),
        pl.col("balance_fen").cast(pl.Int64),
    ), summary

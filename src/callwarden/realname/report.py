"""The campaign's daily and weekly report (日通报, 周通报), counted from the case database.

Real-name rate by region, kind and channel; reminders, registrations, suspensions, restores
(and the minutes from registration to restore); complaints, resolution and satisfaction; the
early warning when a day's complaints pass the threshold; the frequent complainers for the
named agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.realname.campaign import Campaign
from callwarden.realname.kinds import KINDS
from callwarden.realname.models import Action, Complaint, RegionTotal, Subject

__all__ = ["ACTIONS", "CampaignReport", "build_report"]

#: the campaign actions counted, in report order
ACTIONS = (
    "sms_reminder",
    "sms_warning",
    "ivr_tag",
    "outbound_call",
    "registered",
    "suspend",
    "suspend_deferred",
    "restore",
    "emergency_restore",
    "terminate",
)


@dataclass
class CampaignReport:
    campaign: str
    first: date
    last: date
    phase: str | None
    actions: dict[str, int]
    daily: pl.DataFrame  # day x action counts, plus complaints
    regions: pl.DataFrame
    kinds: pl.DataFrame
    channels: pl.DataFrame
    restore_minutes: dict[str, float | None]
    refund_fen: int
    complaints: dict[str, Any]
    warnings: list[dict[str, Any]]
    frequent: pl.DataFrame
    agent: str
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Everything as JSON-ready values."""
        return {
            "campaign": self.campaign,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "phase": self.phase,
            "actions": self.actions,
            "restore_minutes": self.restore_minutes,
            "refund_fen": self.refund_fen,
            "complaints": self.complaints,
            "warnings": self.warnings,
            "regions": self.regions.to_dicts(),
            "kinds": self.kinds.to_dicts(),
            "channels": self.channels.to_dicts(),
            "daily": self.daily.with_columns(pl.col("day").cast(pl.String)).to_dicts(),
            "frequent_complainers": {"agent": self.agent, "numbers": self.frequent.to_dicts()},
        }


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _utc_start(day: date, campaign: Campaign) -> datetime:
    return datetime.combine(day, time(), tzinfo=campaign.zone).astimezone(UTC)


def build_report(
    s: Session, campaign: Campaign, day: date, *, week: bool = False
) -> CampaignReport:
    """The report of ``day`` (or of the 7 days ending on it)."""
    name = campaign.name
    first = day - timedelta(days=6) if week else day
    start, end = _utc_start(first, campaign), _utc_start(day + timedelta(days=1), campaign)
    rows = s.execute(
        select(Action.day, Action.action, func.count())
        .where(Action.campaign == name, Action.day >= first, Action.day <= day)
        .group_by(Action.day, Action.action)
    ).all()
    days = pl.DataFrame({"day": pl.date_range(first, day, "1d", eager=True)})
    counts = pl.DataFrame(
        rows, schema={"day": pl.Date, "action": pl.String, "n": pl.Int64}, orient="row"
    )
    wide = days.join(
        counts.pivot(on="action", index="day", values="n") if counts.height else days,
        on="day",
        how="left",
    )
    wide = (
        wide.with_columns(*(pl.lit(0, pl.Int64).alias(a) for a in ACTIONS if a not in wide.columns))
        .select("day", *ACTIONS)
        .fill_null(0)
    )
    complaints = _complaints(s, name, start, end, campaign)
    daily = wide.join(complaints["per_day"], on="day", how="left").fill_null(0)
    actions = {a: int(wide[a].sum()) for a in ACTIONS}
    threshold = campaign.warning.complaints_per_day
    warnings = [
        {"day": d.isoformat(), "complaints": int(n), "threshold": threshold}
        for d, n in daily.select("day", "complaints").iter_rows()
        if n > threshold
    ]
    return CampaignReport(
        campaign=name,
        first=first,
        last=day,
        phase=campaign.phase_on(day),
        actions=actions,
        daily=daily,
        regions=_regions(s, name, end),
        kinds=_kinds(s, name, end),
        channels=_channels(s, name, start, end),
        restore_minutes=_lags(s, name, first, day),
        refund_fen=int(
            s.scalar(
                select(func.coalesce(func.sum(Subject.refund_fen), 0)).where(
                    Subject.campaign == name,
                    Subject.terminated_at >= start,
                    Subject.terminated_at < end,
                )
            )
            or 0
        ),
        complaints=complaints["totals"],
        warnings=warnings,
        frequent=_frequent(s, campaign, day),
        agent=campaign.warning.agent,
    )


def _regions(s: Session, name: str, end: datetime) -> pl.DataFrame:
    totals = pl.DataFrame(
        s.execute(
            select(RegionTotal.region, RegionTotal.subscribers, RegionTotal.verified).where(
                RegionTotal.campaign == name
            )
        ).all(),
        schema={"region": pl.String, "subscribers": pl.Int64, "verified": pl.Int64},
        orient="row",
    )
    registered = pl.DataFrame(
        s.execute(
            select(Subject.region, func.count())
            .where(Subject.campaign == name, Subject.registered_at < end)
            .group_by(Subject.region)
        ).all(),
        schema={"region": pl.String, "registered": pl.Int64},
        orient="row",
    )
    frame = totals.join(registered, on="region", how="left").fill_null(0)
    both = frame.select(pl.lit("(all)").alias("region"), pl.exclude("region").sum())
    return pl.concat([frame.sort("region"), both]).with_columns(
        rate=((pl.col("verified") + pl.col("registered")) / pl.col("subscribers")).round(4)
    )


def _kinds(s: Session, name: str, end: datetime) -> pl.DataFrame:
    rows = s.execute(
        select(
            Subject.kind,
            func.count(),
            func.count(Subject.registered_at).filter(Subject.registered_at < end),
            func.count(Subject.suspended_at).filter(Subject.state == "suspended"),
            func.count(Subject.terminated_at).filter(Subject.terminated_at < end),
        )
        .where(Subject.campaign == name)
        .group_by(Subject.kind)
    ).all()
    got = {r[0]: r[1:] for r in rows}
    return pl.DataFrame(
        [(k, *got.get(k, (0, 0, 0, 0))) for k in KINDS],
        schema={
            "kind": pl.String,
            "subjects": pl.Int64,
            "registered": pl.Int64,
            "suspended_now": pl.Int64,
            "terminated": pl.Int64,
        },
        orient="row",
    ).with_columns(rate=(pl.col("registered") / pl.col("subjects")).fill_nan(None).round(4))


def _channels(s: Session, name: str, start: datetime, end: datetime) -> pl.DataFrame:
    rows = s.execute(
        select(Subject.registration_channel, func.count())
        .where(
            Subject.campaign == name, Subject.registered_at >= start, Subject.registered_at < end
        )
        .group_by(Subject.registration_channel)
        .order_by(Subject.registration_channel)
    ).all()
    frame = pl.DataFrame(
        rows, schema={"channel": pl.String, "registrations": pl.Int64}, orient="row"
    )
    total = frame["registrations"].sum() or 1
    return frame.with_columns(share=(pl.col("registrations") / total).round(4))


def _lags(s: Session, name: str, first: date, last: date) -> dict[str, float | None]:
    details = s.scalars(
        select(Action.detail).where(
            Action.campaign == name,
            Action.action == "restore",
            Action.day >= first,
            Action.day <= last,
        )
    ).all()
    lags = pl.Series([float((d or {}).get("lag_s", 0.0)) / 60 for d in details], dtype=pl.Float64)
    if not lags.len():
        return {"median": None, "p90": None, "max": None}
    return {
        "median": round(_num(lags.median()), 2),
        "p90": round(_num(lags.quantile(0.9)), 2),
        "max": round(_num(lags.max()), 2),
    }


def _complaints(
    s: Session, name: str, start: datetime, end: datetime, campaign: Campaign
) -> dict[str, Any]:
    rows = s.execute(
        select(Complaint.at, Complaint.topic, Complaint.resolved, Complaint.satisfaction).where(
            Complaint.campaign == name, Complaint.at >= start, Complaint.at < end
        )
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={
            "at": pl.Datetime("us", "UTC"),
            "topic": pl.String,
            "resolved": pl.Boolean,
            "satisfaction": pl.Int64,
        },
        orient="row",
    ).with_columns(day=pl.col("at").dt.convert_time_zone(campaign.timezone).dt.date())
    answered = frame.filter(pl.col("satisfaction").is_not_null())
    per_day = frame.group_by("day").agg(complaints=pl.len())
    return {
        "per_day": per_day,
        "totals": {
            "complaints": frame.height,
            "by_topic": dict(sorted(frame.group_by("topic").len().iter_rows())),
            "resolved": int(frame["resolved"].sum()),
            "resolution_rate": round(_num(frame["resolved"].mean()), 4) if frame.height else None,
            "surveys": answered.height,
            "satisfied": int((answered["satisfaction"] >= 4).sum()),
            "satisfaction_rate": round(_num((answered["satisfaction"] >= 4).mean()), 4)
            if answered.height
            else None,
        },
    }


def _frequent(s: Session, campaign: Campaign, day: date) -> pl.DataFrame:
    """Numbers with at least ``warning.frequent_complainer`` complaints in the 7 days to ``day``."""
    start = _utc_start(day - timedelta(days=6), campaign)
    end = _utc_start(day + timedelta(days=1), campaign)
    rows = s.execute(
        select(Complaint.msisdn, func.count(), func.max(Complaint.at))
        .where(Complaint.campaign == campaign.name, Complaint.at >= start, Complaint.at < end)
        .group_by(Complaint.msisdn)
        .having(func.count() >= campaign.warning.frequent_complainer)
        .order_by(func.count().desc(), Complaint.msisdn)
    ).all()
    return pl.DataFrame(
        rows,
        schema={"msisdn": pl.String, "complaints": pl.Int64, "last_at": pl.Datetime("us", "UTC")},
        orient="row",
    )

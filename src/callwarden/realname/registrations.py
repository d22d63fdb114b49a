"""Registrations as they arrive: numbers in service marked together, suspended ones restored
through their case at once, and told.

Every registration is counted once: read = registered + already registered + cancelled (销户)
+ not in the campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import select

from callwarden.cases.access import Actor, serialise
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, SubscriberProfile
from callwarden.cases.realname_case import fetch_frame, update_from
from callwarden.cases.schemas import ActionIn
from callwarden.errors import CaseError
from callwarden.numbers import mask
from callwarden.realname.models import Subject, table_of
from callwarden.realname.texts import sms

if TYPE_CHECKING:
    from callwarden.realname.service import CampaignService

__all__ = ["ACTOR", "RegisterResult", "register"]

#: the campaign acts as this system user in case trails
ACTOR = Actor("realname-campaign", Role.system)


@dataclass
class RegisterResult:
    read: int = 0
    registered: int = 0
    restored: int = 0
    unknown: int = 0
    already: int = 0
    terminated: int = 0


def register(svc: CampaignService, rows: pl.DataFrame) -> RegisterResult:
    """Registrations (``msisdn``, ``registered_at``, ``channel``) as they arrive.

    Numbers in service are marked registered together; a suspended number is restored
    through its case (``register``) at once, and told.
    """
    c = svc.campaign
    result = RegisterResult(read=rows.height)
    first = rows.sort("registered_at").unique("msisdn", keep="first", maintain_order=True)
    result.already += rows.height - first.height
    t = table_of(Subject)
    with svc.db.reads() as s:
        states = fetch_frame(
            s,
            select(t.c.msisdn, t.c.state, t.c.case_id).where(
                t.c.campaign == c.name, t.c.msisdn.in_(first["msisdn"].to_list())
            ),
            {"msisdn": pl.String, "state": pl.String, "case_id": pl.Int64},
        )
    joined = first.join(states, on="msisdn", how="left")
    result.unknown += int(joined["state"].is_null().sum())
    result.already += int((joined["state"] == "registered").sum())
    result.terminated += int((joined["state"] == "terminated").sum())
    in_service = joined.filter(pl.col("state").is_in(("open", "emergency")))
    if in_service.height:
        result.registered += _in_service(svc, in_service)
    for r in joined.filter(pl.col("state") == "suspended").iter_rows(named=True):
        at, channel, case_id = r["registered_at"], r["channel"], int(r["case_id"])
        outcome = _suspended(svc, r["msisdn"], at, channel, case_id)
        result.registered += outcome == "restored"
        result.restored += outcome == "restored"
        result.terminated += outcome == "terminated"
        result.already += outcome == "already"
    return result


def _in_service(svc: CampaignService, rows: pl.DataFrame) -> int:
    c, now = svc.campaign, svc.now()
    with svc.db.sessions.begin() as s:
        serialise(s, svc.lock)
        changed = update_from(
            s,
            table_of(Subject),
            rows.select(
                campaign=pl.lit(c.name),
                msisdn="msisdn",
                registered_at="registered_at",
                registration_channel="channel",
            ),
            ["campaign", "msisdn"],
            fixed={"ivr_tag": None, "grace_until": None, "state": "registered"},
            only={"state": ("open", "emergency")},
        )
        local = rows.with_columns(
            day=pl.col("registered_at").dt.convert_time_zone(c.timezone).dt.date()
        )
        for (day, channel), group in local.group_by("day", "channel"):
            svc.log(s, group["msisdn"], day, "registered", now, {"channel": channel})
    return int(changed)


def _suspended(svc: CampaignService, msisdn: str, at: datetime, channel: str, case_id: int) -> str:
    """Restore through the case and mark registered: ``restored``, or ``terminated`` /
    ``already`` when another process got there first."""
    c = svc.campaign
    if not _restore(svc, case_id, channel):
        return "terminated"  # cancelled (销户) while the registration was on its way
    now = svc.now()
    with svc.db.sessions.begin() as s:
        subject = s.get(Subject, (c.name, msisdn), with_for_update=True)
        if subject is None or subject.state in ("registered", "terminated"):
            return "already"
        subject.state = "registered"
        subject.registered_at = at
        subject.registration_channel = channel
        subject.ivr_tag = None
        subject.grace_until = None
        subject.restored_at = now
        svc.log(s, [msisdn], svc.local_day(at), "registered", now, {"channel": channel})
        lag = (now - at).total_seconds()
        detail = {"case_id": case_id, "lag_s": max(0.0, lag)}
        svc.log(s, [msisdn], svc.local_day(now), "restore", now, detail)
        profile = s.get(SubscriberProfile, msisdn)
        language = profile.language if profile is not None else c.language
        body = sms(c, "restored", subject.kind, language, masked=mask(msisdn), on="")
        svc.cases.notice(s, None, msisdn, "realname_restored", body)
    return "restored"


def _restore(svc: CampaignService, case_id: int, channel: str) -> bool:
    """Move the case with ``register``; False when it was cancelled meanwhile."""
    try:
        svc.cases.act(
            case_id, ACTOR, ActionIn(action="register", reason=f"registered via {channel}")
        )
    except CaseError:
        with svc.db.reads() as s:
            case = s.get(Case, case_id)
            if case is not None and case.outcome == "terminated":
                return False
            if case is None or case.outcome not in ("registered", "restored"):
                raise
    return True

"""Data for the campaign and outbound pages, made through the services as operators make it
(a campaign planned and run, complaints taken in; a business with its registers, dials
checked through the API). Shared by the page tests and the browser tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from fastapi.testclient import TestClient

from callwarden.cases.service import CaseService
from callwarden.compliance.businesses import add_business
from callwarden.compliance.registers import import_register
from callwarden.config import DEFAULT_TIMEZONE
from callwarden.realname.campaign import Campaign
from callwarden.realname.feeds import read_complaints
from callwarden.realname.service import CampaignService

SUSPENDED = ["+8613800000001", "+8613800000002", "+8613800000003"]
REGISTERED = "+8613800000004"
COMPLAINER = "+8613800000009"
POLICY = """
category = "real_estate"
lines = ["021-6123-0000", "0755-8610-0000"]
[hours]
windows = ["09:00-12:00", "14:00-20:00"]
[[limits]]
calls = 2
days = 1
"""


def _utc(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def campaign_scene(svc: CaseService, folder: Path, now: datetime) -> Path:
    """A campaign in its registration phase on the campaign's local day at ``now`` (Shanghai,
    the campaign's time zone: from 16:00 UTC that is already the next calendar day): three
    numbers suspended, one registered, complaints over the day's threshold from a frequent
    complainer. The campaign file's path (for ``CALLWARDEN_CAMPAIGNS``)."""
    today = now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    d = [today + timedelta(days=i) for i in range(-10, 8)]
    path = folder / "autumn.toml"
    path.write_text(
        f"""name = "autumn"
language = "zh"
[phases]
reminder = ["{d[0]}", "{d[6]}"]
suspension = ["{d[7]}", "{d[7]}"]
registration = ["{d[8]}", "{d[16]}"]
termination = ["{d[17]}", "{d[17]}"]
[warning]
complaints_per_day = 1
frequent_complainer = 2
agent = "li.agent"
""",
        encoding="utf-8",
    )
    now = [_utc(d[0], 1)]
    camp = CampaignService(svc.db, Campaign.load(path), clock=lambda: now[0])
    numbers = [*SUSPENDED, REGISTERED]
    plan = pl.DataFrame(
        {
            "msisdn": numbers,
            "kind": ["never_registered", "incomplete", "user_differs", "never_registered"],
            "reason": ["no registration on file"] * 4,
            "reason_zh": ["未登记实名信息"] * 4,
            "region": ["太原", "太原", "大同", "大同"],
            "owner_type": ["individual"] * 4,
            "balance_fen": [1234, 0, 560, 99],
        }
    )
    regions = [{"region": r, "subscribers": 100, "verified": 96} for r in ("太原", "大同")]
    camp.load(plan, regions)
    camp.run_day(d[0])
    camp.register(
        pl.DataFrame(
            {"msisdn": [REGISTERED], "registered_at": [_utc(d[2], 2)], "channel": ["online"]},
            schema={"msisdn": pl.String, "registered_at": pl.Datetime("us", "UTC"),
                    "channel": pl.String},
        )
    )  # fmt: skip
    now[0] = _utc(d[7], 1)
    camp.run_day(d[7])
    csv = folder / "complaints.csv"
    at = _utc(today, 2).isoformat()
    csv.write_text(
        "complaint_id,msisdn,at,topic,channel,resolved,satisfaction\n"
        f"c1,{COMPLAINER},{at},suspension,hotline,true,4\n"
        f"c2,{COMPLAINER},{at},suspension,hotline,false,\n"
        f"c3,{SUSPENDED[0]},{at},reminder,app,true,5\n",
        encoding="utf-8",
    )
    camp.take_complaints(read_complaints(csv).rows)
    return path


def outbound_scene(svc: CaseService, folder: Path, now: datetime) -> None:
    """A business with its consent and refusal registers and a few dials checked through the
    API (allowed and refused), at ``now`` (inside the calling hours when it is 10:00 local)."""
    consents = folder / "consents.csv"
    consents.write_text(
        "callee,granted_at,expires_at,withdrawn_at,evidence\n"
        "13800000001,2026-11-01 10:00,,,REC-1\n"
        "13800000003,2026-10-01 10:00,,,REC-3\n"
        "13800000003,,,2026-11-20 09:00,\n",
        encoding="utf-8",
    )
    refusals = folder / "refusals.csv"
    refusals.write_text(
        "callee,refused_at,line,vendor\n13800000004,2026-11-15 11:00,02161230000,haiyun\n",
        encoding="utf-8",
    )
    with svc.db.sessions.begin() as s:
        token = add_business(s, "seaview", POLICY, now)
    with svc.db.sessions.begin() as s:
        import_register(s, "seaview", consents, "consent", now)
        import_register(s, "seaview", refusals, "refusal", now)
    from callwarden.api.app import create_app  # noqa: PLC0415  (the dialler's API)

    with TestClient(create_app(svc)) as api:
        for callee in ("13800000001", "13800000003", "13800000004", "13800000007"):
            r = api.post(
                "/api/v1/outbound/check",
                json={
                    "business": "seaview",
                    "caller_line": "02161230000",
                    "callee": callee,
                    "time": now.isoformat(),
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200, r.text


#: a day of calls for the audit: seat A dials without consent and after a refusal
AUDIT_CALLS = (
    "call_id,caller_line,callee,start_time,seat,vendor\n"
    "1,02161230000,13800000001,2026-12-02 10:00:00,A01,haiyun\n"
    "2,02161230000,13800000004,2026-12-02 10:05:00,A01,haiyun\n"
    "3,02161230000,13800000007,2026-12-02 10:06:00,A02,haiyun\n"
    "4,09999999999,13800000001,2026-12-02 22:30:00,B07,jinhu\n"
)

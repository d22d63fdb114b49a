"""The campaign service on SQLite, with a hand-made plan: the counts of registrations add up,
a suspended number comes back through its case, termination refunds the balance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
from sqlalchemy import select

from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.labels import outcome_labels
from callwarden.cases.models import Case, NoticeRow, NumberStatus, SubscriberProfile
from callwarden.realname.campaign import Campaign
from callwarden.realname.models import Subject
from callwarden.realname.report import build_report
from callwarden.realname.service import CampaignService

CAMPAIGN = Campaign.model_validate(
    {
        "name": "t",
        "language": "en",
        "phases": {
            "reminder": ["2026-09-01", "2026-09-07"],
            "suspension": ["2026-09-08", "2026-09-08"],
            "registration": ["2026-09-09", "2026-09-10"],
            "termination": ["2026-09-11", "2026-09-11"],
        },
    }
)
NUMBERS = ["+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"]


def _service() -> tuple[CampaignService, list[datetime]]:
    now = [datetime(2026, 9, 1, 1, tzinfo=UTC)]
    svc = CampaignService(open_database("sqlite://"), CAMPAIGN, clock=lambda: now[0])
    plan = pl.DataFrame(
        {
            "msisdn": NUMBERS,
            "kind": ["never_registered", "incomplete", "user_differs", "corporate"],
            "reason": ["r"] * 4,
            "reason_zh": ["原因"] * 4,
            "region": ["太原", "太原", "大同", "大同"],
            "owner_type": ["individual"] * 3 + ["enterprise"],
            "balance_fen": [1234, -500, 0, 99],
        }
    )
    regions = [{"region": r, "subscribers": 100, "verified": 98} for r in ("太原", "大同")]
    assert svc.load(plan, regions) == 4
    assert svc.load(plan, regions) == 0
    with svc.db.reads() as s:
        batches = dict(s.execute(select(Subject.msisdn, Subject.batch)).all())
    assert batches == {m: CAMPAIGN.batch_of(m) for m in NUMBERS}
    return svc, now


def _regs(*rows: tuple[str, datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "msisdn": [m for m, _ in rows],
            "registered_at": [at for _, at in rows],
            "channel": ["online"] * len(rows),
        },
        schema={
            "msisdn": pl.String,
            "registered_at": pl.Datetime("us", "UTC"),
            "channel": pl.String,
        },
    )


def test_a_campaign_on_sqlite() -> None:
    svc, now = _service()
    with svc.db.sessions.begin() as s:  # one subscriber reads Chinese
        s.add(SubscriberProfile(msisdn=NUMBERS[2], language="zh"))
    first = svc.run_day(date(2026, 9, 1))
    with svc.db.reads() as s:
        texts = dict(s.execute(select(NoticeRow.msisdn, NoticeRow.text)).all())
    assert "实名登记" in texts[NUMBERS[2]] and "Real-name" in texts[NUMBERS[0]]
    assert first.counts["sms_reminder"] == 4
    assert first.counts["ivr_tag"] == 0  # tagged when the plan was taken in
    with svc.db.reads() as s:
        assert build_report(s, CAMPAIGN, date(2026, 9, 1)).actions["ivr_tag"] == 4
        assert s.scalars(select(Subject.ivr_tag).where(Subject.msisdn == NUMBERS[3])).one() == (
            "RN_CORP"
        )
    assert first.counts["outbound_call"] == 2  # user_differs and corporate
    at = datetime(2026, 9, 2, 2, tzinfo=UTC)
    r = svc.register(_regs((NUMBERS[0], at), (NUMBERS[0], at), ("+8613900000000", at)))
    assert (r.read, r.registered, r.already, r.unknown, r.restored) == (3, 1, 1, 1, 0)
    now[0] = datetime(2026, 9, 8, 1, tzinfo=UTC)
    day = svc.run_day(date(2026, 9, 8))
    assert day.counts["suspend"] == 3
    assert sum(svc.run_day(date(2026, 9, 8)).counts.values()) == 0
    # a suspended number registers: restored through its case within the minute, told in English
    reg_at = now[0] + timedelta(hours=2)
    now[0] = reg_at + timedelta(seconds=40)
    r = svc.register(_regs((NUMBERS[1], reg_at)))
    assert (r.registered, r.restored) == (1, 1)
    with svc.db.reads() as s:
        subject = s.get(Subject, ("t", NUMBERS[1]))
        assert subject is not None and subject.case_id is not None
        case = s.get(Case, subject.case_id)
        assert case is not None and case.outcome == "registered"
        assert s.get(NumberStatus, NUMBERS[1]).status == "active"  # type: ignore[union-attr]
        texts = s.scalars(select(NoticeRow.text).where(NoticeRow.msisdn == NUMBERS[1])).all()
        assert any("works again" in t for t in texts)
    now[0] = datetime(2026, 9, 11, 1, tzinfo=UTC)
    assert svc.run_day(date(2026, 9, 11)).counts["terminate"] == 2
    with svc.db.reads() as s:
        refunds = dict(s.execute(select(Subject.msisdn, Subject.refund_fen)).all())
        assert refunds[NUMBERS[2]] == 0 and refunds[NUMBERS[3]] == 99
        assert s.get(NumberStatus, NUMBERS[3]).status == "terminated"  # type: ignore[union-attr]
        assert verify(s).ok
    r = svc.register(_regs((NUMBERS[3], now[0])))
    assert (r.registered, r.terminated) == (0, 1)  # too late: the line is cancelled
    with svc.db.reads() as s:  # registered or terminated says nothing about fraud: no labels
        assert outcome_labels(s).height == 0

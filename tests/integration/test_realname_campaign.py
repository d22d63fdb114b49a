"""A simulated real-name campaign walked through its four phases on PostgreSQL.

Every count of every daily report is checked against what the simulated people did (their
registrations and complaints) and the campaign file's published schedule, computed here
independently; a registered subscriber is restored automatically minutes later; an emergency
restore needs two people; a day run twice changes nothing the second time.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, CaseEvent, NoticeRow, NumberStatus, Suspension
from callwarden.cases.schemas import ActionIn
from callwarden.errors import CaseError
from callwarden.realname.campaign import Campaign
from callwarden.realname.models import Action, Subject
from callwarden.realname.plan import plan_campaign, read_plan
from callwarden.realname.report import ACTIONS, build_report
from callwarden.realname.service import CampaignService
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.campaign import simulate_campaign

pytestmark = pytest.mark.integration

CAMPAIGN = Campaign.model_validate(
    {
        "name": "e2e-2026",
        "phases": {
            "reminder": ["2026-09-01", "2026-09-14"],
            "suspension": ["2026-09-15", "2026-09-17"],
            "registration": ["2026-09-18", "2026-09-30"],
            "termination": ["2026-10-01", "2026-10-05"],
        },
        "reminders": {"every_days": 7, "before_suspension_days": 2},
        "suspension": {"batches": 3, "emergency_grace_days": 3},
        "warning": {"complaints_per_day": 2, "frequent_complainer": 3, "agent": "王敏"},
    }
)
ZONE = CAMPAIGN.zone


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def _days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


def _expected(plan: pl.DataFrame, regs: dict[str, date], rescue: str) -> dict[date, Counter[str]]:
    """What each day's actions must be, from the schedule and the people's registrations."""
    c = CAMPAIGN
    out = {d: Counter[str]() for d in _days(c.first_day, c.last_day)}
    s0, t0 = c.phases.suspension[0], c.phases.termination[0]
    for m, kind in plan.select("msisdn", "kind").iter_rows():
        b = int(m[-4:]) % 3
        reg = regs.get(m)
        suspend_on, terminate_on = s0 + timedelta(days=b), t0 + timedelta(days=b)
        out[c.first_day]["ivr_tag"] += 1

        def unregistered(on: date, reg: date | None = reg) -> bool:
            return reg is None or reg >= on

        for d in (date(2026, 9, 1), date(2026, 9, 8)):
            if unregistered(d):
                out[d]["sms_reminder"] += 1
                if kind in ("user_differs", "corporate"):
                    out[d]["outbound_call"] += 1
        if unregistered(suspend_on - timedelta(days=2)):
            out[suspend_on - timedelta(days=2)]["sms_warning"] += 1
        if reg is not None and reg < terminate_on:
            out[reg]["registered"] += 1
        if not unregistered(suspend_on):
            continue
        out[suspend_on]["suspend"] += 1
        if m == rescue:  # restored in an emergency on the first suspension day, grace 3 days
            out[suspend_on]["emergency_restore"] += 1
            again = suspend_on + timedelta(days=3 + 1)
            out[again]["suspend"] += 1
        if reg is not None and reg < terminate_on:
            out[reg]["restore"] += 1
        else:
            out[terminate_on]["terminate"] += 1
    return out


def _table_counts(svc: CampaignService) -> tuple[int, ...]:
    with svc.db.reads() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Action, NoticeRow, Case, CaseEvent, Suspension, NumberStatus)
        )


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    simulate_city(SimulationConfig(subscribers=6000, seed=25, days=1), out)
    return out


def test_campaign_four_phases(city: Path, pg_url: str, tmp_path: Path) -> None:
    summary = plan_campaign(city / "subscribers", tmp_path / "plan.parquet")
    plan, side = read_plan(tmp_path / "plan.parquet")
    assert summary["unregistered"] == plan.height > 100
    assert set(plan["kind"]) == {"never_registered", "incomplete", "user_differs", "corporate"}
    registrations, complaints = simulate_campaign(plan, CAMPAIGN, seed=7)
    local = registrations.with_columns(
        day=pl.col("registered_at").dt.convert_time_zone(CAMPAIGN.timezone).dt.date()
    )
    regs = dict(local.select("msisdn", "day").iter_rows())
    # the subject restored in an emergency: one of batch 0 who never registers
    rescue = next(m for m in plan["msisdn"] if int(m[-4:]) % 3 == 0 and m not in regs)
    expected = _expected(plan, regs, rescue)

    clock = Clock()
    db = open_database(pg_url)
    svc = CampaignService(db, CAMPAIGN, clock=clock)
    assert svc.load(plan, side["regions"]) == plan.height
    assert svc.load(plan, side["regions"]) == 0  # a plan is taken in once
    restored_checked = False
    for day in _days(CAMPAIGN.first_day, CAMPAIGN.last_day):
        clock.now = _at(day, 8)
        svc.run_day(day)
        if day == CAMPAIGN.phases.suspension[0]:
            before = _table_counts(svc)
            again = svc.run_day(day)
            assert sum(again.counts.values()) == 0
            assert _table_counts(svc) == before
            _emergency(svc, rescue, clock)
        for m, at, channel in (
            local.filter(pl.col("day") == day)
            .select("msisdn", "registered_at", "channel")
            .iter_rows()
        ):
            clock.now = at + timedelta(minutes=3)
            with db.reads() as s:
                was = s.get(Subject, (CAMPAIGN.name, m))
                suspended = was is not None and was.state == "suspended"
            svc.register(pl.DataFrame({"msisdn": [m], "registered_at": [at], "channel": [channel]}))
            if suspended and not restored_checked:
                _assert_restored(svc, m, at)
                restored_checked = True
        day_complaints = complaints.filter(
            pl.col("at").dt.convert_time_zone(CAMPAIGN.timezone).dt.date() == day
        )
        svc.take_complaints(day_complaints)
        with db.reads() as s:
            report = build_report(s, CAMPAIGN, day)
        want = expected[day]
        assert report.actions == {a: want.get(a, 0) for a in ACTIONS}, day
        assert report.complaints["complaints"] == day_complaints.height, day
    assert restored_checked
    _check_final(svc, plan, side, local, complaints)


def _emergency(svc: CampaignService, msisdn: str, clock: Clock) -> None:
    """紧急复机: an agent's approval is not enough, the same person cannot give the second."""
    agent, boss = Actor("li.agent", Role.agent), Actor("zhang.super", Role.supervisor)
    clock.now += timedelta(hours=3)
    with pytest.raises(CaseError):
        svc.emergency(msisdn, agent, "")  # no hardship given
    assert svc.emergency(msisdn, agent, "家中老人就医, 需要联系") == "awaiting_second_approval"
    with svc.db.reads() as s:
        subject = s.get(Subject, (CAMPAIGN.name, msisdn))
        assert subject is not None and subject.case_id is not None
        case_id = subject.case_id
    with pytest.raises(CaseError):
        svc.cases.act(case_id, agent, ActionIn(action="review", verdict="approve", reason="x"))
    svc.cases.act(case_id, boss, ActionIn(action="review", verdict="approve", reason="核实"))
    svc.cases.act(case_id, Actor("wu.tech", Role.technician), ActionIn(action="restore"))
    assert svc.sync_emergencies() == 1
    assert svc.sync_emergencies() == 0
    with svc.db.reads() as s:
        assert s.get(NumberStatus, msisdn).status == "active"  # type: ignore[union-attr]


def _assert_restored(svc: CampaignService, msisdn: str, at: datetime) -> None:
    with svc.db.reads() as s:
        subject = s.get(Subject, (CAMPAIGN.name, msisdn))
        assert subject is not None and subject.state == "registered"
        assert subject.restored_at is not None
        assert subject.restored_at - at <= timedelta(minutes=5)
        case = s.get(Case, subject.case_id)
        assert case is not None and case.state == "closed" and case.outcome == "registered"
        assert s.get(NumberStatus, msisdn).status == "active"  # type: ignore[union-attr]
        told = s.scalars(
            select(NoticeRow.text).where(
                NoticeRow.msisdn == msisdn, NoticeRow.kind == "realname_restored"
            )
        ).all()
        assert len(told) == 1 and "已恢复" in told[0]


def _check_final(
    svc: CampaignService,
    plan: pl.DataFrame,
    side: dict[str, Any],
    local: pl.DataFrame,
    complaints: pl.DataFrame,
) -> None:
    last = CAMPAIGN.last_day
    with svc.db.reads() as s:
        assert verify(s).ok
        daily = build_report(s, CAMPAIGN, last)
        week = build_report(s, CAMPAIGN, date(2026, 9, 21), week=True)
        subjects = {m: (st, fen) for m, st, fen in s.execute(
            select(Subject.msisdn, Subject.state, Subject.refund_fen)
        ).all()}  # fmt: skip
    # real-name rate by region at the end: registered before termination, plus the verified
    done = local.filter(
        pl.col("day")
        < pl.lit(CAMPAIGN.phases.termination[0])
        + pl.duration(days=pl.col("msisdn").str.slice(-4).cast(pl.Int64) % 3)
    ).join(plan.select("msisdn", "region"), on="msisdn")
    late_regs = local.height - done.height
    assert late_regs >= 0
    per_region = dict(done.group_by("region").len().iter_rows())
    for row in daily.regions.filter(pl.col("region") != "(all)").iter_rows(named=True):
        total = next(r for r in side["regions"] if r["region"] == row["region"])
        assert row["registered"] == per_region.get(row["region"], 0)
        assert row["rate"] == round(
            (total["verified"] + per_region.get(row["region"], 0)) / total["subscribers"], 4
        )
    # by kind: everyone either registered in time or was cancelled by the last day
    kinds = done.join(plan.select("msisdn", "kind"), on="msisdn")
    registered = dict(kinds.group_by("kind").len().iter_rows())
    subjects_of = dict(plan.group_by("kind").len().iter_rows())
    for row in daily.kinds.iter_rows(named=True):
        assert row["subjects"] == subjects_of[row["kind"]]
        assert row["registered"] == registered.get(row["kind"], 0)
        assert row["terminated"] == row["subjects"] - row["registered"]
        assert row["suspended_now"] == 0
    # registrations by channel in the week of 15-21 September
    in_days = local.filter(pl.col("day").is_between(date(2026, 9, 15), date(2026, 9, 21)))
    by_channel = dict(in_days.group_by("channel").len().iter_rows())
    assert dict(week.channels.select("channel", "registrations").iter_rows()) == by_channel
    # refunds: the balance of every number terminated on the last day of termination
    terminated = plan.filter(
        pl.col("msisdn").is_in([m for m, (st, _) in subjects.items() if st == "terminated"])
    )
    assert sum(fen or 0 for st, fen in subjects.values() if st == "terminated") == int(
        terminated["balance_fen"].clip(lower_bound=0).sum()
    )
    # the week of 15-21 September: complaints, satisfaction, frequent complainers for 王敏
    in_week = complaints.with_columns(
        day=pl.col("at").dt.convert_time_zone(CAMPAIGN.timezone).dt.date()
    ).filter(pl.col("day").is_between(date(2026, 9, 15), date(2026, 9, 21)))
    assert week.complaints["complaints"] == in_week.height
    answered = in_week.filter(pl.col("satisfaction").is_not_null())
    assert week.complaints["satisfaction_rate"] == round(
        float(answered.select((pl.col("satisfaction") >= 4).mean()).item() or 0), 4
    )
    often = in_week.group_by("msisdn").len().filter(pl.col("len") >= 3)
    assert sorted(week.frequent["msisdn"].to_list()) == sorted(often["msisdn"].to_list())
    assert week.agent == "王敏"
    per_day = dict(in_week.group_by("day").len().iter_rows())
    assert [w["day"] for w in week.warnings] == sorted(
        d.isoformat() for d, n in per_day.items() if n > 2
    )
    assert week.restore_minutes["max"] is not None and week.restore_minutes["max"] <= 3.01


def _plan300() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "msisdn": [f"+861380000{i:04d}" for i in range(300)],
            "kind": ["never_registered", "incomplete", "user_differs", "corporate"] * 75,
            "reason": ["r"] * 300,
            "reason_zh": ["原因"] * 300,
            "region": ["太原"] * 300,
            "owner_type": ["individual"] * 300,
            "balance_fen": [100] * 300,
        }
    )


REGIONS = [{"region": "太原", "subscribers": 10_000, "verified": 9_700}]


def test_the_same_day_run_twice_at_once(pg_url: str) -> None:
    """Two processes run the same campaign day at the same instant: one does the work, the
    other waits and finds nothing left; no error, nothing twice."""
    plan = _plan300()
    day = CAMPAIGN.phases.suspension[0]
    clock = Clock()
    clock.now = _at(day, 8)
    dbs = [open_database(pg_url) for _ in range(2)]
    services = [CampaignService(db, CAMPAIGN, clock=clock) for db in dbs]
    regions = REGIONS
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def work(svc: CampaignService) -> None:
        barrier.wait()
        svc.load(plan, regions)
        results.append(svc.run_day(day))

    threads = [threading.Thread(target=work, args=(svc,)) for svc in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    suspended = sorted(r.counts["suspend"] for r in results)
    assert suspended == [0, 100]  # batch 0 of 3: numbers ending in 0000, 0003, ...
    with dbs[0].reads() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 100
        assert s.scalar(select(func.count()).select_from(Subject)) == 300
        assert verify(s).ok
    for db in dbs:
        db.engine.dispose()


def test_emergency_restores_recorded_once_when_two_look_at_once(pg_url: str) -> None:
    """A technician's restore is recorded by the console (sync_emergencies) while a campaign
    run records emergencies too: each subject goes to emergency once and is texted once."""
    day = CAMPAIGN.phases.suspension[0]
    clock = Clock()
    clock.now = _at(day, 8)
    dbs = [open_database(pg_url) for _ in range(3)]
    first = CampaignService(dbs[0], CAMPAIGN, clock=clock)
    first.load(_plan300(), REGIONS)
    assert first.run_day(day).counts["suspend"] == 100
    with dbs[0].reads() as s:
        rescued = s.scalars(
            select(Subject.msisdn)
            .where(Subject.campaign == CAMPAIGN.name, Subject.state == "suspended")
            .order_by(Subject.msisdn)
            .limit(12)
        ).all()
    agent, boss = Actor("li.agent", Role.agent), Actor("zhang.super", Role.supervisor)
    for msisdn in rescued:
        first.emergency(msisdn, agent, "家中老人就医")
        with dbs[0].reads() as s:
            case_id = s.get(Subject, (CAMPAIGN.name, msisdn)).case_id  # type: ignore[union-attr]
        assert case_id is not None
        first.cases.act(case_id, boss, ActionIn(action="review", verdict="approve", reason="核实"))
        first.cases.act(case_id, Actor("wu.tech", Role.technician), ActionIn(action="restore"))
    clock.now = _at(day + timedelta(days=1), 8)
    services = [CampaignService(db, CAMPAIGN, clock=clock) for db in dbs]
    recorded: list[int] = []
    barrier = threading.Barrier(3)

    def console(svc: CampaignService) -> None:
        barrier.wait()
        recorded.append(svc.sync_emergencies())

    def run(svc: CampaignService) -> None:
        barrier.wait()
        recorded.append(svc.run_day(day + timedelta(days=1)).counts["emergency_restore"])

    threads = [
        threading.Thread(target=console, args=(services[0],)),
        threading.Thread(target=console, args=(services[1],)),
        threading.Thread(target=run, args=(services[2],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(recorded) == 3  # none of the three failed (a duplicate record raises)
    assert sum(recorded) == len(rescued) == 12
    with dbs[0].reads() as s:
        texts = s.scalar(
            select(func.count())
            .select_from(NoticeRow)
            .where(NoticeRow.kind == "realname_emergency")
        )
        assert texts == 12
        states = s.scalars(select(Subject.state).where(Subject.msisdn.in_(rescued))).all()
        assert set(states) == {"emergency"}
        logged = s.scalar(
            select(func.count()).select_from(Action).where(Action.action == "emergency_restore")
        )
        assert logged == 12
    for db in dbs:
        db.engine.dispose()

"""The roll-up's figures equal the figures counted afresh (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from tests.conftest import Clock

from callwarden.cases import overview
from callwarden.cases.models import Case, CaseEvent, Suspension
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.rollup import daily
from callwarden.rollup.models import DailyFigures

CODES = ("relay_call", "robocall", "wangiri", "simbox")


def _alert(i: int, at: datetime, code: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": f"+86138{i:08d}",
            "flagged_at": at.isoformat(),
            "score": 0.95,
            "decision": "suspend",
            "reasons": [{"code": code, "weight": 0.9}, {"code": "night_calls", "weight": 0.1}],
        }
    )


def _fill(svc: CaseService, now: datetime, n: int = 160, seed: int = 3) -> None:
    """Alerts over 20 days (each opens a suspension and a case), some suspensions lifted,
    some cases closed with an outcome and a rating, some SLA breaches: all before ``now``."""
    rng = random.Random(seed)
    times = [now - timedelta(seconds=rng.randrange(1, 20 * 86400)) for _ in range(n)]
    svc.intake([_alert(i, at, rng.choice(CODES)) for i, at in enumerate(times)])
    with svc.db.sessions.begin() as s:
        susp = list(s.execute(select(Suspension.id, Suspension.msisdn)))
        for sid, msisdn in susp:
            at = times[int(msisdn[-8:])]
            s.execute(update(Suspension).where(Suspension.id == sid).values(started_at=at))
            if rng.random() < 0.6:
                lifted = min(now, at + timedelta(hours=rng.uniform(0.5, 90)))
                s.execute(update(Suspension).where(Suspension.id == sid).values(lifted_at=lifted))
        for (cid,) in s.execute(select(Case.id)).all():
            if rng.random() < 0.5:
                s.execute(
                    update(Case)
                    .where(Case.id == cid)
                    .values(
                        closed_at=now - timedelta(seconds=rng.randrange(1, 18 * 86400)),
                        outcome=rng.choice(("restored", "restored", "terminated")),
                        satisfaction=rng.choice((None, 1, 3, 4, 5)),
                    )
                )
        events = list(s.scalars(select(CaseEvent).limit(40)))
        for e in events:  # make some of the audit trail's events breaches at various times
            e.action = "breach"
            e.at = now - timedelta(seconds=rng.randrange(1, 16 * 86400))


def _fresh(svc: CaseService, now: datetime, days: int) -> dict[str, object]:
    with svc.db.reads() as s:
        return overview.figures(s, now, days=days)


def test_the_roll_up_equals_counting_afresh(case_service: CaseService, clock: Clock) -> None:
    now = clock.now = datetime(2026, 7, 8, 7, 37, tzinfo=UTC)  # 15:37 in Shanghai
    _fill(case_service, now)
    db = case_service.db
    for days in (14, 1, 30):
        assert daily.figures(db, now, days=days) == _fresh(case_service, now, days)
    with db.reads() as s:  # the closed days are stored once
        stored = s.scalar(select(func.count()).select_from(DailyFigures))
    assert stored == 29  # the 30-day window's closed days
    # again, from the stored days and today's hours; then later the same day, and next week
    assert daily.figures(db, now) == _fresh(case_service, now, 14)
    for later in (timedelta(minutes=50), timedelta(hours=5), timedelta(days=6, hours=3)):
        assert daily.figures(db, now + later) == _fresh(case_service, now + later, 14)


def test_a_day_written_into_after_it_was_counted_is_counted_again(
    case_service: CaseService, clock: Clock
) -> None:
    now = clock.now = datetime(2026, 7, 8, 7, 37, tzinfo=UTC)
    _fill(case_service, now, n=40)
    db = case_service.db
    assert daily.figures(db, now) == _fresh(case_service, now, 14)
    late = now - timedelta(days=3)
    case_service.intake([_alert(90_000, late, "wangiri")])  # an old alert, through the service
    assert daily.figures(db, now) == _fresh(case_service, now, 14)  # its day was dropped
    with db.sessions.begin() as s:  # written around the service (bulk SQL): stale until forgotten
        s.execute(update(Suspension).values(started_at=late))
    assert daily.figures(db, now) != _fresh(case_service, now, 14)
    assert daily.forget(db, (now - timedelta(days=30)).date()) >= 1  # every day it moved
    assert daily.figures(db, now) == _fresh(case_service, now, 14)


def test_the_median_from_counted_durations_is_statistics_median() -> None:
    import statistics  # noqa: PLC0415

    rng = random.Random(5)
    for n in (1, 2, 3, 10, 11, 400):
        us = [rng.choice((3_600_000_000, rng.randrange(1, 10**11))) for _ in range(n)]
        counted: dict[str, int] = {}
        for u in us:
            counted[str(u)] = counted.get(str(u), 0) + 1
        hours = [timedelta(microseconds=u).total_seconds() / 3600 for u in us]
        assert daily._median_hours(counted) == round(statistics.median(hours), 1)
    assert daily._median_hours({}) is None


def test_a_rating_after_the_close_counts_its_day_again(
    case_service: CaseService, clock: Clock
) -> None:
    now = clock.now = datetime(2026, 7, 8, 7, 37, tzinfo=UTC)
    _fill(case_service, now, n=60)
    db = case_service.db
    with db.sessions.begin() as s:
        cid = s.scalar(
            select(Case.id)
            .where(
                Case.closed_at < now - timedelta(days=2), Case.closed_at > now - timedelta(days=9)
            )
            .limit(1)
        )
        s.execute(update(Case).where(Case.id == cid).values(satisfaction=None))
    assert cid is not None
    assert daily.figures(db, now) == _fresh(case_service, now, 14)  # stored
    with db.sessions.begin() as s:  # the survey, days after the case closed
        s.execute(update(Case).where(Case.id == cid).values(satisfaction=1))
    assert daily.figures(db, now) != _fresh(case_service, now, 14)
    assert daily.rated(db, cid) == 1
    assert daily.figures(db, now) == _fresh(case_service, now, 14)


def test_a_rating_through_the_service_drops_the_closed_day(
    case_service: CaseService, clock: Clock
) -> None:
    """The ORM's flush drops the stored day a rating changes (rollup.watch)."""
    now = clock.now = datetime(2026, 7, 8, 7, 37, tzinfo=UTC)
    _fill(case_service, now, n=60)
    db = case_service.db
    with db.sessions.begin() as s:
        case = s.scalars(
            select(Case).where(
                Case.closed_at < now - timedelta(days=2), Case.closed_at > now - timedelta(days=9)
            )
        ).first()
        assert case is not None
        case.satisfaction = None
    assert daily.figures(db, now) == _fresh(case_service, now, 14)
    with db.sessions.begin() as s:
        again = s.get(Case, case.id)
        assert again is not None
        again.satisfaction = 2
    assert daily.figures(db, now) == _fresh(case_service, now, 14)


def test_a_day_closed_by_the_service_clock_is_counted_again_whatever_the_wall_clock(
    case_service: CaseService, clock: Clock
) -> None:
    """The watch asks the service's clock whether a day has closed, not the wall clock: on a
    service whose clock is ahead of the wall's (a replay), an alert taken in for a day closed by
    that clock still drops the day (by the wall clock the day would be in the future)."""
    now = clock.now = datetime(2098, 7, 8, 7, 37, tzinfo=UTC)
    _fill(case_service, now, n=40)
    db = case_service.db
    assert daily.figures(db, now) == _fresh(case_service, now, 14)
    case_service.intake([_alert(90_000, now - timedelta(days=3), "wangiri")])
    assert daily.figures(db, now) == _fresh(case_service, now, 14)

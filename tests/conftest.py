"""Fixtures shared across the suite: a movable clock, case services on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text

from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.records.schema import CALLS, SUBSCRIBERS
from callwarden.simulate import SimulationConfig, simulate_city

PG_ADMIN = os.environ.get("CALLWARDEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Clock:
    """A clock the test moves by hand (starts on a Wednesday, 10:00 in Shanghai)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 7, 8, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end.

    In CI (``CI`` set) an unreachable server fails the run; elsewhere the tests skip with a hint.
    """
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"callwarden_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} ({exc.__class__.__name__})")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    engine = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return pg_server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def case_service(request: pytest.FixtureRequest, clock: Clock, tmp_path) -> Iterator[CaseService]:  # type: ignore[no-untyped-def]
    """A case service on a new SQLite file, and on a new PostgreSQL schema."""
    if request.param == "sqlite":
        db = open_database(str(tmp_path / "cases.db"))
    else:
        db = open_database(request.getfixturevalue("pg_url"))
    yield CaseService(db, clock=clock)
    db.engine.dispose()


SEED000_OWNER = "+8613800001948"


@pytest.fixture
def seed000_records() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Seed 000: a 78-year-old's SIM, quiet all day, dials a stranger every 2 minutes from 18:00.

    Returns canonical (calls, subscribers) frames.
    """
    start = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    rows = [
        (SEED000_OWNER, "+8613900000001", start - timedelta(hours=7), 120),
        (SEED000_OWNER, "+8613900000002", start - timedelta(hours=5), 95),
    ]
    rows += [
        (SEED000_OWNER, f"+86137{10_000_000 + 7919 * i:08d}", start + timedelta(minutes=2 * i), 45)
        for i in range(30)
    ]
    calls = [
        {
            "call_id": f"c{i}",
            "caller": caller,
            "callee": callee,
            "start_time": at,
            "duration_s": dur,
            "ring_s": 8,
            "caller_cell": "cell-1",
            "caller_imei": "860000000000001",
        }
        for i, (caller, callee, at, dur) in enumerate(rows)
    ]
    subscriber = {
        "msisdn": SEED000_OWNER,
        "owner_birth_year": 1948,
        "owner_type": "individual",
        "activated_on": date(2015, 3, 1),
        "realname_status": "verified",
        "region": "chengdu",
        "whitelisted": False,
    }
    return (
        pl.from_arrow(pa.Table.from_pylist(calls, schema=CALLS.schema)),  # type: ignore[return-value]
        pl.from_arrow(pa.Table.from_pylist([subscriber], schema=SUBSCRIBERS.schema)),
    )


CityFrames = dict[str, pl.DataFrame]


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], CityFrames]:
    """``small_city(seed)``: a simulated city of 3,000 subscribers (one day) as frames
    (calls, sms, subscribers, labels), simulated once per seed and session."""
    made: dict[int, CityFrames] = {}

    def make(seed: int) -> CityFrames:
        if seed not in made:
            root = tmp_path_factory.mktemp(f"city-{seed}")
            simulate_city(SimulationConfig(subscribers=3000, seed=seed), root)
            made[seed] = {
                name: pl.read_parquet(root / name / "**" / "*.parquet")
                for name in ("calls", "sms", "subscribers", "labels")
            }
        return made[seed]

    return make

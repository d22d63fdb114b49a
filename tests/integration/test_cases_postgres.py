"""The case database on the machine's PostgreSQL: migrations, and real concurrency.

Threads act on one case at the same instant (a barrier releases them together): every update
lands, the audit chain stays one unbroken line, and a number is restored exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.machine import Role
from callwarden.cases.models import Base, Case, Suspension
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(pg_url: str, clock: Any) -> Iterator[CaseService]:
    db = open_database(pg_url, pool_size=20, max_overflow=10)
    yield CaseService(db, clock=clock)
    db.engine.dispose()


def _alert(msisdn: str, score: float = 0.85) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": "2026-07-08T10:08:00Z",
            "score": score,
            "decision": "restrict",
            "reasons": [{"code": "relay_call"}],
        }
    )


def _together(n: int, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # collected and inspected by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_migrations_match_the_models(pg: CaseService) -> None:
    with pg.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_concurrent_actions_lose_no_update(pg: CaseService) -> None:
    (r,) = pg.intake([_alert("+8613812345678")])
    agent = Actor("agent", Role.agent)
    threads, each = 8, 10

    def work(i: int) -> None:
        for j in range(each):
            pg.act(r.case_id, agent, ActionIn(action="complain", reason=f"thread {i} call {j}"))

    assert _together(threads, work) == []
    with pg.db.sessions() as s:
        case = s.get(Case, r.case_id)
        assert case is not None
        assert case.complaints == threads * each
        assert case.audit_seq == 2 + threads * each  # open, suspend, then every complaint
        assert verify(s).ok


def test_a_number_is_restored_exactly_once(pg: CaseService) -> None:
    (r,) = pg.intake([_alert("+8613812345679")])
    agent, analyst = Actor("agent", Role.agent), Actor("analyst", Role.analyst)
    pg.act(r.case_id, agent, ActionIn(action="request", channel="hotline"))
    pg.act(
        r.case_id,
        agent,
        ActionIn(action="verify", channel="business_hall", items=["owner_document"]),
    )
    pg.act(r.case_id, analyst, ActionIn(action="review", verdict="approve"))
    techs = 12
    errors = _together(
        techs,
        lambda i: pg.act(
            r.case_id, Actor(f"tech-{i}", Role.technician), ActionIn(action="restore")
        ),
    )
    assert len(errors) == techs - 1
    assert all(isinstance(e, CaseError) and e.status == 409 for e in errors)
    with pg.db.sessions() as s:
        susp = s.query(Suspension).one()
        assert susp.lifted_at is not None
        case = s.get(Case, r.case_id)
        assert case is not None and case.state == "closed"
        assert verify(s).ok

"""The decision path follows the marks' change log: a new report blocks, a withdrawal (an
upheld appeal restoring the number) is gone within the minute, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.service import Screener, ScreenIn

NUMBER = "+8613812345678"
POLICY = '[[bands]]\ncategories = ["fraud"]\nmin_score = 0.3\naction = "block"\n'


@pytest.fixture
def screening(case_service: CaseService) -> Iterator[tuple[CaseService, Screener, str]]:
    with case_service.db.sessions.begin() as s:
        token = add_hotline(s, "acme", "4001234567", case_service.now())
        install_policy(s, "acme", POLICY, case_service.now(), "admin")
    screener = Screener(case_service.db, clock=case_service.clock, poll=0.2).start()
    yield case_service, screener, token
    screener.close()


def _call(svc: CaseService, caller: str = NUMBER) -> ScreenIn:
    return ScreenIn(caller=caller, callee="4001234567", time=svc.now())


def _until(check: Any, limit: float = 60.0) -> float:
    """Seconds until ``check()`` holds (fails after ``limit``)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, "not seen by the decision path within the limit"
        time.sleep(0.05)
    return time.monotonic() - start


def _act(svc: CaseService, case_id: int, role: Role, **fields: Any) -> None:
    svc.act(case_id, Actor(role.value, role), ActionIn.model_validate(fields))


def test_a_new_report_reaches_the_decision_path(
    screening: tuple[CaseService, Screener, str],
) -> None:
    svc, screener, token = screening
    assert screener.screen(token, _call(svc))["action"] == "allow"
    with svc.db.sessions.begin() as s:
        report(s, NUMBER, Category.FRAUD, Source.COMPLAINT, svc.now(), reporter="u1")
    _until(lambda: screener.screen(token, _call(svc))["action"] == "block")


def test_an_upheld_appeal_is_gone_from_the_decision_path_within_a_minute(
    screening: tuple[CaseService, Screener, str],
) -> None:
    svc, screener, token = screening
    alert = {
        "msisdn": NUMBER,
        "flagged_at": "2026-07-08T01:58:00Z",
        "score": 0.85,
        "decision": "restrict",
        "reasons": [{"code": "relay_call", "weight": 0.8}],
    }
    (r,) = svc.intake([AlertIn.model_validate(alert)])
    assert r.case_id is not None
    _until(lambda: screener.screen(token, _call(svc))["action"] == "block")
    blocked = screener.screen(token, _call(svc))
    assert "诈骗" in blocked["reasons"][0]["text_zh"]
    # the owner appeals, the review upholds it, the number is restored: its marks withdrawn
    _act(svc, r.case_id, Role.agent, action="request", channel="hotline")
    _act(
        svc,
        r.case_id,
        Role.agent,
        action="verify",
        channel="business_hall",
        items=["owner_document"],
    )
    _act(svc, r.case_id, Role.analyst, action="review", verdict="approve")
    _act(svc, r.case_id, Role.technician, action="restore")
    waited = _until(lambda: screener.screen(token, _call(svc))["action"] == "allow")
    assert waited < 60
    assert screener.table is not None and screener.table.lookup(int(NUMBER[1:]), svc.now()) == []


def test_a_new_policy_version_is_in_force_without_a_restart(
    screening: tuple[CaseService, Screener, str],
) -> None:
    svc, screener, token = screening
    assert screener.screen(token, _call(svc))["policy_version"] == 1
    with svc.db.sessions.begin() as s:
        install_policy(s, "acme", f'block = ["{NUMBER}"]\n', svc.now(), "admin")
    _until(lambda: screener.screen(token, _call(svc))["policy_version"] == 2)
    assert screener.screen(token, _call(svc))["action"] == "block"

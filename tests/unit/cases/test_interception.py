"""Numbers the operator does not serve: intercepted at the gateway, reported, reversible.

The numbers here are ones the simulator never draws: spoofed foreign caller IDs that no numbering
plan allows, other carriers' mobiles, virtual-operator ranges, service lines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from callwarden.api import create_app
from callwarden.cases.access import Actor
from callwarden.cases.db import open_database
from callwarden.cases.from_files import IntakeCounts, alerts_from_frame
from callwarden.cases.labels import outcome_labels
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, CaseEvent, Interception, NoticeRow, NumberStatus
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden
from callwarden.records.schema import ALERT_DECISIONS as DECISIONS

ANALYST = Actor("wang", Role.analyst)
SUPERVISOR = Actor("chen", Role.supervisor)


def alert(msisdn: str, decision: str = "suspend", score: float = 0.97, **extra: Any) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": "2026-07-08T10:00:00Z",
            "score": score,
            "decision": decision,
            "reasons": [{"code": "wangiri", "text_zh": "响一声", "text_en": "one ring"}],
            **extra,
        }
    )


@pytest.fixture
def svc(clock: Any) -> CaseService:
    return CaseService(open_database("sqlite://"), clock=clock)


@pytest.mark.parametrize(
    ("msisdn", "network", "report"),
    [
        ("+371573613369", "invalid", "regulator"),  # Latvia has 8 digits: a spoofed ID
        ("+960180379979", "invalid", "regulator"),
        ("+447911123456", "foreign", "international gateway"),
        ("+8613012345678", "domestic_mobile", "China Unicom"),
        ("+8617012345678", "virtual", "China Telecom (host carrier"),
        ("+8695588", "service", "regulator"),
        ("+861062345678", "domestic_landline", "fixed-line"),
    ],
)
def test_a_number_from_outside_is_intercepted_not_suspended(
    svc: CaseService, msisdn: str, network: str, report: str
) -> None:
    (r,) = svc.intake([alert(msisdn)])
    assert (r.network, r.intercepted, r.opened) == (network, True, True)
    with svc.db.reads() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and (case.kind, case.state) == ("interception", "under_review")
        assert case.suspension_id is None
        block = s.get(Interception, case.interception_id)
        assert block is not None and report in block.report_to and block.lifted_at is None
        status = s.get(NumberStatus, msisdn)
        assert status is not None and status.status == "intercepted"
        # nobody is sent an SMS: the number is not the operator's customer
        assert s.scalars(select(NoticeRow)).all() == []
        actions = [e.action for e in s.scalars(select(CaseEvent).order_by(CaseEvent.seq))]
        assert actions == ["open", "intercept"]


def test_own_subscribers_are_still_suspended(svc: CaseService) -> None:
    own = svc.intake([alert("+8613812345678")])[0]
    assert (own.network, own.intercepted) == ("own", False)
    # a virtual-operator number with a profile here is the operator's subscriber
    profiled = svc.intake([alert("+8617012345678", subscriber={"owner_birth_year": 1950})])[0]
    assert (profiled.network, profiled.intercepted) == ("own", False)
    with svc.db.reads() as s:
        kinds = {c.msisdn: c.kind for c in s.scalars(select(Case))}
    assert kinds == {"+8613812345678": "suspension", "+8617012345678": "suspension"}


def test_intercept_for_an_own_number_blocks_its_presentations_not_its_service(
    svc: CaseService,
) -> None:
    """Someone abroad presents a subscriber's number (改号): the presented number is blocked at
    the gateway, the subscriber's own line stays as it is and is not sent any SMS."""
    (r,) = svc.intake([alert("+8613812345678", decision="intercept")])
    assert (r.network, r.intercepted) == ("own", True)
    with svc.db.reads() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and case.kind == "interception" and case.suspension_id is None
        block = s.get(Interception, case.interception_id)
        assert block is not None and "own gateways" in block.report_to
        assert s.scalars(select(NoticeRow)).all() == []


def test_watch_and_review_of_an_off_net_number_are_evidence_only(svc: CaseService) -> None:
    results = svc.intake(
        [alert("+447911123456", "watch", 0.5), alert("+447911123456", "review", 0.7)]
    )
    assert [(r.case_id, r.intercepted, r.network) for r in results] == [
        (None, False, "foreign"),
        (None, False, "foreign"),
    ]


def test_a_later_alert_extends_the_block_in_the_same_case(svc: CaseService, clock: Any) -> None:
    (first,) = svc.intake([alert("+371573613369")])
    clock.advance(days=2)
    later = alert("+371573613369", decision="intercept", score=0.99)
    later = later.model_copy(update={"flagged_at": later.flagged_at + timedelta(days=2)})
    (second,) = svc.intake([later])
    assert second.case_id == first.case_id and not second.opened and second.intercepted
    with svc.db.reads() as s:
        block = s.scalars(select(Interception)).one()
        assert block.until == clock.now + timedelta(days=svc.config.intercept_days)


def test_review_confirms_or_lifts_and_lifting_later_is_a_supervisor_s(svc: CaseService) -> None:
    a, b = svc.intake([alert("+371573613369"), alert("+960180379979")])
    assert a.case_id and b.case_id
    lifted = svc.act(a.case_id, ANALYST, ActionIn(action="review", verdict="clear"))
    assert lifted.state == "closed"
    kept = svc.act(b.case_id, ANALYST, ActionIn(action="review", verdict="approve"))
    assert kept.state == "intercepting"
    with pytest.raises(Forbidden):
        svc.act(b.case_id, ANALYST, ActionIn(action="review", verdict="clear"))
    assert svc.act(b.case_id, SUPERVISOR, ActionIn(action="review", verdict="clear")).state == (
        "closed"
    )
    with svc.db.reads() as s:
        blocks = s.scalars(select(Interception).order_by(Interception.id)).all()
        assert all(x.lifted_at is not None for x in blocks)
        outcomes = [c.outcome for c in s.scalars(select(Case).order_by(Case.id))]
        assert outcomes == ["lifted", "lifted"]
        assert {st.status for st in s.scalars(select(NumberStatus))} == {"active"}


def test_a_confirmed_block_ends_by_itself(svc: CaseService, clock: Any) -> None:
    (r,) = svc.intake([alert("+371573613369")])
    assert r.case_id
    svc.act(r.case_id, ANALYST, ActionIn(action="review", verdict="approve"))
    clock.advance(days=svc.config.intercept_days + 1)
    svc.sweep()
    with svc.db.reads() as s:
        case = s.get(Case, r.case_id)
        assert case is not None and (case.state, case.outcome) == ("closed", "expired")


def test_no_code_is_sent_to_a_number_that_is_only_intercepted(svc: CaseService) -> None:
    svc.intake([alert("+8613012345678")])
    svc.request_code("+8613012345678")
    with svc.db.reads() as s:
        assert s.scalars(select(NoticeRow)).all() == []


def test_the_gateway_reads_its_block_list_and_staff_see_the_number(svc: CaseService) -> None:
    a, _ = svc.intake([alert("+371573613369"), alert("+8613012345678")])
    assert a.case_id
    svc.act(a.case_id, ANALYST, ActionIn(action="review", verdict="clear"))  # lifted
    token = svc.add_user("gateway", "system")
    staff = svc.add_user("wang", "analyst")
    client = TestClient(create_app(svc))
    r = client.get("/api/v1/interceptions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert item["msisdn"] == "+8613012345678" and item["report_to"] == "China Unicom"
    assert item["reasons"][0]["code"] == "wangiri"
    every = client.get(
        "/api/v1/interceptions",
        params={"active": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert len(every.json()["items"]) == 2
    view = client.get(
        "/api/v1/numbers/+371573613369", headers={"Authorization": f"Bearer {staff}"}
    ).json()
    assert view["history"]["interceptions"][0]["network"] == "invalid"
    assert view["history"]["cases"][0]["outcome"] == "lifted"


numbers = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\+?[0-9 \-()]{0,25}", fullmatch=True),
    st.sampled_from(["+371573613369", "+8695588", "10086", "+", "0", "+8612", "１３８"]),
)


@given(batch=st.lists(st.tuples(numbers, st.sampled_from(DECISIONS)), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_number_string_stops_the_intake(batch: list[tuple[str, str]]) -> None:
    svc = CaseService(open_database("sqlite://"))
    frame = pl.DataFrame(
        {
            "msisdn": [m for m, _ in batch],
            "flagged_at": [datetime(2026, 7, 8, 10, i, tzinfo=UTC) for i in range(len(batch))],
            "score": [0.97] * len(batch),
            "decision": [d for _, d in batch],
        }
    )
    inputs, rejected = alerts_from_frame(frame, None)
    counts = IntakeCounts.of(svc.intake(inputs), rejected)
    assert (
        counts.alerts
        == len(batch)
        == sum(
            (
                counts.cases_opened,
                counts.interceptions,
                counts.added_to_open_cases,
                counts.already_received,
                counts.evidence_only,
                counts.reported,
            )
        )
    )
    svc.db.engine.dispose()


def test_interception_outcomes_become_labels(svc: CaseService) -> None:
    a, b = svc.intake([alert("+371573613369"), alert("+8613012345678")])
    assert a.case_id and b.case_id
    svc.act(a.case_id, ANALYST, ActionIn(action="review", verdict="approve"))
    svc.act(b.case_id, ANALYST, ActionIn(action="review", verdict="clear"))
    with svc.db.reads() as s:
        labels = dict(outcome_labels(s).select("msisdn", "label").iter_rows())
    assert labels == {"+371573613369": "wangiri", "+8613012345678": "normal"}


def test_an_own_suspended_number_presented_from_abroad_keeps_its_own_case(
    svc: CaseService,
) -> None:
    (susp,) = svc.intake([alert("+8613812345678", decision="suspend")])
    later = alert("+8613812345678", decision="intercept", score=0.99)
    later = later.model_copy(update={"flagged_at": later.flagged_at + timedelta(hours=1)})
    (blocked,) = svc.intake([later])
    assert blocked.intercepted and blocked.case_id != susp.case_id
    assert blocked.case_id
    svc.act(blocked.case_id, ANALYST, ActionIn(action="review", verdict="clear"))
    with svc.db.reads() as s:
        status = s.get(NumberStatus, "+8613812345678")
        assert status is not None
        assert (status.status, status.open_case_id) == ("suspended", susp.case_id)

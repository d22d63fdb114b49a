"""Labels from case outcomes date the behaviour by the records, not by the clock of the case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callwarden.cases.access import Actor
from callwarden.cases.db import open_database
from callwarden.cases.labels import outcome_labels
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService


def _alert(msisdn: str, at: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": at,
            "score": 0.97,
            "decision": "suspend",
            "reasons": [{"code": "wangiri", "text_zh": "响一声", "text_en": "one ring"}],
        }
    )


def test_behaviour_start_is_the_first_alerts_event_time(clock: Any) -> None:
    svc = CaseService(open_database("sqlite://"), clock=clock)
    # alerts scored from last week's files, received now: the suspension starts now
    first, later = "2026-07-01T18:04:00Z", "2026-07-01T19:30:00Z"
    (case,) = svc.intake([_alert("+371573613369", first)])
    svc.intake([_alert("+371573613369", later)])
    assert case.case_id
    svc.act(case.case_id, Actor("wang", Role.analyst), ActionIn(action="review", verdict="approve"))
    with svc.db.reads() as s:
        labels = outcome_labels(s)
    (row,) = labels.to_dicts()
    assert row["label"] == "wangiri"
    assert row["behaviour_start"] == datetime(2026, 7, 1, 18, 4, tzinfo=UTC)

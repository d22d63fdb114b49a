"""The console's alert list and daily figures (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from callwarden.cases import overview
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden, Unprocessable

SUPERVISOR = Actor("sue", Role.supervisor)


def alert(msisdn: str, code: str, at: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": at,
            "score": 0.97,
            "decision": "suspend",
            "reasons": [
                {"code": code, "weight": 0.7},
                {"code": "night_calls", "weight": 0.3},
            ],
        }
    )


def test_figures_count_each_local_day(case_service: CaseService, clock: Any) -> None:
    case_service.intake(
        [
            alert("+8613812345678", "relay_call", "2026-07-08T01:00:00Z"),
            alert("+8613812345679", "wangiri", "2026-07-08T01:30:00Z"),
            alert("+8613812345670", "relay_call", "2026-07-07T17:00:00Z"),  # 07-08 01:00 local
        ]
    )
    with case_service.db.reads() as s:
        figs = overview.figures(s, clock(), days=3)
    today = {r["label"]: r for r in figs["daily"]}["2026-07-08"]
    assert today["alerts"] == {"relay_call": 2, "wangiri": 1} and today["alerts_total"] == 3
    assert today["suspensions"] == 3 and today["restorations"] == 0 and figs["open_cases"] == 3
    assert sum(r["alerts_total"] for r in figs["weekly"]) == 3
    with case_service.db.reads() as s, pytest.raises(Unprocessable):
        overview.figures(s, clock(), days=0)


def test_alert_list_filters_and_masks_for_agents(case_service: CaseService) -> None:
    case_service.intake([alert("+8613812345678", "relay_call", "2026-07-08T01:00:00Z")])
    with case_service.db.reads() as s:
        full = overview.list_alerts(s, SUPERVISOR, decision="suspend", min_score=0.9)
        agent = overview.list_alerts(s, Actor("ann", Role.agent))
        none = overview.list_alerts(s, SUPERVISOR, decision="watch")
        assert full["items"][0]["msisdn"] == "+8613812345678" and full["items"][0]["case_id"]
        assert agent["items"][0]["msisdn"] == "138****5678" and none["items"] == []
        with pytest.raises(Unprocessable):
            overview.list_alerts(s, SUPERVISOR, decision="nope")
        with pytest.raises(Forbidden):
            overview.list_alerts(s, Actor("c", Role.customer, "+8613812345678"))

"""Cases link a campaign group's numbers through the group id of their alerts."""

from __future__ import annotations

from typing import Any

from callwarden.cases.db import open_database
from callwarden.cases.groups import group_of_case, numbers_of_group
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.detect.campaigns import CampaignGroup

LINES = [f"+8617000001{k:03d}" for k in range(5)]


def _alert(msisdn: str, group: CampaignGroup | None) -> AlertIn:
    reason: dict[str, Any] = (
        group.reason().as_record()
        if group is not None
        else {"code": "relay_call", "text_zh": "中转", "text_en": "relay"}
    )
    return AlertIn.model_validate(
        {"msisdn": msisdn, "flagged_at": "2026-07-08T10:00:00Z", "score": 0.9,
         "decision": "restrict", "reasons": [reason]}
    )  # fmt: skip


def test_a_group_s_numbers_and_their_cases_are_found_from_any_of_them(clock: Any) -> None:
    svc = CaseService(open_database("sqlite://"), clock=clock)
    group = CampaignGroup("campaign-abc123", LINES, 6, ["shared_callees", "no_inbound"], 0.9, 0.0)
    other = "+8613800000077"
    results = svc.intake([_alert(m, group) for m in LINES] + [_alert(other, None)])
    opened = {r.msisdn: r.case_id for r in results}
    with svc.db.reads() as s:
        found = numbers_of_group(s, "campaign-abc123")
        assert [f["msisdn"] for f in found] == LINES
        assert {f["msisdn"]: f["case_id"] for f in found} == {m: opened[m] for m in LINES}
        case_id = opened[LINES[2]]
        assert case_id is not None
        assert group_of_case(s, case_id) == "campaign-abc123"
        other_case = opened[other]
        assert other_case is not None and group_of_case(s, other_case) is None
        assert numbers_of_group(s, "campaign-zzz") == []

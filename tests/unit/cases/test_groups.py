"""Cases link a campaign group's numbers through the group id of their alerts: in the case
service's queries, over the REST API and on the console's case page (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from callwarden.api.app import create_app
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.groups import group_of_case, group_view, numbers_of_group
from callwarden.cases.machine import Role
from callwarden.cases.models import Alert
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.detect.campaigns import CampaignGroup
from callwarden.errors import NotFound, Unprocessable

LINES = [f"+8617000001{k:03d}" for k in range(5)]
#: named by the group, never alerted (an allow-listed line, say)
QUIET = "+8617000001999"
OTHER = "+8613800000077"
GID = "campaign-abc123"
SUPERVISOR = Actor("sup", Role.supervisor)
TECHNICIAN = Actor("tech", Role.technician)


def _alert(msisdn: str, group: CampaignGroup | None, decision: str = "restrict") -> AlertIn:
    reason: dict[str, Any] = (
        group.reason().as_record()
        if group is not None
        else {"code": "relay_call", "text_zh": "中转", "text_en": "relay"}
    )
    return AlertIn.model_validate(
        {"msisdn": msisdn, "flagged_at": "2026-07-08T10:00:00Z", "score": 0.9,
         "decision": decision, "reasons": [reason]}
    )  # fmt: skip


def _group() -> CampaignGroup:
    members = sorted([*LINES, QUIET])
    return CampaignGroup(GID, members, 7, ["shared_callees", "no_inbound"], 0.9, 0.0)


@pytest.fixture
def opened(case_service: CaseService) -> dict[str, int | None]:
    """Five lines of one group alerted (one only at `watch`), a number of no group."""
    group = _group()
    alerts = [_alert(m, group, "watch" if m == LINES[4] else "restrict") for m in LINES]
    results = case_service.intake([*alerts, _alert(OTHER, None)])
    return {r.msisdn: r.case_id for r in results}


def test_a_group_s_numbers_and_their_cases_are_found_from_any_of_them(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    with case_service.db.reads() as s:
        found = numbers_of_group(s, GID)
        assert [f["msisdn"] for f in found] == LINES
        assert {f["msisdn"]: f["case_id"] for f in found} == {m: opened[m] for m in LINES}
        case_id = opened[LINES[2]]
        assert case_id is not None
        assert group_of_case(s, case_id) == GID
        other_case = opened[OTHER]
        assert other_case is not None and group_of_case(s, other_case) is None
        assert numbers_of_group(s, "campaign-fff") == []


def test_the_group_view_lists_every_member_with_its_decision_and_case(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    with case_service.db.reads() as s:
        view = group_view(s, SUPERVISOR, GID)
    assert view["group_id"] == GID and view["cues"] == ["shared_callees", "no_inbound"]
    assert view["members"] == 6 and view["alerted"] == 5
    by_number = {n["msisdn"]: n for n in view["numbers"]}
    assert sorted(by_number) == sorted([*LINES, QUIET])
    assert by_number[QUIET] == {
        "msisdn": QUIET, "decision": None, "decisions": [], "case_id": None, "alerted": False
    }  # fmt: skip
    assert by_number[LINES[0]]["decision"] == "restrict"
    assert by_number[LINES[4]]["decision"] == "watch"
    assert view["cases"] == sorted(c for m, c in opened.items() if m in LINES and c is not None)
    assert "与 5 个号码" in view["text_zh"] and LINES[1] in view["text_zh"]


def test_the_technician_sees_the_group_s_numbers_masked(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    with case_service.db.reads() as s:
        view = group_view(s, TECHNICIAN, GID)
    assert all("****" in n["msisdn"] for n in view["numbers"])
    assert not any(m in view["text_zh"] + view["text_en"] for m in [*LINES, QUIET])


@pytest.mark.parametrize(
    ("actor", "group_id", "error"),
    [
        (SUPERVISOR, "campaign-fff", NotFound),  # no such group
        (Actor("c", Role.customer, LINES[0]), GID, NotFound),  # customers see no group
        (SUPERVISOR, "campaign-%", Unprocessable),  # not an id: no LIKE pattern reaches SQL
        (SUPERVISOR, "", Unprocessable),
    ],
)
def test_a_group_that_is_not_there_or_not_theirs_is_a_clear_error(
    case_service: CaseService,
    opened: dict[str, int | None],
    actor: Actor,
    group_id: str,
    error: type[Exception],
) -> None:
    with case_service.db.reads() as s, pytest.raises(error):
        group_view(s, actor, group_id)


def test_a_case_shows_its_group_and_a_case_of_no_group_shows_none(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    case_id, other = opened[LINES[1]], opened[OTHER]
    assert case_id is not None and other is not None
    with case_service.db.reads() as s:
        detail = queries.case_detail(s, SUPERVISOR, case_id, case_service.sla, case_service.now())
        alone = queries.case_detail(s, SUPERVISOR, other, case_service.sla, case_service.now())
    assert detail["campaign_group"]["group_id"] == GID
    assert len(detail["campaign_group"]["numbers"]) == 6
    assert alone["campaign_group"] is None


def test_the_api_answers_a_group_and_4xx_for_what_it_cannot(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    client = TestClient(create_app(case_service), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {case_service.add_user('sup', 'supervisor')}"}
    r = client.get(f"/api/v1/campaign-groups/{GID}", headers=auth)
    assert r.status_code == 200, r.text
    assert [n["msisdn"] for n in r.json()["numbers"]] == sorted([*LINES, QUIET])
    assert client.get(f"/api/v1/campaign-groups/{GID}").status_code == 401
    for bad, status in [("campaign-fff", 404), ("campaign-%25", 422), ("x" * 60, 422)]:
        r = client.get(f"/api/v1/campaign-groups/{bad}", headers=auth)
        assert r.status_code == status, (bad, r.text)
        assert set(r.json()) == {"detail", "field"}


def test_the_case_page_links_the_other_lines_of_the_group(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    client = TestClient(create_app(case_service), follow_redirects=True)
    client.get("/")  # the login page sets the CSRF cookie
    token = case_service.add_user("ana", "analyst")
    csrf = str(client.cookies.get("cw_csrf"))
    r = client.post("/console/login", data={"csrf": csrf, "username": "ana", "token": token})
    assert r.status_code == 200 and r.url.path == "/console/cases"
    case_id = opened[LINES[1]]
    html = client.get(f"/console/cases/{case_id}").text
    section = html[html.index('id="campaign-group"') :]
    section = section[: section.index("</section>")]
    assert GID in section and QUIET in section
    linked = set(map(int, re.findall(r'href="/console/cases/(\d+)"', section)))
    assert linked == {c for m, c in opened.items() if m in LINES and c not in (None, case_id)}


def test_an_alert_submitted_by_hand_with_odd_campaign_evidence_is_kept_and_breaks_no_view(
    case_service: CaseService, opened: dict[str, int | None]
) -> None:
    """Evidence that is no JSON, names another shape of id, or gives members as a text: the
    alert is kept, indexes no group (or its own), and the group views answer, never fail."""
    odd = [
        ("+8613800000101", "not json {"),
        ("+8613800000102", '{"group_id": "campaign-' + "f" * 60 + '"}'),  # too long an id
        ("+8613800000103", '{"group_id": 7}'),
        ("+8613800000104", '{"group_id": "campaign-dd", "members": "+861380000", "cues": 3}'),
    ]
    results = case_service.intake(
        [
            AlertIn.model_validate(
                {
                    "msisdn": m,
                    "flagged_at": "2026-07-08T11:00:00Z",
                    "score": 0.7,
                    "decision": "review",
                    "reasons": [{"code": "campaign", "evidence": ev}],
                }
            )
            for m, ev in odd
        ]
    )
    assert all(r.error is None for r in results)
    with case_service.db.reads() as s:
        for r in results[:3]:
            assert r.case_id is not None and group_of_case(s, r.case_id) is None
        assert results[3].case_id is not None and group_of_case(s, results[3].case_id) == (
            "campaign-dd"
        )
        view = group_view(s, SUPERVISOR, "campaign-dd")
        assert view["members"] == 0 and view["cues"] == []
        assert [n["msisdn"] for n in view["numbers"]] == ["+8613800000104"]
        assert [f["msisdn"] for f in numbers_of_group(s, GID)] == LINES  # the others unchanged


@pytest.mark.parametrize(
    "where", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_the_migration_fills_the_group_of_the_alerts_kept_before_it(
    request: pytest.FixtureRequest, tmp_path: Path, where: str
) -> None:
    """A case database of the revision before the column: its alerts get their group."""
    from alembic import command  # noqa: PLC0415

    from callwarden.cases.db import alembic_config, open_database  # noqa: PLC0415

    url = str(tmp_path / "cases.db") if where == "sqlite" else request.getfixturevalue("pg_url")
    db = open_database(url, migrate=False)
    group = _group().reason().as_record()
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0015")
        for k, reasons in enumerate([[group], [{"code": "relay_call", "evidence": "{}"}]]):
            conn.execute(
                text(
                    "INSERT INTO alerts (alert_id, msisdn, flagged_at, score, decision, reasons,"
                    " received_at) VALUES (:a, :m, :t, 0.9, 'review', :r, :t)"
                ),
                {"a": f"a{k}", "m": LINES[k], "t": "2026-07-08 10:00:00", "r": json.dumps(reasons)},
            )
    db.engine.dispose()
    db = open_database(url)  # migrates to the head
    with db.reads() as s:
        assert numbers_of_group(s, GID) == [
            {"msisdn": LINES[0], "decisions": ["review"], "case_id": None}
        ]
        kept = {a: g for a, g in s.execute(select(Alert.alert_id, Alert.campaign_group))}
    assert kept == {"a0": GID, "a1": None}
    db.engine.dispose()

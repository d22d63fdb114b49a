"""The console's real-name campaign and outbound compliance pages through the whole app
(SQLite and PostgreSQL): roles as the services check them, both languages, the emergency
restore's four eyes, the audit by seat and line, bad input beside its field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import Clock
from tests.unit.web.scenes import (
    AUDIT_CALLS,
    COMPLAINER,
    SUSPENDED,
    campaign_scene,
    outbound_scene,
)

from callwarden.api.app import create_app
from callwarden.cases.models import NoticeRow
from callwarden.cases.service import CaseService
from callwarden.realname.models import Subject
from callwarden.web import CAMPAIGNS_ENV


def _staff(svc: CaseService, name: str, role: str) -> TestClient:
    token = svc.add_user(name, role)
    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/")
    r = c.post(
        "/console/login", data={"csrf": c.cookies["cw_csrf"], "username": name, "token": token}
    )
    assert r.status_code == 200
    return c


@pytest.fixture
def campaign_svc(
    case_service: CaseService, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CaseService:
    path = campaign_scene(case_service, tmp_path, clock.now)
    monkeypatch.setenv(CAMPAIGNS_ENV, str(path))
    return case_service


def test_campaign_page_in_both_languages_with_warning_and_complainers(
    campaign_svc: CaseService,
) -> None:
    boss = _staff(campaign_svc, "sue", "supervisor")
    r = boss.get("/console/campaigns")
    assert r.status_code == 200
    page = r.text
    assert "实名制专项" in page and "日通报" in page and 'id="early-warning"' in page
    assert COMPLAINER in page  # a supervisor sees the full number; li.agent follows it up
    assert "li.agent" in page and page.count("<svg") >= 4
    assert ">3</td>" in page.split('id="states"')[1].split("</table>")[0]  # three suspended
    en = boss.get("/console/campaigns?lang=en&week=on").text
    assert "Weekly report" in en and "Emergency restore (four eyes)" in en
    assert boss.get("/console/campaigns?day=2026-13-01").text.count('id="day-error"') == 1


def test_agents_see_masked_numbers_and_technicians_nothing(campaign_svc: CaseService) -> None:
    agent = _staff(campaign_svc, "ann", "agent")
    page = agent.get("/console/campaigns").text
    assert COMPLAINER not in page and "138****0009" in page
    tech = _staff(campaign_svc, "tom", "technician")
    assert tech.get("/console/campaigns").status_code == 403
    anon = TestClient(create_app(campaign_svc), follow_redirects=False)
    assert anon.get("/console/campaigns").status_code == 303


def test_emergency_restore_takes_two_people(campaign_svc: CaseService) -> None:
    agent = _staff(campaign_svc, "ann", "agent")
    number = SUSPENDED[0]
    form = {"csrf": agent.cookies["cw_csrf"], "name": "autumn", "msisdn": number, "reason": ""}
    r = agent.post("/console/campaigns/emergency", data=form)
    assert 'id="reason-error"' in r.text  # no hardship given: told beside the field
    r = agent.post("/console/campaigns/emergency", data=form | {"msisdn": "12"})
    assert 'id="msisdn-error"' in r.text
    form["reason"] = "家中老人就医, 需要联系"
    r = agent.post("/console/campaigns/emergency", data=form)
    assert r.status_code == 200 and "awaiting_second_approval" in r.text
    r = agent.post("/console/campaigns/emergency", data=form)  # the same person again
    assert 'id="msisdn-error"' in r.text
    boss = _staff(campaign_svc, "sue", "supervisor")
    form["csrf"] = boss.cookies["cw_csrf"]
    r = boss.post("/console/campaigns/emergency", data=form)
    assert r.status_code == 200 and 'id="done"' in r.text and "approved" in r.text
    r = boss.post("/console/campaigns/emergency", data={**form, "name": "nosuch"})
    assert r.status_code == 404
    r = boss.post("/console/campaigns/emergency", data={**form, "csrf": "x" * 30})
    assert r.status_code == 403


def test_restore_on_the_case_page_is_the_campaigns_emergency_restore(
    campaign_svc: CaseService,
) -> None:
    """The technician's restore after the four eyes: the campaign records the emergency restore
    at once (subject, grace days, the SMS), not only at the next ``campaign run``."""
    number = SUSPENDED[0]
    for who, role in (("ann", "agent"), ("sue", "supervisor")):
        c = _staff(campaign_svc, who, role)
        form = {"csrf": c.cookies["cw_csrf"], "name": "autumn", "msisdn": number, "reason": "就医"}
        assert 'id="done"' in c.post("/console/campaigns/emergency", data=form).text
    with campaign_svc.db.reads() as s:
        subject = s.get(Subject, ("autumn", number))
        assert subject is not None and subject.state == "suspended" and subject.case_id
        case_id = subject.case_id
    tech = _staff(campaign_svc, "tom", "technician")
    r = tech.post(
        f"/console/cases/{case_id}/act",
        data={"csrf": tech.cookies["cw_csrf"], "action": "restore"},
    )
    assert r.status_code == 200 and "done=restore" in str(r.url)
    with campaign_svc.db.reads() as s:
        subject = s.get(Subject, ("autumn", number))
        assert subject is not None and subject.state == "emergency"
        assert subject.grace_until is not None
        sms = s.scalars(
            select(NoticeRow.msisdn).where(NoticeRow.kind == "realname_emergency")
        ).all()
    assert sms == [number]
    boss = _staff(campaign_svc, "sam", "supervisor")
    states = boss.get("/console/campaigns").text.split('id="states"')[1].split("</table>")[0]
    assert ">2</td>" in states and ">1</td>" in states  # two still suspended, one in emergency


def test_no_campaign_configured(case_service: CaseService) -> None:
    boss = _staff(case_service, "sue", "supervisor")
    assert 'id="no-campaigns"' in boss.get("/console/campaigns").text


@pytest.fixture
def outbound_svc(case_service: CaseService, tmp_path: Path) -> CaseService:
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    case_service.clock = lambda: now
    outbound_scene(case_service, tmp_path, now)
    return case_service


def test_outbound_registers_check_log_and_audit(outbound_svc: CaseService) -> None:
    analyst = _staff(outbound_svc, "amy", "analyst")
    page = analyst.get("/console/outbound").text
    assert "seaview" in page and "REC-1" in page and "haiyun" in page
    log = page.split('id="checks"')[1].split("</section>")[0]
    assert "+8613800000004" in log and "用户已拒绝" in log and "允许" in log
    en = analyst.get("/console/outbound?lang=en&denied=on").text
    assert "Pre-dial check log" in en and "called after refusal" in en
    r = analyst.post(
        "/console/outbound/audit",
        data={"csrf": analyst.cookies["cw_csrf"], "business": "seaview"},
        files={"file": ("day.csv", AUDIT_CALLS.encode(), "text/csv")},
    )
    assert r.status_code == 200 and 'id="audit-result"' in r.text
    seats = r.text.split('id="audit-by_seat"')[1].split("</table>")[0]
    assert "A01" in seats and "B07" in seats
    assert "<td>100.0</td>" in r.text and "10000" not in r.text  # shares: percentages
    lines = r.text.split('id="audit-by_line"')[1].split("</table>")[0]
    assert "09999999999" in lines or "+869999999999" in lines or "9999999999" in lines
    r = analyst.post(
        "/console/outbound/audit",
        data={"csrf": analyst.cookies["cw_csrf"], "business": "seaview"},
        files={"file": ("day.csv", b"who,what\n1,2\n", "text/csv")},
    )
    assert r.status_code == 422 and 'id="file-error"' in r.text
    r = analyst.post(
        "/console/outbound/audit",
        data={"csrf": analyst.cookies["cw_csrf"], "business": "seaview"},
        files={"file": ("day.exe", b"MZ", "application/octet-stream")},
    )
    assert r.status_code == 422 and 'id="file-error"' in r.text


def test_outbound_is_for_analysts_and_supervisors(outbound_svc: CaseService) -> None:
    for role in ("agent", "technician"):
        c = _staff(outbound_svc, f"x-{role}", role)
        assert c.get("/console/outbound").status_code == 403
        r = c.post(
            "/console/outbound/audit",
            data={"csrf": c.cookies["cw_csrf"], "business": "seaview"},
            files={"file": ("day.csv", AUDIT_CALLS.encode(), "text/csv")},
        )
        assert r.status_code == 403

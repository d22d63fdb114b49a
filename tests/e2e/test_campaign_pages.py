"""In a real browser: the real-name campaign and outbound compliance pages, in Chinese and
English, the four-eyes emergency restore (then the technician's restore the campaign records),
an audit uploaded, and axe-core's check on them.

Set ``CALLWARDEN_SCREENSHOTS=docs/img`` to write the screenshots docs/console.md shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.staticfiles import StaticFiles
from tests.e2e.conftest import AXE, served
from tests.e2e.test_browser import serious, shot
from tests.unit.web.scenes import AUDIT_CALLS, COMPLAINER, SUSPENDED, campaign_scene, outbound_scene

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.realname.campaign import Campaign
from callwarden.realname.models import Subject
from callwarden.web import mount_web

#: the site's clock: Wednesday 2 December 2026, 10:00 in Shanghai
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@dataclass
class Site:
    url: str
    service: CaseService
    tokens: dict[str, str]
    folder: Path


@pytest.fixture(scope="module")
def rn_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site with one campaign in its registration phase and one outbound business."""
    folder = tmp_path_factory.mktemp("rn-site")
    # the service's own clock, not the wall's: the pages show the same day at whatever hour
    # the suite runs, and a run across midnight in Shanghai does not change it (the console's
    # sign-in cookies expire by the wall clock, relative to now: the browser keeps them)
    service = CaseService(open_database(str(folder / "cases.db")), clock=lambda: NOW)
    path = campaign_scene(service, folder, NOW)
    # the dials at 10:00 in Shanghai (inside the calling hours: some are allowed)
    outbound_scene(service, folder, NOW)
    tokens = {
        role: service.add_user(f"{role}-1", role) for role in ("agent", "supervisor", "technician")
    }
    app = create_app(service)
    app.router.routes = [
        r
        for r in app.router.routes
        if getattr(r, "path", "") not in ("/", "/console", "/self", "/static")
    ]
    mount_web(app, service, campaigns=[Campaign.load(path)])
    if AXE.exists():
        app.mount("/__axe", StaticFiles(directory=str(AXE.parent)), name="axe")
    with served(app) as url:
        yield Site(url, service, tokens, folder)


def login(page: Any, site: Site, role: str) -> None:
    page.goto(site.url + "/")
    page.fill("#username", f"{role}-1")
    page.fill("#token", site.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console/cases"))


def test_campaign_report_and_emergency_restore_with_four_eyes(rn_site: Site, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, rn_site, "agent")
    page.click("#nav-campaigns")
    page.wait_for_url(re.compile(r"/console/campaigns"))
    assert "补登记" in page.inner_text("#phase")
    assert page.locator("#report svg.chart").count() == 4
    assert "投诉预警" in page.inner_text("#early-warning")
    assert "138****0009" in page.inner_text("#frequent") and COMPLAINER not in page.content()
    # the first approval: an agent
    page.fill("#em-msisdn", SUSPENDED[1])
    page.fill("#em-reason", "家中老人就医, 需要联系")
    page.click("#em-approve")
    page.wait_for_selector("#done")
    assert "awaiting_second_approval" in page.inner_text("#done")
    page.context.close()
    # the second: a supervisor, in English
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, rn_site, "supervisor")
    page.goto(rn_site.url + "/console/campaigns?lang=en&week=on")
    assert "Weekly report" in page.content() and COMPLAINER in page.inner_text("#frequent")
    shot(page, "campaigns-en")
    page.fill("#em-msisdn", SUSPENDED[1])
    page.fill("#em-reason", "verified the hardship by phone")
    page.click("#em-approve")
    page.wait_for_selector("#done")
    assert "approved" in page.inner_text("#done")
    page.goto(rn_site.url + "/console/campaigns?lang=zh")
    shot(page, "campaigns")
    page.context.close()
    # a technician restores the number on the case page: the campaign's emergency restore
    with rn_site.service.db.reads() as s:
        subject = s.get(Subject, ("autumn", SUSPENDED[1]))
        assert subject is not None and subject.state == "suspended"
        case_id = subject.case_id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, rn_site, "technician")
    page.goto(f"{rn_site.url}/console/cases/{case_id}")
    page.click("#action-restore")
    page.click("#do-restore")
    page.wait_for_url(re.compile(r"done=restore"))
    with rn_site.service.db.reads() as s:
        subject = s.get(Subject, ("autumn", SUSPENDED[1]))
        assert subject is not None and subject.state == "emergency" and subject.grace_until
    page.context.close()


def test_outbound_registers_log_and_an_uploaded_audit(rn_site: Site, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, rn_site, "supervisor")
    page.click("#nav-outbound")
    page.wait_for_url(re.compile(r"/console/outbound"))
    assert "seaview" in page.inner_text("#businesses")
    assert "REC-1" in page.inner_text("#consents") and "haiyun" in page.inner_text("#refusals")
    assert page.locator("#checks tbody tr").count() >= 4
    calls = rn_site.folder / "day.csv"
    calls.write_text(AUDIT_CALLS, encoding="utf-8")
    page.set_input_files("#audit-file", str(calls))
    page.click("#audit-run")
    page.wait_for_selector("#audit-result")
    assert "A01" in page.inner_text("#audit-by_seat")
    assert "100.0" in page.inner_text("#audit-result")  # the shares are percentages already
    assert page.locator("#audit-by_line tbody tr").count() >= 2
    shot(page, "outbound")
    page.goto(rn_site.url + "/console/outbound?lang=en")
    assert "Pre-dial check log" in page.content()
    page.context.close()


def test_new_pages_have_no_serious_accessibility_violations(rn_site: Site, browser: Any) -> None:
    if not AXE.exists():
        message = "axe-core is not installed: run `make axe` (npm install axe-core in tests/e2e)"
        if os.environ.get("CI"):
            raise AssertionError(message)
        pytest.skip(message)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, rn_site, "supervisor")
    problems: dict[str, list[str]] = {}
    for name, path in (
        ("campaigns", "/console/campaigns"),
        ("campaigns-week-en", "/console/campaigns?week=on&lang=en"),
        ("outbound", "/console/outbound?lang=zh"),
        ("outbound-denied", "/console/outbound?denied=on"),
    ):
        page.goto(rn_site.url + path)
        problems[name] = serious(page)
    calls = rn_site.folder / "day2.csv"
    calls.write_text(AUDIT_CALLS, encoding="utf-8")
    page.set_input_files("#audit-file", str(calls))
    page.click("#audit-run")
    page.wait_for_selector("#audit-result")
    problems["outbound-audit"] = serious(page)
    page.context.close()
    assert {k: v for k, v in problems.items() if v} == {}

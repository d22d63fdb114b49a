"""In a real browser: an agent works a case; a customer on a phone follows their own case only.

Set ``CALLWARDEN_SCREENSHOTS=docs/img`` to write the screenshots docs/console.md shows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from callwarden.cases import queries

SHOTS = os.environ.get("CALLWARDEN_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def login(page: Any, site: Any, role: str) -> None:
    page.goto(site.url + "/")
    page.fill("#username", f"{role}-1")
    page.fill("#token", site.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console/cases"))


def latest_code(site: Any, msisdn: str) -> str:
    """The one-time code as the SMS gateway would deliver it (from the outbox)."""
    with site.service.db.reads() as s:
        sms = [
            n["text"] for n in queries.notices(s) if n["kind"] == "otp" and n["msisdn"] == msisdn
        ]
    return re.findall(r"\b\d{6}\b", sms[-1])[0]


def test_agent_opens_a_suspended_number_and_acts_on_its_case(browser: Any, site: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, "agent")
    shot(page, "queue")
    rows = page.locator("#case-queue tbody tr")
    assert rows.count() >= 2
    page.click("#case-queue tbody tr:first-child a")
    page.wait_for_url(re.compile(r"/console/cases/\d+$"))
    assert "awaiting_request" in page.inner_text("#case-state")
    assert "60 分钟内主叫 42 次" in page.content()
    # the number's page: reasons and the chart of its calls
    page.click("#number-link")
    page.wait_for_selector("svg.chart")
    assert page.locator("svg.chart").count() == 4
    assert "42 calls" in page.inner_text("#behaviour")
    shot(page, "number")
    page.go_back()
    # exactly the actions an agent may take: a request by hotline, no approval
    assert page.locator("#do-request").count() == 1
    assert page.locator("#do-review-approve").count() == 0
    page.click("#action-request")
    page.select_option("select[name=relationship]", "family")
    page.click("#do-request")
    page.wait_for_selector("#done")
    assert "awaiting_verification" in page.inner_text("#case-state")
    shot(page, "case")
    page.close()


def test_supervisor_sees_the_dashboard_in_english(browser: Any, site: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, "supervisor")
    page.goto(site.url + "/console/dashboard?lang=en")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("svg.chart").count() >= 10
    shot(page, "dashboard")
    page.close()


def _self_service(browser: Any, site: Any, msisdn: str, lang: str) -> Any:
    w, h = site.phone
    context = browser.new_context(
        viewport={"width": w, "height": h}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(site.url + f"/self/?lang={lang}")
    page.fill("#msisdn", msisdn.removeprefix("+86"))
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", latest_code(site, msisdn))
    page.click("#verify")
    page.wait_for_url(re.compile(r"/self/case"))
    return page


def test_customer_self_service_on_a_phone_in_chinese(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    page = _self_service(browser, site, site.customer, "zh")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "号码已被保护性停机" in page.inner_text("#step")
    assert page.locator("#why li").count() >= 1
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= site.phone[0]
    shot(page, "self-service-zh")
    page.select_option("#relationship", "family")
    page.click("#do-request")
    page.wait_for_selector("#done")
    assert page.locator("#bring li").count() >= 1 and page.inner_text("#where")
    card = tmp_path / "student-card.png"
    card.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(256))
    page.select_option("#doc-kind", "student_card")
    page.set_input_files("#doc-file", str(card))
    page.click("#upload")
    page.wait_for_selector("#done")
    assert "student-card.png" in page.inner_text("#documents")
    page.click("summary:has-text('投诉')")
    page.fill("#reason-complain", "等了很久没有人联系我")
    page.click("#do-complain")
    page.wait_for_selector("#done")
    assert "投诉" in page.inner_text("#progress")
    shot(page, "self-service-progress-zh")
    # the assistant answers from the case, then a person takes over and answers
    page.fill("#chat-text", "需要带什么材料?")
    page.click("#chat-send")
    page.wait_for_selector(".msg.bot")
    assert "请准备以下材料" in page.inner_text("#chat-log")
    page.click("#chat-person")
    page.wait_for_selector("#chat-waiting")
    agent = browser.new_page(viewport={"width": 1280, "height": 900})
    login(agent, site, "agent")
    agent.click("#nav-handoffs")
    agent.click("#handoff-queue tbody tr:first-child a")
    assert "需要带什么材料" in agent.inner_text("#chat-log")
    agent.fill("#reply-text", "您好, 我是客服, 请问机主是您的家人吗?")
    agent.click("#reply-send")
    agent.wait_for_selector(".msg.agent")
    shot(agent, "handoff")
    agent.close()
    # the customer's page fetches the log again by itself: the reply arrives without a reload
    page.wait_for_selector(".msg.agent", timeout=15000)
    assert "请问机主是您的家人吗" in page.inner_text("#chat-log")
    shot(page, "assistant-zh")
    page.context.close()


def test_customer_self_service_in_english_sees_only_their_number(browser: Any, site: Any) -> None:
    page = _self_service(browser, site, site.other, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "suspended for your protection" in page.inner_text("#step")
    assert "139****5678" in page.content()
    assert "137****5678" not in page.content() and "138****5678" not in page.content()
    shot(page, "self-service-en")
    # another number's case, document or console page: nothing
    with site.service.db.reads() as s:
        owner_case = s.scalar(
            __import__("sqlalchemy").text("select id from cases where msisdn = :m"),
            {"m": site.owner},
        )
    for path in (f"/console/cases/{owner_case}", f"/console/numbers/{site.owner}"):
        page.goto(site.url + path)
        assert "/console/login" in page.url
    response = page.goto(site.url + "/self/documents/1")
    assert response is not None and response.status == 404
    response = page.goto(site.url + f"/api/v1/cases/{owner_case}")
    assert response is not None and response.status == 401
    page.context.close()


AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


def serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page.

    The test site serves the npm package's file on its own origin (tests/e2e/conftest.py), so
    the pages' CSP, which allows only their own scripts, lets it run unchanged."""
    page.add_script_tag(url="/__axe/axe.min.js")
    assert page.evaluate("typeof axe.run") == "function"
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return [str(v) for v in found]


def test_main_pages_have_no_serious_accessibility_violations(browser: Any, site: Any) -> None:
    if not AXE.exists():
        message = "axe-core is not installed: run `make axe` (npm install axe-core in tests/e2e)"
        if os.environ.get("CI"):
            raise AssertionError(message)
        pytest.skip(message)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site.url + "/console/login")
    problems = {"login": serious(page)}
    login(page, site, "supervisor")
    problems["queue"] = serious(page)
    with site.service.db.reads() as s:
        case_id = s.scalar(text("select min(id) from cases"))
    for name, path in (
        ("case", f"/console/cases/{case_id}"),
        ("number", f"/console/numbers/{site.owner}"),
        ("alerts", "/console/alerts"),
        ("dashboard", "/console/dashboard"),
        ("handoffs", "/console/handoffs"),
        ("kb", "/console/kb"),
        ("self-start", "/self/?lang=zh"),
    ):
        page.goto(site.url + path)
        problems[name] = serious(page)
    context.close()
    phone = _self_service(browser, site, site.other, "zh")
    problems["self-case"] = serious(phone)
    phone.context.close()
    assert {k: v for k, v in problems.items() if v} == {}

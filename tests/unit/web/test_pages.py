"""The console and self-service pages through the whole app (SQLite and PostgreSQL, real
services, no browser)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.web import mount_web

OWNER = "+8613812345678"
OTHER = "+8613912345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def alert(msisdn: str) -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": msisdn,
            "flagged_at": "2026-07-08T10:08:00Z",
            "score": 0.97,
            "decision": "suspend",
            "reasons": [
                {
                    "code": "relay_call",
                    "weight": 1.0,
                    "text_zh": "60 分钟内主叫 42 次, 平均间隔 118 秒",
                    "text_en": "42 outbound calls in 60 min, one every 118 s",
                    "evidence": {"calls_60m": 42},
                }
            ],
        }
    )


@pytest.fixture
def svc(case_service: CaseService) -> CaseService:
    """Two suspended numbers, on SQLite and on PostgreSQL (the suite's case_service)."""
    case_service.intake([alert(OWNER), alert(OTHER)])
    return case_service


def client(svc: CaseService) -> TestClient:
    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/")  # the login page sets the CSRF cookie
    return c


def csrf(c: TestClient) -> str:
    return str(c.cookies.get("cw_csrf"))


def login(svc: CaseService, c: TestClient, name: str, role: str) -> None:
    token = svc.add_user(name, role)
    r = c.post("/console/login", data={"csrf": csrf(c), "username": name, "token": token})
    assert r.status_code == 200 and r.url.path == "/console/cases"


def case_of(svc: CaseService, msisdn: str) -> int:
    with svc.db.reads() as s:
        return int(queries.number_view(s, _sys(), msisdn)["open_case_id"])


def _sys() -> Actor:
    return Actor("test", Role.system)


def test_root_is_the_login_and_cookies_are_httponly_strict(svc: CaseService) -> None:
    c = TestClient(create_app(svc))
    r = c.get("/", follow_redirects=True)
    assert r.url.path == "/console/login" and "访问令牌" in r.text
    cookie = r.history[-1].headers.get("set-cookie", "") + r.headers.get("set-cookie", "")
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "Access token" in c.get("/console/login?lang=en").text


def test_login_refuses_wrong_token_beside_the_field_and_without_csrf(svc: CaseService) -> None:
    c = client(svc)
    svc.add_user("ann", "agent")
    r = c.post("/console/login", data={"csrf": csrf(c), "username": "ann", "token": "nope"})
    assert r.status_code == 401 and 'id="token-error"' in r.text
    r = c.post(
        "/console/login",
        data={"csrf": "forged-token-value-123456", "username": "ann", "token": "x"},
    )
    assert r.status_code == 403
    assert c.get("/console/cases").url.path == "/console/login"


def test_agent_sees_queue_case_and_takes_only_allowed_actions(svc: CaseService) -> None:
    c = client(svc)
    login(svc, c, "ann", "agent")
    case_id = case_of(svc, OWNER)
    queue = c.get("/console/cases")
    assert f"/console/cases/{case_id}" in queue.text and "138****5678" in queue.text
    page = c.get(f"/console/cases/{case_id}")
    assert 'id="do-request"' in page.text and "review:approve" not in page.text
    assert "60 分钟内主叫 42 次" in page.text
    r = c.post(
        f"/console/cases/{case_id}/act",
        data={"csrf": csrf(c), "action": "request", "channel": "hotline", "relationship": "owner"},
    )
    assert r.status_code == 200 and 'id="done"' in r.text and "awaiting_verification" in r.text
    # an action the role may not take is refused by the service, shown beside the form
    r = c.post(
        f"/console/cases/{case_id}/act",
        data={"csrf": csrf(c), "action": "review", "verdict": "approve"},
    )
    assert r.status_code == 200 and 'role="alert"' in r.text
    with svc.db.reads() as s:
        assert queries.case_detail(s, _sys(), case_id, svc.sla, svc.now())["state"] == (
            "awaiting_verification"
        )


def test_dashboard_is_for_analysts_and_supervisors(svc: CaseService) -> None:
    c = client(svc)
    login(svc, c, "ann", "agent")
    assert c.get("/console/dashboard").status_code == 403
    c2 = client(svc)
    login(svc, c2, "sue", "supervisor")
    r = c2.get("/console/dashboard")
    assert r.status_code == 200 and r.text.count("<svg") >= 10 and "relay_call" in r.text


def test_number_page_draws_the_behaviour_from_call_records(
    svc: CaseService, tmp_path: Path
) -> None:
    start = datetime(2026, 7, 8, 9, 0, tzinfo=UTC)
    pl.DataFrame(
        {
            "call_id": [f"c{i}" for i in range(30)],
            "caller": [OWNER] * 30,
            "callee": [f"+86139{i:08d}" for i in range(30)],
            "start_time": [start + timedelta(minutes=2 * i) for i in range(30)],
            "duration_s": [0 if i % 3 else 40 for i in range(30)],
        },
        schema_overrides={"duration_s": pl.Int32},
    ).write_parquet(tmp_path / "calls.parquet")
    app = create_app(svc)
    app.router.routes = [
        r
        for r in app.router.routes
        if getattr(r, "path", "") not in ("/", "/console", "/self", "/static")
    ]
    mount_web(app, svc, calls=tmp_path / "calls.parquet")
    c = TestClient(app, follow_redirects=True)
    c.get("/")
    login(svc, c, "al", "analyst")
    r = c.get("/console/numbers/" + OWNER)
    assert r.status_code == 200 and "30 calls, 10" in r.text
    assert r.text.count('<svg class="chart"') == 4 and "江苏" not in r.text[:0]
    assert c.get("/console/numbers?msisdn=hello").status_code == 422
    huge = "/console/cases/99999999999"
    assert c.get(huge).status_code == 422
    assert c.post(huge + "/act", data={"csrf": csrf(c), "action": "comment"}).status_code == 422
    assert c.get("/console/documents/0").status_code == 422
    assert c.get("/console/complaints?after=-1").status_code == 422
    assert c.get("/console/alerts?min_score=abc").status_code == 200


def otp(svc: CaseService, msisdn: str) -> str:
    with svc.db.reads() as s:
        texts = [
            n["text"] for n in queries.notices(s) if n["kind"] == "otp" and n["msisdn"] == msisdn
        ]
    return re.findall(r"\b\d{6}\b", texts[-1])[0]


def customer(svc: CaseService, msisdn: str) -> TestClient:
    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/self/")
    r = c.post("/self/code", data={"csrf": csrf(c), "msisdn": msisdn})
    assert r.status_code == 200 and 'id="code"' in r.text
    r = c.post("/self/session", data={"csrf": csrf(c), "msisdn": msisdn, "code": otp(svc, msisdn)})
    assert r.status_code == 200 and r.url.path == "/self/case"
    return c


def test_self_service_flow_in_chinese_with_upload(svc: CaseService) -> None:
    c = customer(svc, OWNER)
    page = c.get("/self/case")
    assert (
        "138****5678" in page.text and 'id="why"' in page.text and "号码已被保护性停机" in page.text
    )
    r = c.post("/self/act", data={"csrf": csrf(c), "action": "request", "relationship": "family"})
    assert r.status_code == 200 and 'id="bring"' in r.text and 'id="expected"' in r.text
    r = c.post(
        "/self/documents",
        data={"csrf": csrf(c), "kind": "student_card"},
        files={"file": ("card.png", PNG, "image/png")},
    )
    assert r.status_code == 200 and "card.png" in r.text
    r = c.post(
        "/self/documents",
        data={"csrf": csrf(c), "kind": "id_card"},
        files={"file": ("x.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert r.status_code == 422 and 'id="file-error"' in r.text
    assert "Where it stands" in c.get("/self/case?lang=en").text


def test_a_customer_reaches_nothing_of_another_number(svc: CaseService) -> None:
    other = customer(svc, OTHER)
    other.post(
        "/self/documents",
        data={"csrf": csrf(other), "kind": "id_card"},
        files={"file": ("id.png", PNG, "image/png")},
    )
    theirs = re.findall(r"/self/documents/(\d+)", other.get("/self/case").text)
    assert theirs
    c = customer(svc, OWNER)
    assert "139****5678" not in c.get("/self/case").text
    assert c.get(f"/self/documents/{theirs[0]}").status_code == 404
    assert c.get(f"/console/cases/{case_of(svc, OTHER)}").url.path == "/console/login"
    assert c.get("/console/numbers/" + OTHER).url.path == "/console/login"
    # the API refuses the page's cookie too: it takes bearer tokens only
    assert c.get(f"/api/v1/cases/{case_of(svc, OTHER)}").status_code == 401


def test_bad_code_and_bad_number_are_told_beside_the_field(svc: CaseService) -> None:
    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/self/")
    r = c.post("/self/code", data={"csrf": csrf(c), "msisdn": "12"})
    assert r.status_code == 422 and 'id="msisdn-error"' in r.text
    r = c.post("/self/session", data={"csrf": csrf(c), "msisdn": OWNER, "code": "12ab"})
    assert r.status_code == 422 and 'id="code-error"' in r.text
    r = c.post("/self/session", data={"csrf": csrf(c), "msisdn": OWNER, "code": "000000"})
    assert r.status_code == 401 and 'id="code-error"' in r.text
    assert c.get("/self/case").status_code == 401


def test_assistant_answers_from_the_case_then_hands_off_and_the_agent_reply_arrives(
    svc: CaseService,
) -> None:
    c = customer(svc, OWNER)
    c.post("/self/chat", data={"csrf": csrf(c), "text": "我的号码为什么停机了?"})
    page = c.get("/self/case").text
    # the answer names the case's own reason in plain words
    assert 'class="msg bot"' in page and "中转呼叫" in page
    c.post("/self/chat", data={"csrf": csrf(c), "text": "今天天气怎么样"})
    assert 'id="chat-waiting"' in c.get("/self/case").text  # no article: a person takes over
    agent = client(svc)
    login(svc, agent, "ann", "agent")
    queue = agent.get("/console/handoffs").text
    conv = re.findall(r"/console/handoffs/(\d+)", queue)[0]
    transcript = agent.get(f"/console/handoffs/{conv}").text
    assert "今天天气怎么样" in transcript and "中转呼叫" in transcript
    r = agent.post(
        f"/console/handoffs/{conv}/reply", data={"csrf": csrf(agent), "text": "您好, 我是客服小王"}
    )
    assert r.status_code == 200
    log = c.get("/self/chat").text
    assert "您好, 我是客服小王" in log and 'class="msg agent"' in log and "ann" not in log
    # another customer sees nothing of it
    other = customer(svc, OTHER)
    assert "客服小王" not in other.get("/self/case").text


def test_operators_edit_the_knowledge_base_and_the_assistant_uses_it(svc: CaseService) -> None:
    agent = client(svc)
    login(svc, agent, "ann", "agent")
    r = agent.post(
        "/console/kb",
        data={
            "csrf": csrf(agent),
            "question_zh": "营业厅 营业时间 几点开门",
            "question_en": "opening hours business hall",
            "answer_zh": "营业厅每天 9:00-18:00 营业。",
            "answer_en": "Business halls open 9:00-18:00 every day.",
            "active": "on",
        },
    )
    assert r.status_code == 200 and "营业厅每天" in r.text
    found = agent.get("/console/kb?q=营业厅几点开门").text
    assert 'id="kb-answer"' in found and "营业厅每天 9:00-18:00" in found
    assert "没有足够相近的条目" in agent.get("/console/kb?q=今天天气怎么样").text
    r = agent.post("/console/kb", data={"csrf": csrf(agent), "question_zh": ""})
    assert r.status_code == 200 and 'class="error"' in r.text
    c = customer(svc, OWNER)
    c.post("/self/chat?lang=en", data={"csrf": csrf(c), "text": "what are the opening hours?"})
    assert "Business halls open 9:00-18:00" in c.get("/self/chat").text


def test_a_staff_login_holds_in_another_worker_and_a_forged_cookie_does_not(
    svc: CaseService,
) -> None:
    c = client(svc)
    login(svc, c, "ann", "agent")
    cookie = str(c.cookies.get("cw_staff"))
    assert "ann" not in cookie and len(cookie.split(".")) == 4  # the name is encoded, signed
    other = TestClient(create_app(svc))  # another worker: nothing shared but the database
    other.cookies.set("cw_staff", cookie)
    assert other.get("/console/cases", follow_redirects=False).status_code == 200
    name, expires, secret, mac = cookie.split(".")
    forged = f"{name}.{int(expires) + 3600}.{secret}.{mac}"
    other.cookies.set("cw_staff", forged)
    assert other.get("/console/cases", follow_redirects=False).status_code == 303


def test_console_upload_through_the_shared_form_helper(svc: CaseService) -> None:
    """The console's and the customer's upload forms share one helper: same checks, errors
    beside the field, a technician refused, another case's number unreachable."""
    c = client(svc)
    login(svc, c, "ann", "agent")
    cid = case_of(svc, OWNER)
    r = c.post(
        f"/console/cases/{cid}/documents",
        data={"csrf": csrf(c), "kind": "id_card"},
        files={"file": ("id.png", PNG, "image/png")},
    )
    assert r.status_code == 200 and "id.png" in r.text and r.url.query == b"done=upload"
    r = c.post(f"/console/cases/{cid}/documents", data={"csrf": csrf(c), "kind": "id_card"})
    assert 'id="file-error"' in r.text  # no file chosen: told beside the field
    r = c.post(
        f"/console/cases/{cid}/documents",
        data={"csrf": csrf(c), "kind": "passport"},
        files={"file": ("id.png", PNG, "image/png")},
    )
    assert 'id="kind-error"' in r.text
    tech = client(svc)
    login(svc, tech, "tom", "technician")
    r = tech.post(
        f"/console/cases/{cid}/documents",
        data={"csrf": csrf(tech), "kind": "id_card"},
        files={"file": ("id.png", PNG, "image/png")},
    )
    assert r.status_code == 404

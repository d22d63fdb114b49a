"""The screening fast path answers exactly as the FastAPI route does: the same decisions, and
for anything it does not take, the route's own error (it hands the request on untouched)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from callwarden.api.app import create_app
from callwarden.api.screen_routes import ScreenFastPath, _screen_in
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.models import ScreenDecision, WrongCode

from .test_screen_routes import NOW
from .test_screen_routes import POLICY as API_POLICY

# the decision API's own policy, and a route by region besides
POLICY = (
    API_POLICY
    + """[[routes]]
queue = "xinjiang"
regions = ["新疆"]
"""
)
GOOD = b'{"caller":"13800000002","callee":"4001234567","time":"2026-12-02T10:00:00+08:00"}'
JSON = {"content-type": "application/json"}


def _body(caller: str = "13800000002", **extra: Any) -> bytes:
    call = {"caller": caller, "callee": "4001234567", "time": "2026-12-02T10:00:00+08:00"}
    return json.dumps(call | extra).encode()


Pair = tuple[TestClient, TestClient, dict[str, str], CaseService]


@pytest.fixture
def pair(tmp_path: Any) -> Iterator[Pair]:
    """The app as served, and the same app without the fast path, over one database."""
    svc = CaseService(open_database(str(tmp_path / "cases.db")), clock=lambda: NOW)
    with svc.db.sessions.begin() as s:
        token = add_hotline(s, "acme", "400-123-4567", NOW)
        install_policy(s, "acme", POLICY, NOW, "admin")
        report(s, "+8613900000009", Category.FRAUD, Source.COMPLAINT, NOW)
        report(s, "+8613700000007", Category.MARKETING, Source.COMPLAINT, NOW)
    fast = create_app(svc)
    fast_path: Any = ScreenFastPath
    assert any(m.cls is fast_path for m in fast.user_middleware)
    slow = create_app(svc)
    slow.user_middleware = [m for m in slow.user_middleware if m.cls is not fast_path]
    with TestClient(fast) as f, TestClient(slow) as s:
        yield f, s, {"Authorization": f"Bearer {token}"}, svc


REQUESTS: list[tuple[str, bytes, dict[str, str]]] = [
    ("an allowed caller", _body("13800000001"), {}),
    ("a marked caller", _body("+8613900000009"), {}),
    ("a challenge", _body("13700000007"), {}),
    ("a wrong code", _body("13700000007", ivr_input="1"), {}),
    ("a wrong code again", _body("13700000007", ivr_input="2"), {}),
    ("the right code", _body("13700000007", ivr_input="66"), {}),
    ("ivr_input null", _body("13700000007", ivr_input=None), {}),
    ("routed by region", _body("+8613999900000"), {}),
    ("a time without a zone", _body().replace(b"+08:00", b""), {}),
    ("spaces around values", _body("  13800000002 ", callee=" 4001234567 "), {}),
    ("odd callers", _body("anonymous"), {}),
    ("a foreign caller", _body("+14155550123"), {}),
    ("no token", GOOD, {"Authorization": ""}),
    ("a wrong token", GOOD, {"Authorization": "Bearer nope"}),
    ("lower-case bearer", GOOD, {"_bearer": "bearer"}),
    ("another hotline", _body(callee="4009999999"), {}),
    ("a callee that is no number", _body(callee="hello"), {}),
    ("a control character", _body(callee="400\x00"), {}),
    ("an escaped lone surrogate", _body().replace(b'"13800000002"', b'"\\ud800"'), {}),
    ("a bad time", _body().replace(b"2026-12-02T10:00:00+08:00", b"yesterday"), {}),
    ("year 1", _body().replace(b"2026", b"0001"), {}),
    ("time as a number", _body().replace(b'"2026-12-02T10:00:00+08:00"', b"1e400"), {}),
    ("time NaN", _body().replace(b'"2026-12-02T10:00:00+08:00"', b"NaN"), {}),
    ("a bad ivr_input", _body(ivr_input="12ab"), {}),
    ("an extra field", _body(colour="red"), {}),
    ("a missing field", b'{"caller":"13800000001"}', {}),
    ("a list", b"[1, 2]", {}),
    ("null", b"null", {}),
    ("not JSON", b"{caller", {}),
    ("a BOM", b"\xef\xbb\xbf" + GOOD, {}),
    ("invalid UTF-8", GOOD.replace(b"13800000002", b"\xff\xfe"), {}),
    ("duplicate keys", GOOD[:-1] + b',"caller":"+8613900000009"}', {}),
    ("a caller too long", _body("1" * 300), {}),
    ("deeply nested", b'{"caller":' + b"[" * 40 + b"]" * 40 + b"}", {}),
    ("text/plain", GOOD, {"content-type": "text/plain"}),
    ("no content type", GOOD, {"content-type": ""}),
    ("a query string", GOOD, {"_query": "?x=1"}),
    ("a large body", _body(pad=" " * 10_000), {}),
]


@pytest.mark.parametrize(("what", "body", "headers"), REQUESTS, ids=[r[0] for r in REQUESTS])
def test_same_answer_as_the_route(pair: Pair, what: str, body: bytes, headers: Any) -> None:
    fast, slow, auth, svc = pair
    sent = JSON | auth | {k: v for k, v in headers.items() if not k.startswith("_")}
    if "_bearer" in headers:
        sent["Authorization"] = auth["Authorization"].replace("Bearer", headers["_bearer"])
    sent = {k: v for k, v in sent.items() if v}
    url = "/api/v1/screen" + headers.get("_query", "")
    got = []
    for client in (fast, slow):
        got.append(client.post(url, content=body, headers=sent))
        with svc.db.sessions.begin() as s:  # each app starts from no wrong code (a new case)
            s.execute(delete(WrongCode))
    assert got[0].status_code == got[1].status_code, (what, got[0].text, got[1].text)
    assert got[0].json() == got[1].json(), what
    assert got[0].headers["content-type"] == got[1].headers["content-type"]
    assert got[0].status_code < 500, got[0].text


def test_decisions_are_logged_once(pair: Pair) -> None:
    fast, _, auth, svc = pair
    for _ in range(3):
        assert fast.post("/api/v1/screen", content=GOOD, headers=JSON | auth).status_code == 200
    fast.__exit__(None, None, None)  # shutdown writes what the log holds
    with svc.db.reads() as s:
        assert s.scalar(select(func.count(ScreenDecision.id))) == 3


@pytest.mark.parametrize(
    "body", [GOOD, _body("13700000007", ivr_input="66"), _body(ivr_input=None), _body("💣")]
)
def test_a_well_formed_call_is_taken(body: bytes) -> None:
    assert _screen_in(body) is not None


_REFUSED = [r for r in REQUESTS[17:34] if r[0] != "duplicate keys"]


@pytest.mark.parametrize(("what", "body", "headers"), _REFUSED, ids=[r[0] for r in _REFUSED])
def test_a_bad_one_goes_on_to_the_route(what: str, body: bytes, headers: Any) -> None:
    assert _screen_in(body) is None, what

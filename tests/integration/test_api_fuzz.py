"""The REST API under generated requests, on SQLite and PostgreSQL: never a 5xx, one error shape.

Two hunters:

- schemathesis generates requests from the API's own OpenAPI document, valid and invalid
  (its negative mode), NUL characters included;
- a hypothesis test of our own sends what a JSON schema cannot describe and schemathesis does
  not generate: ``NaN`` and ``Infinity``, lone surrogates, control characters, integers past
  64 bits, deep nesting and bodies of megabytes, in any field of any route, with a staff
  token, a customer's token, or none.

Requests carry a supervisor's token so they reach past authentication; the database holds a
few cases so ids and numbers sometimes exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from callwarden.api import create_app
from callwarden.cases.access import Actor
from callwarden.cases.db import open_database
from callwarden.cases.machine import Role
from callwarden.cases.models import NoticeRow
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService

NUMBERS = [f"+861380000000{i}" for i in range(3)]


def _seeded(url: str) -> tuple[CaseService, dict[str, str]]:
    """A service with three cases, a supervisor and a customer session; their headers."""
    service = CaseService(open_database(url))
    staff = service.add_user("fuzz-supervisor", "supervisor")
    results = service.intake(
        [
            AlertIn.model_validate(
                {
                    "msisdn": n,
                    "flagged_at": "2026-07-08T10:00:00Z",
                    "score": s,
                    "decision": d,
                    "reasons": [{"code": "relay_call", "text_zh": "中转呼叫", "text_en": "relay"}],
                }
            )
            for n, (s, d) in zip(
                NUMBERS, [(0.97, "suspend"), (0.85, "restrict"), (0.65, "review")], strict=True
            )
        ]
    )
    comment = ActionIn(action="comment", reason="called back")
    service.act(results[0].case_id or 0, Actor("li", Role.agent), comment)
    service.request_code(NUMBERS[0])
    with service.db.reads() as s:
        text = next(n.text for n in s.query(NoticeRow).filter(NoticeRow.kind == "otp"))
    code = "".join(c for c in text if c.isdigit())[:6]
    customer, _ = service.open_session(NUMBERS[0], code)
    return service, {"staff": f"Bearer {staff}", "customer": f"Bearer {customer}"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def seeded(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    url = (
        str(tmp_path / "fuzz.db")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    service, tokens = _seeded(url)
    yield service, tokens
    service.db.engine.dispose()


def test_generated_requests_never_get_a_server_error(seeded: Any) -> None:
    service, tokens = seeded
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(service))
    schema.config.generation.update(allow_x00=True)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases = st.one_of(
        [op.as_strategy(mode) for op in operations for mode in GenerationMode]  # valid, invalid
    )

    @given(case=cases)
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    def hunt(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": tokens["staff"]}, checks=[not_a_server_error]
        )

    hunt()


# ------------------------------------------------------------------ what schemathesis cannot send

ROUTES = [
    ("POST", "/api/v1/alerts"),
    ("POST", "/api/v1/cases/1/actions"),
    ("POST", "/api/v1/self-service/code"),
    ("POST", "/api/v1/self-service/session"),
    ("POST", "/api/v1/self-service/me/actions"),
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/numbers/{x}"),
    ("GET", "/api/v1/cases/{x}"),
    ("GET", "/api/v1/self-service/me"),
    ("GET", "/api/v1/notices"),
    ("POST", "/api/v1/notices/{x}/sent"),
    ("POST", "/api/v1/complaints"),
    ("GET", "/api/v1/complaints"),
    ("GET", "/api/v1/complaints/{x}"),
    ("GET", "/api/v1/complaints/stats"),
    ("POST", "/api/v1/appeals"),
]
FIELDS = [
    "msisdn",
    "code",
    "action",
    "verdict",
    "reason",
    "channel",
    "items",
    "rating",
    "expected_version",
    "alerts",
    "score",
    "flagged_at",
    "decision",
    "reasons",
    "requester",
    "after",
    "limit",
    "state",
    "lang",
    "category",
    "called_at",
    "reporter",
    "external_id",
    "text",
    "since",
    "until",
    "top",
    "categories",
    "label",
    "business_name",
    "evidence",
    "language",
]

evil_text = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "\ud800",
        "\udfff\ud800",
        "\u202e138",
        "\ufeff",
        "１３８００１３８０００",
        "𝟏𝟑𝟖",
        "x" * 70_000,
        "9" * 30,
        "|9223372036854775808",
        "2026-07-08|2147483648",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59+14:00",
        "-1",
        "",
        " ",
        "../../etc/passwd",
        "' OR 1=1 --",
    ]
)
evil_number = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e400", "-0", "9" * 25, "-" + "9" * 25, "1" * 5000, "1e-400"]
)


@st.composite
def evil_json(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON-ish text (what a careless or hostile client might send), as raw characters."""
    kinds = ["text", "number", "valid", "object", "list"] if depth < 3 else ["text", "number"]
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        return json.dumps(draw(evil_text | st.text(max_size=20)))
    if kind == "number":
        return draw(evil_number | st.integers().map(str))
    if kind == "valid":
        return json.dumps(draw(st.sampled_from([None, True, 0, 1, 0.5, "approve", "comment"])))
    if kind == "list":
        items = draw(st.lists(evil_json(depth + 1), max_size=3))
        return "[" + ",".join(items) + "]"
    keys = draw(st.lists(st.sampled_from(FIELDS) | evil_text, max_size=4, unique=True))
    pairs = [f"{json.dumps(k)}: {draw(evil_json(depth + 1))}" for k in keys]
    return "{" + ",".join(pairs) + "}"


@given(
    route=st.sampled_from(ROUTES),
    body=evil_json() | st.sampled_from(["[" * 5000, '{"a":' * 3000, "", "null"]),
    params=st.dictionaries(st.sampled_from(FIELDS), evil_text, max_size=3),
    segment=evil_text | st.integers().map(str),
    who=st.sampled_from(["staff", "customer", None]),
)
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
def test_hostile_requests_get_4xx_in_the_error_format(
    seeded: Any, route: tuple[str, str], body: str, params: dict[str, str], segment: str, who: Any
) -> None:
    service, tokens = seeded
    client = _client(service)
    method, path = route
    headers = {"Content-Type": "application/json"}
    if who is not None:
        headers["Authorization"] = tokens[who]
    url = path.format(x=quote(segment[:200].encode("utf-8", "surrogatepass"), safe="") or "0")
    query = {
        k: v[:2000].encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        for k, v in params.items()
    }
    r = client.request(
        method,
        url,
        params=query,
        content=body.encode("utf-8", "surrogatepass") if method == "POST" else None,
        headers=headers,
    )
    assert r.status_code < 500, (method, url, body[:200], r.text[:300])
    if r.status_code >= 400:
        answer = json.loads(r.content.decode("utf-8"))
        assert set(answer) == {"detail", "field"}, answer
        assert len(r.content) < 2000


_CLIENTS: dict[int, TestClient] = {}


def _client(service: CaseService) -> TestClient:
    """One app per service (building the app for every example would dominate the run)."""
    key = id(service)
    if key not in _CLIENTS:
        _CLIENTS.clear()
        _CLIENTS[key] = TestClient(create_app(service), raise_server_exceptions=False)
    return _CLIENTS[key]

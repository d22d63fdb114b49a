"""Security state under concurrency, on a SQLite file and on PostgreSQL, over real HTTP too.

Threads wait at a barrier and then act together: one-time codes are redeemed once, every wrong
try is counted, code requests stay within their limit, a high-risk restore needs two people and
exactly one of two parallel approvals moves the case, parallel actions on one case all land.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from callwarden.api.server import server
from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.config import ApiConfig, CaseConfig
from callwarden.cases.machine import Role
from callwarden.cases.models import Case, CaseEvent, CustomerSession, NoticeRow, OneTimeCode
from callwarden.cases.schemas import ActionIn, AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError, RateLimited, Unauthorized

NUMBER = "+8613812345678"


def _alert(score: float = 0.85, decision: str = "restrict") -> AlertIn:
    return AlertIn.model_validate(
        {
            "msisdn": NUMBER,
            "flagged_at": "2026-07-08T10:08:00Z",
            "score": score,
            "decision": decision,
            "reasons": [{"code": "relay_call"}],
        }
    )


def together(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` on n threads released at once; results and errors."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            out = work(i)
        except BaseException as exc:  # collected and inspected by the test
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _latest_code(svc: CaseService) -> str:
    with svc.db.reads() as s:
        text = s.scalars(
            select(NoticeRow.text).where(NoticeRow.kind == "otp").order_by(NoticeRow.id.desc())
        ).first()
    assert text is not None
    return "".join(c for c in text if c.isdigit())[:6]


def _wrong(code: str, i: int = 1) -> str:
    return f"{(int(code) + i) % 1_000_000:06d}"


def test_a_code_is_redeemed_exactly_once(case_service: CaseService) -> None:
    case_service.intake([_alert()])
    case_service.request_code(NUMBER)
    code = _latest_code(case_service)
    tokens, errors = together(8, lambda _: case_service.open_session(NUMBER, code))
    assert len(tokens) == 1
    assert len(errors) == 7 and all(isinstance(e, Unauthorized) for e in errors)
    with case_service.db.reads() as s:
        assert len(s.scalars(select(CustomerSession)).all()) == 1


def test_every_wrong_try_is_counted_and_the_code_burns_at_the_limit(
    case_service: CaseService,
) -> None:
    case_service.intake([_alert()])
    case_service.request_code(NUMBER)
    code = _latest_code(case_service)
    _, errors = together(10, lambda i: case_service.open_session(NUMBER, _wrong(code, i + 1)))
    assert len(errors) == 10 and all(isinstance(e, Unauthorized) for e in errors)
    with case_service.db.reads() as s:
        otp = s.scalars(select(OneTimeCode)).one()
    assert otp.attempts == case_service.config.otp_max_attempts  # tries past it never compared
    with pytest.raises(Unauthorized):
        case_service.open_session(NUMBER, code)


def test_a_right_code_among_parallel_guesses_opens_at_most_one_session(
    case_service: CaseService,
) -> None:
    case_service.intake([_alert()])
    case_service.request_code(NUMBER)
    code = _latest_code(case_service)
    limit = case_service.config.otp_max_attempts
    guesses = [code if i == 3 else _wrong(code, i + 1) for i in range(12)]
    tokens, _ = together(12, lambda i: case_service.open_session(NUMBER, guesses[i]))
    assert len(tokens) <= 1
    with case_service.db.reads() as s:
        assert s.scalars(select(OneTimeCode)).one().attempts <= limit


def test_parallel_code_requests_stay_within_the_limit(case_service: CaseService) -> None:
    case_service.intake([_alert()])
    _, errors = together(8, lambda _: case_service.request_code(NUMBER))
    sent = 8 - len(errors)
    assert sent == case_service.config.otp_max_per_window
    assert all(isinstance(e, RateLimited) for e in errors)


def test_two_parallel_second_approvals_move_the_case_once(case_service: CaseService) -> None:
    (r,) = case_service.intake([_alert(score=0.97, decision="suspend")])
    assert r.case_id is not None
    agent = Actor("li", Role.agent)
    case_service.act(r.case_id, agent, ActionIn(action="request", channel="hotline"))
    case_service.act(
        r.case_id,
        agent,
        ActionIn(action="verify", channel="business_hall", items=["owner_document"]),
    )
    first = Actor("wang", Role.analyst)
    case_service.act(r.case_id, first, ActionIn(action="review", verdict="approve"))
    approvers = [Actor("chen", Role.supervisor), Actor("zhao", Role.supervisor)]
    results, errors = together(
        2,
        lambda i: case_service.act(
            r.case_id, approvers[i], ActionIn(action="review", verdict="approve")
        ),
    )
    assert [x.state for x in results] == ["approved"]
    assert len(errors) == 1 and isinstance(errors[0], CaseError)
    with case_service.db.reads() as s:
        approvals = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == r.case_id, CaseEvent.action == "review")
        ).all()
        assert len(approvals) == 2
        assert verify(s).ok


def test_parallel_actions_on_one_case_all_land(case_service: CaseService) -> None:
    (r,) = case_service.intake([_alert()])
    assert r.case_id is not None
    agent = Actor("li", Role.agent)
    _, errors = together(
        6,
        lambda i: case_service.act(r.case_id, agent, ActionIn(action="comment", reason=f"t{i}")),
    )
    assert errors == []
    with case_service.db.reads() as s:
        comments = s.scalars(select(CaseEvent).where(CaseEvent.action == "comment")).all()
        assert sorted(e.reason or "" for e in comments) == [f"t{i}" for i in range(6)]
        assert verify(s).ok


def test_the_same_staff_name_added_in_parallel_is_one_user(case_service: CaseService) -> None:
    tokens, errors = together(6, lambda _: case_service.add_user("li", "agent"))
    assert len(tokens) == 1
    assert len(errors) == 5 and all(isinstance(e, CaseError) for e in errors)


# ------------------------------------------------------------------ over real HTTP


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live(case_service: CaseService) -> Iterator[Callable[[CaseConfig], str]]:
    """Start ``callwarden serve``'s server on the test's database; its base URL."""
    running: list[tuple[Any, threading.Thread]] = []

    def start(config: CaseConfig) -> str:
        svc = CaseService(case_service.db, config, case_service.clock)
        port = _free_port()
        srv = server(svc, port=port, log_level="warning")
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not srv.started:
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.05)
        running.append((srv, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for srv, thread in running:
        srv.should_exit = True
        thread.join(10)


def test_over_http_one_code_opens_one_session(case_service: CaseService, live: Any) -> None:
    case_service.intake([_alert()])
    base = live(CaseConfig(api=ApiConfig(self_service_per_minute=1000)))
    with httpx.Client(base_url=base) as client:
        assert client.post("/api/v1/self-service/code", json={"msisdn": NUMBER}).status_code == 202
    code = _latest_code(case_service)

    def redeem(_: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as client:
            body = {"msisdn": NUMBER, "code": code}
            return client.post("/api/v1/self-service/session", json=body).status_code

    statuses, errors = together(8, redeem)
    assert errors == []
    assert sorted(statuses) == [200] + [401] * 7


def test_over_http_forwarded_for_is_believed_only_from_trusted_proxies(
    case_service: CaseService, live: Any
) -> None:
    def answers(base: str) -> list[int]:
        with httpx.Client(base_url=base) as client:
            return [
                client.post(
                    "/api/v1/self-service/code",
                    json={"msisdn": f"+86138001380{i:02d}"},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"},
                ).status_code
                for i in range(5)
            ]

    limit = ApiConfig(self_service_per_minute=3)
    assert answers(live(CaseConfig(api=limit))) == [202, 202, 202, 429, 429]
    trusting = limit.model_copy(update={"trusted_proxies": ("127.0.0.1",)})
    assert answers(live(CaseConfig(api=trusting))) == [202] * 5


def test_the_daily_suspension_cap_holds_across_parallel_intakes(case_service: CaseService) -> None:
    """N stream partitions each keep the policy's cap for themselves; the case database's
    cap holds for all of them together."""
    capped = CaseService(case_service.db, CaseConfig(daily_suspension_cap=3), case_service.clock)

    def suspend(i: int) -> Any:
        alert = _alert(score=0.97, decision="suspend").model_copy(
            update={"msisdn": f"+86138{10_000_000 + i:08d}"}
        )
        return capped.intake([alert])[0]

    _, errors = together(8, suspend)
    assert errors == []
    with case_service.db.reads() as s:
        kinds = sorted(c.kind for c in s.scalars(select(Case)))
    assert kinds == ["review"] * 5 + ["suspension"] * 3

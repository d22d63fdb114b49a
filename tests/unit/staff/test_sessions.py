"""Staff sessions kept by the server: a copied cookie stops working at logout and after the
idle timeout (SQLite and PostgreSQL, the whole app, no browser)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.conftest import Clock

from callwarden.api.app import create_app
from callwarden.cases.service import CaseService
from callwarden.web.security import STAFF_IDLE_MINUTES


def _login(svc: CaseService, name: str = "ann", role: str = "agent") -> TestClient:
    token = svc.add_user(name, role)
    c = TestClient(create_app(svc), follow_redirects=False)
    c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"csrf": c.cookies["cw_csrf"], "username": name, "token": token},
    )
    assert r.status_code == 303, r.text
    return c


def _copy(c: TestClient, svc: CaseService) -> TestClient:
    """Another browser holding a copy of the staff cookie (and nothing else)."""
    thief = TestClient(create_app(svc), follow_redirects=False)
    thief.cookies.set("cw_staff", str(c.cookies.get("cw_staff")))
    return thief


def test_a_copied_cookie_stops_working_at_logout(case_service: CaseService) -> None:
    c = _login(case_service)
    thief = _copy(c, case_service)
    assert thief.get("/console/cases").status_code == 200
    r = c.post("/console/logout", data={"csrf": c.cookies["cw_csrf"]})
    assert r.status_code == 303
    r = thief.get("/console/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    # a new login is a new session; the old cookie stays dead
    fresh = _login(case_service, "bob", "agent")
    assert fresh.get("/console/cases").status_code == 200
    assert thief.get("/console/cases").status_code == 303


def test_an_idle_session_is_refused_and_use_keeps_it_alive(
    case_service: CaseService, clock: Clock
) -> None:
    c = _login(case_service)
    for _ in range(4):  # used every 20 minutes: alive for 80 minutes
        clock.advance(minutes=STAFF_IDLE_MINUTES - 10)
        assert c.get("/console/cases").status_code == 200
    clock.advance(minutes=STAFF_IDLE_MINUTES + 1)
    r = c.get("/console/cases")
    assert r.status_code == 303 and "/console/login" in r.headers["location"]


def test_a_session_ends_after_its_hours_even_when_used(
    case_service: CaseService, clock: Clock
) -> None:
    c = _login(case_service)
    for _ in range(8 * 60 // 20 - 1):
        clock.advance(minutes=20)
        assert c.get("/console/cases").status_code == 200
    clock.advance(minutes=25)
    assert c.get("/console/cases").status_code == 303


def test_a_cookie_of_an_unknown_session_is_refused(case_service: CaseService) -> None:
    c = _login(case_service)
    _name, expires, _secret, _mac = str(c.cookies.get("cw_staff")).split(".")
    from callwarden.web.security import seal  # noqa: PLC0415

    found = case_service.staff_key("ann")
    assert found is not None
    # signed correctly (as by someone who knows the user's key) but no such session
    forged = seal(found[1], "ann", int(expires), "x" * 32)
    other = TestClient(create_app(case_service), follow_redirects=False)
    other.cookies.set("cw_staff", forged)
    assert other.get("/console/cases").status_code == 303

"""The console's hotline screening page: a day's decisions of a hotline, for analysts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
POLICY = """
[[bands]]
categories = ["fraud"]
min_score = 0.3
action = "block"
"""


def test_screening_page_shows_the_days_blocks(tmp_path: Path) -> None:
    svc = CaseService(open_database(str(tmp_path / "cases.db")), clock=lambda: NOW)
    with svc.db.sessions.begin() as s:
        token = add_hotline(s, "acme", "400-123-4567", NOW)
        install_policy(s, "acme", POLICY, NOW, "admin")
        report(s, "+8613900000009", Category.FRAUD, Source.COMPLAINT, NOW)
    call = {"caller": "+8613900000009", "callee": "4001234567", "time": "2026-12-02T10:00:00+08:00"}
    with TestClient(create_app(svc)) as api:  # leaving it writes the decision log
        for _ in range(3):
            r = api.post("/api/v1/screen", json=call, headers={"Authorization": f"Bearer {token}"})
            assert r.json()["action"] == "block"
    staff = svc.add_user("al", "analyst")
    agent = svc.add_user("ann", "agent")
    c = TestClient(create_app(svc), follow_redirects=True)
    c.get("/")
    c.post("/console/login", data={"csrf": c.cookies["cw_csrf"], "username": "al", "token": staff})
    page = c.get("/console/screening?hotline=acme&day=2026-12-02")
    assert page.status_code == 200 and "3 calls" in page.text and "+8613900000009" in page.text
    # without a day (or with one that is no date) the page shows the service clock's local day
    for query in ("hotline=acme", "hotline=acme&day=nope"):
        page = c.get(f"/console/screening?{query}")
        assert page.status_code == 200 and "3 calls" in page.text
    a = TestClient(create_app(svc), follow_redirects=True)
    a.get("/")
    a.post("/console/login", data={"csrf": a.cookies["cw_csrf"], "username": "ann", "token": agent})
    assert a.get("/console/screening").status_code == 403

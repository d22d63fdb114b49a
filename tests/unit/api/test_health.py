"""``/health``: what an operator should look at, here an SLA calendar without this year's
public holidays (the screening lists' loading is in tests/unit/api/test_screen_routes.py)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from callwarden.api.app import create_app
from callwarden.cases.config import CalendarConfig, CaseConfig
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService


def _calendar_on_health(folder: Path, at: datetime, config: CaseConfig | None = None) -> str:
    db = open_database(str(folder / f"{at:%Y%m%d%H}.db"))
    service = CaseService(db, config, clock=lambda: at)
    with TestClient(create_app(service)) as client:
        return str(client.get("/health").json()["calendar"])


def test_a_year_without_listed_holidays_is_named_on_health_and_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In 2027 the default calendar (2026's notice) would count the Spring Festival as working
    days: the service says so at start and on /health, until the operator adds that year."""
    assert _calendar_on_health(tmp_path, datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == "ok"
    with caplog.at_level(logging.WARNING, logger="callwarden.api"):
        # 16:00 UTC on 31 December is already 2027 in Shanghai, the calendar's zone
        said = _calendar_on_health(tmp_path, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert said.startswith("the SLA calendar lists no public holidays for 2027")
    assert any("no public holidays for 2027" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "calendar",
    [
        CalendarConfig(holidays=(date(2027, 1, 1),)),  # the operator added the year
        CalendarConfig(holidays=(), extra_workdays=()),  # a back office that keeps no holidays
    ],
)
def test_a_covered_or_holiday_free_calendar_is_ok(tmp_path: Path, calendar: CalendarConfig) -> None:
    at = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    assert _calendar_on_health(tmp_path, at, CaseConfig(calendar=calendar)) == "ok"

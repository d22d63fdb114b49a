"""The console's view of hotline screening: each enterprise hotline's day of decisions (blocked
and challenged by hour, by mark category, by caller region; the most screened numbers), from
:func:`callwarden.screen.report.daily_report`, the report ``callwarden hotline report`` prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import Response

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden
from callwarden.screen.hotlines import load_hotlines
from callwarden.screen.report import daily_report
from callwarden.web.charts import stacked
from callwarden.web.i18n import texts
from callwarden.web.pages import language

__all__ = ["add_screening"]

_READERS = (Role.analyst, Role.supervisor)


def add_screening(
    app: FastAPI,
    service: CaseService,
    who: Callable[[Request], Actor],
    page: Callable[..., Response],
) -> None:
    """Add ``/screening`` to the console app (analysts and supervisors)."""

    @app.get("/screening")
    def screening(request: Request, hotline: str = "", day: str = "") -> Response:
        actor = who(request)
        if actor.role not in _READERS:
            raise Forbidden(f"{actor.role.with_article} may not see the screening reports")
        t = texts(language(request))
        with service.db.reads() as s:
            names = [h.name for h in load_hotlines(s)]
        errors: dict[str, str] = {}
        zone = ZoneInfo(service.config.calendar.timezone)
        today = service.now().astimezone(zone).date()  # the service's clock, as every page's
        try:
            chosen = date.fromisoformat(day) if day else today
        except ValueError:
            chosen, errors["day"] = today, "YYYY-MM-DD"
        name = hotline if hotline in names else (names[0] if names else "")
        report: dict[str, Any] | None = None
        chart = None
        if name:
            r = daily_report(service.db, name, chosen, full_numbers=actor.role in _READERS)
            hours = {row["hour"]: row for row in r.by_hour.to_dicts()}
            chart = stacked(
                [
                    (
                        f"{h:02d}",
                        hours.get(h, {}).get("blocked", 0),
                        hours.get(h, {}).get("challenged", 0),
                    )
                    for h in range(24)
                ],
                ("blocked", "challenged"),
                label=t("screening"),
            )
            report = {
                "total": r.total,
                "tables": {
                    "by_action": r.by_action.to_dicts(),
                    "by_category": r.by_category.to_dicts(),
                    "by_region": r.by_region.to_dicts(),
                    "top_numbers": r.top_numbers.to_dicts(),
                },
            }
        return page(
            request,
            "screening.html",
            actor,
            names=names,
            name=name,
            day=chosen.isoformat(),
            report=report,
            chart=chart,
            errors=errors,
        )

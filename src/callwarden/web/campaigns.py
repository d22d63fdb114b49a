"""The console's view of the real-name campaigns (实名制专项): the plan and its phases, the
subjects by state, the daily or weekly report (日通报, 周通报) with its charts, the early warning,
the frequent complainers, and the emergency restore (紧急复机) with four eyes.

Thin over :mod:`callwarden.realname`: the report is :func:`~callwarden.realname.report.build_report`
(the one ``callwarden campaign report`` prints), an emergency approval is
:meth:`~callwarden.realname.service.CampaignService.emergency`, whose case service checks the
role and that the second approver is a supervisor other than the first. The campaigns shown are
the campaign files named by ``CALLWARDEN_CAMPAIGNS`` (see :func:`callwarden.web.mount_web`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import presented_of
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError, Forbidden, NotFound, Unauthorized
from callwarden.numbers import mask
from callwarden.realname import views
from callwarden.realname.campaign import Campaign
from callwarden.realname.report import build_report
from callwarden.realname.service import CampaignService
from callwarden.web.charts import bars, stacked
from callwarden.web.i18n import texts
from callwarden.web.pages import language

__all__ = ["add_campaigns", "sync_restores"]

#: who sees the campaigns (agents take the calls about them); technicians do not
READERS = (Role.agent, Role.analyst, Role.supervisor)
_FULL = (Role.analyst, Role.supervisor)


def _day(value: str, today: date, errors: dict[str, str]) -> date:
    try:
        return date.fromisoformat(value) if value else today
    except ValueError:
        errors["day"] = "YYYY-MM-DD"
        return today


def sync_restores(service: CaseService, campaigns: Sequence[Campaign]) -> int:
    """Numbers the campaigns suspended whose case staff have since restored (the four-eyes
    emergency restore, then the technician's restore on the case page) are recorded as the
    campaign's run records them (``CampaignService.sync_emergencies``): the subject in
    ``emergency`` with its grace days, the SMS that says until when. How many."""
    return sum(
        CampaignService(service.db, c, clock=service.clock).sync_emergencies() for c in campaigns
    )


def add_campaigns(  # noqa: PLR0915  (one short def per page)
    app: FastAPI,
    service: CaseService,
    campaigns: Sequence[Campaign],
    who: Callable[[Request], Actor],
    form_of: Callable[[Request], Any],
    page: Callable[..., Response],
) -> None:
    """Add ``/campaigns`` and ``/campaigns/emergency`` to the console app."""
    by_name = {c.name: c for c in campaigns}

    def reader(request: Request) -> Actor:
        actor = who(request)
        if actor.role not in READERS:
            raise Forbidden(f"{actor.role.with_article} may not see the real-name campaigns")
        return actor

    def campaign_page(
        request: Request, actor: Actor, name: str, day: str, week: bool, **extra: Any
    ) -> Response:
        t = texts(language(request))
        errors: dict[str, str] = extra.pop("errors", {})
        chosen = by_name.get(name) or (campaigns[0] if campaigns else None)
        if chosen is None:
            return page(request, "campaigns.html", actor, names=[], errors=errors, **extra)
        today = service.now().astimezone(chosen.zone).date()
        on = _day(day, today, errors)
        shown = (lambda n: n) if actor.role in _FULL else mask
        with service.db.reads() as s:
            report = build_report(s, chosen, on, week=week)
            seven = build_report(s, chosen, on, week=True) if not week else report
            states = views.state_counts(s, chosen.name)
            waiting = views.suspended(s, chosen.name, limit=20)
        summary = report.summary()
        week_rows = seven.daily.to_dicts()
        charts = {
            "actions": stacked(
                [
                    (str(r["day"])[5:], r["suspend"], r["restore"] + r["emergency_restore"])
                    for r in week_rows
                ],
                (t("rn_suspended"), t("rn_restored")),
                label=t("rn_actions_chart"),
            ),
            "registered": bars(
                [(str(r["day"])[5:], r["registered"]) for r in week_rows],
                label=t("rn_registered"),
                colour="#2da44e",
            ),
            "complaints": bars(
                [(str(r["day"])[5:], r["complaints"]) for r in week_rows],
                label=t("rn_complaints_chart"),
                colour="#bf8700",
            ),
            "regions": bars(
                [(r["region"], 100 * (r["rate"] or 0)) for r in summary["regions"]],
                label=t("rn_rate_chart"),
                colour="#8250df",
            ),
        }
        frequent = [
            {**r, "msisdn": shown(r["msisdn"]), "last_at": r["last_at"]}
            for r in summary["frequent_complainers"]["numbers"]
        ]
        for row in waiting:
            row["shown"] = shown(row["msisdn"])
        phases = chosen.phases.model_dump()
        return page(
            request,
            "campaigns.html",
            actor,
            names=list(by_name),
            campaign=chosen,
            phases=phases,
            day=on.isoformat(),
            week=week,
            report=summary,
            states=states,
            charts=charts,
            frequent=frequent,
            waiting=waiting,
            errors=errors,
            **extra,
        )

    @app.get("/campaigns")
    def campaigns_view(
        request: Request, name: str = "", day: str = "", week: str = "", done: str = ""
    ) -> Response:
        actor = reader(request)
        return campaign_page(request, actor, name, day[:10], week == "on", done=done[:40])

    @app.post("/campaigns/emergency")
    async def emergency(request: Request) -> Response:
        actor = reader(request)
        form = await form_of(request)
        name = str(form.get("name") or "")
        if name not in by_name:
            raise NotFound(f"no campaign {name!r}")
        errors: dict[str, str] = {}
        reason = str(form.get("reason") or "").strip()[:500]
        try:
            msisdn = presented_of(str(form.get("msisdn") or "").strip())
        except ValueError:
            msisdn, errors["msisdn"] = "", texts(language(request))("bad_number")
        if not reason:
            errors["reason"] = texts(language(request))("rn_reason_needed")
        state = ""
        if not errors:
            svc = CampaignService(service.db, by_name[name], clock=service.clock)
            try:
                state = svc.emergency(msisdn, actor, reason)
            except (Unauthorized, NotFound):
                raise
            except CaseError as exc:
                errors["msisdn" if exc.field in (None, "action") else exc.field] = str(exc)
        if errors:
            return campaign_page(
                request, actor, name, "", False, errors=errors, tried_msisdn=form.get("msisdn")
            )
        return RedirectResponse(f"/console/campaigns?name={name}&done={state}", status_code=303)

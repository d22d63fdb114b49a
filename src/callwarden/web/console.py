"""The operator console: alert list, number profile with charts, case queue and case page,
complaints and marks, dashboard. Thin over the same service functions the REST API calls.

Every page authenticates the staff member's token again and checks the role as the API does;
a case page offers exactly the actions :func:`callwarden.cases.queries.allowed_actions` gives
the role, and the service checks them once more when one is taken.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from callwarden.api.ratelimit import SlidingWindow
from callwarden.assistant.service import Assistant
from callwarden.cases import overview, queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import presented_of
from callwarden.cases.service import CaseService
from callwarden.documents import store
from callwarden.errors import (
    CallwardenError,
    CaseError,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from callwarden.numbers import mask
from callwarden.realname.campaign import Campaign
from callwarden.report.behaviour import number_behaviour
from callwarden.reputation.book import marks_of
from callwarden.reputation.complaint_stats import complaint_stats
from callwarden.reputation.complaints import list_complaints
from callwarden.rollup import daily
from callwarden.staff import sessions
from callwarden.web.campaigns import add_campaigns, sync_restores
from callwarden.web.charts import bars, stacked
from callwarden.web.forms import action_of, upload_of
from callwarden.web.helpdesk import add_helpdesk
from callwarden.web.i18n import texts
from callwarden.web.outbound import add_outbound
from callwarden.web.pages import Id, Offset, language, render, secure_headers
from callwarden.web.screening import add_screening
from callwarden.web.security import (
    STAFF_COOKIE,
    STAFF_HOURS,
    STAFF_IDLE_MINUTES,
    csrf_ok,
    seal,
    set_cookie,
    unseal,
)

__all__ = ["console_app", "download_response"]

_FIGURES = (Role.analyst, Role.supervisor)
#: how long the dashboard's figures are reused before they are counted again
FIGURES_SECONDS = 60
_FULL = (Role.analyst, Role.supervisor, Role.system)
_DOC_KINDS = ("id_card", "student_card", "business_licence", "police_report", "other")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def console_app(  # noqa: PLR0915  (one short def per page)
    service: CaseService,
    assistant: Assistant,
    calls: Path | None = None,
    campaigns: Sequence[Campaign] = (),
) -> FastAPI:
    """The console's pages over one case service; ``calls``: the call records for the charts;
    ``campaigns``: the real-name campaigns shown."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    logins = SlidingWindow(limit=10, seconds=60)
    #: the dashboard's figures, computed at most once a minute per window length
    figures_cache: dict[int, tuple[float, dict[str, Any], dict[str, Any], datetime]] = {}

    def who(request: Request) -> Actor:
        keys: dict[str, tuple[Actor, str] | None] = {}

        def key_of(username: str) -> str | None:
            keys[username] = service.staff_key(username)
            found = keys[username]
            return found[1] if found else None

        sealed = unseal(request.cookies.get(STAFF_COOKIE), key_of, time.time())
        found = keys.get(sealed[0]) if sealed else None
        if sealed is None or found is None:
            raise Unauthorized("log in")
        live = sessions.alive(service.db, sealed[1], service.now(), idle_minutes=STAFF_IDLE_MINUTES)
        if live != sealed[0]:
            raise Unauthorized("log in")
        return found[0]

    def page(request: Request, template: str, actor: Actor, **ctx: Any) -> Response:
        helpdesk = actor.role in (Role.agent, Role.analyst, Role.supervisor)
        return render(
            request, template, actor=actor, figures=actor.role in _FIGURES, helpdesk=helpdesk, **ctx
        )

    @app.exception_handler(CaseError)
    def _error(request: Request, exc: CaseError) -> Response:
        if isinstance(exc, Unauthorized):
            return _see_other("/console/login?next=" + quote(request.url.path))
        return render(request, "error.html", status=exc.status, message=str(exc), home="/console/")

    async def form_of(request: Request) -> Any:
        form = await request.form(max_files=1, max_fields=60)
        if not csrf_ok(request, str(form.get("csrf") or "")):
            raise Forbidden("the form has expired; reload the page and try again")
        return form

    @app.get("/login")
    def login_page(request: Request, next: str = "/console/") -> Response:
        return render(
            request, "login.html", next=next if next.startswith("/console") else "/console/"
        )

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await form_of(request)
        t = texts(language(request))
        client = request.client.host if request.client else "unknown"
        username = str(form.get("username") or "").strip()[:64]
        nxt = str(form.get("next") or "/console/")
        nxt = nxt if nxt.startswith("/console") and "//" not in nxt else "/console/"
        if not logins.allow(client) or not logins.allow("user:" + username):
            errors = {"form": t("too_many")}
            return render(
                request, "login.html", status=429, errors=errors, next=nxt, username=username
            )
        token = str(form.get("token") or "").strip()[:200]
        try:
            actor = service.authenticate(token)
        except Unauthorized:
            actor = None
        if actor is None or actor.role is Role.customer or actor.name != username:
            errors = {"token": t("login_failed")}
            return render(
                request, "login.html", status=401, errors=errors, next=nxt, username=username
            )
        found = service.staff_key(username)
        if found is None:
            raise Unauthorized("log in")
        seconds = STAFF_HOURS * 3600
        response = _see_other(nxt)
        secret = sessions.begin(service.db, username, service.now(), hours=STAFF_HOURS)
        cookie = seal(found[1], username, int(time.time()) + seconds, secret)
        set_cookie(request, response, STAFF_COOKIE, cookie, seconds)
        return secure_headers(response)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await form_of(request)
        parts = str(request.cookies.get(STAFF_COOKIE) or "").split(".")
        if len(parts) == 4:  # ended whoever holds a copy; nothing to end for a broken cookie
            sessions.end(service.db, parts[2], service.now())
        response = _see_other("/console/login")
        response.delete_cookie(STAFF_COOKIE, path="/")
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        who(request)
        return _see_other("/console/cases")

    @app.get("/alerts")
    def alerts(
        request: Request,
        decision: str = "",
        msisdn: str = "",
        min_score: str = "",
        open: str = "",
        page_no: Offset = 0,
    ) -> Response:
        actor = who(request)
        errors: dict[str, str] = {}
        number = None
        if msisdn.strip():
            try:
                number = presented_of(msisdn.strip())
            except ValueError:
                errors["msisdn"] = texts(language(request))("bad_number")
        try:
            least = float(min_score) if min_score.strip() else 0.0
        except ValueError:
            least, errors["min_score"] = 0.0, "0 - 1"
        page_no = max(0, min(page_no, 1000))
        with service.db.reads() as s:
            try:
                found = overview.list_alerts(
                    s,
                    actor,
                    decision=decision or None,
                    msisdn=number,
                    min_score=least,
                    open_only=open == "on",
                    limit=50,
                    offset=page_no * 50,
                )
            except Unprocessable as exc:
                errors[exc.field or "form"] = str(exc)
                found = {"items": [], "more": False}
        return page(
            request,
            "alerts.html",
            actor,
            found=found,
            decisions=overview.DECISIONS,
            q={"decision": decision, "msisdn": msisdn, "min_score": min_score, "open": open},
            page_no=page_no,
            errors=errors,
        )

    @app.get("/numbers")
    def find_number(request: Request, msisdn: str = "") -> Response:
        who(request)
        try:
            number = presented_of(msisdn.strip())
        except ValueError:
            raise Unprocessable("msisdn", texts(language(request))("bad_number")) from None
        return _see_other("/console/numbers/" + quote(number))

    @app.get("/numbers/{msisdn}")
    def number_page(request: Request, msisdn: str) -> Response:
        actor = who(request)
        try:
            number = presented_of(msisdn)
        except ValueError:
            raise NotFound("no such number") from None
        t = texts(language(request))
        with service.db.reads() as s:
            view = queries.number_view(s, actor, number)
            marks = marks_of(s, number, service.now())
        behaviour = None
        charts: dict[str, Any] = {}
        if calls is not None:
            try:
                behaviour = number_behaviour(
                    calls, number, timezone=service.config.calendar.timezone
                )
            except (pl.exceptions.PolarsError, OSError, CallwardenError) as exc:
                raise Unprocessable("calls", f"the call records cannot be read: {exc}") from None
            bins = behaviour["bins"]
            charts = {
                "calls": stacked(
                    [(b["start"][-5:], b["answered"], b["unanswered"]) for b in bins],
                    (t("answered"), t("unanswered")),
                    label=t("calls_per_10"),
                ),
                "callees": bars(
                    [(b["start"][-5:], b["callees"]) for b in bins], label=t("callees_per_10")
                ),
                "gaps": bars(
                    [(g["label"], g["count"]) for g in behaviour["gaps"]],
                    label=t("gaps"),
                    colour="#8250df",
                ),
                "regions": bars(
                    [(r["label"], r["count"]) for r in behaviour["regions"]],
                    label=t("regions"),
                    colour="#2da44e",
                ),
            }
        shown = number if actor.role in _FULL else mask(number)
        return page(
            request,
            "number.html",
            actor,
            view=view,
            shown=shown,
            marks=marks,
            behaviour=behaviour,
            charts=charts,
            records=calls is not None,
        )

    @app.get("/cases")
    def case_queue(
        request: Request,
        state: str = "",
        kind: str = "",
        queue: str = "",
        breached: str = "",
        after: str = "",
    ) -> Response:
        actor = who(request)
        flt = queries.CaseFilter(
            state=state or None,
            kind=kind or None,
            queue=queue or None,
            breached=True if breached == "on" else None,
            open_only=True,
        )
        with service.db.reads() as s:
            found = queries.list_cases(
                s, actor, service.sla, service.now(), flt, limit=50, after=after[:80] or None
            )
        return page(
            request,
            "cases.html",
            actor,
            found=found,
            q={"state": state, "kind": kind, "queue": queue, "breached": breached},
        )

    def case_page(request: Request, actor: Actor, case_id: int, **extra: Any) -> Response:
        with service.db.reads() as s:
            case = queries.case_detail(s, actor, case_id, service.sla, service.now())
            docs = store.documents_of(s, actor, case_id)
        return page(
            request,
            "case.html",
            actor,
            case=case,
            docs=docs,
            doc_kinds=_DOC_KINDS,
            may_upload=actor.role is not Role.technician,
            **extra,
        )

    @app.get("/cases/{case_id}")
    def case_view(request: Request, case_id: Id, done: str = "") -> Response:
        actor = who(request)
        if not 1 <= case_id <= queries.MAX_ID:
            raise NotFound(f"no case {case_id}")
        return case_page(request, actor, case_id, done=done[:40])

    @app.post("/cases/{case_id}/act")
    async def case_act(request: Request, case_id: Id) -> Response:
        actor = who(request)
        form = await form_of(request)
        action, errors = action_of(form)
        if action is not None:
            try:
                service.act(case_id, actor, action)
            except (Unprocessable, CaseError) as exc:
                if isinstance(exc, (Unauthorized, NotFound)):
                    raise
                errors = {"form" if exc.field in (None, "action") else exc.field: str(exc)}
        if errors or action is None:
            return case_page(request, actor, case_id, errors=errors, tried=str(form.get("action")))
        if action.action == "restore" and campaigns:
            sync_restores(service, campaigns)  # an emergency restore: the campaign records it now
        return _see_other(f"/console/cases/{case_id}?done={quote(action.action)}")

    @app.post("/cases/{case_id}/documents")
    async def case_upload(request: Request, case_id: Id) -> Response:
        actor = who(request)
        form = await form_of(request)
        errors = await upload_of(service, actor, form, lambda: case_id)
        if errors:
            return case_page(request, actor, case_id, errors=errors, tried="upload")
        return _see_other(f"/console/cases/{case_id}?done=upload")

    @app.get("/documents/{document_id}")
    def download(request: Request, document_id: Id) -> Response:
        actor = who(request)
        with service.db.reads() as s:
            meta, data = store.document(s, actor, document_id)
        return download_response(meta, data)

    @app.get("/complaints")
    def complaints(request: Request, after: Offset = 0) -> Response:
        actor = who(request)
        shown = (lambda n: n) if actor.role in _FULL else mask
        with service.db.reads() as s:
            found = list_complaints(s, actor, after=max(0, after), limit=50)
            stats = complaint_stats(s, top=10, shown=shown)
        lang = language(request)
        share = bars(
            [
                (c.get("name_zh" if lang == "zh" else "name_en") or c["category"], c["share"])
                for c in stats["by_category"]
            ],
            label=texts(lang)("complaint_shares"),
            colour="#bf8700",
        )
        return page(request, "complaints.html", actor, found=found, stats=stats, share=share)

    @app.get("/dashboard")
    def dashboard(request: Request, days: int = 14) -> Response:
        actor = who(request)
        if actor.role not in _FIGURES:
            raise Forbidden(f"{actor.role.with_article} may not see the dashboard")
        t = texts(language(request))
        days = max(1, min(days, 92))
        cached = figures_cache.get(days)
        if cached is None or time.monotonic() - cached[0] > FIGURES_SECONDS:
            figs = daily.figures(
                service.db, service.now(), days=days, timezone=service.config.calendar.timezone
            )
            with service.db.reads() as s:
                stats = complaint_stats(s, top=5, shown=str)
            cached = figures_cache[days] = (time.monotonic(), figs, stats, service.now())
        _, figs, stats, as_of = cached
        charts = {}
        for period in ("daily", "weekly"):
            rows = figs[period]
            charts[period] = {
                "alerts": bars(
                    [(r["label"][-5:], r["alerts_total"]) for r in rows], label=t("alerts_by_type")
                ),
                "suspensions": bars(
                    [(r["label"][-5:], r["suspensions"]) for r in rows],
                    label=t("suspensions"),
                    colour="#d1242f",
                ),
                "restorations": bars(
                    [(r["label"][-5:], r["restorations"]) for r in rows],
                    label=t("restorations"),
                    colour="#2da44e",
                ),
                "median": bars(
                    [(r["label"][-5:], r["median_restore_h"] or 0) for r in rows],
                    label=t("median_restore"),
                    colour="#8250df",
                ),
                "breaches": bars(
                    [(r["label"][-5:], r["breaches"]) for r in rows],
                    label=t("breaches"),
                    colour="#bf8700",
                ),
            }
        lang = language(request)
        share = bars(
            [
                (c.get("name_zh" if lang == "zh" else "name_en") or c["category"], c["share"])
                for c in stats["by_category"]
            ],
            label=t("complaint_shares"),
            colour="#bf8700",
        )
        return page(
            request, "dashboard.html", actor, figs=figs, charts=charts, share=share, as_of=as_of
        )

    add_helpdesk(app, assistant, who, form_of, page)
    add_screening(app, service, who, page)
    add_campaigns(app, service, campaigns, who, form_of, page)
    add_outbound(app, service, who, form_of, page)
    return app


def download_response(meta: dict[str, Any], data: bytes) -> Response:
    """A stored document, always as a download (never rendered in the site's origin)."""
    name = quote(meta["filename"])
    response = Response(data, media_type=meta["content_type"])
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return secure_headers(response)

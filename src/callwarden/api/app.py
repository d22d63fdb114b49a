"""The FastAPI application under ``/api/v1``: alerts intake, numbers, cases, self-service, outbox.

Every route is a few lines over :mod:`callwarden.cases`: authenticate, call the service or a
query, return JSON. Errors are the service's own (``CaseError`` subclasses carry their HTTP
status) or pydantic's field errors (422); a bad request never becomes a 5xx.

>>> from callwarden.cases.db import open_database
>>> from callwarden.cases.service import CaseService
>>> app = create_app(CaseService(open_database("sqlite://")))
>>> sorted(p.removeprefix("/api/v1/") for p in app.openapi()["paths"] if "self-service" in p)
['self-service/code', 'self-service/me', 'self-service/me/actions', 'self-service/session']
"""

# No `from __future__ import annotations`: FastAPI must evaluate the routes' local annotations.

from collections.abc import Iterator
from importlib.resources import files
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from callwarden import __version__
from callwarden.api import problems
from callwarden.api.guard import RequestGuard
from callwarden.api.outbound_routes import outbound_router
from callwarden.api.ratelimit import SlidingWindow
from callwarden.api.reputation_routes import reputation_routes
from callwarden.api.screen_routes import ScreenFastPath, screen_router, screener_holder
from callwarden.cases import groups, queries
from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.from_files import IntakeCounts, Rejected, validate_alert
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, AlertIn, msisdn_of, presented_of
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden, RateLimited, Unprocessable
from callwarden.reputation.book import marks_of
from callwarden.web import mount_web

__all__ = ["DOCS_ASSETS", "create_app"]

#: where the Swagger UI and ReDoc files are served from: those shipped by fastapi-offline
DOCS_ASSETS = "/docs-assets"

_MAX_ID = 2**31 - 1
#: bodies of the unauthenticated self-service routes are a number, a code, one action
_PUBLIC_BODY_BYTES = 16_384
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": problems.Problem} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
CaseId = Annotated[int, Path(ge=1, le=_MAX_ID, description="case id")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AlertsIn(_Body):
    #: each one an AlertIn (the canonical alerts schema); checked one by one, so a bad alert
    #: is reported in its result and the others are taken in
    alerts: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class CodeIn(_Body):
    msisdn: str = Field(max_length=32)

    @field_validator("msisdn")
    @classmethod
    def _e164(cls, v: str) -> str:
        return msisdn_of(v)


class SessionIn(CodeIn):
    code: str = Field(pattern=r"^[0-9]{6}$")


def _offline_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` from the files fastapi-offline ships, so the pages
    work on a network without internet access: nothing is fetched from a CDN or Google Fonts."""
    static = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(static)), name="docs-assets")
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi}",
            title=f"{app.title} API",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def create_app(  # noqa: PLR0915  (routes close over the one service: one short def each)
    service: CaseService, *, self_service_per_minute: int | None = None
) -> FastAPI:
    """The API over one case service (one database); limits from ``service.config.api``."""
    settings = service.config.api
    app = FastAPI(
        title="callwarden",
        version=__version__,
        description="Protective suspensions and the way back: alerts, numbers, work orders.",
        docs_url=None,  # served below from local files: an operator's network may have no CDN
        redoc_url=None,
    )
    _offline_docs(app)
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        public_prefix="/api/v1/self-service/",
        max_public_bytes=min(_PUBLIC_BODY_BYTES, settings.max_body_bytes),
    )
    problems.install(app)
    limiter = SlidingWindow(self_service_per_minute or settings.self_service_per_minute, 60)

    def session() -> Iterator[Session]:
        # pages only read: a read session never holds SQLite's write lock
        with service.db.reads() as s:
            yield s

    def actor(authorization: Annotated[str | None, Header()] = None) -> Actor:
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        return service.authenticate(token)

    def staff(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if who.role is Role.customer:
            raise Forbidden("staff only")
        return who

    def roles(*allowed: Role) -> Any:
        def check(who: Annotated[Actor, Depends(actor)]) -> Actor:
            if who.role not in allowed:
                raise Forbidden(f"{who.role.with_article} may not do this")
            return who

        return Depends(check)

    def throttle(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            raise RateLimited("too many self-service requests; wait a minute")

    Db = Annotated[Session, Depends(session)]
    Staff = Annotated[Actor, Depends(staff)]
    v1 = APIRouter(prefix="/api/v1", responses=_ERRORS)

    screening = screener_holder(service)  # loaded at startup: see screen_routes
    today = service.now().astimezone(service.sla.calendar.zone).date()
    if gap := service.sla.calendar.missing_year(today):
        problems.log.warning(gap)  # and on /health until the operator adds them
    # outermost: a well-formed screening request skips the framework (errors go on to it)
    app.add_middleware(ScreenFastPath, holder=screening, max_body_bytes=settings.max_body_bytes)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Up, with what an operator should look at: the screening lists still loading, or
        an SLA calendar without this year's public holidays (``calendar``: ``ok`` or why not).
        """
        today = service.now().astimezone(service.sla.calendar.zone).date()
        return {
            "status": "ok",
            "version": __version__,
            "database": service.db.dialect,
            "screening": "ready" if screening.ready else "loading",
            "calendar": service.sla.calendar.missing_year(today) or "ok",
        }

    @v1.post("/alerts", tags=["alerts"], status_code=201)
    def intake(
        body: AlertsIn, who: Annotated[Actor, roles(Role.system, Role.analyst, Role.supervisor)]
    ) -> dict[str, Any]:
        """Alerts in the canonical schema (as `callwarden score` writes them), one result each
        in order; an alert that cannot become a case has `error` (and `field`) and the rest go
        on. `counts` adds up: alerts = cases opened + interceptions + ... + reported."""
        checked = [validate_alert(a, i + 1) for i, a in enumerate(body.alerts)]
        intake = service.intake([a for a in checked if isinstance(a, AlertIn)], who)
        rejected = [a for a in checked if isinstance(a, Rejected)]
        taken = iter(intake)
        results: list[dict[str, Any]] = []
        for item in checked:
            if isinstance(item, Rejected):
                field = item.reason.partition(":")[0]
                results.append({"msisdn": item.msisdn, "error": item.reason, "field": field})
            else:
                results.append(next(taken).__dict__)
        counts = IntakeCounts.of(intake, rejected)
        return {"results": results, "counts": counts.__dict__}

    @v1.get("/numbers/{msisdn}", tags=["numbers"])
    def number(msisdn: Annotated[str, Path(max_length=40)], who: Staff, s: Db) -> dict[str, Any]:
        """A number's status, the reasons behind it, and its history (interceptions too)."""
        try:
            e164 = presented_of(msisdn)
        except ValueError as exc:
            raise Unprocessable("msisdn", str(exc)) from None
        return queries.number_view(s, who, e164)

    @v1.get("/numbers/{msisdn}/marks", tags=["numbers"])
    def number_marks(
        msisdn: Annotated[str, Path(max_length=40)], who: Staff, s: Db
    ) -> dict[str, Any]:
        """A number's reputation marks (号码标记): category, score, sources, every change."""
        try:
            e164 = presented_of(msisdn)
        except ValueError as exc:
            raise Unprocessable("msisdn", str(exc)) from None
        return marks_of(s, e164, service.now())

    @v1.get("/cases", tags=["cases"])
    def cases(
        who: Staff,
        s: Db,
        state: str | None = None,
        kind: Literal["suspension", "review", "interception", "realname", "appeal"] | None = None,
        queue: str | None = None,
        msisdn: str | None = None,
        breached: bool | None = None,
        escalated: bool | None = None,
        open: bool = False,
        limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
        after: Annotated[str | None, Query(max_length=80)] = None,
    ) -> dict[str, Any]:
        """The work queue: nearest SLA deadline first; pass `next` back as `after` to page."""
        if msisdn is not None:
            try:
                msisdn = presented_of(msisdn)
            except ValueError as exc:
                raise Unprocessable("msisdn", str(exc)) from None
        flt = queries.CaseFilter(
            state=state,
            kind=kind,
            queue=queue,
            msisdn=msisdn,
            breached=breached,
            escalated=escalated,
            open_only=open,
        )
        return queries.list_cases(s, who, service.sla, service.now(), flt, limit=limit, after=after)

    @v1.get("/cases/{case_id}", tags=["cases"])
    def case(case_id: CaseId, who: Staff, s: Db) -> dict[str, Any]:
        """One case with its checklist, SLA, evidence and audit timeline."""
        return queries.case_detail(s, who, case_id, service.sla, service.now())

    @v1.get("/campaign-groups/{group_id}", tags=["cases"])
    def campaign_group(
        group_id: Annotated[str, Path(max_length=48)], who: Staff, s: Db
    ) -> dict[str, Any]:
        """The lines of one call centre found as a group: its cues, and each number it named
        with its highest decision and its case (the group id is in a case's `campaign_group`
        and in the `campaign` reason's evidence)."""
        return groups.group_view(s, who, group_id)

    @v1.post("/cases/{case_id}/actions", tags=["cases"])
    def act(case_id: CaseId, body: ActionIn, who: Staff) -> dict[str, Any]:
        """request, verify, review, provide, restore, reject, appeal, comment, escalate,
        complain, survey: what each needs is in docs/cases.md."""
        return service.act(case_id, who, body).__dict__

    @v1.post(
        "/self-service/code",
        tags=["self-service"],
        status_code=202,
        dependencies=[Depends(throttle)],
    )
    def code(body: CodeIn) -> dict[str, str]:
        """Ask for a one-time code by SMS. The answer is the same for every number."""
        service.request_code(body.msisdn)
        return {"detail": "if this number is served here, a code is on its way by SMS"}

    @v1.post("/self-service/session", tags=["self-service"], dependencies=[Depends(throttle)])
    def open_session(body: SessionIn) -> dict[str, str]:
        """Trade the code for a session token that sees this number only."""
        token, expires = service.open_session(body.msisdn, body.code)
        return {"token": token, "expires_at": expires.isoformat()}

    @v1.get("/self-service/me", tags=["self-service"], dependencies=[Depends(throttle)])
    def me(
        who: Annotated[Actor, roles(Role.customer)],
        s: Db,
        lang: Literal["zh", "en"] = "zh",
    ) -> dict[str, Any]:
        """Your number: why it was stopped, what to bring, where, the current step, when."""
        return queries.customer_view(s, who, service.sla, service.now(), lang)

    @v1.post("/self-service/me/actions", tags=["self-service"], dependencies=[Depends(throttle)])
    def my_action(body: ActionIn, who: Annotated[Actor, roles(Role.customer)]) -> dict[str, Any]:
        """Act on your latest case: request, provide, appeal, comment, complain, survey."""
        return service.act(service.latest_case(who), who, body).__dict__

    @v1.get("/interceptions", tags=["interceptions"])
    def blocks(
        who: Annotated[Actor, roles(Role.system, Role.analyst, Role.supervisor)],
        s: Db,
        active: bool = True,
        after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """The gateway's block list: numbers the operator does not serve, intercepted until
        `until`, each with whom to report it to and the reasons as evidence."""
        return queries.interceptions(s, service.now(), active=active, after=after, limit=limit)

    @v1.get("/notices", tags=["notices"])
    def outbox(
        who: Annotated[Actor, roles(Role.system, Role.supervisor)],
        s: Db,
        status: Literal["queued", "sent"] = "queued",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """The SMS outbox, oldest first, for the operator's SMS gateway."""
        return {"items": queries.notices(s, status=status, limit=limit)}

    @v1.post("/notices/{notice_id}/sent", tags=["notices"], status_code=204)
    def sent(
        notice_id: Annotated[int, Path(ge=1, le=_MAX_ID)],
        who: Annotated[Actor, roles(Role.system, Role.supervisor)],
    ) -> None:
        """The gateway delivered this notice."""
        service.mark_sent(notice_id)

    @v1.get("/summary", tags=["meta"])
    def summary(who: Annotated[Actor, roles(Role.analyst, Role.supervisor)], s: Db) -> Any:
        """Counts by state, kind, outcome and status; queued notices; breaches."""
        return queries.summary(s)

    @v1.post("/sla/sweep", tags=["cases"])
    def sweep(who: Annotated[Actor, roles(Role.system, Role.supervisor)]) -> dict[str, Any]:
        """Escalate every case past its SLA deadline to supervisors."""
        return {"escalated": service.sweep()}

    @v1.get("/audit/verify", tags=["meta"])
    def audit(who: Annotated[Actor, roles(Role.supervisor)], s: Db) -> dict[str, Any]:
        """Recompute every case's hash chain."""
        report = verify(s)
        return {
            "ok": report.ok,
            "cases": report.cases,
            "events": report.events,
            "broken": report.broken,
        }

    # first: the SIP edge's per-call route is matched before the others are tried
    app.include_router(screen_router(service, holder=screening))
    app.include_router(v1)
    app.include_router(reputation_routes(service, actor))
    app.include_router(outbound_router(service))
    mount_web(app, service)  # the console (/console), self-service (/self), and / (login)
    return app

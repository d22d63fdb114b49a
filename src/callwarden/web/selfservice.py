"""The customer's self-service pages: a number, a one-time code, then that number's case only.

The code is the one :mod:`callwarden.cases.access` issues (sent by SMS through the outbox), and
the session it buys sees one number: every page reads the case through
:func:`callwarden.cases.queries.customer_view` and acts through the case service with the
customer as the actor, which refuses any other number's case. Asking for a code answers the
same whatever the number, so the page cannot be used to learn which numbers exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from callwarden.api.ratelimit import SlidingWindow
from callwarden.assistant.service import Assistant
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.notices import channel_names
from callwarden.cases.schemas import msisdn_of
from callwarden.cases.service import CaseService
from callwarden.documents import store
from callwarden.errors import (
    CaseError,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unprocessable,
)
from callwarden.web.console import download_response
from callwarden.web.forms import action_of, upload_of
from callwarden.web.i18n import texts
from callwarden.web.pages import Id, language, render, secure_headers
from callwarden.web.security import CUSTOMER_COOKIE, csrf_ok, set_cookie

__all__ = ["self_service_app"]

#: what a customer may do from the page (the case rules decide which of them apply now)
_CUSTOMER_ACTIONS = ("request", "provide", "comment", "complain", "survey", "appeal")
_DOC_KINDS = ("id_card", "student_card", "business_licence", "police_report", "other")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def self_service_app(service: CaseService, assistant: Assistant) -> FastAPI:  # noqa: PLR0915  (one short def per page)
    """The self-service pages over one case service."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    limiter = SlidingWindow(service.config.api.self_service_per_minute, 60)

    def throttle(request: Request) -> None:
        if not limiter.allow(request.client.host if request.client else "unknown"):
            raise RateLimited(texts(language(request))("too_many"))

    def who(request: Request) -> Actor:
        actor = service.authenticate(request.cookies.get(CUSTOMER_COOKIE))
        if actor.role is not Role.customer:
            raise Unauthorized("a self-service session is needed")
        return actor

    @app.exception_handler(CaseError)
    def _error(request: Request, exc: CaseError) -> Response:
        if isinstance(exc, Unauthorized):
            response = render(
                request,
                "self_start.html",
                status=401,
                errors={"form": texts(language(request))("session_over")},
            )
            response.delete_cookie(CUSTOMER_COOKIE, path="/")
            return response
        return render(request, "error.html", status=exc.status, message=str(exc), home="/self/")

    async def form_of(request: Request) -> Any:
        throttle(request)
        form = await request.form(max_files=1, max_fields=30)
        if not csrf_ok(request, str(form.get("csrf") or "")):
            raise Forbidden("the form has expired; reload the page and try again")
        return form

    @app.get("/")
    def start(request: Request) -> Response:
        try:
            who(request)
        except Unauthorized:
            return render(request, "self_start.html")
        return _see_other("/self/case")

    @app.post("/code")
    async def code(request: Request) -> Response:
        form = await form_of(request)
        t = texts(language(request))
        raw = str(form.get("msisdn") or "").strip()[:32]
        try:
            msisdn = msisdn_of(raw)
        except ValueError:
            return render(
                request,
                "self_start.html",
                status=422,
                errors={"msisdn": t("bad_number")},
                msisdn=raw,
            )
        try:
            service.request_code(msisdn)
        except RateLimited as exc:
            return render(
                request, "self_start.html", status=429, errors={"msisdn": str(exc)}, msisdn=raw
            )
        return render(request, "self_code.html", msisdn=msisdn)

    @app.post("/session")
    async def session(request: Request) -> Response:
        form = await form_of(request)
        t = texts(language(request))
        raw = str(form.get("msisdn") or "").strip()[:32]
        code = str(form.get("code") or "").strip()
        try:
            msisdn = msisdn_of(raw)
        except ValueError:
            return render(
                request, "self_start.html", status=422, errors={"msisdn": t("bad_number")}
            )
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return render(
                request, "self_code.html", status=422, errors={"code": t("bad_code")}, msisdn=msisdn
            )
        try:
            token, _expires = service.open_session(msisdn, code)
        except Unauthorized as exc:
            return render(
                request, "self_code.html", status=401, errors={"code": str(exc)}, msisdn=msisdn
            )
        response = _see_other("/self/case")
        set_cookie(request, response, CUSTOMER_COOKIE, token, service.config.session_minutes * 60)
        return secure_headers(response)

    def case_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
        lang = language(request)
        with service.db.reads() as s:
            view = queries.customer_view(s, actor, service.sla, service.now(), lang)
            case = view["case"]
            docs = store.documents_of(s, actor, case["id"]) if case else []
            chat = assistant.conversation(s, actor)
        where = channel_names(case["channels"], lang) if case and case["channels"] else ""
        return render(
            request,
            "self_case.html",
            status=status,
            view=view,
            case=case,
            docs=docs,
            where=where,
            remote=bool(case and case["channels"] and "remote_face" in case["channels"]),
            actions=[
                a for a in (case["allowed_actions"] if case else []) if a in _CUSTOMER_ACTIONS
            ],
            doc_kinds=_DOC_KINDS,
            chat=chat,
            **extra,
        )

    @app.get("/case")
    def my_case(request: Request, done: str = "") -> Response:
        return case_page(request, who(request), done=done[:20])

    @app.post("/act")
    async def act(request: Request) -> Response:
        actor = who(request)
        form = await form_of(request)
        action, errors = action_of(form)
        if action is not None and action.action not in _CUSTOMER_ACTIONS:
            errors = {"action": "not a self-service action"}
        elif action is not None:
            try:
                case_id = service.latest_case(actor)
                # a rating on a case that closed on an earlier day drops that day from the
                # roll-up in the survey's own transaction (callwarden.rollup.watch)
                service.act(case_id, actor, action)
            except (Unauthorized, NotFound):
                raise
            except CaseError as exc:
                errors = {"form" if exc.field in (None, "action") else exc.field: str(exc)}
        if errors or action is None:
            return case_page(
                request, actor, status=422, errors=errors, tried=str(form.get("action"))
            )
        return _see_other(f"/self/case?done={action.action}")

    @app.post("/documents")
    async def upload(request: Request) -> Response:
        actor = who(request)
        form = await form_of(request)
        errors = await upload_of(service, actor, form, lambda: service.latest_case(actor))
        if errors:
            return case_page(request, actor, status=422, errors=errors, tried="upload")
        return _see_other("/self/case?done=upload")

    @app.get("/documents/{document_id}")
    def download(request: Request, document_id: Id) -> Response:
        actor = who(request)
        with service.db.reads() as s:
            meta, data = store.document(s, actor, document_id)
        return download_response(meta, data)

    @app.get("/chat")
    def chat_log(request: Request) -> Response:
        actor = who(request)
        with service.db.reads() as s:
            chat = assistant.conversation(s, actor)
        return render(request, "self_chat.html", chat=chat)

    @app.post("/chat")
    async def chat(request: Request) -> Response:
        actor = who(request)
        form = await form_of(request)
        try:
            assistant.ask(actor, str(form.get("text") or ""), language(request))
        except Unprocessable as exc:
            return case_page(request, actor, status=422, errors={"text": str(exc)})
        return _see_other("/self/case#chat")

    @app.post("/chat/person")
    async def person(request: Request) -> Response:
        actor = who(request)
        await form_of(request)
        assistant.hand_off(actor, language(request))
        return _see_other("/self/case#chat")

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await form_of(request)
        response = _see_other("/self/")
        response.delete_cookie(CUSTOMER_COOKIE, path="/")
        return response

    return app

"""The console's side of the assistant: the hand-off queue, one conversation with its transcript
and the reply form, and the knowledge base the assistant answers from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from callwarden.assistant.service import Assistant
from callwarden.cases.access import Actor
from callwarden.errors import Unprocessable
from callwarden.web.pages import Id, render

__all__ = ["add_helpdesk"]

_FIELDS = ("question_zh", "question_en", "answer_zh", "answer_en")


def add_helpdesk(
    app: FastAPI,
    assistant: Assistant,
    who: Callable[[Request], Actor],
    form_of: Callable[[Request], Awaitable[Any]],
    page: Callable[..., Response],
) -> None:
    """Add ``/handoffs`` and ``/kb`` to the console app."""
    db = assistant.service.db

    @app.get("/handoffs")
    def handoffs(request: Request) -> Response:
        actor = who(request)
        with db.reads() as s:
            items = assistant.handoffs(s, actor)
        return page(request, "handoffs.html", actor, items=items)

    def conversation(
        request: Request, actor: Actor, conversation_id: int, **extra: Any
    ) -> Response:
        with db.reads() as s:
            chat = assistant.handoff(s, actor, conversation_id)
        return page(request, "handoff.html", actor, chat=chat, **extra)

    @app.get("/handoffs/{conversation_id}")
    def handoff(request: Request, conversation_id: Id) -> Response:
        return conversation(request, who(request), conversation_id)

    @app.get("/handoffs/{conversation_id}/log")
    def handoff_log(request: Request, conversation_id: Id) -> Response:
        actor = who(request)
        with db.reads() as s:
            chat = assistant.handoff(s, actor, conversation_id)
        return render(request, "handoff_log.html", chat=chat)

    @app.post("/handoffs/{conversation_id}/reply")
    async def reply(request: Request, conversation_id: Id) -> Response:
        actor = who(request)
        form = await form_of(request)
        try:
            assistant.reply(
                actor, conversation_id, str(form.get("text") or ""), close=form.get("close") == "on"
            )
        except Unprocessable as exc:
            errors = {exc.field or "text": str(exc)}
            return conversation(request, actor, conversation_id, errors=errors)
        return RedirectResponse(f"/console/handoffs/{conversation_id}", status_code=303)

    @app.get("/kb")
    def kb(request: Request, saved: int = 0, q: str = "") -> Response:
        """The articles; with ``q``, the one the assistant would answer it from."""
        actor = who(request)
        q = q.strip()[:200]
        with db.reads() as s:
            articles = assistant.articles(s)
            found, score = assistant.lookup(s, q) if q else (None, 0.0)
        return page(
            request, "kb.html", actor, articles=articles, saved=saved, q=q, found=found, score=score
        )

    async def save(request: Request, article_id: int | None) -> Response:
        actor = who(request)
        form = await form_of(request)
        fields = {k: str(form.get(k) or "") for k in _FIELDS}
        try:
            saved = assistant.save_article(actor, article_id, fields, form.get("active") == "on")
        except Unprocessable as exc:
            with db.reads() as s:
                articles = assistant.articles(s)
            errors = {exc.field or "form": str(exc), "form": str(exc)}
            return page(
                request, "kb.html", actor, articles=articles, saved=article_id or 0, errors=errors
            )
        return RedirectResponse(f"/console/kb?saved={saved}", status_code=303)

    @app.post("/kb")
    async def add_article(request: Request) -> Response:
        return await save(request, None)

    @app.post("/kb/{article_id}")
    async def edit_article(request: Request, article_id: Id) -> Response:
        return await save(request, article_id)

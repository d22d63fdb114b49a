"""``POST /api/v1/screen``: the decision API a hotline's SIP edge asks for every incoming call.

Authenticated by the hotline's own token (``callwarden hotline add`` prints it), not a staff
token. A well-formed request is answered by :class:`ScreenFastPath`, a plain ASGI layer in
front of the application that parses the body with pydantic's Rust JSON parser and validates
it with the same model (``ScreenIn``); anything it is not sure of (a body that is not a flat
object of clean strings, a field the model refuses, an odd header) goes on, untouched, to the
request guard and the FastAPI route below, so every error answer is the one that route gives.

The decision service (:class:`callwarden.screen.service.Screener`) starts with the
application (its startup event, before uvicorn accepts a connection): it loads the marks and
policies into memory and follows their change log from then on. ``/health`` says
``"screening": "ready"`` once it has.

>>> from callwarden.cases.db import open_database
>>> from callwarden.cases.service import CaseService
>>> router = screen_router(CaseService(open_database("sqlite://")))
>>> [r.path for r in router.routes]
['/api/v1/screen']
"""

# No `from __future__ import annotations`: FastAPI must evaluate the route's annotations.

import atexit
import json
import logging
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json, to_json

from callwarden.api import problems
from callwarden.api.guard import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    error_body,
    problem_in_text,
)
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError
from callwarden.screen.service import Screener, ScreenIn

__all__ = ["ScreenFastPath", "ScreenOut", "ScreenerHolder", "screen_router", "screener_holder"]

log = logging.getLogger("callwarden.api")
SCREEN_PATH = "/api/v1/screen"
_FIELDS = frozenset(ScreenIn.model_fields)
_JSON = b"application/json"


class ReasonOut(BaseModel):
    code: str
    text_zh: str
    text_en: str


class ScreenOut(BaseModel):
    """What the SIP edge does with the call: allow (to ``queue``, the agents), block (603
    Decline), challenge (to the IVR ``queue`` that asks for the business code), route (to
    ``queue``: a team, or the out-of-hours auto-reply)."""

    action: Literal["allow", "block", "challenge", "route"]
    queue: str | None
    reasons: list[ReasonOut]
    policy_version: int


class ScreenerHolder:
    """The one screener of this app: started at startup (or on first use where no startup
    event runs, as in a test client used without ``with``), closed at shutdown when this
    holder made it (``owned``): a screener handed in belongs to whoever made it."""

    def __init__(self, make: Callable[[], Screener], *, owned: bool = True) -> None:
        self._make = make
        self._owned = owned
        self._screener: Screener | None = None
        self._lock = threading.Lock()

    def get(self) -> Screener:
        screener = self._screener
        if screener is None:
            with self._lock:
                if self._screener is None:
                    self._screener = self._make()
                    atexit.register(self.close)
                screener = self._screener
        return screener

    @property
    def ready(self) -> bool:
        """Whether the marks and policies are loaded."""
        return self._screener is not None

    def close(self) -> None:
        with self._lock:
            if self._screener is not None and self._owned:
                self._screener.close()
            self._screener = None


def screener_holder(service: CaseService, screener: Screener | None = None) -> ScreenerHolder:
    """The holder of the screener over the case service's database (or of one given)."""
    return ScreenerHolder(
        lambda: screener or Screener(service.db, clock=service.clock).start(),
        owned=screener is None,
    )


def screen_router(
    service: CaseService, screener: Screener | None = None, holder: ScreenerHolder | None = None
) -> APIRouter:
    """The screening routes over the case service's database (or a screener given)."""
    holder = holder or screener_holder(service, screener)
    router = APIRouter(
        prefix="/api/v1",
        tags=["screening"],
        responses={s: {"model": problems.Problem} for s in (401, 403, 413, 422)},
    )

    @router.post("/screen", response_model=ScreenOut)
    async def screen(body: ScreenIn, authorization: Annotated[str | None, Header()] = None) -> Any:
        """Screen one incoming call: `{caller, callee, time, ivr_input?}` with the hotline's
        token as `Authorization: Bearer ...`; answers `{action, queue, reasons,
        policy_version}`. Decided from memory (marks, policy); logged for the hotline's
        reports. See docs/screening.md."""
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        # the answer is built by the service: encoded once, not validated again on the way out
        answer = json.dumps(holder.get().screen(token, body), ensure_ascii=False)
        return Response(answer.encode(), media_type="application/json")

    router.add_event_handler("startup", holder.get)  # ready before the first call
    router.add_event_handler("shutdown", holder.close)
    return router


class ScreenFastPath:
    """ASGI layer answering a well-formed ``POST /api/v1/screen`` itself (see the module
    docstring): the same model, the same screener, the same answer, without the framework's
    per-request machinery (middleware chain, routing, dependency resolution, a second JSON
    parse in the guard). Whatever it does not answer reaches ``app`` exactly as it arrived."""

    def __init__(self, app: ASGIApp, *, holder: ScreenerHolder, max_body_bytes: int) -> None:
        self.app = app
        self.holder = holder
        #: a screening body is a few hundred bytes; larger ones take the full path (413 there)
        self.max_body = min(max_body_bytes, 8192)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") not in (SCREEN_PATH, scope.get("root_path", "") + SCREEN_PATH)
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return
        length, content_type, authorization = _headers(scope)
        if not 0 < length <= self.max_body or content_type.partition(b";")[0].strip() != _JSON:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        call = _screen_in(body)
        if call is None:  # the full path answers, with its own error
            await self.app(scope, _replay(body, receive), send)
            return
        token = None
        if authorization is not None and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        try:
            answer = to_json(self.holder.get().screen(token, call))
            status = 200
        except CaseError as exc:  # as problems' handler answers it
            answer, status = error_body(str(exc), exc.field), exc.status
        except Exception:  # as problems' handler answers a bug
            log.exception("unexpected error on POST %s", SCREEN_PATH)
            answer, status = error_body("internal error; it has been logged", None), 500
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(answer)).encode()),
                    (b"content-type", _JSON),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def _headers(scope: Scope) -> tuple[int, bytes, str | None]:
    """Content-Length (-1 when absent or odd), Content-Type, the first Authorization."""
    length = -1
    content_type = b""
    authorization: str | None = None
    for raw, value in scope["headers"]:
        name = raw.lower()
        if name == b"content-length":
            length = int(value) if value.isdigit() else -1
        elif name == b"content-type":
            content_type = value
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    return length, content_type, authorization


def _screen_in(body: bytes) -> ScreenIn | None:
    """The call in ``body`` when it is a flat JSON object of the model's fields holding clean
    strings (what the request guard lets through) and the model accepts it; else None."""
    try:
        parsed = from_json(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not parsed.keys() <= _FIELDS:
        return None
    for value in parsed.values():
        if not isinstance(value, str) or problem_in_text(value) is not None:
            if value is None:
                continue  # ivr_input: null (any other field: the model says so below)
            return None
    try:
        return ScreenIn.model_validate(parsed)
    except ValidationError:
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives ``body`` first, then what the connection sends next."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again

"""``POST /api/v1/screen``: the decision API a hotline's SIP edge asks for every incoming call.

Authenticated by the hotline's own token (``callwarden hotline add`` prints it), not a staff
token. The decision service (:class:`callwarden.screen.service.Screener`) starts on the first
call: it loads the marks into memory and follows their change log from then on.

>>> from callwarden.cases.db import open_database
>>> from callwarden.cases.service import CaseService
>>> router = screen_router(CaseService(open_database("sqlite://")))
>>> [r.path for r in router.routes]
['/api/v1/screen']
"""

# No `from __future__ import annotations`: FastAPI must evaluate the route's annotations.

import atexit
import json
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel

from callwarden.api import problems
from callwarden.cases.service import CaseService
from callwarden.screen.service import Screener, ScreenIn

__all__ = ["ScreenOut", "screen_router"]


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


class _Lazy:
    """The one screener of this app, started on first use, closed at shutdown."""

    def __init__(self, make: Callable[[], Screener]) -> None:
        self._make = make
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

    def close(self) -> None:
        with self._lock:
            if self._screener is not None:
                self._screener.close()
                self._screener = None


def screen_router(service: CaseService, screener: Screener | None = None) -> APIRouter:
    """The screening routes over the case service's database (or a screener given)."""
    holder = _Lazy(lambda: screener or Screener(service.db, clock=service.clock).start())
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

    router.add_event_handler("shutdown", holder.close)
    return router

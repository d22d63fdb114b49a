"""``POST /api/v1/screen``: the decision API a hotline's SIP edge asks for every incoming call.

Authenticated by the hotline's own token (``callwarden hotline add`` prints it), not a staff
token. The decision service (:class:`callwarden.screen.service.Screener`) starts with the
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
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel

from callwarden.api import problems
from callwarden.cases.service import CaseService
from callwarden.screen.service import Screener, ScreenIn

__all__ = ["ScreenOut", "ScreenerHolder", "screen_router", "screener_holder"]


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

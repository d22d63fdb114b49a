"""``POST /api/v1/outbound/check``: the pre-dial check a call centre's dialler asks before
every outbound (marketing) call.

Authenticated by the business's own token (``callwarden outbound business add`` prints it), as
hotlines are by theirs. The check service (:class:`callwarden.compliance.checker.Checker`)
starts on the first call: it loads the consent and refusal registers into memory and follows
them from then on; every check is logged as evidence.

>>> from callwarden.cases.db import open_database
>>> from callwarden.cases.service import CaseService
>>> router = outbound_router(CaseService(open_database("sqlite://")))
>>> [r.path for r in router.routes]
['/api/v1/outbound/check']
"""

# No `from __future__ import annotations`: FastAPI must evaluate the route's annotations.

import atexit
import threading
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel

from callwarden.api import problems
from callwarden.cases.service import CaseService
from callwarden.compliance.checker import Checker, DialIn

__all__ = ["CheckOut", "outbound_router"]


class ReasonOut(BaseModel):
    code: str
    rule: str
    text_zh: str
    text_en: str


class CheckOut(BaseModel):
    """May the seat dial? ``reasons`` names every rule the dial would break (empty when
    allowed), in Chinese and English."""

    allowed: bool
    reasons: list[ReasonOut]
    business: str
    #: the callee as stored (E.164)
    callee: str


class _Holder:
    """The one checker of this app, started on first use, closed at shutdown."""

    def __init__(self, make: Callable[[], Checker]) -> None:
        self._make = make
        self._checker: Checker | None = None
        self._lock = threading.Lock()

    def get(self) -> Checker:
        with self._lock:
            if self._checker is None:
                self._checker = self._make()
                atexit.register(self.close)
            return self._checker

    def close(self) -> None:
        with self._lock:
            if self._checker is not None:
                self._checker.close()
                self._checker = None


def outbound_router(service: CaseService, checker: Checker | None = None) -> APIRouter:
    """The outbound routes over the case service's database (or a checker given)."""
    holder = _Holder(lambda: checker or Checker(service.db, clock=service.clock).start())
    router = APIRouter(
        prefix="/api/v1/outbound",
        tags=["outbound"],
        responses={s: {"model": problems.Problem} for s in (401, 403, 413, 422)},
    )

    @router.post("/check", response_model=CheckOut)
    async def check(body: DialIn, authorization: Annotated[str | None, Header()] = None) -> Any:
        """Check one dial before it is made: `{business, caller_line, callee, time}` with the
        business's token as `Authorization: Bearer ...`; answers `{allowed, reasons}` (consent,
        refusal, calling hours, frequency, registered lines). Answered from memory; every
        check is logged as evidence. See docs/outbound.md."""
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        return holder.get().check(token, body)

    router.add_event_handler("shutdown", holder.close)
    return router

"""Routes of number reputation under ``/api/v1``: complaints (12321 举报), their statistics, and
appeals against marks.

A few lines each over :mod:`callwarden.reputation`; the caller's identity comes from the app's
one authentication dependency, errors are the service's own (docs/reputation.md says who may
do what).
"""

# No `from __future__ import annotations`: FastAPI must evaluate the routes' local annotations.

from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from callwarden.api import problems
from callwarden.cases.access import Actor
from callwarden.cases.appeal import AppealIn, file_appeal
from callwarden.cases.machine import Role
from callwarden.cases.schemas import presented_of
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden, Unprocessable
from callwarden.numbers import mask
from callwarden.reputation.complaint_stats import complaint_stats
from callwarden.reputation.complaints import (
    ComplaintIn,
    complaint_detail,
    file_complaint,
    list_complaints,
)

__all__ = ["reputation_routes"]

_MAX_ID = 2**31 - 1
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": problems.Problem} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
_FULL_NUMBER = (Role.analyst, Role.supervisor, Role.system)


def _number(value: str) -> str:
    try:
        return presented_of(value)
    except ValueError as exc:
        raise Unprocessable("msisdn", str(exc)) from None


def reputation_routes(service: CaseService, actor: Callable[..., Actor]) -> APIRouter:
    """The routes over one case service; ``actor`` is the app's authentication dependency."""
    v1 = APIRouter(prefix="/api/v1", responses=_ERRORS)

    def session() -> Iterator[Session]:
        with service.db.reads() as s:
            yield s

    def staff(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if who.role is Role.customer:
            raise Forbidden("staff only")
        return who

    Db = Annotated[Session, Depends(session)]
    Staff = Annotated[Actor, Depends(staff)]
    Who = Annotated[Actor, Depends(actor)]

    @v1.post("/complaints", tags=["complaints"], status_code=201)
    def complain(body: ComplaintIn, who: Who) -> dict[str, Any]:
        """A nuisance report about a number (12321 举报): by a subscriber on their self-service
        session (about a call they received), an agent, or a partner feed (a system token).
        Filed into the number's marks; linked to its case. One complainant, one number, once a
        day; `complaints_per_day` complaints a day at most (429)."""
        return file_complaint(service, who, body)

    @v1.get("/complaints/stats", tags=["complaints"])
    def stats(
        who: Staff,
        s: Db,
        since: date | None = None,
        until: date | None = None,
        top: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """Complaints by category (shares as 12321 publishes them), region (归属地), carrier,
        hour and day, on local days `since` to `until` (inclusive); the most reported numbers."""
        shown = (lambda n: n) if who.role in _FULL_NUMBER else mask
        return complaint_stats(s, since=since, until=until, top=top, shown=shown)

    @v1.get("/complaints", tags=["complaints"])
    def complaints(
        who: Staff,
        s: Db,
        msisdn: Annotated[str | None, Query(max_length=40)] = None,
        after: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Complaints oldest first, about one number when `msisdn` is given; pass `next` back
        as `after` for the next page."""
        number = _number(msisdn) if msisdn is not None else None
        return list_complaints(s, who, msisdn=number, after=after, limit=limit)

    @v1.get("/complaints/{complaint_id}", tags=["complaints"])
    def complaint(
        complaint_id: Annotated[int, Path(ge=1, le=_MAX_ID)], who: Staff, s: Db
    ) -> dict[str, Any]:
        """One complaint, its number's marks as they stand now, and the case it links to."""
        return complaint_detail(s, who, complaint_id, service.now())

    @v1.post("/appeals", tags=["appeals"], status_code=201)
    def appeal(body: AppealIn, who: Who) -> dict[str, Any]:
        """The owner of a marked number disputes its marks (`categories`), or asks for the
        verified-business label (`label`, with `business_name` and a `business_licence` in
        `evidence`), on their self-service session. Opens an appeal case (kind `appeal`) that
        staff review with the case actions (two people uphold); progress on
        `GET /api/v1/self-service/me`."""
        return file_appeal(service, who, body)

    return v1

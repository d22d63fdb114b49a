"""Every error the API answers, in one format: ``{"detail": "...", "field": "..." | null}``.

One handler per kind of failure, installed by :func:`install`:

- the service's own errors (:class:`~callwarden.errors.CaseError`) carry their status;
- a request that does not match a route's schema is 422, naming the first bad field and what
  is wrong with it, never echoing the input beyond a short cleaned excerpt (FastAPI's default
  answer repeats the whole input, and fails to encode ``NaN`` or a lone surrogate);
- HTTP errors of the framework (404 for an unknown path, 405) keep their status;
- a value the database cannot hold (an integer past its column, a malformed time) is 422;
- anything else is a bug: 500 with a fixed message, logged with its traceback, and the
  connection stays usable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException

from callwarden.api.guard import error_body
from callwarden.errors import CaseError, RateLimited

__all__ = ["Problem", "install", "problem"]

log = logging.getLogger("callwarden.api")


class Problem(BaseModel):
    """The body of every error answer."""

    detail: str
    field: str | None = None


def problem(
    status: int,
    detail: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        error_body(detail, field),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    # FastAPI's locations start with where the value came from: body, query, path, header
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts) or None


def _validation_detail(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = list(exc.errors())
    if not errors:
        return "the request is not valid", None
    first = errors[0]
    field = _field(first.get("loc", ()))
    message = str(first.get("msg", "is not valid"))
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON", None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return (f"{field}: {message}{more}" if field else message + more), field


def install(app: FastAPI) -> None:
    """Put the handlers on ``app``."""

    @app.exception_handler(CaseError)
    async def _case_error(_: Request, exc: CaseError) -> Response:
        headers = {"Retry-After": "60"} if isinstance(exc, RateLimited) else None
        return problem(exc.status, str(exc), exc.field, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        detail, field = _validation_detail(exc)
        return problem(422, detail, field)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> Response:
        return problem(exc.status_code, str(exc.detail), None, exc.headers)

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> Response:
        return problem(422, "a value is out of range or not allowed for the database", None)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # a bound value the driver cannot convert (OverflowError, ValueError) is the client's
        if isinstance(exc.orig, OverflowError | ValueError):
            return problem(422, "a value is out of range for the database", None)
        return await _bug(request, exc)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal error; it has been logged", None)

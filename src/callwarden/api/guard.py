"""The API's front door: body size, strict JSON, and clean text, checked before any route runs.

A pure ASGI middleware, so it sees the bytes as they arrive:

- a body larger than the limit is answered 413 as soon as the limit is passed (the declared
  ``Content-Length`` is checked first), never read whole into memory; the unauthenticated
  self-service routes have a much smaller limit than staff routes;
- a JSON body must be JSON as RFC 8259 defines it: ``NaN`` and ``Infinity`` (which Python's
  parser accepts) are refused, as are numbers that overflow to infinity (``1e400``),
  integers beyond 64 bits, nesting deeper than
  :data:`MAX_DEPTH`, and strings holding lone surrogates or control characters (NUL first of
  all: PostgreSQL cannot store it in text, SQLite can, so they are refused on both);
- the path and the query string may not hold control characters either.

Refusals are answered in the API's one error format, ``{"detail": ..., "field": ...}``, with
no more of the input than a short, cleaned excerpt.

>>> problem_in_text("a\\x00b"), problem_in_text("短信 ok\\n"), problem_in_text("\\ud800")
('a control character (U+0000)', None, 'a lone surrogate (U+D800)')
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = ["MAX_DEPTH", "RequestGuard", "error_body", "excerpt", "problem_in_text"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_DEPTH = 32
_MAX_INT = 2**63 - 1
#: C0 controls but tab, line feed and carriage return; DEL; lone surrogates
_BAD_IN_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: in a path or a query, no control character at all
_BAD_IN_TARGET = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_in_text(text: str, *, target: bool = False) -> str | None:
    """What is wrong with a piece of text, or None when it may be stored and shown as it is."""
    found = (_BAD_IN_TARGET if target else _BAD_IN_BODY).search(text)
    if found is None:
        return None
    char = ord(found.group())
    kind = "a lone surrogate" if 0xD800 <= char <= 0xDFFF else "a control character"
    return f"{kind} (U+{char:04X})"


def excerpt(text: str, limit: int = 120) -> str:
    """A short, printable excerpt of client input, safe to put in a JSON answer.

    >>> excerpt("x" * 500)[-20:], excerpt("a\\x00\\ud800b")
    ('xx… (500 characters)', 'a\\\\x00\\\\ud800b')
    """
    cut = text[:limit] + (f"… ({len(text)} characters)" if len(text) > limit else "")
    return _BAD_IN_TARGET.sub(lambda m: m.group().encode("unicode_escape").decode(), cut)


def error_body(detail: str, field: str | None) -> bytes:
    """The API's one error format, always valid UTF-8 JSON."""
    return json.dumps(
        {"detail": excerpt(detail, 400), "field": excerpt(field, 120) if field else None},
        ensure_ascii=False,
    ).encode()


class _Refused(ValueError):
    def __init__(self, field: str | None, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(problem)


class _Unfit:
    """A number JSON cannot carry, kept in place while parsing so the walk can name its field."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _constant(name: str) -> _Unfit:
    return _Unfit(f"{name} is not a JSON number; send a finite number or null")


def _bounded_int(digits: str) -> int | _Unfit:
    value = int(digits) if len(digits) <= 21 else _MAX_INT + 1
    if abs(value) > _MAX_INT:
        return _Unfit(f"the integer {excerpt(digits, 24)} is out of range (64 bits)")
    return value


def _finite_float(text: str) -> float | _Unfit:
    value = float(text)  # 1e400 parses as infinity
    if math.isinf(value):
        return _Unfit(f"the number {excerpt(text, 24)} is out of range")
    return value


def _check(value: Any, path: list[str], depth: int = 0) -> None:
    """Walk a parsed body: depth, keys, strings and numbers, naming the field that fails."""
    where = ".".join(path) or None
    if depth > MAX_DEPTH:
        raise _Refused(where, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, _Unfit):
        raise _Refused(where, value.problem)
    if isinstance(value, str):
        if (problem := problem_in_text(value)) is not None:
            raise _Refused(where, f"the text holds {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if (problem := problem_in_text(key, target=True)) is not None:
                raise _Refused(where, f"a key holds {problem}")
            _check(item, [*path, key], depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, [*path, str(i)], depth + 1)


def check_json(body: bytes) -> None:
    """Raise :class:`_Refused` unless ``body`` is strict JSON with clean text."""
    try:
        parsed = json.loads(
            body, parse_constant=_constant, parse_int=_bounded_int, parse_float=_finite_float
        )
    except RecursionError:
        raise _Refused(None, f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = excerpt(str(exc), 80)
        raise _Refused(None, f"the body is not valid UTF-8 JSON ({reason})") from None
    _check(parsed, [])


def _check_target(scope: Scope) -> _Refused | None:
    path = scope.get("path", "")
    if (problem := problem_in_text(path, target=True)) is not None:
        return _Refused("path", f"the path holds {problem}")
    raw = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(raw, keep_blank_values=True, errors="surrogateescape"):
        for text in (name, value):
            if (problem := problem_in_text(text, target=True)) is not None:
                return _Refused(unquote(name)[:40], f"the query holds {problem}")
    return None


class RequestGuard:
    """ASGI middleware enforcing body limits and clean input (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, public_prefix: str, max_public_bytes: int
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.public_prefix = public_prefix
        self.max_public_bytes = max_public_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (refused := _check_target(scope)) is not None:
            await _answer(send, 422, refused.problem, refused.field)
            return
        if scope.get("method") not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        public = scope.get("path", "").startswith(self.public_prefix)
        limit = self.max_public_bytes if public else self.max_body_bytes
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, f"the body is larger than {limit:,} bytes", None)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(send, 413, f"the body is larger than {limit:,} bytes", None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").lower()
        if body and (not content_type or b"json" in content_type):
            try:
                check_json(body)
            except _Refused as bad:
                await _answer(send, 422, bad.problem, bad.field)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, detail: str, field: str | None) -> None:
    body = error_body(detail, field)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

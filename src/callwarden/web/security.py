"""Sessions and CSRF protection for the pages.

- Staff log in with their user name and the access token ``callwarden cases add-user`` gave
  them; the browser then holds only a random session id (cookie ``cw_staff``) that names the
  token in this process's memory, for :data:`STAFF_HOURS` hours at most. Every request
  authenticates that token again, so a user switched off is out at once.
- Customers hold the self-service session token the one-time code bought (cookie ``cw_self``),
  which the database expires; it sees one number only.
- Every form carries the value of the ``cw_csrf`` cookie in a hidden field (double submit);
  a POST whose field and cookie differ is refused. All cookies are HttpOnly and SameSite=Strict,
  and Secure when the request came over HTTPS.

>>> store = StaffSessions(); sid = store.open("tok"); store.token(sid), store.token("nope")
('tok', None)
>>> store.close(sid); store.token(sid) is None
True
"""

from __future__ import annotations

import hmac
import secrets
import time
from threading import Lock

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "CSRF_COOKIE",
    "CUSTOMER_COOKIE",
    "STAFF_COOKIE",
    "STAFF_HOURS",
    "StaffSessions",
    "csrf_ok",
    "csrf_token",
    "set_cookie",
]

STAFF_COOKIE = "cw_staff"
CUSTOMER_COOKIE = "cw_self"
CSRF_COOKIE = "cw_csrf"
LANG_COOKIE = "cw_lang"
STAFF_HOURS = 8


class StaffSessions:
    """Staff browser sessions in this process: session id -> access token, with an expiry."""

    def __init__(self, hours: float = STAFF_HOURS) -> None:
        self.seconds = hours * 3600
        self._live: dict[str, tuple[str, float]] = {}
        self._lock = Lock()

    def open(self, token: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            if len(self._live) > 10_000:  # forget the expired before growing further
                self._live = {k: v for k, v in self._live.items() if v[1] > now}
            self._live[sid] = (token, now + self.seconds)
        return sid

    def token(self, sid: str | None) -> str | None:
        if not sid:
            return None
        with self._lock:
            entry = self._live.get(sid)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._live.pop(sid or "", None)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Strict, Secure over HTTPS, for the whole site."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def csrf_token(request: Request) -> tuple[str, bool]:
    """The page's CSRF token, and whether it is new (then the response must set the cookie)."""
    have = request.cookies.get(CSRF_COOKIE)
    if have and 20 <= len(have) <= 64 and have.replace("-", "").replace("_", "").isalnum():
        return have, False
    return secrets.token_urlsafe(24), True


def csrf_ok(request: Request, given: str | None) -> bool:
    """True when the form's token is the cookie's (compared in constant time)."""
    have = request.cookies.get(CSRF_COOKIE)
    return bool(have and given) and hmac.compare_digest(str(have), str(given))

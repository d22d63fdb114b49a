"""Sessions and CSRF protection for the pages.

- Staff log in with their user name and the access token ``callwarden cases add-user`` gave
  them; the browser then holds a cookie (``cw_staff``) with the user name, its expiry
  (:data:`STAFF_HOURS` hours) and a session secret, signed with a key only the server holds
  (the hash of the user's token, :func:`callwarden.cases.access.staff_key`): no token in the
  browser. The database keeps the session (:mod:`callwarden.staff.sessions`): one idle for
  :data:`STAFF_IDLE_MINUTES` minutes, or logged out, is refused, so a copied cookie stops
  working at logout. Every request looks the user up again, so a user switched off, or given a
  new token, is out at once.
- Customers hold the self-service session token the one-time code bought (cookie ``cw_self``),
  which the database expires; it sees one number only.
- Every form carries the value of the ``cw_csrf`` cookie in a hidden field (double submit);
  a POST whose field and cookie differ is refused. All cookies are HttpOnly and SameSite=Strict,
  and Secure when the request came over HTTPS.

>>> cookie = seal("k", "ann", 2000, "s3cret-s3cret-s3cret")
>>> unseal(cookie, {"ann": "k"}.get, 1000), unseal(cookie, {"ann": "other"}.get, 1000)
(('ann', 's3cret-s3cret-s3cret'), None)
>>> unseal(cookie, {"ann": "k"}.get, 3000), unseal("ann.2000.x.00", {"ann": "k"}.get, 1000)
(None, None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "CSRF_COOKIE",
    "CUSTOMER_COOKIE",
    "STAFF_COOKIE",
    "STAFF_HOURS",
    "STAFF_IDLE_MINUTES",
    "csrf_ok",
    "csrf_token",
    "seal",
    "set_cookie",
    "unseal",
]

STAFF_COOKIE = "cw_staff"
CUSTOMER_COOKIE = "cw_self"
CSRF_COOKIE = "cw_csrf"
LANG_COOKIE = "cw_lang"
STAFF_HOURS = 8
#: a staff session unused for this long is refused (log in again)
STAFF_IDLE_MINUTES = 30


def seal(key: str, username: str, expires: int, session: str) -> str:
    """The staff cookie: the user name, when it expires, the session's secret, and a signature
    with the user's key."""
    name = base64.urlsafe_b64encode(username.encode()).decode()
    msg = f"console|{name}|{expires}|{session}".encode()
    mac = hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()
    return f"{name}.{expires}.{session}.{mac}"


def unseal(
    cookie: str | None, key_of: Callable[[str], str | None], now: float
) -> tuple[str, str] | None:
    """The user name and session secret a staff cookie names, when its signature holds and it
    has not expired (the session itself is checked in the database after this)."""
    parts = (cookie or "").split(".")
    if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) <= now or len(parts[0]) > 100:
        return None
    try:
        username = base64.urlsafe_b64decode(parts[0].encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    key = key_of(username)
    if key is None:
        return None
    signed = seal(key, username, int(parts[1]), parts[2])
    return (username, parts[2]) if hmac.compare_digest(signed, cookie or "") else None


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

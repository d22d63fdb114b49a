"""Sessions and CSRF protection for the pages.

- Staff log in with their user name and the access token ``callwarden cases add-user`` gave
  them; the browser then holds a cookie (``cw_staff``) with the user name and its expiry
  (:data:`STAFF_HOURS` hours) signed with a key only the server holds (the hash of the user's
  token, :func:`callwarden.cases.access.staff_key`): no token in the browser, nothing kept in a
  process, so every worker of ``serve --workers N`` accepts it. Every request looks the user up
  again, so a user switched off, or given a new token, is out at once.
- Customers hold the self-service session token the one-time code bought (cookie ``cw_self``),
  which the database expires; it sees one number only.
- Every form carries the value of the ``cw_csrf`` cookie in a hidden field (double submit);
  a POST whose field and cookie differ is refused. All cookies are HttpOnly and SameSite=Strict,
  and Secure when the request came over HTTPS.

>>> cookie = seal("k", "ann", 2000)
>>> unseal(cookie, {"ann": "k"}.get, 1000), unseal(cookie, {"ann": "other"}.get, 1000)
('ann', None)
>>> unseal(cookie, {"ann": "k"}.get, 3000), unseal("ann.2000.00", {"ann": "k"}.get, 1000)
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


def seal(key: str, username: str, expires: int) -> str:
    """The staff cookie: the user name, when it expires, and a signature with the user's key."""
    name = base64.urlsafe_b64encode(username.encode()).decode()
    mac = hmac.new(key.encode(), f"console|{name}|{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{name}.{expires}.{mac}"


def unseal(cookie: str | None, key_of: Callable[[str], str | None], now: float) -> str | None:
    """The user name a staff cookie names, when its signature holds and it has not expired."""
    parts = (cookie or "").split(".")
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) <= now or len(parts[0]) > 100:
        return None
    try:
        username = base64.urlsafe_b64decode(parts[0].encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    key = key_of(username)
    if key is None:
        return None
    return (
        username if hmac.compare_digest(seal(key, username, int(parts[1])), cookie or "") else None
    )


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

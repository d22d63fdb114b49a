"""Rendering a page: the templates, the language, the CSRF token, the security headers.

Every answer carries a Content-Security-Policy that allows only this site's own files (no inline
script, no CDN), ``X-Frame-Options: DENY`` and ``no-store`` caching for pages with personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Path, Query
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.numbers import mask
from callwarden.web.i18n import language_of, texts
from callwarden.web.security import CSRF_COOKIE, LANG_COOKIE, csrf_token, set_cookie

__all__ = ["ENV", "FormErrors", "Id", "Offset", "language", "render", "secure_headers"]

ENV = Environment(
    loader=PackageLoader("callwarden.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FormErrors = dict[str, str]
#: an id in a page's path: the databases' ids are 32-bit (a larger one is a 422, never a 5xx)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a page number or cursor in a query string
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _local(value: str | datetime | None, zone: str = DEFAULT_TIMEZONE) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    s = abs(int(seconds))
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}"


ENV.filters["local"] = _local
ENV.filters["clock"] = _clock
ENV.filters["mask"] = mask


def language(request: Request) -> str:
    return language_of(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template filled in, in the request's language, with a CSRF token for its forms."""
    lang = language(request)
    token, new = csrf_token(request)
    other = "en" if lang == "zh" else "zh"
    query = dict(request.query_params) | {"lang": other}
    switch = str(request.url.path) + "?" + urlencode(query)
    html = ENV.get_template(template).render(
        t=texts(lang),
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        csrf=token,
        switch_url=switch,
        switch_label="English" if lang == "zh" else "中文",
        errors=context.pop("errors", {}),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if new:
        set_cookie(request, response, CSRF_COOKIE, token, 12 * 3600)
    if "lang" in request.query_params:
        set_cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    return secure_headers(response)  # type: ignore[return-value]

"""The web pages: the operator console (``/console``) and the customer self-service (``/self``).

Server-rendered Jinja2 templates with a little plain JavaScript, every file served from the
package (no CDN): see docs/console.md. Thin over :mod:`callwarden.cases` and the other services;
no SQL here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from callwarden.assistant.service import Assistant
from callwarden.cases.service import CaseService
from callwarden.realname.campaign import Campaign

__all__ = ["CALLS_ENV", "CAMPAIGNS_ENV", "mount_web"]

#: where the console reads call records for a number's charts (a canonical calls Parquet
#: file or folder); without it the number page shows the alerts' evidence only
CALLS_ENV = "CALLWARDEN_CALLS"
#: the real-name campaign files (TOML) the console shows, separated by the path separator
CAMPAIGNS_ENV = "CALLWARDEN_CAMPAIGNS"


def mount_web(
    app: FastAPI,
    service: CaseService,
    calls: Path | None = None,
    campaigns: Sequence[Campaign] | None = None,
) -> None:
    """Add ``/`` (the operator login), ``/console``, ``/self`` and ``/static`` to ``app``."""
    # imported here: the templates load when the app is built, not when the package is named
    from callwarden.web.console import console_app  # noqa: PLC0415
    from callwarden.web.selfservice import self_service_app  # noqa: PLC0415

    if calls is None and os.environ.get(CALLS_ENV):
        calls = Path(os.environ[CALLS_ENV])
    if campaigns is None:
        named = [p for p in os.environ.get(CAMPAIGNS_ENV, "").split(os.pathsep) if p.strip()]
        campaigns = [Campaign.load(Path(p.strip())) for p in named]

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=303)

    app.mount(
        "/static", StaticFiles(directory=str(files("callwarden.web") / "static")), name="web-static"
    )
    assistant = Assistant(service)
    assistant.ensure_articles()
    app.mount("/console", console_app(service, assistant, calls, campaigns), name="console")
    app.mount("/self", self_service_app(service, assistant), name="self-service")

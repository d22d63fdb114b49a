"""The web pages: the operator console (``/console``) and the customer self-service (``/self``).

Server-rendered Jinja2 templates with a little plain JavaScript, every file served from the
package (no CDN): see docs/console.md. Thin over :mod:`callwarden.cases` and the other services;
no SQL here.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from callwarden.assistant.service import Assistant
from callwarden.cases.service import CaseService

__all__ = ["CALLS_ENV", "mount_web"]

#: where the console reads call records for a number's charts (a canonical calls Parquet
#: file or folder); without it the number page shows the alerts' evidence only
CALLS_ENV = "CALLWARDEN_CALLS"


def mount_web(app: FastAPI, service: CaseService, calls: Path | None = None) -> None:
    """Add ``/`` (the operator login), ``/console``, ``/self`` and ``/static`` to ``app``."""
    # imported here: the templates load when the app is built, not when the package is named
    from callwarden.web.console import console_app  # noqa: PLC0415
    from callwarden.web.selfservice import self_service_app  # noqa: PLC0415

    if calls is None and os.environ.get(CALLS_ENV):
        calls = Path(os.environ[CALLS_ENV])

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=303)

    app.mount(
        "/static", StaticFiles(directory=str(files("callwarden.web") / "static")), name="web-static"
    )
    assistant = Assistant(service)
    assistant.ensure_articles()
    app.mount("/console", console_app(service, assistant, calls), name="console")
    app.mount("/self", self_service_app(service, assistant), name="self-service")

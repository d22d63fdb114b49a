"""Running the API under uvicorn with the settings' network rules.

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so any local client could
choose the address its self-service rate limit is counted against. callwarden turns that off
unless the settings name the proxies to trust (``[api] trusted_proxies``).

uvicorn runs with its C HTTP parser (httptools) and the libuv event loop (uvloop) where they
are installed (they are dependencies), and writes no access-log line per request unless
``[api] access_log`` asks for it: on the screening API both cost more than the decision.

>>> from callwarden.cases.config import ApiConfig
>>> uvicorn_options(ApiConfig())["proxy_headers"]
False
>>> uvicorn_options(ApiConfig(trusted_proxies=("10.0.0.2",)))["forwarded_allow_ips"]
'10.0.0.2'
>>> uvicorn_options(ApiConfig())["access_log"]
False
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from callwarden.api.app import create_app
from callwarden.cases.config import ApiConfig, CaseConfig
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService

__all__ = ["fast_options", "serve", "server", "uvicorn_options", "worker_app"]

#: what ``serve --workers N`` hands each worker process (uvicorn starts them by import string)
_DB_ENV = "CALLWARDEN_SERVE_DB"
_CONFIG_ENV = "CALLWARDEN_SERVE_CONFIG"


def uvicorn_options(settings: ApiConfig) -> dict[str, Any]:
    """uvicorn's proxy and logging settings for these API settings."""
    trusted = ",".join(settings.trusted_proxies)
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "access_log": settings.access_log,
    }


def fast_options() -> dict[str, Any]:
    """httptools and uvloop when installed; uvicorn's pure-Python defaults otherwise."""
    options: dict[str, Any] = {}
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    return options


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` process: its own service over the same database
    (each worker loads the marks into its own memory at startup)."""
    config = os.environ.get(_CONFIG_ENV)
    service = CaseService(
        open_database(os.environ[_DB_ENV]), CaseConfig.load(Path(config) if config else None)
    )
    return create_app(service)


def server(
    service: CaseService,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
) -> uvicorn.Server:
    """A uvicorn server for the API over ``service`` in this process (call ``.run()``)."""
    return uvicorn.Server(_config(create_app(service), service, host, port, log_level))


def serve(
    service: CaseService,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    *,
    workers: int = 1,
    db: str | None = None,
    config: Path | None = None,
) -> None:
    """Serve the API: in this process, or in ``workers`` processes sharing one socket, each
    over the database ``db`` (``service``'s settings ``config``)."""
    if workers <= 1:
        server(service, host, port, log_level).run()
        return
    if db is None:
        raise ValueError("several workers need the database's name (db)")
    os.environ[_DB_ENV] = db
    if config is not None:
        os.environ[_CONFIG_ENV] = str(config)
    # uvicorn's supervisor starts the workers and needs the app as an import string; a worker
    # loading millions of marks at startup answers its health check late: give it time
    patience: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        patience["timeout_worker_healthcheck"] = 120
    uvicorn.run(
        "callwarden.api.server:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=log_level,
        **fast_options(),
        **uvicorn_options(service.config.api),
        **patience,
    )


def _config(app: Any, service: CaseService, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        **fast_options(),
        **uvicorn_options(service.config.api),
    )

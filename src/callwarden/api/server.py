"""Running the API under uvicorn with the settings' network rules.

uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so any local client could
choose the address its self-service rate limit is counted against. callwarden turns that off
unless the settings name the proxies to trust (``[api] trusted_proxies``).

>>> from callwarden.cases.config import ApiConfig
>>> uvicorn_options(ApiConfig())["proxy_headers"]
False
>>> uvicorn_options(ApiConfig(trusted_proxies=("10.0.0.2",)))["forwarded_allow_ips"]
'10.0.0.2'
"""

from __future__ import annotations

from typing import Any

import uvicorn

from callwarden.api.app import create_app
from callwarden.cases.config import ApiConfig
from callwarden.cases.service import CaseService

__all__ = ["server", "uvicorn_options"]


def uvicorn_options(settings: ApiConfig) -> dict[str, Any]:
    """uvicorn's proxy settings for these API settings."""
    trusted = ",".join(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def server(
    service: CaseService, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> uvicorn.Server:
    """A uvicorn server for the API over ``service`` (call ``.run()``)."""
    config = uvicorn.Config(
        create_app(service),
        host=host,
        port=port,
        log_level=log_level,
        **uvicorn_options(service.config.api),
    )
    return uvicorn.Server(config)

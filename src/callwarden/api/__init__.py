"""The REST API (FastAPI): thin routers over the case service. OpenAPI at ``/docs``."""

from __future__ import annotations

from callwarden.api.app import create_app

__all__ = ["create_app"]

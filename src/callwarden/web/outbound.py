"""The console's view of outbound compliance (外呼合规): each business with its policy, its
consent and refusal registers, the pre-dial check log with the week's refusals by reason and
caller line, and the audit of a day's calls (a file the analyst uploads) by seat and by line.

Thin over :mod:`callwarden.compliance`: the registers and the log are read by
:mod:`callwarden.compliance.views`; the audit is :func:`~callwarden.compliance.audit.audit_calls`
over the business's registers, the one ``callwarden outbound audit`` prints. Analysts and
supervisors only, as for the other figures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import Response

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.service import CaseService
from callwarden.compliance import views
from callwarden.compliance.audit import audit_calls, read_calls
from callwarden.compliance.feed import people_of
from callwarden.compliance.policy import parse_policy
from callwarden.compliance.rules import CODES
from callwarden.errors import CallwardenError, Forbidden
from callwarden.web.charts import bars
from callwarden.web.forms import file_of
from callwarden.web.i18n import texts
from callwarden.web.pages import language

__all__ = ["AUDIT_MAX_BYTES", "add_outbound"]

_READERS = (Role.analyst, Role.supervisor)
#: the largest calls file the console audits (a day of a call centre; larger ones: the CLI)
AUDIT_MAX_BYTES = 20_000_000
_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".parquet")


def add_outbound(
    app: FastAPI,
    service: CaseService,
    who: Callable[[Request], Actor],
    form_of: Callable[[Request], Any],
    page: Callable[..., Response],
) -> None:
    """Add ``/outbound`` and ``/outbound/audit`` to the console app."""

    def reader(request: Request) -> Actor:
        actor = who(request)
        if actor.role not in _READERS:
            raise Forbidden(f"{actor.role.with_article} may not see outbound compliance")
        return actor

    def outbound_page(
        request: Request, actor: Actor, business: str, denied: bool, **extra: Any
    ) -> Response:
        lang = language(request)
        t = texts(lang)
        with service.db.reads() as s:
            found = views.businesses(s)
            chosen = next((b for b in found if b["name"] == business), None) or (
                found[0] if found else None
            )
            detail: dict[str, Any] = {}
            if chosen is not None:
                since = service.now() - timedelta(days=7)
                detail = {
                    "summary": views.check_summary(s, chosen["id"], since),
                    "checks": views.checks(s, chosen["id"], denied_only=denied, limit=50),
                    "consents": views.register(s, chosen["id"], "consent", limit=20),
                    "refusals": views.register(s, chosen["id"], "refusal", limit=20),
                }
        names = {code: (zh if lang == "zh" else en) for code, (_, zh, en) in CODES.items()}
        chart = None
        if detail:
            chart = bars(
                [(names.get(c, c), n) for c, n in detail["summary"]["by_reason"].items()],
                label=t("ob_refused_by_reason"),
                colour="#d1242f",
            )
        return page(
            request,
            "outbound.html",
            actor,
            businesses=found,
            chosen=chosen,
            denied=denied,
            detail=detail,
            chart=chart,
            rule_names=names,
            **extra,
        )

    @app.get("/outbound")
    def outbound(request: Request, business: str = "", denied: str = "") -> Response:
        actor = reader(request)
        return outbound_page(request, actor, business[:64], denied == "on")

    @app.post("/outbound/audit")
    async def audit(request: Request) -> Response:
        actor = reader(request)
        form = await form_of(request)
        name = str(form.get("business") or "")[:64]
        errors: dict[str, str] = {}
        result: dict[str, Any] | None = None
        got = await file_of(form, AUDIT_MAX_BYTES)
        with service.db.reads() as s:
            business = next((b for b in views.businesses(s) if b["name"] == name), None)
        if business is None:
            errors["business"] = "choose a business"
        elif isinstance(got, dict):
            errors.update(got)
        else:
            filename, data = got
            suffix = Path(filename).suffix.lower()
            if len(data) > AUDIT_MAX_BYTES:
                errors["file"] = f"the file is larger than {AUDIT_MAX_BYTES // 1_000_000} MB"
            elif suffix not in _SUFFIXES:
                errors["file"] = "a CSV, TSV or Parquet file of calls"
            else:
                result, errors = _audit(service, business, data, suffix)
        return outbound_page(
            request,
            actor,
            name,
            False,
            audit=result,
            audit_file=got[0] if isinstance(got, tuple) else "",
            errors=errors,
            status=422 if errors else 200,
        )


def _audit(
    service: CaseService, business: dict[str, Any], data: bytes, suffix: str
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The audit of the calls in ``data`` against the business's policy and registers."""
    with tempfile.TemporaryDirectory(prefix="callwarden-audit-") as folder:
        path = Path(folder) / f"calls{suffix}"
        path.write_bytes(data)
        try:
            calls = read_calls(path)
            policy = parse_policy(business["policy"], f"{business['name']} policy")
            consents, refusals = people_of(service.db, business["id"])
            result = audit_calls(business["name"], calls, policy, consents, refusals)
        except (CallwardenError, pl.exceptions.PolarsError, ValueError) as exc:
            return None, {"file": str(exc).replace(str(path), "the file")[:300]}
    return result.as_dict(top=20), {}

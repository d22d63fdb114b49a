"""Reading the pages' forms into the services' own input models, with errors per field.

A form's fields are strings; the case actions take :class:`ActionIn`. A bad value becomes a
message beside its field, never an exception page.

>>> action_of({"action": "review", "verdict": "approve", "reason": "ok"})[0].verdict
'approve'
>>> action_of({"action": "survey", "rating": "9"})[1]
{'rating': 'Input should be less than or equal to 5'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import UploadFile

from callwarden.cases.access import Actor
from callwarden.cases.schemas import ActionIn
from callwarden.cases.service import CaseService
from callwarden.documents import store
from callwarden.errors import CaseError, NotFound, Unauthorized

__all__ = ["action_of", "errors_of", "file_of", "upload_of"]

_REQUESTER = ("relationship", "document")


def errors_of(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as {field: message}, the first message of each field."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        field = loc[-1] if loc else "form"
        out.setdefault(field, err["msg"])
    return out


def action_of(form: Mapping[str, Any]) -> tuple[ActionIn | None, dict[str, str]]:
    """The action a case page's form asks for, or the errors by field."""
    data: dict[str, Any] = {"action": form.get("action") or ""}
    for key in ("verdict", "reason", "channel"):
        value = str(form.get(key) or "").strip()
        if value:
            data[key] = value
    if form.get("rating"):
        data["rating"] = form.get("rating")
    items = form.getlist("items") if hasattr(form, "getlist") else form.get("items", [])
    if items:
        data["items"] = [str(i) for i in items]
    if form.get("expected_version"):
        data["expected_version"] = form.get("expected_version")
    if any(form.get(k) for k in _REQUESTER):
        requester: dict[str, Any] = {k: form.get(k) for k in _REQUESTER if form.get(k)}
        requester["minor"] = form.get("minor") == "on"
        requester["forgotten_password"] = form.get("forgotten_password") == "on"
        data["requester"] = requester
    try:
        return ActionIn.model_validate(data), {}
    except ValidationError as exc:
        return None, errors_of(exc)


async def upload_of(
    service: CaseService, actor: Actor, form: Mapping[str, Any], case_of: Callable[[], int]
) -> dict[str, str]:
    """Keep the file a page's upload form sent on the case ``case_of`` names (the console's
    case in its path, the customer's latest case); the errors by field, empty when it was kept.

    The file is read to one byte over the limit (the store refuses it by its size, its first
    bytes, the case's state and the actor's role); a case that is not the actor's, or a lost
    session, is raised for the page's own handling (404, the login)."""
    got = await file_of(form, store.MAX_BYTES)
    if isinstance(got, dict):
        return got
    filename, data = got
    try:
        case_id = case_of()
        with service.db.sessions.begin() as s:
            store.add_document(
                s,
                actor,
                case_id,
                kind=str(form.get("kind") or ""),
                filename=filename,
                data=data,
                now=service.now(),
            )
    except (Unauthorized, NotFound):
        raise
    except CaseError as exc:
        return {exc.field or "file": str(exc)}
    return {}


async def file_of(
    form: Mapping[str, Any], limit: int, field: str = "file"
) -> tuple[str, bytes] | dict[str, str]:
    """The file a form sent in ``field``: its name and at most ``limit`` + 1 bytes (so the
    caller, or the store, can tell it is too large without reading it all); or the error by
    field when none was chosen or it is empty."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        return {field: "choose a file"}
    data = await upload.read(limit + 1)
    return (upload.filename or "file"), data

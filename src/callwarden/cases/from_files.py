"""Alerts files (as ``callwarden score`` writes them) into case-service inputs.

The owner's profile rides along from the subscribers records, so the checklist knows the owner's
age and whether the SIM is a corporate one.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import ValidationError

from callwarden.cases.schemas import AlertIn
from callwarden.errors import InputFileError

__all__ = ["alerts_from_frame"]

_PROFILE = ("owner_birth_year", "owner_type", "realname_status", "region", "whitelisted")


def alerts_from_frame(
    alerts: pl.DataFrame, subscribers: pl.DataFrame | None, *, source: str = "alerts"
) -> list[AlertIn]:
    """One :class:`AlertIn` per row, in flagged_at order; a bad row names its row and field."""
    frame = alerts.sort("flagged_at", maintain_order=True)
    profiles: dict[str, dict[str, Any]] = {}
    if subscribers is not None:
        wanted = frame.select("msisdn").unique()
        subs = subscribers.join(wanted, on="msisdn", how="semi")
        cols = [c for c in _PROFILE if c in subs.columns]
        for row in subs.select("msisdn", *cols).iter_rows(named=True):
            msisdn = row.pop("msisdn")
            profiles[msisdn] = {k: v for k, v in row.items() if v is not None}
    out = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["msisdn"] in profiles:
            row["subscriber"] = profiles[row["msisdn"]]
        try:
            out.append(AlertIn.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise InputFileError(source, f"row {i + 1}: {field}: {err['msg']}") from None
    return out

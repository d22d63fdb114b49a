"""Alerts (files, stream batches, API bodies) into case-service inputs, one row at a time.

The owner's profile rides along from the subscribers records, so the checklist knows the owner's
age and whether the SIM is a corporate one. No path fails on one record: a row that cannot
become a case input is set aside with its row number and reason, and the rest go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import ValidationError

from callwarden.cases.schemas import AlertIn

if TYPE_CHECKING:
    from callwarden.cases.service import IntakeResult

__all__ = ["IntakeCounts", "Rejected", "alerts_from_frame", "validate_alert"]

_PROFILE = ("owner_birth_year", "owner_type", "realname_status", "region", "whitelisted")


@dataclass(frozen=True)
class Rejected:
    """An alert that did not become a case, and why (``row`` counts from 1)."""

    row: int
    msisdn: str
    reason: str

    def line(self, source: str) -> str:
        return f"{source}: row {self.row}: {self.reason}"


def validate_alert(row: dict[str, Any], position: int) -> AlertIn | Rejected:
    """One alert row as an :class:`AlertIn`, or why it cannot be one."""
    try:
        return AlertIn.model_validate(row)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(row)"
        msisdn = str(row.get("msisdn"))[:40] if isinstance(row, dict) else "?"
        return Rejected(position, msisdn, f"{field}: {err['msg']}")


def alerts_from_frame(
    alerts: pl.DataFrame, subscribers: pl.DataFrame | None
) -> tuple[list[AlertIn], list[Rejected]]:
    """The alerts that can be taken in, in flagged_at order, and those that cannot.

    >>> frame = pl.DataFrame({"msisdn": ["13812345678", "hello"], "score": [0.97, 0.97],
    ...     "flagged_at": ["2026-07-08T10:00:00Z"] * 2, "decision": ["suspend"] * 2})
    >>> ok, rejected = alerts_from_frame(frame, None)
    >>> [a.msisdn for a in ok], [(r.row, r.reason[:34]) for r in rejected]
    (['+8613812345678'], [(2, "msisdn: Value error, 'hello' is ne")])
    """
    frame = alerts.with_row_index("_row", offset=1)
    if alerts.schema.get("flagged_at") == pl.Datetime:
        frame = frame.sort("flagged_at", maintain_order=True, nulls_last=True)
    profiles: dict[str, dict[str, Any]] = {}
    if subscribers is not None and "msisdn" in frame.columns:
        wanted = frame.select(pl.col("msisdn").cast(pl.String)).unique()
        subs = subscribers.join(wanted, on="msisdn", how="semi")
        cols = [c for c in _PROFILE if c in subs.columns]
        for row in subs.select("msisdn", *cols).iter_rows(named=True):
            msisdn = row.pop("msisdn")
            profiles[msisdn] = {k: v for k, v in row.items() if v is not None}
    out: list[AlertIn] = []
    rejected: list[Rejected] = []
    for row in frame.iter_rows(named=True):
        position = int(row.pop("_row"))
        msisdn = row.get("msisdn")
        if isinstance(msisdn, str) and msisdn in profiles:
            row["subscriber"] = profiles[msisdn]
        checked = validate_alert(row, position)
        if isinstance(checked, Rejected):
            rejected.append(checked)
        else:
            out.append(checked)
    return out, rejected


@dataclass(frozen=True)
class IntakeCounts:
    """What became of a batch of alerts; ``alerts`` is always the sum of the rest."""

    alerts: int
    cases_opened: int
    interceptions: int
    added_to_open_cases: int
    already_received: int
    evidence_only: int
    reported: int

    @classmethod
    def of(cls, results: Sequence[IntakeResult], rejected: Sequence[Rejected]) -> IntakeCounts:
        failed = [r for r in results if r.error is not None]
        taken = [r for r in results if r.error is None]
        opened = sum(r.opened and not r.intercepted for r in taken)
        intercepted = sum(r.opened and r.intercepted for r in taken)
        dup = sum(r.duplicate for r in taken)
        added = sum(not r.opened and not r.duplicate and r.case_id is not None for r in taken)
        evidence = sum(not r.duplicate and r.case_id is None for r in taken)
        return cls(
            alerts=len(results) + len(rejected),
            cases_opened=opened,
            interceptions=intercepted,
            added_to_open_cases=added,
            already_received=dup,
            evidence_only=evidence,
            reported=len(rejected) + len(failed),
        )

    def line(self) -> str:
        """One line for people: ``12 alerts = 3 cases opened + 2 interceptions + ...``."""
        return (
            f"{self.alerts:,} alerts = {self.cases_opened:,} cases opened"
            f" + {self.interceptions:,} interceptions"
            f" + {self.added_to_open_cases:,} added to open cases"
            f" + {self.already_received:,} already received"
            f" + {self.evidence_only:,} watch or evidence only"
            f" + {self.reported:,} reported (could not become a case)"
        )

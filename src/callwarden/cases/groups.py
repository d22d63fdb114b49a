"""A campaign group's numbers and their cases, linked through the group id of their alerts.

The campaign pass (``detect/campaigns.py``) gives every alert about a group the group's id in
its reason's evidence; the case database keeps every alert with its reasons. This finds a
group's alerted numbers and their cases, and the group of a case, so that one look at a case
shows the other lines of the same call centre.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from callwarden.cases.models import Alert
from callwarden.detect.campaigns import group_of

__all__ = ["group_of_case", "numbers_of_group"]


def numbers_of_group(s: Session, group_id: str) -> list[dict[str, Any]]:
    """Every number alerted as a member of ``group_id``: ``msisdn``, its highest ``decision``
    seen, ``case_id`` (the case of its latest alert, if any), sorted by number."""
    rows = s.execute(
        select(Alert.msisdn, Alert.decision, Alert.case_id, Alert.flagged_at, Alert.reasons)
        .where(cast(Alert.reasons, String).like(f"%{group_id}%"))
        .order_by(Alert.flagged_at)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for msisdn, decision, case_id, _, reasons in rows:
        if group_of(reasons) != group_id:
            continue
        entry = out.setdefault(msisdn, {"msisdn": msisdn, "decisions": [], "case_id": None})
        entry["decisions"].append(decision)
        entry["case_id"] = case_id if case_id is not None else entry["case_id"]
    return [out[m] for m in sorted(out)]


def group_of_case(s: Session, case_id: int) -> str | None:
    """The campaign group of a case's alerts (the latest that names one), if any."""
    rows = s.execute(
        select(Alert.reasons).where(Alert.case_id == case_id).order_by(Alert.flagged_at.desc())
    ).all()
    for (reasons,) in rows:
        gid = group_of(reasons)
        if gid is not None:
            return gid
    return None

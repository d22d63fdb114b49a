"""A campaign group's numbers and their cases, linked through the group id of their alerts.

The campaign pass (``detect/campaigns.py``) gives every alert about a group the group's id in
its reason's evidence, with the group's members and the cues that tie them; the case database
keeps every alert with its reasons. This finds a group's alerted numbers and their cases, and
the group of a case, so that one look at a case shows the other lines of the same call centre
(``GET /api/v1/campaign-groups/{group_id}``, the case's ``campaign_group`` and its page in the
console). Members the group named that have no alert of the group (a line already at a
higher decision by another alert, which the group did not raise) are listed too.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.models import Alert
from callwarden.cases.overview import DECISIONS
from callwarden.detect.reasons import campaign_reason, group_of
from callwarden.errors import NotFound, Unprocessable

__all__ = ["GROUP_ID", "group_of_case", "group_view", "numbers_of_group", "stored_group"]

#: what a group id looks like (``campaign-`` and a short hexadecimal digest)
GROUP_ID: Final = re.compile(r"^campaign-[0-9a-f]{1,32}$")


def stored_group(reasons: list[dict[str, Any]] | None) -> str | None:
    """The group id an alert's reasons name, as the alerts table indexes it: only an id of
    the campaign pass's shape (an alert submitted by hand may name anything)."""
    gid = group_of(reasons)
    return gid if gid is not None and GROUP_ID.match(gid) else None


def numbers_of_group(s: Session, group_id: str) -> list[dict[str, Any]]:
    """Every number alerted as a member of ``group_id``: ``msisdn``, its ``decisions`` in
    time order, ``case_id`` (the case of its latest alert, if any), sorted by number."""
    return [
        {"msisdn": m, "decisions": n["decisions"], "case_id": n["case_id"]}
        for m, n in _alerted(s, group_id)[0].items()
    ]


def _alerted(s: Session, group_id: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The group's alerted numbers (sorted) and the evidence of its latest alert."""
    rows = s.execute(
        select(Alert.msisdn, Alert.decision, Alert.case_id, Alert.flagged_at, Alert.reasons)
        .where(Alert.campaign_group == group_id)
        .order_by(Alert.flagged_at, Alert.alert_id)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    latest: dict[str, Any] = {}
    for msisdn, decision, case_id, flagged_at, reasons in rows:
        reason = campaign_reason(reasons)
        if reason is None or reason["evidence"].get("group_id") != group_id:
            continue
        entry = out.setdefault(msisdn, {"decisions": [], "case_id": None})
        entry["decisions"].append(decision)
        entry["case_id"] = case_id if case_id is not None else entry["case_id"]
        latest = reason["evidence"] | {
            "text_zh": reason.get("text_zh"), "text_en": reason.get("text_en"),
            "flagged_at": flagged_at,
        }  # fmt: skip
    return {m: out[m] for m in sorted(out)}, latest


def group_view(s: Session, actor: Actor, group_id: str) -> dict[str, Any]:
    """A group for the staff: its cues and members as its latest alert gave them, and every
    number (alerted or only named) with its highest decision and case. Numbers are shown as in
    the case lists (whole for analysts and supervisors); customers see no group."""
    if not GROUP_ID.match(group_id):
        raise Unprocessable("group_id", "a group id is 'campaign-' and a hexadecimal digest")
    alerted, latest = _alerted(s, group_id)
    if actor.role is Role.customer or not alerted:
        raise NotFound(f"no campaign group {group_id}")
    named = [str(m) for m in _listed(latest.get("members"))]
    numbers = [
        {
            "msisdn": actor.shows(m),
            "decision": max(n["decisions"], key=_level) if n else None,
            "decisions": n["decisions"] if n else [],
            "case_id": n["case_id"] if n else None,
            "alerted": bool(n),
        }
        for m, n in sorted({**{m: {} for m in named}, **alerted}.items())
    ]
    return {
        "group_id": group_id,
        "cues": [str(c) for c in _listed(latest.get("cues"))],
        "text_zh": _masked(latest.get("text_zh"), named, actor),
        "text_en": _masked(latest.get("text_en"), named, actor),
        "members": len(named),
        "linked": latest.get("linked"),
        "latest_at": latest["flagged_at"].isoformat(),
        "numbers": numbers,
        "alerted": len(alerted),
        "cases": sorted({n["case_id"] for n in alerted.values() if n["case_id"] is not None}),
    }


def _listed(value: object) -> list[Any]:
    """A list from the evidence, or none (an alert submitted by hand may hold anything)."""
    return value if isinstance(value, list) else []


def _masked(text: str | None, numbers: list[str], actor: Actor) -> str | None:
    """The reason's text with the members' numbers as the actor may see them."""
    for m in numbers:
        text = text.replace(m, actor.shows(m)) if text else text
    return text


def _level(decision: str) -> int:
    return DECISIONS.index(decision) if decision in DECISIONS else -1


def group_of_case(s: Session, case_id: int) -> str | None:
    """The campaign group of a case's alerts (the latest that names one), if any."""
    return s.execute(
        select(Alert.campaign_group)
        .where(Alert.case_id == case_id, Alert.campaign_group.is_not(None))
        .order_by(Alert.flagged_at.desc(), Alert.alert_id.desc())
        .limit(1)
    ).scalar()

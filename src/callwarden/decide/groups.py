"""The policy on a campaign group: one decision for the group, taken number by number.

A group found by ``detect/campaigns.py`` carries one score. Each of its flagged members steps
the same :class:`~callwarden.decide.policy.DecisionState` as every other alert, with that score,
at the checkpoint's local day, so the same caps and allow lists hold: an allow-listed line stays
at or below ``allow_list_ceiling``, suspensions count against the daily cap (the overflow goes to
review), numbers the operator does not serve are intercepted. Members are taken in sorted order,
so batch and stream spend the cap on the same numbers. Each alert carries the group's reason,
with the group id and its members in the evidence.

>>> from callwarden.decide.policy import PolicyConfig
>>> from callwarden.detect.campaigns import CampaignGroup
>>> g = CampaignGroup("campaign-1", ["+8617000000001", "+8617000000003"], 3,
...                   ["shared_callees", "no_inbound"], 0.7, 0.0)
>>> rows = group_rows(DecisionState(PolicyConfig()), [g], 10, set(), "Asia/Shanghai")
>>> [(r["msisdn"], r["decision"]) for r in rows]
[('+8617000000001', 'review'), ('+8617000000003', 'review')]
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from callwarden.decide.policy import DecisionState
from callwarden.detect.campaigns import CampaignGroup, utc_of

__all__ = ["group_rows"]


def group_rows(
    state: DecisionState,
    groups: list[CampaignGroup],
    at_us: int,
    allowed: set[str],
    timezone: str,
    hits: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Alert rows the groups raise at the checkpoint ``at_us`` (µs, UTC), stamped with it: the
    moment the group was seen, after every record before it."""
    day = utc_of(at_us).astimezone(ZoneInfo(timezone)).date().isoformat()
    rows: list[dict[str, Any]] = []
    for g in groups:
        if g.score < state.policy.watch:
            continue
        record = g.reason().as_record()
        for m in g.members:
            decision = state.step(m, day=day, score=g.score, allowed=m in allowed)
            if decision is None:
                continue
            if hits is not None:
                hits[record["code"]] = hits.get(record["code"], 0) + 1
            rows.append(
                {
                    "msisdn": m,
                    "flagged_at": utc_of(at_us),
                    "score": round(g.score, 6),
                    "decision": decision,
                    "reasons": [record],
                }
            )
    return rows

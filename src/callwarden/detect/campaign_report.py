"""The campaign groups among alerts, one row a group (what ``make run`` and reports show).

A group alert carries the group's id, members and cues in its reason's evidence
(``detect/campaigns.py``); this reads them back from alerts, typed or read from a CSV.
"""

from __future__ import annotations

import json

import polars as pl

from callwarden.decide.policy import level_of
from callwarden.detect.campaigns import group_of

__all__ = ["campaign_groups"]


def campaign_groups(alerts: pl.DataFrame) -> pl.DataFrame:
    """One row per campaign group among the alerts: ``group``, ``numbers`` (members alerted),
    ``highest`` decision, ``cues`` (the group's cues when last seen), ``first_flagged``.

    >>> import datetime as dt
    >>> reason = {"code": "campaign", "evidence": '{"group_id": "campaign-1", "cues": ["a"]}'}
    >>> at = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
    >>> campaign_groups(pl.DataFrame({"msisdn": ["+1", "+2"], "flagged_at": [at, at],
    ...     "decision": ["review", "restrict"], "reasons": [[reason], [reason]]})).row(0)
    ('campaign-1', 2, 'restrict', 'a', datetime.datetime(2026, 7, 8, 10, 0, tzinfo=...))
    """
    rows = []
    for m, at, decision, reasons in alerts.select(
        "msisdn", "flagged_at", "decision", "reasons"
    ).iter_rows():
        gid = group_of(reasons if isinstance(reasons, list) else json.loads(reasons or "[]"))
        if gid is None:
            continue
        records = reasons if isinstance(reasons, list) else json.loads(reasons)
        ev = records[0].get("evidence") or "{}"
        cues = (json.loads(ev) if isinstance(ev, str) else ev).get("cues", [])
        rows.append((gid, m, at, level_of(decision), decision, ", ".join(cues)))
    schema: dict[str, pl.DataType] = {
        "group": pl.String(),
        "numbers": pl.UInt32(),
        "highest": pl.String(),
        "cues": pl.String(),
        "first_flagged": pl.Datetime("us", "UTC"),
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(
        rows, schema=["group", "msisdn", "at", "level", "decision", "cues"], orient="row"
    )
    return (
        frame.sort("at")
        .group_by("group", maintain_order=True)
        .agg(
            numbers=pl.col("msisdn").n_unique(),
            highest=pl.col("decision").sort_by("level").last(),
            cues=pl.col("cues").last(),
            first_flagged=pl.col("at").min(),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in schema.items())
    )

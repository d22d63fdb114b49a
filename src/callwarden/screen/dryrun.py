"""What a policy would have done with past calls, side by side with another (the one in force).

Each call is decided as the decision service would (same :func:`~callwarden.screen.decide.
decide`, same marks), nothing is logged. A caller the policy challenges keys what the calls file
says they keyed (``ivr_input``, as the simulator writes it) up to the retry limit; without that
column a challenged caller is counted as having hung up. Each call ends as one **outcome**:
``connected`` (to an agents' queue), ``auto_reply`` (out of hours), ``challenged`` (asked for
the code and never got through), or ``blocked``.

>>> from datetime import UTC, datetime
>>> from callwarden.screen.marktable import MarkTable
>>> from callwarden.screen.policy import parse_policy
>>> at = datetime(2026, 12, 2, 2, tzinfo=UTC)
>>> calls = pl.DataFrame({"caller": ["13812345678"], "start_time": [at]})
>>> out = replay(calls, parse_policy('block = ["13812345678"]'), MarkTable.empty(datetime.now(UTC)))
>>> out["outcome"].to_list()
['blocked']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from callwarden.errors import InputFileError
from callwarden.screen.callers import caller_of
from callwarden.screen.decide import Decision, decide
from callwarden.screen.marktable import MarkTable
from callwarden.screen.policy import Policy

__all__ = ["OUTCOMES", "DryRun", "compare", "outcome_of", "read_calls", "replay"]

OUTCOMES = ("connected", "auto_reply", "challenged", "blocked")


def read_calls(path: Path) -> tuple[pl.DataFrame, int]:
    """A calls file (CSV or Parquet) with ``caller`` and ``start_time``; the rows whose time
    cannot be read are left out and counted."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputFileError(path, f"cannot read the calls ({exc})") from None
    missing = [c for c in ("caller", "start_time") if c not in frame.columns]
    if missing:
        raise InputFileError(
            path, f"no column {', '.join(missing)} (give the calls columns: caller, start_time)"
        )
    if frame.schema["start_time"] == pl.String:
        frame = frame.with_columns(
            pl.col("start_time").str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
        )
    elif isinstance(frame.schema["start_time"], pl.Datetime):
        if frame.schema["start_time"].time_zone is None:
            frame = frame.with_columns(pl.col("start_time").dt.replace_time_zone("UTC"))
    else:
        raise InputFileError(path, "start_time: not a time")
    bad = frame["start_time"].null_count()
    frame = frame.filter(pl.col("start_time").is_not_null()).with_columns(
        pl.col("caller").cast(pl.String).fill_null("")
    )
    return frame, bad


def outcome_of(decision: Decision) -> str:
    """How a call ends after its last decision: one of :data:`OUTCOMES`."""
    if decision.action == "block":
        return "blocked"
    if decision.action == "challenge":
        return "challenged"
    if any(r.code == "out_of_hours" for r in decision.reasons):
        return "auto_reply"
    return "connected"


def replay(calls: pl.DataFrame, policy: Policy, table: MarkTable) -> pl.DataFrame:
    """Each call's decision under ``policy``: first action, queue, outcome, the deciding
    mark, the reasons' codes."""
    keyed = calls["ivr_input"].to_list() if "ivr_input" in calls.columns else None
    wrong: dict[str, int] = {}
    out: dict[str, list[object]] = {
        k: [] for k in ("action", "queue", "outcome", "category", "score", "reasons")
    }
    times: list[datetime] = calls["start_time"].to_list()
    for i, raw in enumerate(calls["caller"].to_list()):
        at = times[i] if times[i].tzinfo else times[i].replace(tzinfo=UTC)
        caller = caller_of(raw, policy.home_country)
        marks = table.lookup(caller.key, at) if caller.key else []
        first = decide(policy, caller, marks, at)
        final = first
        answer = str(keyed[i] or "") if keyed is not None else ""
        if first.action == "challenge" and answer and policy.challenge is not None:
            for _ in range(policy.challenge.retries):
                final = decide(policy, caller, marks, at, answer, wrong.get(raw, 0))
                if final.action != "challenge":
                    break
                wrong[raw] = wrong.get(raw, 0) + 1
            wrong.pop(raw, None)
        out["action"].append(first.action)
        out["queue"].append(final.queue)
        out["outcome"].append(outcome_of(final))
        out["category"].append(first.category)
        out["score"].append(None if first.score is None else round(first.score, 3))
        out["reasons"].append(
            " ".join(r.code for r in (*first.reasons, *final.reasons[len(first.reasons) :]))
        )
    return pl.DataFrame(
        out,
        schema={
            "action": pl.String,
            "queue": pl.String,
            "outcome": pl.String,
            "category": pl.String,
            "score": pl.Float64,
            "reasons": pl.String,
        },
    )


@dataclass
class DryRun:
    """Two policies over the same calls."""

    #: the calls with ``current_*`` and ``new_*`` columns
    calls: pl.DataFrame
    #: outcomes per caller kind (``truth`` when the file has it), current and new side by side
    summary: pl.DataFrame
    changed: int
    unreadable_times: int = 0


def compare(calls: pl.DataFrame, current: Policy, new: Policy, table: MarkTable) -> DryRun:
    """Replay ``calls`` under both policies."""
    now = replay(calls, current, table)
    then = replay(calls, new, table)
    both = pl.concat(
        [
            calls,
            now.rename({c: f"current_{c}" for c in now.columns}),
            then.rename({c: f"new_{c}" for c in then.columns}),
        ],
        how="horizontal",
    )
    group = "truth" if "truth" in calls.columns else None
    keyed = both.with_columns(kind=pl.col(group) if group else pl.lit("all calls"))
    summary = keyed.group_by("kind").agg(
        pl.len().alias("calls"),
        *[
            (pl.col(f"{side}_outcome") == o).sum().alias(f"{side} {o}")
            for side in ("current", "new")
            for o in OUTCOMES
        ],
    )
    summary = summary.sort("calls", descending=True)
    changed = both.filter(pl.col("current_outcome") != pl.col("new_outcome")).height
    return DryRun(both, summary, changed)

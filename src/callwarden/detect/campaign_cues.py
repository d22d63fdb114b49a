"""What a campaign group shows, and what each of its numbers shows on its own.

The cues of a group (:func:`group_cues`), how honest its work looks (:func:`honesty`), and per
member the cues it shows itself (:func:`member_cues`): see :mod:`callwarden.detect.campaigns`
for what each means and how they are used.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from callwarden.detect.campaigns import CampaignConfig

__all__ = ["TIES", "group_cues", "honesty", "member_cues", "member_honest"]

_US = 1_000_000


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def group_cues(
    g: pl.DataFrame, shared: tuple[int, int], window_start: int, cfg: CampaignConfig, at_us: int
) -> list[str]:
    """The cues a group shows (see the module's notes); ``shared``: its calls, and those to
    callees another member calls too."""
    n = g.height
    cues = []
    total, shared_calls = shared
    if shared_calls >= max(3, 0.2 * total):
        cues.append("shared_callees")
    first, last = g["first"].to_numpy(), g["last"].to_numpy()
    spread = cfg.sync_s * _US
    # a start is seen only after the window's first call, a stop only before the checkpoint
    seen = (
        np.median(first) >= window_start + 2 * spread
        and np.median(last) <= at_us - 2 * spread
        and np.median(last) - np.median(first) >= 4 * spread  # a working session, not a moment
    )
    if (
        n >= 3
        and seen
        and np.median(np.abs(first - np.median(first))) <= spread
        and np.median(np.abs(last - np.median(last))) <= spread
    ):
        cues.append("synchronised")
    if _share_of_mode(g["cell"]) >= 0.5:
        cues.append("shared_cell")
    if g["imei"].drop_nulls().is_duplicated().any():
        cues.append("shared_device")
    if max(_share_of_mode(g["block"]), _share_of_mode(g["area"])) >= 0.5:
        cues.append("adjacent_numbers")
    if float(np.mean(g["virtual"].to_numpy())) >= 0.5:
        cues.append("virtual_range")
    if int(g["inbound"].sum()) <= 0.02 * int(g["calls"].sum()):
        cues.append("no_inbound")
    age = g["age_days"].drop_nulls()
    if age.len() and float(np.median(age.to_numpy())) < cfg.fresh_days:
        cues.append("fresh_sims")
    return cues


def _share_of_mode(values: pl.Series) -> float:
    counts = Counter(v for v in values.to_list() if v is not None)
    if not counts:
        return 0.0
    return max(counts.values()) / values.len()


def honesty(g: pl.DataFrame) -> float:
    """How much the group behaves like honest work, in [0, 1] (see the module's notes)."""
    calls = float(g["calls"].sum())
    answered = float(g["answered"].sum()) / calls
    talk = float(g["talk"].sum()) / calls
    back = float(g["callbacks"].sum()) / max(float(g["callees"].sum()), 1.0)
    repeat = float(g["repeat"].sum()) / calls
    age = g["age_days"].drop_nulls()
    established = (
        bool(g["enterprise"].all())
        and age.len() == g.height
        and float(np.min(age.to_numpy(), initial=np.inf)) >= 365
    )
    return max(
        _ramp(back, 0.1, 0.3),
        _ramp(talk, 0.15, 0.35),
        _ramp(repeat, 0.2, 0.4),
        _ramp(answered, 0.85, 0.95),
        0.6 if established else 0.0,
    )


#: cues that tie a line to the others (whom it calls with them, its device, cell, block,
#: hours), as against what many honest numbers share with no link at all (a new SIM, no calls
#: in yet, a virtual range)
TIES = ("shared_callees", "synchronised", "shared_cell", "shared_device", "adjacent_numbers")


def member_cues(
    g: pl.DataFrame, cues: list[str], cfg: CampaignConfig
) -> list[tuple[int, int, int]]:
    """How many of the group's cues each member shows on its own, how many of those are about
    the line itself (range, age, place, device, timing), not only whom it calls and who calls
    it, and how many tie it to the others (:data:`TIES`): a number that only touches the group
    (a courier whose customers were on the list too, a new subscriber nobody has called back
    yet whose one call of three reached a listed callee) is left out."""
    spread = cfg.sync_s * _US
    col = g.select(
        "grouped", "callees", "first", "last", "cell", "imei", "block", "area", "virtual",
        "inbound", "age_days",
    ).to_dict(as_series=False)  # fmt: skip
    # (a group is a handful of numbers: plain Python over its rows, not a query per check)
    first_mid, last_mid = statistics.median(col["first"]), statistics.median(col["last"])
    cell, block, area = _mode(col["cell"]), _mode(col["block"]), _mode(col["area"])
    devices = Counter(v for v in col["imei"] if v is not None)

    def same(value: Any, mode: Any) -> bool:
        return value is not None and mode is not None and value == mode

    identity = [c for c in cues if c not in ("shared_callees", "no_inbound")]
    ties = [c for c in cues if c in TIES]
    out = []
    for r in range(g.height):
        age = col["age_days"][r]
        shows = {
            # callees it shares with this group (not with anyone), a share of those it calls
            # and more than one: one person in common (called twice or not) is chance
            "shared_callees": col["grouped"][r] >= 2
            and col["grouped"][r] >= 0.25 * col["callees"][r],
            "synchronised": abs(col["first"][r] - first_mid) <= spread
            and abs(col["last"][r] - last_mid) <= spread,
            "shared_cell": same(col["cell"][r], cell),
            "shared_device": col["imei"][r] is not None and devices[col["imei"][r]] > 1,
            "adjacent_numbers": same(col["block"][r], block) or same(col["area"][r], area),
            "virtual_range": bool(col["virtual"][r]),
            "no_inbound": col["inbound"][r] == 0,
            "fresh_sims": age is not None and age < cfg.fresh_days,
        }
        out.append(
            (
                sum(shows[c] for c in cues),
                sum(shows[c] for c in identity),
                sum(shows[c] for c in ties),
            )
        )
    return out


def _mode(values: list[Any]) -> Any:
    """The most frequent value that is not None (the smallest of equals), or None."""
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    top = max(counts.values())
    return min(v for v, k in counts.items() if k == top)


def member_honest(row: dict[str, Any]) -> bool:
    return bool(row["talk_share"] >= 0.35 or row["back_share"] >= 0.3)

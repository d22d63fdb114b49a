"""What a campaign group shows, and what each of its numbers shows on its own.

For every component of the pass at once (columns of the nodes frame, no query per group):
the cues of each group, how honest its work looks, and per number the cues it shows itself;
see :mod:`callwarden.detect.campaigns` for what each means and how they are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from callwarden.detect.campaign_kernels import medians

if TYPE_CHECKING:
    from callwarden.detect.campaigns import CampaignConfig

__all__ = ["CUE_ORDER", "TIES", "Verdict", "chance_matches", "judge"]

_US = 1_000_000

#: the cues in the order a reason names them
CUE_ORDER = (
    "shared_callees",
    "synchronised",
    "shared_cell",
    "shared_device",
    "adjacent_numbers",
    "virtual_range",
    "no_inbound",
    "fresh_sims",
)

#: cues that tie a line to the others (whom it calls with them, its device, cell, block,
#: hours), as against what many honest numbers share with no link at all (a new SIM, no calls
#: in yet, a virtual range)
TIES = ("shared_callees", "synchronised", "shared_cell", "shared_device", "adjacent_numbers")

#: cues about whom a line calls and who calls it, not about the line itself
_NOT_IDENTITY = ("shared_callees", "no_inbound")


@dataclass
class Verdict:
    """One component: its cues (two or more), honesty, members, size and figures."""

    cues: list[str]
    honesty: float
    members: list[str]
    linked: int
    calls: float
    answered: float


class _Groups:
    """Rows sorted by group; per-group reductions over them."""

    def __init__(self, group: np.ndarray) -> None:
        self.keys, self.start, self.size = np.unique(group, return_index=True, return_counts=True)
        self.of_row = np.repeat(np.arange(self.keys.shape[0]), self.size)
        self.bounds = np.append(self.start, group.shape[0])  # (each group's rows, then the end)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.of_row, values, self.keys.shape[0])

    def median(self, values: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """Each group's median (``np.median``'s: the middle value, or the mean of the two
        middle ones) of its valid values; NaN where it has none."""
        out = np.empty(self.keys.shape[0], np.float64)
        ok = np.ones(values.shape[0], bool) if valid is None else valid
        medians(values.astype(np.float64), ok, self.bounds, out)
        return out


def _modes(frame: pl.DataFrame, col: str) -> pl.DataFrame:
    """``g``, ``{col}_mode`` (the most frequent value that is not null, the smallest of
    equals) and ``{col}_top`` (its count) of every group that has one."""
    return (
        frame.filter(pl.col(col).is_not_null())
        .group_by("g", col)
        .agg(k=pl.len())
        .sort(["g", "k", col], descending=[False, True, False])
        .group_by("g", maintain_order=True)
        .first()
        .select("g", pl.col(col).alias(f"{col}_mode"), pl.col("k").alias(f"{col}_top"))
    )


#: a member places at least this share of the calls of the group's median line
_PACE = 0.25


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(1.0, np.maximum(0.0, (x - lo) / (hi - lo)))


def judge(
    nodes: pl.DataFrame,
    shared: dict[int, tuple[int, int]],
    window_start: int,
    cfg: CampaignConfig,
    at_us: int,
    pairs: pl.DataFrame | None = None,
    hours: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[Verdict]:
    """The components of ``nodes`` that show two cues or more (``shared``: per component its
    calls, and those to callees another member calls too), with their members: the numbers
    that show most of the group's cues themselves, one of them about the line and one that
    ties it to the others, and whose own calls are not honest.

    ``pairs`` (``code``, ``b``: the nodes' distinct callees): where given, a number's callees
    shared with its group are counted again against the group's lines once they are known
    (:func:`_shared_with_members`). ``hours``: the first and last call and the calls of every
    node of the window, where given, tell a group's own hours from everybody's
    (:func:`_own_hours`) and what chance puts on them (:func:`chance_matches`)."""
    frame = nodes.sort("component", "a")
    groups = _Groups(frame["component"].to_numpy())
    frame = frame.with_columns(g=pl.Series(groups.of_row))
    n_groups, row, size = groups.keys.shape[0], groups.of_row, groups.size
    col = {
        c: frame[c].to_numpy()
        for c in ("calls", "answered", "talk", "callbacks", "callees", "repeat", "inbound")
    }
    col["grouped"] = frame["grouped"].to_numpy()
    first = frame["first"].to_numpy().astype(np.float64)
    last = frame["last"].to_numpy().astype(np.float64)
    age = frame["age_days"].fill_null(np.nan).to_numpy().astype(np.float64)
    aged = ~np.isnan(age)
    virtual = frame["virtual"].to_numpy().astype(bool)
    spread = cfg.sync_s * _US

    modes = pl.DataFrame({"g": np.arange(n_groups)})
    for c in ("cell", "imei", "block", "area"):
        modes = modes.join(_modes(frame, c), on="g", how="left", maintain_order="left")
    adjacent = _adjacent(frame, modes, groups)

    # the group's cues
    share = np.array([shared.get(int(c), (0, 0)) for c in groups.keys], np.int64).reshape(-1, 2)
    mid_first, mid_last = groups.median(first), groups.median(last)
    seen = (
        (mid_first >= window_start + 2 * spread)
        & (mid_last <= at_us - 2 * spread)
        & (mid_last - mid_first >= 4 * spread)  # a working session, not a moment
    )
    dev_first = groups.median(np.abs(first - mid_first[row]))
    dev_last = groups.median(np.abs(last - mid_last[row]))
    mid_age = groups.median(age, aged)
    # a number's first and last calls in the group's quarter hours tie it to the lines only
    # where that beats chance for a number of its calls among the window's (chance_matches)
    timed = _timed(
        first, last, (mid_first[row], mid_last[row]), col["calls"], spread,
        (first, last, col["calls"]) if hours is None else hours,
    )  # fmt: skip
    has = {
        "shared_callees": share[:, 1] >= np.maximum(3, 0.2 * share[:, 0]),
        "synchronised": (size >= 3)
        & seen
        & (dev_first <= spread)
        & (dev_last <= spread)
        & _own_hours(first, last, groups, (mid_first, mid_last), spread, hours)
        & (groups.sum(timed.astype(np.float64)) >= 2),  # two lines' hours beyond chance
        "shared_cell": modes["cell_top"].fill_null(0).to_numpy() / size >= 0.5,
        "shared_device": modes["imei_top"].fill_null(0).to_numpy() >= 2,
        "adjacent_numbers": adjacent[0],
        "virtual_range": groups.sum(virtual.astype(np.float64)) / size >= 0.5,
        "no_inbound": groups.sum(col["inbound"]) <= 0.02 * groups.sum(col["calls"]),
        "fresh_sims": ~np.isnan(mid_age) & (mid_age < cfg.fresh_days),
    }
    n_cues = sum(has[c].astype(np.int64) for c in CUE_ORDER)

    # what each number shows itself
    def same(c: str) -> np.ndarray:
        mine = frame.select(pl.col(c) == pl.Series(modes[f"{c}_mode"].gather(row)))
        return mine.to_series().fill_null(False).to_numpy()

    imei_count = (
        frame.join(
            frame.filter(pl.col("imei").is_not_null()).group_by("g", "imei").agg(k=pl.len()),
            on=["g", "imei"],
            how="left",
            maintain_order="left",
        )["k"]
        .fill_null(0)
        .to_numpy()
    )
    shows = {
        "shared_callees": (col["grouped"] >= 2) & (col["grouped"] >= 0.25 * col["callees"]),
        "synchronised": timed,
        "shared_cell": same("cell"),
        "shared_device": imei_count > 1,
        "adjacent_numbers": adjacent[1],
        "virtual_range": virtual,
        "no_inbound": col["inbound"] == 0,
        "fresh_sims": aged & (age < cfg.fresh_days),
    }
    counts = np.zeros((3, frame.height), np.int64)
    for c in CUE_ORDER:
        on = shows[c] & has[c][row]
        counts[0] += on
        counts[1] += on if c not in _NOT_IDENTITY else 0
        counts[2] += on if c in TIES else 0
    need = np.maximum(2, np.ceil(0.6 * n_cues))
    # honest calls; or a pace unlike the lines' (the lines of one call centre dial at a like
    # pace; a number placing a fraction of what the group's lines place at the median is a
    # person whose quiet hours match theirs)
    unlike = (
        (frame["talk_share"].to_numpy() >= 0.35)
        | (frame["back_share"].to_numpy() >= 0.3)
        | (col["calls"] < _PACE * groups.median(col["calls"].astype(np.float64))[row])
    )
    member = _members(counts, need[row], unlike)
    if pairs is not None:
        # the callees a number shares with its group are those the group's lines call, not
        # those of anyone its component touches: a person's friends are called by their other
        # friends and by the couriers and reminder lines that cross the group as well
        grouped = _shared_with_members(frame, pairs, member)
        mine = (grouped >= 2) & (grouped >= 0.25 * col["callees"])
        change = (mine.astype(np.int64) - shows["shared_callees"]) * has["shared_callees"][row]
        counts[0] += change  # (a cue and a tie, not about the line itself)
        counts[2] += change
        member = _members(counts, need[row], unlike)

    enterprise = frame["enterprise"].to_numpy().astype(bool)
    # one organisation's own block of numbers, held for years in its name, is no part of a
    # campaign whose list its notices cross by chance
    unlike |= _established_blocks(frame, age, aged, enterprise, member)
    member = _members(counts, need[row], unlike)
    # the members' own work says whether the group is honest: the numbers that only touch it
    # neither veto an honest reading (a courier beside a bank's lines) nor lend a campaign
    # their call-backs and talk
    score = honesty(groups, col, age, aged, enterprise, member)
    return _verdicts(frame["a"].to_list(), groups, col, has, n_cues >= 2, score, member)


def _verdicts(
    names: list[str], groups: _Groups, col: dict[str, np.ndarray], has: dict[str, np.ndarray],
    shown: np.ndarray, score: np.ndarray, member: np.ndarray,
) -> list[Verdict]:  # fmt: skip
    """The verdicts of the groups ``shown`` (two cues or more)."""
    calls, answered = groups.sum(col["calls"]), groups.sum(col["answered"])
    out = []
    for k in np.flatnonzero(shown).tolist():
        lo, n = int(groups.start[k]), int(groups.size[k])
        out.append(
            Verdict(
                cues=[c for c in CUE_ORDER if has[c][k]],
                honesty=float(score[k]),
                members=sorted(names[r] for r in range(lo, lo + n) if member[r]),
                linked=n,
                calls=float(calls[k]),
                answered=float(answered[k]),
            )
        )
    return out


#: an enterprise's line held this many days or more is one of its established lines
_ESTABLISHED_DAYS = 365


def _established_blocks(
    frame: pl.DataFrame, age: np.ndarray, aged: np.ndarray, enterprise: np.ndarray,
    member: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Per row: a member in a hundred-block with another member of its group, every member
    of that block an established enterprise line (registered to an enterprise, held a year
    or more).

    A component can hold more than one organisation: a campaign's lines and a bank's notice
    lines, a hospital's desk, that call many of the same people in one city by chance and so
    show the campaign's cues. An organisation's own lines are a block of its numbers that it
    has held for years under its name: such a block is the organisation's work beside the
    campaign and no part of it, whatever the rest of the group is. (How honest the calls
    themselves look is read over the whole group, :func:`honesty`: a few lines' call-backs
    are chance, and a campaign's blocks differ from one another by that much.)"""
    held = aged & (np.where(aged, age, -1.0) >= _ESTABLISHED_DAYS)
    rows = frame.select("component", "block").with_columns(
        member=pl.Series(member), est=pl.Series(enterprise & held)
    )
    block = ["component", "block"]
    mine = rows.select(
        pl.col("member"),
        n=pl.col("member").sum().over(block),
        all_est=(pl.col("est") | ~pl.col("member")).all().over(block),
    )
    out: np.ndarray = (mine["member"] & (mine["n"] >= 2) & mine["all_est"]).to_numpy()
    return out


def _members(counts: np.ndarray, need: np.ndarray, unlike: np.ndarray) -> np.ndarray:
    """Members: most of the group's cues (``need``), one about the line itself and one that
    ties it to the others; ``unlike``: honest calls, or a pace unlike the group's lines'."""
    member: np.ndarray = (counts[0] >= need) & (counts[1] >= 1) & (counts[2] >= 1) & ~unlike
    return member


def _adjacent(
    frame: pl.DataFrame, modes: pl.DataFrame, groups: _Groups
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, whether its numbers are adjacent (half of them or more in one hundred-block,
    or landlines of one area code); per number, whether it is in that block or area with
    another number of its group.

    An area code is a city's: where the group's numbers are fewer than half of the window's
    dialling numbers with that code (``area_nodes``, per number), the code is everybody's
    there, as a working day's hours are, and ties nobody (a city's landlines that ring a few
    people without calls in are many)."""
    row, size = groups.of_row, groups.size
    top = {c: modes[f"{c}_top"].fill_null(0).to_numpy() for c in ("block", "area")}

    def shared(c: str) -> np.ndarray:
        mine = frame.select(pl.col(c) == pl.Series(modes[f"{c}_mode"].gather(row)))
        out: np.ndarray = mine.to_series().fill_null(False).to_numpy() & (top[c][row] >= 2)
        return out

    in_block, in_area = shared("block"), shared("area")
    if "area_nodes" in frame.columns:
        in_area &= 2 * top["area"][row] >= frame["area_nodes"].fill_null(0).to_numpy()
        top["area"] = np.where(groups.sum(in_area.astype(np.float64)) > 0, top["area"], 0)
    has: np.ndarray = np.maximum(top["block"] / size, top["area"] / size) >= 0.5
    return has, in_block | in_area


def _timed(
    first: np.ndarray, last: np.ndarray, mid: tuple[np.ndarray, np.ndarray], calls: np.ndarray,
    spread: float, everyone: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:  # fmt: skip
    """Per number: its first and last call within ``spread`` of its group's median start and
    stop (``mid``, per row), beyond chance (:func:`chance_matches`) among the window's numbers
    (``everyone``: the first and last call and the calls of each) that place as many calls as
    it or more, over the window's day: from the first calls of all but the earliest
    twentieth of its numbers to the last calls of all but the latest twentieth."""
    on: np.ndarray = (np.abs(first - mid[0]) <= spread) & (np.abs(last - mid[1]) <= spread)
    if everyone[0].size == 0:
        return on
    day = float(np.quantile(everyone[1], 0.95) - np.quantile(everyone[0], 0.05))
    busy = np.sort(everyone[2])
    crowd = busy.size - np.searchsorted(busy, calls, "left")
    out: np.ndarray = on & (chance_matches(calls, mid[1] - mid[0], day, spread, crowd) < 1.0)
    return out


def chance_matches(
    calls: np.ndarray, session: np.ndarray, span: float, spread: float, crowd: np.ndarray | int
) -> np.ndarray:
    """How many of ``crowd`` numbers, each placing as many calls as a row's number (``calls``)
    at random times of a day ``span`` µs long, would start and stop within ``spread`` of a
    session's median start and stop (``session`` µs apart) by chance alone.

    A line of a shift is on the shift's hours over many calls: n calls fall in the first and
    last quarter hours and nowhere outside the session only with probability about
    ``n (n - 1) (w / span)^2 ((session + w) / span)^(n - 2)`` (``w`` the width ``2 spread``),
    which falls fast with n; a person with a handful of calls matches some session's hours
    often, and among a million subscribers' numbers hundreds do. The hours tie a number to the
    others only where fewer than one number as busy would match them by chance.

    >>> hour = 3_600_000_000.0
    >>> got = chance_matches(np.array([4, 60]), np.full(2, 9 * hour), 15 * hour, hour / 4, 50_000)
    >>> bool(got[0] > 1), bool(got[1] < 1e-6)
    (True, True)
    """
    n = np.maximum(calls.astype(np.float64), 2.0)
    w = 2.0 * spread
    span = max(span, w)
    inside = np.minimum(1.0, (np.maximum(session, 0.0) + w) / span)
    log_p = (
        np.log(n * (n - 1.0))
        + 2.0 * np.log(w / span)
        + (n - 2.0) * np.log(np.maximum(inside, 1e-300))
    )
    out: np.ndarray = crowd * np.exp(np.minimum(log_p, 0.0))
    return out


def _own_hours(
    first: np.ndarray, last: np.ndarray, groups: _Groups, mid: tuple[np.ndarray, np.ndarray],
    spread: float, hours: tuple[np.ndarray, ...] | None,
) -> np.ndarray:  # fmt: skip
    """Per group: whether most of the window's nodes that start and stop in the quarter hours
    of its median start and stop are its own (``hours``: every node's first and last call;
    None: every group's hours are its own).

    Lines switched on and off together are one operator's; but a working day that starts at
    nine and ends at six is everybody's, and at a million subscribers hundreds of quiet people
    start and stop in the quarter hours a robocaller does: there, starting and stopping
    together ties nobody."""
    n = groups.keys.shape[0]
    if hours is None:
        return np.ones(n, bool)
    row = groups.of_row
    mine = (np.abs(first - mid[0][row]) <= spread) & (np.abs(last - mid[1][row]) <= spread)
    own = np.bincount(row, mine.astype(np.int64), n)
    order = np.argsort(hours[0], kind="stable")
    starts, stops = hours[0][order], hours[1][order]
    lo = np.searchsorted(starts, mid[0] - spread, "left")
    hi = np.searchsorted(starts, mid[0] + spread, "right")
    near = zip(lo, hi, mid[1], strict=True)
    everyone = np.array([np.count_nonzero(np.abs(stops[a:b] - m) <= spread) for a, b, m in near])
    out: np.ndarray = 2 * own >= everyone
    return out


def _shared_with_members(
    frame: pl.DataFrame, pairs: pl.DataFrame, member: np.ndarray
) -> np.ndarray:
    """Per row of ``frame``: its distinct callees that another member of its component calls
    (``pairs``: ``code``, ``b``, one row per number and callee)."""
    rows = frame.select("code", "component", member=pl.Series(member))
    both = pairs.select("code", "b").join(rows, on="code")
    k = both.filter(pl.col("member")).group_by("component", "b").agg(k=pl.len())
    mine = (
        both.join(k, on=["component", "b"], how="left")
        .with_columns(others=pl.col("k").fill_null(0) - pl.col("member").cast(pl.Int64))
        .group_by("code")
        .agg(grouped=(pl.col("others") >= 1).sum().cast(pl.Int64))
    )
    grouped: np.ndarray = (
        rows.join(mine, on="code", how="left", maintain_order="left")["grouped"]
        .fill_null(0)
        .to_numpy()
    )
    return grouped


def honesty(
    groups: _Groups, col: dict[str, np.ndarray], age: np.ndarray, aged: np.ndarray,
    enterprise: np.ndarray, member: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """How much each group behaves like honest work, in [0, 1]: people calling the lines back,
    long answered calls, callees called again, nearly every call answered, established
    enterprise lines. Read over the rows ``member`` marks (a group's members), or over all of
    a group's rows where it has no member or none is given."""
    rows = np.ones(groups.of_row.shape[0], bool)
    if member is not None:
        has_members = groups.sum(member.astype(np.float64)) > 0
        rows = member | ~has_members[groups.of_row]
    w = rows.astype(np.float64)

    def total(values: np.ndarray) -> np.ndarray:
        return groups.sum(values * w)

    calls = total(col["calls"])
    answered = total(col["answered"]) / calls
    talk = total(col["talk"]) / calls
    back = total(col["callbacks"]) / np.maximum(total(col["callees"]), 1.0)
    repeat = total(col["repeat"]) / calls
    lowest = np.full(groups.keys.shape[0], np.inf)
    np.minimum.at(lowest, groups.of_row[aged & rows], age[aged & rows])
    counted = total(np.ones(w.shape[0]))
    established = (
        (total(enterprise.astype(np.float64)) == counted)
        & (total(aged.astype(np.float64)) == counted)
        & (lowest >= _ESTABLISHED_DAYS)
    )
    out: np.ndarray = np.max(
        np.vstack(
            [
                _ramp(back, 0.1, 0.3),
                _ramp(talk, 0.15, 0.35),
                _ramp(repeat, 0.2, 0.4),
                _ramp(answered, 0.85, 0.95),
                np.where(established, 0.6, 0.0),
            ]
        ),
        axis=0,
    )
    return out

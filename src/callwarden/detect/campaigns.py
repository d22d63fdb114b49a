"""Campaigns across numbers: the lines of one call centre found as a group.

A call centre rotates through many lines ("现在骚扰电话号码都不带重样的，天南地北都有"): no
number repeats and each stays under any per-number limit, so a detector that looks at one
number at a time sees nothing. This module looks at the numbers together. Every
``CampaignConfig.every_s`` of event time (a *checkpoint*) it takes the calls of the last
``window_s`` and runs one group pass:

1. **Nodes**: every number that placed at least ``min_calls`` calls in the window, is not a
   registered enterprise or service number (400/800, 95xxx, 100xx, 12xxx), and does not
   talk like a person: under a third of its calls are long conversations, and fewer than
   three in ten of the people it calls (or calls from anyone, per call it places) come back.
2. **Edges**: two nodes are linked when at least two pieces of evidence tie them: callees they
   share that few others call (``rare_callers``; each counts, up to two, and only
   between nodes that spend a quarter of their calls on such callees), the same device
   (IMEI, counts two), the same serving cell or ingress trunk (of the operator's own
   subscribers: another network's numbers come in on its interconnect, which carries them all),
   numbers in one hundred-block,
   landlines of one area code, both on virtual-operator ranges (170/171/165/167/162), both
   starting and stopping within the same quarter hour of the clock (two numbers whose hours
   beat chance: within a quarter hour of each other's), both receiving no calls at all, both
   fresh SIMs.
3. **Groups**: connected components of at least ``min_members`` numbers.
4. **Cues** of a group: a shared callee list, synchronised start and stop, a shared cell or
   trunk, a shared device, adjacent numbers (one block or one area code), virtual ranges,
   no inbound calls, fresh SIMs. No cue is required: two make a group worth a review, three a
   restriction, four a suspension, on five lines or more; three or four lines need two cues
   more for the same decision (the policy's thresholds and safeguards still apply). A group
   whose lines placed fewer than ``min_group_calls`` calls in the window stays at ``watch``
   whatever its cues: a campaign is a volume of calls.
   Synchronised means the lines' median start and stop lie within ``sync_s`` of the group's,
   over a session of an hour or more seen whole in the window.
5. **Honest behaviour** lowers a group's score, whatever its cues: people calling the lines
   back, long answered calls (conversations), callees called again by the same line (its own
   customers), nearly every call answered (notifications people expect), and established lines
   registered to an enterprise, read over the members' own calls (those that only touch
   the group neither veto nor lend it honesty). A number whose own calls are honest in this
   way, or that does
   not itself show most of its group's cues (three in five, two at least, one of them about
   the line itself: range, age, place, device, timing, and one that ties it to the others:
   callees shared over more than one call, device, cell, block, hours), only touches the
   group: it is no member (the group is the rest, if three or more). Being new and not yet
   called back is what many honest subscribers share; it links nobody. Callees shared with
   the group count, in the end, only where shared with its lines
   (``campaign_cues._shared_with_members``); the hours are the group's own only where most
   numbers on them are its members (``campaign_cues._own_hours``), and tie a number to the
   lines only beyond chance: where fewer than one of the window's numbers placing as many
   calls would start and stop on them at random (``campaign_cues.chance_matches``; a shift's
   line does over hundreds of calls, a person with a handful does by chance in a big city).
   Likewise an area code ties only where the group's numbers are half or more of the window's
   dialling numbers with it: a city's code is everybody's there.

The pass reads its window as running figures (``detect/campaign_window.py``): the calls are
summed once into slices of event time, and a checkpoint adds the slices that entered the window
and takes away those that left it, instead of reading 24 hours of calls again; the cues of all
components are read at once (``detect/campaign_cues.py``). :func:`groups_in` finds the groups
of a window as it stands, :func:`find_campaigns` those of a frame of calls. Batch scoring and
the live stream run the pass at the same checkpoints over the same calls
(``detect/campaign_steps.py``), so both raise the same group alerts in the same order. A
checkpoint runs once a record at or after it arrives: the calls after the last record's
checkpoint wait for the next record, as they would in the stream. Each group keeps an id
(``campaign-<hash>``) from checkpoint to checkpoint while it shares members with the group
found before; the id, the members and the cues are in the reason's evidence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from callwarden.detect.campaign_cues import chance_matches, judge
from callwarden.detect.campaign_kernels import callee_lines, components, dialling, pair_counts
from callwarden.detect.campaign_window import CallWindow, slice_seconds
from callwarden.detect.reasons import CAMPAIGN_CODE, Reason, group_of
from callwarden.features.formulas import range_flags

__all__ = [
    "CAMPAIGN_CODE",
    "CUES",
    "CampaignConfig",
    "CampaignContext",
    "CampaignGroup",
    "find_campaigns",
    "group_of",
    "groups_in",
    "utc_of",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000

#: cue -> (zh-CN, English) wording in a reason
CUES: dict[str, tuple[str, str]] = {
    "shared_callees": ("共用同一批被叫", "share one callee list"),
    "synchronised": ("同一时段开始和停止外呼", "start and stop calling together"),
    "shared_cell": ("同一基站或中继", "on one cell or trunk"),
    "shared_device": ("共用同一终端 (IMEI)", "share a device (IMEI)"),
    "adjacent_numbers": ("号码相邻 (同号段或同区号)", "adjacent numbers (one block or area code)"),
    "virtual_range": ("虚拟运营商号段 (170/171/165/167)", "virtual ranges (170/171/165/167)"),
    "no_inbound": ("无人回拨或呼入", "receive no calls"),
    "fresh_sims": ("新入网号码", "fresh SIMs"),
}


class CampaignConfig(BaseModel):
    """How the group pass reads a window of calls (``[campaigns]`` of the policy file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    every_s: int = Field(default=3600, ge=60, description="seconds of event time between passes")
    window_s: int = Field(default=86_400, ge=600, description="calls looked at by each pass")
    min_calls: int = Field(default=3, ge=1, description="calls in the window to be a node")
    min_members: int = Field(default=3, ge=2, description="numbers to make a group")
    min_group_calls: int = Field(
        default=100,
        ge=0,
        description="calls of a group's lines in the window for more than a watch: a campaign "
        "is a volume of calls; a few dozen are what some neighbours make in a day",
    )
    rare_callers: int = Field(
        default=6,
        ge=2,
        description="a callee called by more numbers than this is no list's",
    )
    list_callers: int = Field(
        default=20, ge=2, description="a callee shared by more dialing lines links none of them"
    )
    talk_s: int = Field(default=60, ge=1, description="an answered call this long is talk")
    fresh_days: int = Field(default=90, ge=1, description="a SIM younger than this is fresh")
    sync_s: int = Field(default=900, ge=60, description="start/stop grid for synchronisation")


@dataclass(frozen=True)
class CampaignContext:
    """What the pass reads numbers against: activation dates, owners, allow list."""

    subscribers: pl.DataFrame | None = None

    def frame(self) -> pl.DataFrame:
        """``msisdn, activated_us, enterprise`` of the subscribers (empty when none)."""
        empty = pl.DataFrame(
            schema={"msisdn": pl.String, "activated_us": pl.Int64, "enterprise": pl.Boolean}
        )
        subs = self.subscribers
        if subs is None or subs.height == 0 or "msisdn" not in subs.columns:
            return empty
        act = (
            pl.col("activated_on").cast(pl.Datetime("us")).dt.epoch("us")
            if "activated_on" in subs.columns
            else pl.lit(None, pl.Int64)
        )
        ent = (
            (pl.col("owner_type") == "enterprise").fill_null(False)
            if "owner_type" in subs.columns
            else pl.lit(False)
        )
        return subs.select(
            msisdn=pl.col("msisdn").cast(pl.String), activated_us=act, enterprise=ent
        ).unique("msisdn", keep="first")


@dataclass
class CampaignGroup:
    """One group found at a checkpoint."""

    group_id: str
    members: list[str]  # the numbers the decision is about, sorted
    linked: int  # numbers in the component, those that only touch the group included
    cues: list[str]
    score: float
    honesty: float
    figures: dict[str, float] = field(default_factory=dict)

    def reason(self) -> Reason:
        """The group's reason: `与 14 个号码共用同一批被叫, 同一时段外呼 ...`."""
        n = len(self.members) - 1
        zh = ", ".join(CUES[c][0] for c in self.cues)
        en = ", ".join(CUES[c][1] for c in self.cues)
        shown = self.members[:8]  # (all of them in the evidence; texts stay short)
        more = len(self.members) - len(shown)
        listed = ", ".join(shown) + (f" 等 {len(self.members)} 个" if more else "")
        listed_en = ", ".join(shown) + (f" and {more} more" if more else "")
        calls = int(self.figures.get("calls", 0))
        return Reason(
            CAMPAIGN_CODE,
            1.0,
            f"疑似呼叫中心轮换号码外呼: 与 {n} 个号码{zh}; 该组 24 小时外呼 {calls} 次 "
            f"(组 {self.group_id}: {listed})",
            f"looks like one call centre rotating its lines: with {n} other numbers, they {en}; "
            f"{calls} calls from the group in 24 h (group {self.group_id}: {listed_en})",
            {
                "group_id": self.group_id,
                "members": self.members,
                "cues": self.cues,
                "linked": self.linked,
                "honesty": round(self.honesty, 4),
                **{k: round(v, 4) for k, v in self.figures.items()},
            },
        )


def _area(numbers: pl.Expr) -> pl.Expr:
    """A Chinese landline's area code (``+86 10``, ``+86 2x``, else three digits)."""
    national = numbers.str.slice(3)
    two = national.str.starts_with("10") | national.str.starts_with("2")
    return pl.when(two).then(national.str.slice(0, 2)).otherwise(national.str.slice(0, 3))


def _nodes(window: CallWindow, cfg: CampaignConfig, at_us: int) -> pl.DataFrame:
    """Per-number figures of the window's callers that may belong to a campaign."""
    # the running figures rule most people out (few calls, long conversations, called as
    # often as they call, registered numbers); the rest is read for those left
    n = len(window.numbers)
    f = {k: v[:n] for k, v in window.fig.items()}
    room = np.empty(n, np.int64)
    got = dialling(f["calls"], f["talk"], f["inbound"], window.is_registered[:n], cfg.min_calls,
                   room)  # fmt: skip
    codes = room[:got].copy()
    del room
    if codes.shape[0] == 0:
        return pl.DataFrame()
    per = pl.DataFrame(
        {
            "code": codes,
            "a": window.numbers.decode(codes),
            **{k: f[k][codes] for k in ("calls", "callees", "answered", "talk", "repeat")},
            "inbound": f["inbound"][codes],
            "callbacks": f["back"][codes],
            "activated_us": window.activated_us.gather(codes),
            "enterprise": window.enterprise.gather(codes),
            "served": window.served[codes],
        }
    )
    per = per.hstack(window.callers(codes).drop("code"))  # (its rows are the codes, in order)
    flags = range_flags(per["a"])
    per = per.with_columns(
        virtual=pl.Series(flags["is_virtual"]),
        landline=pl.Series(flags["is_landline"]),
        age_days=((at_us - pl.col("activated_us")) / (86_400 * _US)),
    ).with_columns(
        block=pl.col("a").str.slice(0, pl.col("a").str.len_chars() - 2),
        area=pl.when(pl.col("landline")).then(_area(pl.col("a"))),
        talk_share=pl.col("talk") / pl.col("calls"),
        back_share=pl.col("callbacks") / pl.col("callees"),
        repeat_share=pl.col("repeat") / pl.col("calls"),
    )
    # a person in two-way conversation is no dialing line: calls mostly short or unanswered,
    # and few of the people called, or anyone, calling back
    return per.filter(
        (pl.col("talk_share") < 0.35)
        & (pl.col("back_share") < 0.3)
        & (pl.col("inbound") < 0.3 * pl.col("calls"))
    ).sort("a")


def _pairs_by_key(nodes: pl.DataFrame, key: str, cap: int = 400) -> pl.DataFrame:
    """(i, j) index pairs of nodes sharing ``key`` (groups above ``cap`` left out)."""
    keyed = nodes.select("i", key).drop_nulls()
    sizes = keyed.group_by(key).agg(n=pl.len()).filter((pl.col("n") >= 2) & (pl.col("n") <= cap))
    keyed = keyed.join(sizes.select(key), on=key, how="semi")
    return (
        keyed.join(keyed, on=key, suffix="_j")
        .filter(pl.col("i") < pl.col("i_j"))
        .select("i", j="i_j")
    )


def _synchronised_pairs(attrs: pl.DataFrame, quarter: int, cap: int = 400) -> list[pl.DataFrame]:
    """The pairs of nodes on one start/stop grid (``qf``, ``ql``: the first and last calls'
    quarter hours; cells above ``cap`` nodes left out), and the pairs of nodes whose hours
    beat chance (``timed``) with first and last calls within ``quarter`` µs of each other's,
    that show a second piece of evidence besides: the same device, cell, block or area, both
    on virtual ranges, without calls in, or fresh (pairs that share callees come with those).
    A pair with the grid alone is no edge, and at a million subscribers the grid's groups are
    large: listing all their pairs cost more than the rest of the pass.

    The grid's cells hold together the numbers of one cell and no other: a clock's quarter
    hours, they tie no chain of people a few minutes apart, each to the next, across the day.
    But a shift's lines start a few minutes either side of its hour, and the clock's edge
    between 08:59 and 09:01 parts lines that start together. Numbers whose hours no number as
    busy would keep by chance (:func:`_timed_nodes`) are tied within a quarter hour, whichever
    cells: a line of a hundred calls on a shift's hours, not a person with a handful."""
    cell = ["qf", "ql"]
    sizes = attrs.group_by(cell).agg(n=pl.len()).filter((pl.col("n") >= 2) & (pl.col("n") <= cap))
    synced = attrs.join(sizes.select(cell), on=cell, how="semi")
    timed = attrs.filter(pl.col("timed"))
    # a timed number looks into its own cell and the eight around it
    steps = pl.DataFrame({"df": [-1, -1, -1, 0, 0, 0, 1, 1, 1], "dl": [-1, 0, 1] * 3})
    out = []
    for key in ("imei", "cell", "block", "area", "virtual", "none", "fresh"):
        keyed, near = (
            frame.filter(pl.col(key).is_not_null()).select("i", "first", "last", *cell, key)
            for frame in (synced, timed)
        )
        if attrs.schema[key] == pl.Boolean:
            keyed, near = keyed.filter(pl.col(key)), near.filter(pl.col(key))
        out.append(
            keyed.join(keyed, on=[*cell, key], suffix="_j")
            .filter(pl.col("i") < pl.col("i_j"))
            .select("i", j="i_j")
        )
        moved = {"qf": pl.col("qf") + pl.col("df"), "ql": pl.col("ql") + pl.col("dl")}
        around = near.join(steps, how="cross").select("i", "first", "last", key, **moved)
        out.append(
            around.join(near, on=[*cell, key], suffix="_j")
            .filter((pl.col("i") < pl.col("i_j")) & _within(quarter))
            .select("i", j="i_j")
        )
    return out


def _within(quarter: int) -> pl.Expr:
    """A pair's first calls within ``quarter`` µs of each other, and its last calls too."""
    return ((pl.col("first") - pl.col("first_j")).abs() <= quarter) & (
        (pl.col("last") - pl.col("last_j")).abs() <= quarter
    )


def _timed_nodes(nodes: pl.DataFrame, quarter: int) -> np.ndarray:
    """Per node: its first and last calls, an hour apart or more (a working session, as the
    group's cue asks), keep hours that fewer than one of the window's nodes as busy would
    keep by chance (:func:`campaign_cues.chance_matches`: its calls at random over the
    window's day, from the first calls of all but the earliest twentieth of the nodes to the
    last calls of all but the latest twentieth). (A few calls within minutes of each other
    are a moment, not hours: the two quarter hours overlap, and chance would be read low.)"""
    first, last = (nodes[c].to_numpy().astype(np.float64) for c in ("first", "last"))
    calls = nodes["calls"].to_numpy()
    if calls.shape[0] == 0:
        return np.zeros(0, bool)
    day = float(np.quantile(last, 0.95) - np.quantile(first, 0.05))
    busy = np.sort(calls)
    crowd = busy.size - np.searchsorted(busy, calls, "left")
    session = last - first
    out: np.ndarray = (session >= 4 * quarter) & (
        chance_matches(calls, session, day, quarter, crowd) < 1.0
    )
    return out


def _node_pairs(window: CallWindow, nodes: pl.DataFrame) -> pl.DataFrame:
    """``code`` and ``i`` of a node, ``b`` callee code, ``n`` calls: the nodes' callees in
    the window."""
    codes = nodes["code"].to_numpy()
    a, b, n = window.pairs_of(codes)
    at = np.full(len(window.numbers), -1, np.int64)
    at[codes] = nodes["i"].to_numpy()
    return pl.DataFrame({"code": a, "i": at[a], "b": b, "n": n})


def _edges(
    window: CallWindow, nodes: pl.DataFrame, pairs: pl.DataFrame, cfg: CampaignConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Linked node pairs (i < j) with at least two pieces of evidence, and the nodes with
    ``listed``, their share of calls to callees another node also calls (``pairs``: the
    nodes' callees, :func:`_node_pairs`)."""
    # shared callees: those two to ``list_callers`` dialing lines call (their friends and
    # family, who talk with them, are no nodes and do not count). (Arrays over the pairs: a
    # count per callee, sums per node; ``pairs`` holds each node and callee once.)
    i, b, n = (pairs[c].to_numpy() for c in ("i", "b", "n"))
    rare = window.fig["callers"][b] <= cfg.rare_callers
    lines = callee_lines(b, rare, len(window.numbers))  # nodes calling it
    on_lists = rare & (lines >= 2) & (lines <= cfg.list_callers)
    # a node's share of calls to callees another node also calls: high for the lines of one
    # list, low for a number whose callees merely cross a list now and then
    some = np.bincount(i, minlength=nodes.height) > 0
    total = np.bincount(i, n, nodes.height)
    listed = np.bincount(i, np.where(on_lists, n, 0), nodes.height) / np.where(some, total, 1)
    nodes = nodes.with_columns(listed=pl.Series(listed))
    touched = on_lists & (listed[i] >= 0.25)
    touched_i = pl.DataFrame({"i": i[touched], "b": b[touched]})
    shared = (
        touched_i.join(touched_i, on="b", suffix="_j")
        .filter(pl.col("i") < pl.col("i_j"))
        .group_by("i", j="i_j")
        .agg(shared=pl.len())
    )
    # the start/stop grid: the first and last calls' quarter hours
    quarter = cfg.sync_s * _US
    grid = nodes.with_columns(
        qf=pl.col("first") // quarter,
        ql=pl.col("last") // quarter,
        timed=pl.Series(_timed_nodes(nodes, quarter)),
    )
    attrs = grid.select(
        "i", "imei", "block", "area", "virtual", "first", "last", "qf", "ql", "timed",
        # a place is the serving cell of the operator's own subscribers; another network's
        # numbers have none, only the trunk they come in on, and a carrier's interconnect
        # carries every number of that network: sharing it ties nobody together (without a
        # subscriber table no number is known to be another network's, and every place counts)
        cell=pl.when(pl.col("served") | (window.context.height == 0)).then(pl.col("cell")),
        # absence of calls in is evidence only where the operator would see them: its own
        # subscribers (another network's number may be called on that network)
        none=(pl.col("inbound") == 0) & pl.col("served"),
        fresh=(pl.col("age_days") < cfg.fresh_days).fill_null(False),
    )  # fmt: skip
    keyed = [
        shared.select("i", "j"),
        _pairs_by_key(grid, "imei"),
        _pairs_by_key(grid, "block"),
        *_synchronised_pairs(attrs, quarter),
    ]
    cand = pl.concat(keyed).unique()
    both = cand.join(attrs, on="i").join(attrs, left_on="j", right_on="i", suffix="_j")
    both = both.join(shared, on=["i", "j"], how="left").with_columns(pl.col("shared").fill_null(0))

    def same(c: str) -> pl.Expr:
        return (pl.col(c) == pl.col(f"{c}_j")).fill_null(False).cast(pl.Int32)

    evidence = (
        pl.col("shared").clip(0, 2)
        + 2 * same("imei")
        + same("cell")
        + same("block")
        + same("area")
        + (
            ((pl.col("qf") == pl.col("qf_j")) & (pl.col("ql") == pl.col("ql_j")))
            | (pl.col("timed") & pl.col("timed_j") & _within(quarter))
        ).cast(pl.Int32)
        + (pl.col("virtual") & pl.col("virtual_j")).cast(pl.Int32)
        + (pl.col("none") & pl.col("none_j")).cast(pl.Int32)
        + (pl.col("fresh") & pl.col("fresh_j")).cast(pl.Int32)
    )
    return both.filter(evidence >= 2).select("i", "j"), nodes


def _shared_calls(
    pairs: pl.DataFrame, nodes: pl.DataFrame
) -> tuple[dict[int, tuple[int, int]], pl.DataFrame]:
    """Per component: its calls, and those to callees two or more of its members call; and
    per number (``code``, ``grouped``) its own distinct callees among them: those it shares
    with its group, not with anyone."""
    # (arrays: the pairs hold each number and callee once)
    i, b, n, code = (pairs[c].to_numpy() for c in ("i", "b", "n", "code"))
    node = nodes["i"].to_numpy()
    of = np.full(max(int(i.max(initial=-1)), int(node.max(initial=-1))) + 1, -1, np.int64)
    of[node] = nodes["component"].to_numpy()  # (-1: no component's)
    inside = of[i] >= 0
    i, b, n, code = i[inside], b[inside], n[inside], code[inside]
    c = of[i]
    members = np.empty(c.shape[0], np.int64)  # the component's numbers calling the callee
    bits = max(int(c.max(initial=0)), int(b.max(initial=0)), 1).bit_length()
    pair_counts(c, b, bits, members)
    shared = members >= 2  # a callee two or more of the component's numbers call
    comps, ci = _dense(c)
    calls = np.bincount(ci, n, comps.shape[0]).astype(np.int64)
    on_shared = np.bincount(ci, np.where(shared, n, 0), comps.shape[0]).astype(np.int64)
    numbers, ni = _dense(code)
    grouped = np.bincount(ni, shared, numbers.shape[0]).astype(np.int64)
    per = zip(comps.tolist(), calls.tolist(), on_shared.tolist(), strict=True)
    return {k: (total, on) for k, total, on in per}, pl.DataFrame(
        {"code": numbers, "grouped": grouped}
    )


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of whole numbers: by counts where they lie
    in a range no longer than twice their count (a component's label), by runs where they are
    sorted (the pairs' callers), else sorted."""
    if values.shape[0] == 0:
        return values[:0], np.zeros(0, np.int64)
    if int(values.min()) >= 0 and int(values.max()) < 2 * values.shape[0]:
        seen = np.bincount(values) > 0
        place = np.cumsum(seen) - 1
        return np.flatnonzero(seen), place[values]
    if (values[1:] >= values[:-1]).all():
        new = np.empty(values.shape[0], bool)
        new[0] = True
        np.not_equal(values[1:], values[:-1], out=new[1:])
        return values[new], np.cumsum(new) - 1
    out: tuple[np.ndarray, np.ndarray] = np.unique(values, return_inverse=True)
    return out


def find_campaigns(
    calls: pl.DataFrame,
    context: pl.DataFrame,
    at_us: int,
    cfg: CampaignConfig | None = None,
) -> list[CampaignGroup]:
    """The groups among ``calls``, all of them the window (columns ``a`` caller, ``b``
    callee, ``t`` µs, ``d`` seconds, ``cell``, ``imei``), sorted by their smallest member;
    ids are provisional (the members' hash) until :class:`CampaignTracker` carries them
    over. ``context``: :meth:`CampaignContext.frame`."""
    cfg = cfg or CampaignConfig()
    if calls.height == 0:
        return []
    window = CallWindow(slice_seconds(cfg.every_s, cfg.window_s), cfg.talk_s, context)
    window.add(calls)
    step = window.slice_us
    lo, hi = int(calls["t"].min()), int(calls["t"].max())  # type: ignore[arg-type]
    window.move_to(lo // step * step, (hi // step + 1) * step)
    return groups_in(window, at_us, cfg)


def groups_in(window: CallWindow, at_us: int, cfg: CampaignConfig) -> list[CampaignGroup]:
    """The groups among the calls of the window as it stands (:meth:`CallWindow.move_to`)."""
    window_start = window.first_time()
    if window_start is None:
        return []
    nodes = _nodes(window, cfg, at_us)
    if nodes.height < cfg.min_members:
        return []
    nodes = nodes.with_row_index("i").with_columns(pl.col("i").cast(pl.Int64))
    pairs = _node_pairs(window, nodes)
    edges, nodes = _edges(window, nodes, pairs, cfg)
    if edges.height == 0:
        return []
    n = nodes.height
    label = np.empty(n, np.int64)
    components(edges["i"].to_numpy(), edges["j"].to_numpy(), n, label)
    nodes = nodes.with_columns(
        component=pl.Series(label, dtype=pl.Int64),
        area_nodes=pl.len().over("area"),  # the window's dialling numbers of its area code
    )
    hours = (
        nodes["first"].to_numpy().astype(np.float64),
        nodes["last"].to_numpy().astype(np.float64),
        nodes["calls"].to_numpy(),
    )
    sizes = nodes.group_by("component").agg(n=pl.len()).filter(pl.col("n") >= cfg.min_members)
    nodes = nodes.join(sizes.select("component"), on="component", how="semi")
    if nodes.height == 0:
        return []
    # (what is read of the pairs from here on is of the components' numbers alone)
    grouped_i = np.zeros(n, bool)
    grouped_i[nodes["i"].to_numpy()] = True
    pairs = pairs.filter(pl.Series(grouped_i[pairs["i"].to_numpy()]))
    shared, grouped = _shared_calls(pairs, nodes)
    nodes = nodes.join(grouped, on="code", how="left").with_columns(pl.col("grouped").fill_null(0))
    groups = []
    for v in judge(nodes, shared, window_start, cfg, at_us, pairs, hours):
        if len(v.members) < cfg.min_members:
            continue
        # three or four lines are a small group: two more cues for the same decision
        shown = len(v.cues) - (2 if len(v.members) < 5 else 0)
        # a campaign is a volume: a few dozen calls from lines that resemble each other is
        # chance in a city of a million (neighbours on one cell and block, quiet on the same
        # hours), and stays a watch however many cues it shows
        base = _BASE.get(shown, 0.97) if shown >= 2 and v.calls >= cfg.min_group_calls else 0.45
        score = min(base * (1.0 - v.honesty), 1.0)
        groups.append(
            CampaignGroup(
                group_id=_gid(v.members),
                members=v.members,
                linked=v.linked,
                cues=v.cues,
                score=round(score, 6),
                honesty=v.honesty,
                figures={"calls": float(v.calls), "answered_share": v.answered / v.calls},
            )
        )
    groups.sort(key=lambda x: x.members[0])
    return groups


_BASE = {2: 0.65, 3: 0.85}


def _gid(members: Sequence[str]) -> str:
    digest = hashlib.blake2b("|".join(members).encode(), digest_size=5).hexdigest()
    return f"campaign-{digest}"


def utc_of(us: int) -> datetime:
    """µs since the epoch as a UTC datetime."""
    return _EPOCH + timedelta(microseconds=int(us))

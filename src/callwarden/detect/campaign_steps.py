"""Where the campaign pass runs: at the same checkpoints in batch scoring and in the stream.

The checkpoints are whole multiples of ``CampaignConfig.every_s`` of event time, from the
first one after the first record to the first one after the last record (the close of the
input). The per-number events before a checkpoint are decided first, then the groups found at
it (``decide/groups.py``), so the decision state (caps, allow lists) sees the same steps in the
same order whether records come as one file (:class:`BatchCampaigns`) or in batches of any
size (:class:`LiveCampaigns`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np
import polars as pl

from callwarden.decide.groups import group_rows
from callwarden.decide.policy import DecisionState, PolicyConfig
from callwarden.detect.campaign_window import CallWindow, slice_seconds
from callwarden.detect.campaigns import (
    CampaignConfig,
    CampaignContext,
    CampaignGroup,
    groups_in,
)
from callwarden.features.engines.base import Traffic
from callwarden.records.codes import whole_number_keys

__all__ = [
    "BatchCampaigns",
    "CampaignTracker",
    "LiveCampaigns",
    "calls_of_traffic",
    "collected_traffic",
]

_US = 1_000_000

_MS = 1000


class CampaignTracker:
    """The window of calls and the checkpoints, for a record stream in record order.

    Batch scoring hands it all its calls at once; the live path adds record batches as they
    come (:meth:`add`) and asks for the checkpoints a batch crosses. Both run the pass at the
    same event times over the same calls: at a checkpoint the calls added since the last one
    are summed into the window's slices (``detect/campaign_window.py``), which then moves on.
    Group ids carry over between checkpoints by shared members.
    """

    def __init__(self, subscribers: pl.DataFrame | None, cfg: CampaignConfig | None = None):
        self.cfg = cfg or CampaignConfig()
        self.context = CampaignContext(subscribers).frame()
        self.window = CallWindow(
            slice_seconds(self.cfg.every_s, self.cfg.window_s), self.cfg.talk_s, self.context
        )
        self.pending: list[pl.DataFrame] = []
        self.next_us: int | None = None
        self.ids: dict[str, str] = {}  # member -> the id of the group it was last in

    @staticmethod
    def calls_of(records: pl.DataFrame) -> pl.DataFrame:
        """The calls of a record batch (``records/batch.py``) in the pass's columns."""
        if records.height == 0:
            return _empty_calls()
        return records.filter(pl.col("kind") == 0).select(
            a=pl.col("actor"),
            b=pl.col("other"),
            t=pl.col("time").dt.epoch("us"),
            d=pl.col("duration_s").fill_null(0).cast(pl.Int64),
            cell=pl.coalesce(pl.col("cell"), pl.col("trunk")),
            imei=pl.col("imei"),
        )

    def start(self, first_us: int) -> None:
        if self.next_us is None:
            every = self.cfg.every_s * _US
            self.next_us = (first_us // every + 1) * every

    def add(self, calls: pl.DataFrame) -> None:
        """Calls (pass columns), in any order."""
        if calls.height:
            self.pending.append(calls)

    def checkpoint(self, at_us: int) -> list[CampaignGroup]:
        """The groups at ``at_us``, over the calls added so far with times in the window
        before it; the next checkpoint moves on."""
        return self.named(self.found_at(at_us))

    def found_at(
        self,
        at_us: int,
        window: CallWindow | None = None,
        move: Callable[[CallWindow, int, int], None] = CallWindow.move_to,
    ) -> list[CampaignGroup]:
        """The groups at ``at_us`` as :meth:`checkpoint` finds them, before their ids carry
        over (:meth:`named`, checkpoint after checkpoint in order). ``window``: a twin of
        the tracker's own (``CallWindow.twin``), moved to this checkpoint instead of it (by
        ``move``, the window's own move by default)."""
        cfg = self.cfg
        if self.pending:  # (handed over: the window lets the texts go once coded)
            pending, self.pending = self.pending, []
            self.window.add(pl.concat(pending, how="vertical_relaxed") if len(pending) > 1
                            else pending.pop())  # fmt: skip
        if window is None:
            window = self.window
            self.next_us = at_us + cfg.every_s * _US
        if not cfg.enabled:
            return []
        move(window, at_us - cfg.window_s * _US, at_us)
        return groups_in(window, at_us, cfg)

    def named(self, groups: list[CampaignGroup]) -> list[CampaignGroup]:
        """The groups of the next checkpoint with the ids of the groups before them that
        shared the most members (the smallest id of equals)."""
        for g in groups:
            before = Counter(self.ids[m] for m in g.members if m in self.ids)
            if before:
                g.group_id = min(before.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            for m in g.members:
                self.ids[m] = g.group_id
        return groups


def _empty_calls() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "a": pl.String,
            "b": pl.String,
            "t": pl.Int64,
            "d": pl.Int64,
            "cell": pl.String,
            "imei": pl.String,
        }
    )


class _Scorer(Protocol):
    """What the group decisions need of an ``EventScorer`` (state, allow list, zone, hits)."""

    state: DecisionState
    allowed: set[str]
    timezone: str
    hits: dict[str, int]


def calls_of_traffic(calls: pl.DataFrame | None, *, keys: bool = False) -> pl.DataFrame:
    """Canonical calls in the pass's columns, as ``CampaignTracker.calls_of`` reads a record
    batch of them (cell, else the ingress trunk).

    ``keys``: caller, callee and device as their integer keys (``a_key``, ``b_key``,
    ``imei_key``; ``records/codes.py``) wherever every text of the column spells one, so
    the pass codes integers rather than texts (the window reads either)."""
    if calls is None or calls.height == 0:
        return CampaignTracker.calls_of(pl.DataFrame())
    trunk = pl.col("trunk").cast(pl.String) if "trunk" in calls.columns else pl.lit(None, pl.String)
    numbers: dict[str, pl.Expr | pl.Series] = {
        "a": pl.col("caller").cast(pl.String),
        "b": pl.col("callee").cast(pl.String),
    }
    device: dict[str, pl.Expr | pl.Series] = {"imei": pl.col("caller_imei").cast(pl.String)}
    if keys:  # (the keys parsed as the calls were read, where they were: records/codes.py)
        if "_caller_code" in calls.columns and "_callee_code" in calls.columns:
            numbers = {"a_key": pl.col("_caller_code"), "b_key": pl.col("_callee_code")}
        else:
            a = whole_number_keys(calls["caller"], "+")
            b = whole_number_keys(calls["callee"], "+") if a is not None else None
            if a is not None and b is not None:
                numbers = {"a_key": pl.Series(a), "b_key": pl.Series(b)}
        if "_imei_code" in calls.columns:
            device = {"imei_key": pl.col("_imei_code")}
        else:
            imei = whole_number_keys(calls["caller_imei"])
            if imei is not None:
                device = {"imei_key": pl.Series(imei)}
    return calls.select(
        **numbers,
        t=pl.col("start_time").cast(pl.Datetime("us", "UTC")).dt.epoch("us"),
        d=pl.col("duration_s").fill_null(0).cast(pl.Int32),  # (as the window keeps it)
        cell=pl.coalesce(pl.col("caller_cell").cast(pl.String), trunk),
        **device,
    )


def _span_us(traffic: Traffic) -> tuple[int, int] | None:
    """First and last record time (µs) of calls and SMS, None without records."""
    times = []
    if traffic.calls is not None and traffic.calls.height:
        times.append(traffic.calls["start_time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us"))
    if traffic.sms is not None and traffic.sms.height:
        times.append(traffic.sms["sent_time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us"))
    if not times:
        return None
    both = pl.concat(times)
    lo, hi = both.min(), both.max()
    return (int(lo), int(hi)) if lo is not None and hi is not None else None  # type: ignore[arg-type]


class BatchCampaigns:
    """The checkpoints of a whole recorded traffic, over its calls.

    The groups of every checkpoint depend on the calls alone (not on the decisions), so they
    are found in a thread of their own (:meth:`begin`) while the feature engine works (the
    checkpoints after the first, which adds every call, in two once groups are asked for:
    :meth:`_find`);
    :meth:`at` waits for a checkpoint's groups and decides them in order, in the
    caller's thread, against the decision state as it stands there (as the stream does)."""

    def __init__(self, traffic: Traffic, policy: PolicyConfig, scorer: _Scorer) -> None:
        self.scorer = scorer
        self.tracker = CampaignTracker(traffic.subscribers, policy.campaigns)
        self.enabled = policy.campaigns.enabled
        self.span = _span_us(traffic) if self.enabled else None
        self._found: dict[int, list[CampaignGroup]] = {}
        self._ready = threading.Condition()
        self._failed: list[BaseException] = []
        self._done = False
        self._checkpoints = self._times()  # (before the thread moves the tracker on)
        if self.enabled:
            self.tracker.add(calls_of_traffic(traffic.calls, keys=True))
        self._thread: threading.Thread | None = None
        # the checkpoints after the first, those taken, whether groups were asked for, the
        # second thread (see _find)
        self._rest: list[int] = []
        self._taken = 0
        self._asked = False
        self._other: threading.Thread | None = None
        # the windows of the two threads, and the lock their moves (and copies) take
        self._windows: list[CallWindow] = [self.tracker.window]
        self._moving = threading.Lock()

    def begin(self) -> None:
        """Start finding the groups (in a thread of their own; at the latest when the first
        checkpoint's are asked for). The thread holds no reference to the traffic."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._find_all, name="campaign-pass")
            self._thread.daemon = True
            self._thread.start()

    def _find_all(self) -> None:
        try:
            todo = self._checkpoints if self.enabled else []
            if todo:  # (the first adds every call)
                self._publish(todo[0], self.tracker.found_at(todo[0]))
            self._rest = todo[1:]
            self._find(None)
        except BaseException as e:  # (raised again in the caller's thread)
            self._failed.append(e)
        finally:
            if self._other is not None:
                self._other.join()
            with self._ready:
                self._done = True
                self._ready.notify_all()

    def _find(self, window: CallWindow | None) -> None:
        """The checkpoints not yet taken, one after the other (``window``: a twin's thread).

        Every call is in after the first checkpoint, so once the caller asks for groups
        (its feature engine has let its memory go) the tracker's thread starts a second one
        on a twin of its window (``CallWindow.twin``: running figures of its own over the
        same slices): each takes the next checkpoint left, both moving forward. The groups
        depend on the calls alone; their ids carry over in order in :meth:`_groups`."""
        try:
            while True:
                with self._ready:
                    if self._failed or self._taken >= len(self._rest):
                        return
                    at = self._rest[self._taken]
                    self._taken += 1
                    split = (
                        window is None
                        and self._other is None
                        and self._asked
                        and self._taken < len(self._rest)
                    )
                if split:  # (between checkpoints: the window as the last one left it)
                    with self._moving:
                        twin = self.tracker.window.twin()
                        self._windows.append(twin)
                    self._other = threading.Thread(
                        target=self._find, args=(twin,), name="campaign-pass-2"
                    )
                    self._other.daemon = True
                    self._other.start()
                self._publish(at, self.tracker.found_at(at, window, self._move))
        except BaseException as e:  # (raised again in the caller's thread)
            with self._ready:
                self._failed.append(e)
                self._ready.notify_all()

    def _move(self, window: CallWindow, lo_us: int, hi_us: int) -> None:
        """``window`` moved to ``[lo_us, hi_us)``; where the other thread's window stands
        further on (each takes the next checkpoint left, so it is a checkpoint ahead), its
        figures are copied first (``CallWindow.caught_up``): a copy costs less than adding
        the slices it has moved past. (The moves and the copies one at a time: a window is
        not copied while it moves.)"""
        with self._moving:
            ahead = [w for w in self._windows if w is not window and w.span[1] > window.span[1]]
            if ahead and ahead[0].span[1] <= hi_us // window.slice_us:
                window.caught_up(ahead[0])
            window.move_to(lo_us, hi_us)

    def _publish(self, at: int, groups: list[CampaignGroup]) -> None:
        with self._ready:
            self._found[at] = groups
            self._ready.notify_all()

    def _groups(self, at: int) -> list[CampaignGroup]:
        self.begin()
        with self._ready:
            self._asked = True
            self._ready.wait_for(lambda: at in self._found or self._done or bool(self._failed))
            if at not in self._found:
                raise RuntimeError("the campaign pass stopped early") from (
                    self._failed[0] if self._failed else None
                )
            found = self._found.pop(at)
        return self.tracker.named(found)  # (asked for in order: the ids carry over so)

    def checkpoints(self) -> list[int]:
        return self._checkpoints

    def _times(self) -> list[int]:
        if self.span is None:
            return []
        self.tracker.start(self.span[0])
        first, last = self.tracker.next_us, self.span[1] // _MS * _MS
        assert first is not None  # noqa: S101  (start set it)
        every = self.tracker.cfg.every_s * _US
        # a checkpoint runs once a record at or after it comes (the stream knows no more)
        return list(range(first, last + 1, every))

    def segments(self, times_us: np.ndarray) -> Iterator[tuple[np.ndarray, int | None]]:
        """(positions of the events before the checkpoint, checkpoint) in order; events are
        in record order, ``times_us`` their times. Last, ``(the rest, None)``: the events
        after the last checkpoint."""
        ms = times_us // _MS
        lo = 0
        for at in self.checkpoints():
            hi = int(np.searchsorted(ms, at // _MS, "left"))
            yield np.arange(lo, hi), at
            lo = hi
        yield np.arange(lo, ms.shape[0]), None

    def at(self, checkpoint: int | None) -> list[dict[str, Any]]:
        """The group alerts of a checkpoint."""
        if checkpoint is None or not self.enabled:
            return []
        groups = self._groups(checkpoint)
        s = self.scorer
        return group_rows(s.state, groups, checkpoint, s.allowed, s.timezone, s.hits)


class LiveCampaigns:
    """The checkpoints of a record stream: record batches are cut at each checkpoint they
    cross."""

    def __init__(self, subscribers: pl.DataFrame | None, policy: PolicyConfig, scorer: _Scorer):
        self.scorer = scorer
        self.tracker = CampaignTracker(subscribers, policy.campaigns)
        self.enabled = policy.campaigns.enabled

    def step(
        self, batch: pl.DataFrame, step: Callable[[pl.DataFrame], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """``step`` (the per-number scoring) over the batch's records before each checkpoint,
        then the checkpoint's group alerts."""
        if not self.enabled or batch.height == 0:
            return step(batch)
        ms = batch["time"].dt.epoch("ms").to_numpy()
        tracker = self.tracker
        tracker.start(int(ms[0]) * _MS)
        rows: list[dict[str, Any]] = []
        lo = 0
        while True:
            at = tracker.next_us
            assert at is not None  # noqa: S101  (start set it)
            hi = int(np.searchsorted(ms, at // _MS, "left"))
            if hi >= ms.shape[0]:
                rows += self._part(batch.slice(lo), step)
                return rows
            if hi > lo:
                rows += self._part(batch.slice(lo, hi - lo), step)
            rows += self._groups(at)
            lo = hi

    def _part(
        self, part: pl.DataFrame, step: Callable[[pl.DataFrame], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        if part.height == 0:
            return []
        self.tracker.add(CampaignTracker.calls_of(part))
        return step(part)

    def _groups(self, at: int) -> list[dict[str, Any]]:
        groups = self.tracker.checkpoint(at)
        s = self.scorer
        return group_rows(s.state, groups, at, s.allowed, s.timezone, s.hits)


def collected_traffic(
    calls: Any, sms: Any | None, subscribers: Any | None, timezone: str
) -> Traffic:
    """Records of a Spark job as the campaign pass reads them, collected on the driver: the
    calls' own columns, the SMS times (the first record may be one), the subscribers'
    activation and owner. ``calls``, ``sms``, ``subscribers`` are Spark DataFrames (anything
    with ``columns``, ``select`` and ``toArrow``)."""

    def collect(frame: Any, names: list[str]) -> pl.DataFrame:
        got = pl.from_arrow(frame.select(*[c for c in names if c in frame.columns]).toArrow())
        assert isinstance(got, pl.DataFrame)  # noqa: S101  (a table converts to a frame)
        return got

    wanted = ["caller", "callee", "start_time", "duration_s", "caller_cell", "caller_imei", "trunk"]
    return Traffic(
        collect(calls, wanted),
        None if sms is None else collect(sms, ["sent_time"]),
        None
        if subscribers is None
        else collect(subscribers, ["msisdn", "activated_on", "owner_type"]),
        timezone=timezone,
    )

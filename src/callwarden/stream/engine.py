"""The stream engine: event-time ordering, watermarks, and the batch path one record at a time.

Records may arrive out of order. The engine holds them in a buffer ordered exactly as batch
scoring orders records (event time to the millisecond, calls before SMS, then the exact time and
the record id) and releases a record once the watermark, the latest event time seen minus the
allowed lateness, has passed it. Released records are scored together, as one batch, through
:class:`LiveScorer`: the compiled incremental features, the detectors and the policy of
``replay_alerts``, which the conformance suite holds equal to ``callwarden score``. A record that
arrives after a later one was already released is too late: it is not scored (that would change
history) but returned as quarantined with its reason.

Records come in batches (a broker fetch, a chunk of a file): :meth:`StreamEngine.push_frame`
does the ordering, the lateness check and the release with a few column operations per batch,
so the cost per record is the compiled feature engine's, not Python's. A record is late when it
is at or behind the last record already scored before its batch arrived; :meth:`push` is a batch
of one, so pushing records one by one gives the strictest reading of that rule.

The engine is plain data: pickling it is the checkpoint.

>>> import datetime as dt
>>> eng = StreamEngine(lateness_ms=60_000)
>>> t = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> rec = lambda i, s: {"call_id": f"c{i}", "caller": "+8613800000001", "callee": "+8613900000001",
...     "start_time": t + dt.timedelta(seconds=s), "duration_s": 30, "ring_s": 5,
...     "caller_cell": None, "caller_imei": None}
>>> _ = eng.push("call", rec(2, 120)); _ = eng.push("call", rec(1, 0))  # out of order, in time
>>> _ = eng.push("call", rec(3, 300)); _ = eng.push("call", rec(0, -200))  # c0: too late
>>> eng.stats.reordered, eng.stats.late, eng.stats.processed, len(eng.buffer)
(1, 1, 2, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.live import LiveScorer
from callwarden.features.engines.base import DEFAULT_TIMEZONE, Traffic
from callwarden.features.spec import RECORD_ORDER
from callwarden.network import ServedNumbers
from callwarden.records.batch import RECORD_SCHEMA, batch_of, record_of
from callwarden.records.load import load_records
from callwarden.stream.memory import release_unused

if TYPE_CHECKING:
    from callwarden.detect.model.events import EventModel

__all__ = ["Quarantined", "StreamEngine", "StreamStats"]

#: record order (``spec.RECORD_ORDER``) as columns of a keyed batch: the millisecond and the
#: microsecond are helper columns added to it, ``kind`` and ``id`` its own
_KEY = [{"ms": "_ms", "us": "_us"}.get(c, c) for c in RECORD_ORDER]

Key = tuple[int, int, int, str]


def _keys(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The numeric parts of the order key, as arrays: millisecond, kind, microsecond."""
    us = frame["time"].to_numpy().view(np.int64)
    return us // 1000, frame["kind"].to_numpy().astype(np.int64), us


def _keyed(frame: pl.DataFrame, ms: np.ndarray, us: np.ndarray) -> pl.DataFrame:
    # direct frame methods, not expressions: on a small batch polars' per-call cost dominates
    return frame.hstack([pl.Series("_us", us), pl.Series("_ms", ms)])


def _at_or_before(key: Key) -> pl.Expr:
    """Rows whose order key is at or before ``key``."""
    ms, rank, us, rid = key
    c = pl.col
    return (c("_ms") < ms) | (
        (c("_ms") == ms)
        & (
            (c("kind") < rank)
            | ((c("kind") == rank) & ((c("_us") < us) | ((c("_us") == us) & (c("id") <= rid))))
        )
    )


def _key_of(row: tuple[Any, ...]) -> Key:
    return (int(row[0]), int(row[1]), int(row[2]), str(row[3]))


@dataclass
class StreamStats:
    """Counts that add up: received = processed + late + buffered."""

    received: int = 0
    processed: int = 0
    reordered: int = 0
    late: int = 0
    alerts: int = 0


@dataclass(frozen=True)
class Quarantined:
    kind: str
    record: dict[str, Any]
    reason: str


@dataclass
class StreamEngine:
    """Per-number state and the reorder buffer: feed :meth:`push_frame` (or :meth:`push`),
    end with :meth:`flush`."""

    #: the subscribers: a table, or the path of one (read here). The engine keeps what it
    #: reads of them and lets the table go (every column: 83 MiB for a million subscribers)
    subscribers: pl.DataFrame | Path | None = None
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    timezone: str = DEFAULT_TIMEZONE
    known: pl.Series | None = None
    lateness_ms: int = 30_000
    #: broker sequence of the last message this state reflects (checkpoints store it)
    last_seq: int = 0
    #: prefixes the operator serves, besides the subscribers (numbers it does not serve are
    #: intercepted rather than restricted or suspended; see ``decide/served.py``)
    served: ServedNumbers | None = None
    #: a learned scorer beside the detectors (``score --model``'s, with the same alerts)
    model: EventModel | None = None

    def __post_init__(self) -> None:
        subscribers, self.subscribers = self.subscribers, None
        if isinstance(subscribers, Path):
            subscribers = load_records(subscribers, "subscribers")
        # the stepper keeps what it needs of the table, which goes with this frame unless the
        # caller holds it (cases opened from the stream read it); checkpoints stay small
        self.stepper = LiveScorer(
            Traffic.context(subscribers, self.known, self.timezone),
            self.policy,
            self.served,
            model=self.model,
        )
        #: records waiting for the watermark, in arrival order (a keyed record batch)
        empty = pl.DataFrame(schema=RECORD_SCHEMA)
        ms, _, us = _keys(empty)
        self.buffer = _keyed(empty, ms, us)
        self.max_ms = -math.inf
        self.max_key: Key | None = None
        self.released: Key | None = None
        self.stats = StreamStats()
        self.quarantined: list[Quarantined] = []
        self._ready: list[pl.DataFrame] = []
        self._sorted = True  # the buffer is in record order

    @property
    def watermark_ms(self) -> float:
        return self.max_ms - self.lateness_ms

    def push(self, kind: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Take one record; return the alerts of every record it lets through the watermark."""
        return self.push_frame(batch_of([(kind, record)]))

    def push_many(self, records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Take canonical records (dictionaries) that arrived together."""
        return self.push_frame(batch_of(records)) if records else []

    def push_frame(self, frame: pl.DataFrame) -> list[dict[str, Any]]:
        """Take a record batch (:data:`~callwarden.records.batch.RECORD_SCHEMA`, in
        arrival order); return the alerts of every record the watermark lets through."""
        if frame.height == 0:
            return []
        self.stats.received += frame.height
        ms, kind, us = _keys(frame)
        rows = _keyed(frame, ms, us)
        if self.released is not None and int(ms.min()) <= self.released[0]:
            late = rows.select(_at_or_before(self.released)).to_series()
            if late.any():
                self._quarantine_late(rows.filter(late))
                keep = ~late.to_numpy()
                rows, ms, kind, us = rows.filter(~late), ms[keep], kind[keep], us[keep]
        if rows.height == 0:
            return self._score()
        if self._in_order(rows, ms, kind, us):
            # the usual case, records in order behind an ordered buffer: no sorting at all
            last = rows.height - 1
            self.max_key = (int(ms[last]), int(kind[last]), int(us[last]), str(rows["id"][last]))
            self.max_ms = max(self.max_ms, float(ms[last]))
            if self.buffer.height == 0:
                self.buffer = rows
                waiting = ms
            else:
                self.buffer = self.buffer.vstack(rows)
                if self.buffer.n_chunks() > 32:
                    self.buffer = self.buffer.rechunk()
                waiting = self.buffer["_ms"].to_numpy()
            due = int(np.searchsorted(waiting, self.watermark_ms, "right"))
            if due:
                self._take(self.buffer.slice(0, due))
                self.buffer = self.buffer.slice(due)
        else:
            self._count_reordered(rows)
            self.max_ms = max(self.max_ms, float(self.max_key[0]))  # type: ignore[index]
            self.buffer = pl.concat([self.buffer, rows], how="vertical")
            self._sorted = False
            self._release(self.watermark_ms)
        return self._score()

    def _in_order(
        self, rows: pl.DataFrame, ms: np.ndarray, kind: np.ndarray, us: np.ndarray
    ) -> bool:
        """Whether the batch is in record order and after every key seen (and the buffer
        sorted), so that buffer + batch is sorted as it stands."""
        if not self._sorted:
            return False
        ids = rows["id"]
        if self.max_key is not None and int(ms[0]) <= self.max_key[0]:
            first = (int(ms[0]), int(kind[0]), int(us[0]), str(ids[0]))
            if first <= self.max_key:
                return False
        if rows.height == 1:
            return True
        step = np.diff(ms)
        if bool((step > 0).all()):
            return True
        if bool((step < 0).any()):
            return False
        # the same millisecond: the rest of the key decides (equal keys keep their order)
        for i in np.flatnonzero(step == 0).tolist():
            here = (int(kind[i]), int(us[i]), str(ids[i]))
            if here > (int(kind[i + 1]), int(us[i + 1]), str(ids[i + 1])):
                return False
        return True

    def flush(self) -> list[dict[str, Any]]:
        """End of input: score everything still buffered."""
        self._release(math.inf)
        return self._score()

    def _count_reordered(self, rows: pl.DataFrame) -> None:
        """Records behind one that arrived earlier; the latest key moves on."""
        keys = rows.select(_KEY)
        if self.max_key is not None:
            keys = pl.concat([pl.DataFrame([self.max_key], schema=keys.schema, orient="row"),
                              keys])  # fmt: skip
        order = keys.select(pl.arg_sort_by(_KEY)).to_series().to_numpy()
        ordered = keys[order]
        step = np.ones(keys.height, bool)
        step[1:] = (
            ~ordered.select(
                pl.all_horizontal(pl.col(c) == pl.col(c).shift(1) for c in _KEY).fill_null(False)
            )
            .to_series()
            .to_numpy()[1:]
        )
        rank = np.empty(keys.height, np.int64)
        rank[order] = np.cumsum(step)
        before = np.maximum.accumulate(rank)[:-1]
        # a row is behind when some key before it (an earlier arrival, or the previous latest
        # key in front) is later than its own
        self.stats.reordered += int((rank[1:] < before).sum())
        self.max_key = _key_of(ordered.row(keys.height - 1))

    def _quarantine_late(self, late: pl.DataFrame) -> None:
        self.stats.late += late.height
        for row in late.iter_rows(named=True):
            kind, record = record_of(row)
            self.quarantined.append(
                Quarantined(
                    kind,
                    record,
                    f"late: event time {row['time'].isoformat()} is behind the watermark "
                    f"(allowed lateness {self.lateness_ms} ms)",
                )
            )

    def _release(self, up_to_ms: float) -> None:
        """Move every buffered record at or before ``up_to_ms`` to the batch to score."""
        if self.buffer.height == 0:
            return
        due = self.buffer["_ms"] <= up_to_ms if math.isfinite(up_to_ms) else None
        if due is None:
            ready, self.buffer = self.buffer, self.buffer.clear()
        elif not due.any():
            return
        else:
            ready, self.buffer = self.buffer.filter(due), self.buffer.filter(~due)
        if not self._sorted:
            ready = ready.sort(_KEY)
        if self.buffer.height == 0:
            self._sorted = True
        self._take(ready)

    def _take(self, ready: pl.DataFrame) -> None:
        """Records to score, in record order: the last of them is now released."""
        self.released = _key_of(tuple(ready[c][ready.height - 1] for c in _KEY))
        self._ready.append(ready)

    def _score(self) -> list[dict[str, Any]]:
        if not self._ready:
            return []
        ready = self._ready[0] if len(self._ready) == 1 else pl.concat(self._ready)
        self._ready = []
        self.stats.processed += ready.height
        tracker = self.stepper.campaigns.tracker
        passes = tracker.next_us
        alerts = self.stepper.step_batch(ready)
        self.stats.alerts += len(alerts)
        if passes is not None and tracker.next_us != passes:
            # a campaign pass ran: what it freed goes back to the system, not kept beside the
            # state for the next one to land on (stream/memory.py)
            release_unused()
        return alerts

    def take_quarantined(self) -> list[Quarantined]:
        out, self.quarantined = self.quarantined, []
        return out

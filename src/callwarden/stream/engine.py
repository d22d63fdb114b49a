"""The stream engine: event-time ordering, watermarks, and the batch path one record at a time.

Records may arrive out of order. The engine holds them in a buffer ordered exactly as batch
scoring orders records (event time to the millisecond, calls before SMS, then the exact time and
the record id) and releases a record once the watermark, the latest event time seen minus the
allowed lateness, has passed it. Released records are scored together, as one batch, through
:class:`AlertStepper`: the compiled incremental features, the detectors and the policy of
``replay_alerts``, which the conformance suite holds equal to ``callwarden score``. A record that
arrives after a later one was already released is too late: it is not scored (that would change
history) but returned as quarantined with its reason.

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

import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.replay import AlertStepper

__all__ = ["Quarantined", "StreamEngine", "StreamStats", "order_key"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_KIND_RANK = {"call": 0, "sms": 1}
_TIME = {"call": "start_time", "sms": "sent_time"}
_ID = {"call": "call_id", "sms": "sms_id"}

Key = tuple[int, int, int, str]


def order_key(kind: str, record: dict[str, Any]) -> Key:
    """Batch scoring's record order: (ms, calls first, exact µs, id)."""
    us = (record[_TIME[kind]] - _EPOCH) // _US
    return (us // 1000, _KIND_RANK[kind], us, str(record[_ID[kind]]))


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
    """Per-number state and the reorder buffer: feed :meth:`push`, end with :meth:`flush`."""

    subscribers: pl.DataFrame | None = None
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    timezone: str = "Asia/Shanghai"
    known: pl.Series | None = None
    lateness_ms: int = 30_000
    #: broker sequence of the last message this state reflects (checkpoints store it)
    last_seq: int = 0

    def __post_init__(self) -> None:
        self.stepper = AlertStepper(self.subscribers, self.policy, self.timezone, self.known)
        self.subscribers = None  # the stepper keeps what it needs; checkpoints stay small
        self.buffer: list[tuple[Key, int, str, dict[str, Any]]] = []
        self.max_ms = -math.inf
        self.max_key: Key | None = None
        self.released: Key | None = None
        self.stats = StreamStats()
        self._n = 0
        self.quarantined: list[Quarantined] = []
        self._ready: list[tuple[str, dict[str, Any]]] = []

    @property
    def watermark_ms(self) -> float:
        return self.max_ms - self.lateness_ms

    def push(self, kind: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Take one record; return the alerts of every record it lets through the watermark."""
        self._accept(kind, record)
        return self._score()

    def push_many(self, records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Take records in arrival order, exactly as :meth:`push` one by one would, but score
        what they release as one batch (much faster); return the alerts, in order."""
        for kind, record in records:
            self._accept(kind, record)
        return self._score()

    def flush(self) -> list[dict[str, Any]]:
        """End of input: score everything still buffered."""
        self._release(math.inf)
        return self._score()

    def _accept(self, kind: str, record: dict[str, Any]) -> None:
        self.stats.received += 1
        key = order_key(kind, record)
        if self.released is not None and key <= self.released:
            self.stats.late += 1
            self.quarantined.append(
                Quarantined(
                    kind,
                    record,
                    f"late: event time {record[_TIME[kind]].isoformat()} is behind the watermark "
                    f"(allowed lateness {self.lateness_ms} ms)",
                )
            )
            return
        if self.max_key is not None and key < self.max_key:
            self.stats.reordered += 1
        else:
            self.max_key = key
        self.max_ms = max(self.max_ms, key[0])
        self._n += 1
        heapq.heappush(self.buffer, (key, self._n, kind, record))
        self._release(self.watermark_ms)

    def _release(self, up_to_ms: float) -> None:
        """Move every buffered record at or before ``up_to_ms`` to the batch to score."""
        while self.buffer and self.buffer[0][0][0] <= up_to_ms:
            key, _, kind, record = heapq.heappop(self.buffer)
            self.released = key
            self._ready.append((kind, record))

    def _score(self) -> list[dict[str, Any]]:
        ready, self._ready = self._ready, []
        if not ready:
            return []
        self.stats.processed += len(ready)
        alerts = self.stepper.step_records(ready)
        self.stats.alerts += len(alerts)
        return alerts

    def take_quarantined(self) -> list[Quarantined]:
        out, self.quarantined = self.quarantined, []
        return out

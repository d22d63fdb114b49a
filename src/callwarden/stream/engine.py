"""The stream engine: event-time ordering, watermarks, and the batch path one record at a time.

Records may arrive out of order. The engine holds them in a buffer ordered exactly as batch
scoring orders records (event time to the millisecond, calls before SMS, then the exact time and
the record id) and releases a record once the watermark, the latest event time seen minus the
allowed lateness, has passed it. Released records go through :class:`AlertStepper`: the same
online features, detectors and policy as ``replay_alerts``, which the conformance suite holds
equal to ``callwarden score``. A record that arrives after a later one was already released is
too late: it is not scored (that would change history) but returned as quarantined with its reason.

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
from callwarden.features.triage import GATE, Gate

__all__ = ["Quarantined", "StreamEngine", "StreamStats", "may_alert", "order_key"]

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


def may_alert(f: dict[str, float], gate: Gate = GATE) -> bool:
    """The triage gate at one event: below it every built-in detector scores 0.

    The detector conformance suite holds every detector to this, so skipping the detectors
    for events that fail it changes no alert; it makes the stream several times faster.
    """
    age, days = f["owner_age"], f["new_sim_days"]
    unusual = f["is_international"] > 0 or (
        not math.isnan(age) and (age > gate.unusual_age_over or age < gate.unusual_age_under)
    )
    return (
        f["out_calls_1h"] >= gate.busy_calls_1h
        or (unusual and f["out_calls_1h"] >= gate.unusual_calls_1h)
        or f["sms_out_1h"] >= gate.sms_1h
        or (
            not math.isnan(days)
            and days < gate.new_sim_days
            and f["out_calls_24h"] >= gate.new_sim_calls_24h
        )
        or f["imsis_per_imei"] >= gate.sims_per_device
        or f["shared_victims_24h"] >= gate.known_signals_24h
        or f["known_contacts_24h"] >= gate.known_signals_24h
    )


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
        self.stepper.gate = may_alert
        self.subscribers = None  # the stepper keeps what it needs; checkpoints stay small
        self.buffer: list[tuple[Key, int, str, dict[str, Any]]] = []
        self.max_ms = -math.inf
        self.max_key: Key | None = None
        self.released: Key | None = None
        self.stats = StreamStats()
        self._n = 0
        self.quarantined: list[Quarantined] = []

    @property
    def watermark_ms(self) -> float:
        return self.max_ms - self.lateness_ms

    def push(self, kind: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Take one record; return the alerts of every record it lets through the watermark."""
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
            return []
        if self.max_key is not None and key < self.max_key:
            self.stats.reordered += 1
        else:
            self.max_key = key
        self.max_ms = max(self.max_ms, key[0])
        self._n += 1
        heapq.heappush(self.buffer, (key, self._n, kind, record))
        return self._release(self.watermark_ms)

    def flush(self) -> list[dict[str, Any]]:
        """End of input: score everything still buffered."""
        return self._release(math.inf)

    def _release(self, up_to_ms: float) -> list[dict[str, Any]]:
        alerts = []
        while self.buffer and self.buffer[0][0][0] <= up_to_ms:
            key, _, kind, record = heapq.heappop(self.buffer)
            self.released = key
            self.stats.processed += 1
            alert = self.stepper.step(kind, record)
            if alert is not None:
                self.stats.alerts += 1
                alerts.append(alert)
        return alerts

    def take_quarantined(self) -> list[Quarantined]:
        out, self.quarantined = self.quarantined, []
        return out

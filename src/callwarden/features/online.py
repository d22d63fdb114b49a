"""Features one record at a time: the incremental engine behind a per-record interface.

:class:`OnlineFeatures` hands each record to
:class:`~callwarden.features.incremental.IncrementalFeatures` (the compiled per-number window
state the stream runs on) as a batch of one, and returns the acting number's features as a
dictionary. Feeding records in the order :func:`replay_order` gives yields, for every outgoing
call and SMS, exactly the features the batch engine computes for it; the conformance suite
checks that on generated traffic. For speed, hand whole batches to ``IncrementalFeatures``.

>>> import datetime as dt
>>> on = OnlineFeatures()
>>> t0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> f = None
>>> for k in range(3):
...     f = on.call({"call_id": str(k), "caller": "+8613800000001", "callee": f"+861390000000{k}",
...                  "start_time": t0 + dt.timedelta(minutes=2 * k), "duration_s": 0, "ring_s": 20,
...                  "caller_cell": "C1", "caller_imei": "1"})
>>> f["out_calls_15m"], f["gap_mean_15m"]
(3.0, 120.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import polars as pl

from callwarden.features.incremental import IncrementalFeatures, batch_of
from callwarden.features.spec import FEATURES

__all__ = ["OnlineFeatures", "replay_order"]


class OnlineFeatures:
    """Per-number state; call :meth:`call` / :meth:`sms` with records in replay order."""

    def __init__(
        self,
        subscribers: pl.DataFrame | None = None,
        timezone: str = "Asia/Shanghai",
        known: pl.Series | None = None,
    ) -> None:
        self.engine = IncrementalFeatures(subscribers, timezone, known)

    def _one(self, kind: str, rec: Mapping[str, Any]) -> dict[str, float]:
        row = self.engine.process(batch_of([(kind, dict(rec))])).row(0, named=True)
        return {name: row[name] for name in FEATURES}

    def call(self, rec: Mapping[str, Any]) -> dict[str, float]:
        """Take one call; return the caller's features at it."""
        return self._one("call", rec)

    def sms(self, rec: Mapping[str, Any]) -> dict[str, float]:
        """Take one SMS; return the sender's features at it."""
        return self._one("sms", rec)


def replay_order(
    calls: pl.DataFrame, sms: pl.DataFrame | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records in the order the batch engine and a live stream process them.

    Calls sorted by ``(start_time, call_id)``, SMS by ``(sent_time, sms_id)``, merged by the
    millisecond, calls first on ties.
    """
    c = calls.sort("start_time", "call_id").with_columns(
        _t=pl.col("start_time").dt.epoch("ms"), _k=pl.lit(0), _i=pl.int_range(pl.len())
    )
    rows = [("call", r) for r in c.iter_rows(named=True)]
    if sms is not None and sms.height:
        s = sms.sort("sent_time", "sms_id").with_columns(
            _t=pl.col("sent_time").dt.epoch("ms"), _k=pl.lit(1), _i=pl.int_range(pl.len())
        )
        rows += [("sms", r) for r in s.iter_rows(named=True)]
        rows.sort(key=lambda kr: (kr[1]["_t"], kr[1]["_k"], kr[1]["_i"]))
    yield from rows

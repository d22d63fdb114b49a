"""Score records one batch at a time, as a live stream does: the reference for batch equivalence.

:func:`replay_alerts` feeds records in stream order through the incremental feature engine
(:class:`~callwarden.features.incremental.IncrementalFeatures`), the same detectors and the same
:class:`~callwarden.decide.policy.DecisionState` as batch scoring, and returns the alerts it
emitted. The conformance suite asserts they equal :func:`score_records`' alerts, whatever the
batch sizes.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.scoring import EventScorer, FeatureArrays, allowed_numbers, served_numbers
from callwarden.features.incremental import IncrementalFeatures, batch_of, record_batch
from callwarden.network import ServedNumbers

__all__ = ["AlertStepper", "replay_alerts"]


class AlertStepper:
    """Features -> detector scores -> decision, for record batches in processing order.

    ``served``: prefixes the operator serves, besides the subscribers (``served_numbers``).
    """

    def __init__(
        self,
        subscribers: pl.DataFrame | None,
        policy: PolicyConfig,
        timezone: str = "Asia/Shanghai",
        known: pl.Series | None = None,
        served: ServedNumbers | None = None,
    ) -> None:
        self.features = IncrementalFeatures(subscribers, timezone, known)
        self.scorer = EventScorer(
            policy,
            allowed_numbers(subscribers),
            timezone=timezone,
            served=served_numbers(subscribers, served),
        )

    def step_batch(self, batch: pl.DataFrame) -> list[dict[str, Any]]:
        """Process a record batch (see :func:`~callwarden.features.incremental.record_batch`);
        return the alert rows it raises, in order."""
        return self.scorer.score(FeatureArrays(*self.features.process_arrays(batch)))

    def step_records(self, records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """The same for canonical records as dictionaries, ``(kind, record)`` in order."""
        return self.step_batch(batch_of(records)) if records else []

    def step(self, kind: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """Process one record; return the alert row it raises, if any."""
        rows = self.step_records([(kind, record)])
        return rows[0] if rows else None


def replay_alerts(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None,
    subscribers: pl.DataFrame | None,
    policy: PolicyConfig | None = None,
    timezone: str = "Asia/Shanghai",
    known: pl.Series | None = None,
    batch_size: int = 50_000,
    served: ServedNumbers | None = None,
) -> pl.DataFrame:
    """All alerts from replaying the records in stream order, ``batch_size`` at a time."""
    stepper = AlertStepper(subscribers, policy or PolicyConfig(), timezone, known, served)
    records = record_batch(calls, sms)
    rows = []
    for start in range(0, records.height, batch_size):
        rows += stepper.step_batch(records.slice(start, batch_size))
    return alerts_from_rows(rows)

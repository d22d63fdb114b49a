"""Score records one at a time, as a live stream does: the reference for batch equivalence.

:func:`replay_alerts` feeds records in stream order through :class:`OnlineFeatures`, the same
detectors and the same :class:`DecisionState` as batch scoring, and returns the alerts it
emitted. The conformance suite asserts they equal :func:`score_records`' alerts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import polars as pl

from callwarden.decide.policy import DecisionState, PolicyConfig
from callwarden.detect import rules as _rules  # noqa: F401  (registers the built-in detectors)
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.base import DETECTORS
from callwarden.detect.scoring import explain_event
from callwarden.features.online import OnlineFeatures, replay_order

__all__ = ["AlertStepper", "replay_alerts"]


class AlertStepper:
    """Features -> detector scores -> decision for one event at a time."""

    def __init__(
        self,
        subscribers: pl.DataFrame | None,
        policy: PolicyConfig,
        timezone: str = "Asia/Shanghai",
        known: pl.Series | None = None,
    ) -> None:
        self.features = OnlineFeatures(subscribers, timezone, known)
        self.policy = policy
        self.state = DecisionState(policy)
        self.timezone = timezone
        self.allowed: set[str] = set()
        if subscribers is not None and "whitelisted" in subscribers.columns:
            self.allowed = set(subscribers.filter(pl.col("whitelisted"))["msisdn"].to_list())
        self.detectors = list(DETECTORS.items())
        #: optional fast path: events failing it cannot reach ``watch`` and skip the detectors
        #: (the stream sets :func:`callwarden.stream.engine.may_alert`, the triage gate)
        self.gate: Callable[[dict[str, float]], bool] | None = None

    def step(self, kind: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """Process one record; return the alert row it raises, if any."""
        if kind == "call":
            msisdn, at = str(record["caller"]), record["start_time"]
            row = self.features.call(record)
        else:
            msisdn, at = str(record["sender"]), record["sent_time"]
            row = self.features.sms(record)
        if self.gate is not None and not self.gate(row):
            return None
        arrays = {k: np.array([v]) for k, v in row.items()}
        scores = {}
        for name, det in self.detectors:
            value = float(det.score(arrays)[0]) if det.kind == kind else 0.0
            scores[name] = min(max(0.0 if math.isnan(value) else value, 0.0), 1.0)
        combined = max(scores.values(), default=0.0)
        if combined < self.policy.watch:
            return None
        day = at.astimezone(self.features.zone).date().isoformat()
        decision = self.state.step(msisdn, day=day, score=combined, allowed=msisdn in self.allowed)
        if decision is None:
            return None
        reasons = explain_event(row, scores, self.policy.watch, self.detectors)
        return {
            "msisdn": msisdn,
            "flagged_at": at,
            "score": round(combined, 6),
            "decision": decision,
            "reasons": [r.as_record() for r in reasons],
        }


def replay(
    records: Iterable[tuple[str, dict[str, Any]]], stepper: AlertStepper
) -> Iterator[dict[str, Any]]:
    """Alerts raised while stepping through ``records`` in order."""
    for kind, record in records:
        alert = stepper.step(kind, record)
        if alert is not None:
            yield alert


def replay_alerts(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None,
    subscribers: pl.DataFrame | None,
    policy: PolicyConfig | None = None,
    timezone: str = "Asia/Shanghai",
    known: pl.Series | None = None,
) -> pl.DataFrame:
    """All alerts from replaying the records one by one in stream order."""
    stepper = AlertStepper(subscribers, policy or PolicyConfig(), timezone, known)
    rows = list(replay(replay_order(calls, sms), stepper))
    return alerts_from_rows(rows)

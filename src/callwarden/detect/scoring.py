"""Batch scoring: features -> detector scores -> policy -> alerts, in event time.

Every outgoing call and SMS is an evaluation point. The combined risk at an event is the highest
detector score there (and the learned scorer's, when a model is given); the policy turns it into
a decision, and an alert row is written each time a number's decision rises, stamped with the
event time of the record that crossed the threshold. Replaying the same records through the
stream gives the same alerts, because both step the same :class:`DecisionState` in record order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from callwarden.decide.policy import DecisionState, PolicyConfig
from callwarden.detect import rules as _rules  # noqa: F401  (registers the built-in detectors)
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.base import DETECTORS, Detector
from callwarden.detect.reasons import Reason
from callwarden.features.crossing import with_crossing_signals
from callwarden.features.embedded import compute_features
from callwarden.features.triage import candidates, restrict_to

__all__ = [
    "EventScorer",
    "ModelScorer",
    "ScoreResult",
    "allowed_numbers",
    "explain_event",
    "score_events",
    "score_records",
]

#: optional learned scorer: (features frame) -> (scores in [0, 1], reasons per row on demand)
ModelScorer = Callable[[pl.DataFrame], tuple[np.ndarray, Callable[[int], list[Reason]]]]


@dataclass
class ScoreResult:
    """Alerts plus what produced them (for evaluation and benchmarks)."""

    alerts: pl.DataFrame
    events: int = 0
    candidates: int = 0
    detector_hits: dict[str, int] = field(default_factory=dict)


def detector_scores(features: pl.DataFrame) -> dict[str, np.ndarray]:
    """Every registered detector's score at every event (0 where the event kind differs)."""
    arrays = {c: features[c].to_numpy() for c in features.columns if features[c].dtype.is_float()}
    kind = features["kind"].to_numpy()
    scores: dict[str, np.ndarray] = {}
    for name, det in DETECTORS.items():
        raw = np.clip(np.nan_to_num(det.score(arrays), nan=0.0), 0.0, 1.0)
        scores[name] = np.where(kind == det.kind, raw, 0.0)
    return scores


def explain_event(
    row: dict[str, float], at: dict[str, float], watch: float, detectors: list[tuple[str, Detector]]
) -> list[Reason]:
    """Reasons of every detector at or above ``watch``, strongest first, weights summing to 1."""
    fired = sorted(
        ((at[name], det) for name, det in detectors if at[name] >= watch),
        key=lambda x: -x[0],
    )
    total = sum(s for s, _ in fired) or 1.0
    out = []
    for s, det in fired:
        r = det.explain(row)
        out.append(Reason(r.code, round(s / total, 4), r.text_zh, r.text_en, r.evidence))
    return out


def allowed_numbers(subscribers: pl.DataFrame | None) -> set[str]:
    """Whitelisted subscribers: never restricted or suspended automatically."""
    if subscribers is not None and "whitelisted" in subscribers.columns:
        return set(subscribers.filter(pl.col("whitelisted"))["msisdn"].to_list())
    return set()


class EventScorer:
    """Detectors, model and policy over feature frames that arrive in record order.

    The decision state persists between calls, so a day scored in one frame and the same day
    scored in consecutive batches (the stream) give the same alerts.
    """

    def __init__(
        self,
        policy: PolicyConfig,
        allowed: set[str] | None = None,
        *,
        timezone: str = "Asia/Shanghai",
        model: ModelScorer | None = None,
    ) -> None:
        self.policy = policy
        self.allowed = allowed or set()
        self.timezone = timezone
        self.model = model
        self.state = DecisionState(policy)
        self.detectors = list(DETECTORS.items())
        self.hits: dict[str, int] = {}
        self.events = 0
        self.candidates = 0

    def score(self, features: pl.DataFrame) -> list[dict[str, object]]:
        """Alert rows raised by these events (a features frame in record order)."""
        self.events += features.height
        if features.height == 0:
            return []
        scores = detector_scores(features)
        combined = np.max(np.vstack(list(scores.values())), axis=0) if scores else np.zeros(0)
        explain_model: Callable[[int], list[Reason]] | None = None
        if self.model is not None:
            model_scores, explain_model = self.model(features)
            combined = np.maximum(combined, model_scores)
        idx = np.flatnonzero(combined >= self.policy.watch)
        if "seq" in features.columns:
            idx = idx[np.argsort(features["seq"].to_numpy()[idx], kind="stable")]
        self.candidates += int(idx.shape[0])
        if idx.shape[0] == 0:
            return []
        cand = features[idx]
        local = cand["time"].dt.convert_time_zone(self.timezone)
        days = local.dt.date().cast(pl.String).to_list()
        rows: list[dict[str, object]] = []
        numbers = cand["msisdn"].to_list()
        times = cand["time"].to_list()
        floats = [c for c in cand.columns if cand[c].dtype.is_float()]
        for k, i in enumerate(idx):
            msisdn = numbers[k]
            decision = self.state.step(
                msisdn, day=days[k], score=float(combined[i]), allowed=msisdn in self.allowed
            )
            if decision is None:
                continue
            row = {c: float(cand[c][k]) for c in floats}
            at = {name: float(s[i]) for name, s in scores.items()}
            reasons = explain_event(row, at, self.policy.watch, self.detectors)
            if explain_model is not None and not reasons:
                reasons = explain_model(int(i))
            for r in reasons:
                self.hits[r.code] = self.hits.get(r.code, 0) + 1
            rows.append(
                {
                    "msisdn": msisdn,
                    "flagged_at": times[k],
                    "score": round(float(combined[i]), 6),
                    "decision": decision,
                    "reasons": [r.as_record() for r in reasons],
                }
            )
        return rows


def score_events(
    features: pl.DataFrame,
    subscribers: pl.DataFrame | None,
    policy: PolicyConfig,
    *,
    timezone: str = "Asia/Shanghai",
    model: ModelScorer | None = None,
) -> ScoreResult:
    """Alerts from a features frame (as made by the feature engine), in record order."""
    scorer = EventScorer(policy, allowed_numbers(subscribers), timezone=timezone, model=model)
    rows = scorer.score(features)
    return ScoreResult(alerts_from_rows(rows), events=scorer.events, candidates=scorer.candidates,
                       detector_hits=scorer.hits)  # fmt: skip


def score_records(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None,
    subscribers: pl.DataFrame | None,
    policy: PolicyConfig | None = None,
    *,
    timezone: str = "Asia/Shanghai",
    model: ModelScorer | None = None,
    triage: bool = True,
    known: pl.Series | None = None,
) -> ScoreResult:
    """Score canonical records end to end (features, detectors, policy) into alerts.

    Without a model, numbers no detector could flag are triaged out first (same alerts,
    less work); ``triage=False`` computes every number's features. ``known`` are known fraud
    numbers, for the shared-victim and known-contact signals.
    """
    only = None
    calls = with_crossing_signals(calls, known)
    if model is None and triage:
        only = candidates(calls, sms, subscribers)
        if only.len() == 0:  # no number can reach the gate: nothing to compute, no alert
            return ScoreResult(alerts=alerts_from_rows([]))
        calls, sms = restrict_to(only, calls, sms, known)
    features, _, _ = compute_features(calls, sms, subscribers, timezone, only=only, known=known)
    return score_events(
        features, subscribers, policy or PolicyConfig(), timezone=timezone, model=model
    )

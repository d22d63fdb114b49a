"""Batch scoring: features -> detector scores -> policy -> alerts, in event time.

Every outgoing call and SMS is an evaluation point. The combined risk at an event is the highest
detector score there (and the learned scorer's, when a model is given); the policy turns it into
a decision, and an alert row is written each time a number's decision rises, stamped with the
event time of the record that crossed the threshold. Replaying the same records through the
stream gives the same alerts, because both step the same :class:`DecisionState` in record order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import polars as pl

from callwarden.decide.policy import INTERCEPT_ONLY_DETECTORS, DecisionState, PolicyConfig
from callwarden.decide.served import Served, resolve_served
from callwarden.detect import rules as _rules  # noqa: F401  (registers the built-in detectors)
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.arrays import FeatureArrays
from callwarden.detect.base import DETECTORS, Detector, bounded
from callwarden.detect.call_content import CallContent
from callwarden.detect.callee_areas import RELAY_DETECTORS, Areas, CalleeAreas
from callwarden.detect.campaign_steps import BatchCampaigns
from callwarden.detect.reasons import Reason
from callwarden.detect.record_features import RecordFeatures, fill_records
from callwarden.detect.rules.sms_burst import volume_score
from callwarden.detect.sms_content import SmsContent
from callwarden.features.engines.base import (
    BATCH_STEPS,
    DEFAULT_TIMEZONE,
    Traffic,
    load_engine,
)
from callwarden.features.gate import passes_gate
from callwarden.network import ServedNumbers
from callwarden.records.codes import with_call_keys
from callwarden.records.schema import ALERT_DECISIONS

__all__ = [
    "SCORING_STEPS",
    "EventScorer",
    "FeatureArrays",
    "ModelScorer",
    "ScoreResult",
    "allowed_numbers",
    "explain_event",
    "highest",
    "score_events",
    "score_records",
    "served_numbers",
]


class ModelScorer(Protocol):
    """A learned scorer at every event (``callwarden.detect.model.events.EventModel``)."""

    def inputs(self, values: dict[str, np.ndarray], groups: np.ndarray) -> np.ndarray:
        """The model's rows at events in event order (``groups``: each event's number)."""

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Risk in [0, 1] of each row."""

    def reasons(self, row: np.ndarray) -> list[Reason]:
        """Why one row scored as it did."""


@dataclass
class ScoreResult:
    """Alerts plus what produced them (for evaluation and benchmarks)."""

    alerts: pl.DataFrame
    events: int = 0
    candidates: int = 0
    detector_hits: dict[str, int] = field(default_factory=dict)


#: what :func:`score_records` reports to its ``progress`` callback, in order
SCORING_STEPS = (*BATCH_STEPS, "detectors and policy")


def detector_scores(features: pl.DataFrame | FeatureArrays) -> dict[str, np.ndarray]:
    """Every registered detector's score at every event (0 where the event kind differs)."""
    if isinstance(features, pl.DataFrame):
        features = FeatureArrays.of(features)
    scores: dict[str, np.ndarray] = {}
    of_kind: dict[str, np.ndarray] = {}  # (each kind's events compared once, not per detector)
    for name, det in DETECTORS.items():
        if det.kind not in of_kind:
            of_kind[det.kind] = features.kind == det.kind
        scores[name] = np.where(of_kind[det.kind], bounded(det.score(features.values)), 0.0)
    return scores


def highest(scores: dict[str, np.ndarray]) -> np.ndarray:
    """The highest of the detectors' scores at each event (``np.max`` of them stacked,
    without the stack: one array as long as the events).

    >>> highest({"a": np.array([0.1, 0.9]), "b": np.array([0.5, 0.2])}).tolist()
    [0.5, 0.9]
    """
    columns = iter(scores.values())
    out = np.array(next(columns, np.zeros(0)), np.float64)
    for s in columns:
        np.maximum(out, s, out=out)
    return out


def explain_event(
    row: dict[str, float], at: dict[str, float], watch: float, detectors: list[tuple[str, Detector]]
) -> list[Reason]:
    """Reasons of every detector at or above ``watch``, strongest first, weights summing to 1.

    On a tie an impersonation reason (``INTERCEPT_ONLY_DETECTORS``) comes first: it is the one
    the policy decided by (:func:`impersonated`)."""
    fired = sorted(
        ((at[name], det) for name, det in detectors if at[name] >= watch),
        key=lambda x: (-x[0], x[1].name not in INTERCEPT_ONLY_DETECTORS),
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


def served_numbers(subscribers: pl.DataFrame | None, served: ServedNumbers | None = None) -> Served:
    """The numbers the operator serves: the subscriber table's and the ``served`` prefixes
    (see ``decide/served.py``; an empty table counts as none).

    >>> served_numbers(None).serves("+8613812345678"), served_numbers(None).serves("+1202")
    (True, False)
    """
    table = None
    if subscribers is not None and subscribers.height:
        table = subscribers["msisdn"].cast(pl.String).drop_nulls()  # (kept compact)
    return resolve_served(table, served)


class EventScorer:
    """Detectors, model and policy over feature frames that arrive in record order.

    The decision state persists between calls, so a day scored in one frame and the same day
    scored in consecutive batches (the stream) give the same alerts. ``served``: the numbers
    the operator serves (:func:`served_numbers`); None counts every number as its own.
    """

    def __init__(
        self,
        policy: PolicyConfig,
        allowed: set[str] | None = None,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        served: Served | None = None,
    ) -> None:
        self.policy = policy
        self.allowed = allowed or set()
        self.timezone = timezone
        self.state = DecisionState(policy, served)
        self.detectors = list(DETECTORS.items())
        self.hits: dict[str, int] = {}
        self.events = 0
        self.candidates = 0
        #: the texts of the SMS being scored (``detect/sms_content.py``), where records carry
        #: them: the content feature of SMS events and the content reason of their alerts
        self.content: SmsContent | None = None
        #: the transcripts of answered calls (``detect/call_content.py``): a content reason
        #: at any alert of a number whose calls read as a scam
        self.call_content: CallContent | None = None
        #: the callers' own calls and where their callees live (``detect/callee_areas.py``):
        #: the area features at the events scored, where the features lack them
        self.callee_areas: CalleeAreas | None = None
        #: the areas' names, for the relay detectors' reasons
        self.areas: Areas | None = None

    def score(self, features: pl.DataFrame | FeatureArrays) -> list[dict[str, object]]:
        """Alert rows raised by these events (features in record order, or arrays whose
        ``seq`` gives it)."""
        self.events += features.height
        if features.height == 0:
            return []
        frame = features if isinstance(features, pl.DataFrame) else None
        arrays = FeatureArrays.of(features) if isinstance(features, pl.DataFrame) else features
        if frame is None:
            # only events past the triage gate can alert
            passing = np.flatnonzero(passes_gate(arrays.values))
            if passing.shape[0] == 0:
                return []
            if passing.shape[0] < arrays.height:
                arrays = arrays.take(passing)
        self.fill_records(arrays, missing_only=True)
        scores = detector_scores(arrays)
        combined = highest(scores)
        idx = np.flatnonzero(combined >= self.policy.watch)
        seq = frame["seq"].to_numpy() if frame is not None and "seq" in frame.columns else None
        seq = arrays.seq if seq is None else seq
        if seq is not None:  # the policy steps through events in record order
            idx = idx[np.argsort(seq[idx], kind="stable")]
        return self.step(arrays, idx, scores, combined)

    @property
    def fillers(self) -> list[RecordFeatures | None]:
        """The readers of records it holds, in the order of ``record_features.FILLERS``."""
        return [self.content, self.call_content, self.callee_areas]

    def fill_records(self, arrays: FeatureArrays, *, missing_only: bool = False) -> None:
        """The record features at these events (``missing_only``: those the arrays lack)."""
        fill_records(self.fillers, arrays.values, arrays.kind == "sms", arrays.times_us(),
                     arrays.numbers, missing_only=missing_only)  # fmt: skip

    def step(
        self,
        arrays: FeatureArrays,
        idx: np.ndarray,
        scores: dict[str, np.ndarray],
        combined: np.ndarray,
        explain_model: Callable[[int], list[Reason]] | None = None,
    ) -> list[dict[str, object]]:
        """The policy over the candidate events ``idx`` (in record order, each at or above
        ``watch`` in ``combined``): a row per rise, with the detectors' reasons, else the
        model's (``explain_model`` of the event)."""
        self.candidates += int(idx.shape[0])
        if idx.shape[0] == 0:
            return []
        days = arrays.local_days(idx, self.timezone)
        rows: list[dict[str, object]] = []
        raised: list[int] = []  # the events that raised those rows
        numbers = arrays.numbers(idx)
        allowed = np.array([m in self.allowed for m in numbers] if self.allowed else [False])
        levels = self.state.step_many(
            numbers,
            days,
            combined[idx],
            np.broadcast_to(allowed, idx.shape),
            impersonated(scores, combined, idx),
        )
        for k in np.flatnonzero(levels):
            i, msisdn, decision = idx[k], numbers[k], ALERT_DECISIONS[levels[k] - 1]
            row = {c: float(v[i]) for c, v in arrays.values.items()}
            at = {name: float(s[i]) for name, s in scores.items()}
            reasons = explain_event(row, at, self.policy.watch, self.detectors)
            if self.areas is not None:  # where the callees live (callee_areas.py)
                areas = self.areas
                reasons = [areas.explain(r, row) if r.code in RELAY_DETECTORS else r
                           for r in reasons]  # fmt: skip
            if self.content is not None and arrays.kind[i] == "sms":
                reasons = self._with_content(reasons, row, at, msisdn, arrays, int(i))
            if explain_model is not None and not reasons:
                reasons = explain_model(int(i))
            if self.call_content:
                at_us = int(arrays.times_us(np.array([i]))[0])
                reasons = [self.call_content.explain(r, msisdn, at_us)
                           if r.code == "call_content" else r for r in reasons]  # fmt: skip
                said = self.call_content.reason(msisdn, at_us)
                if said is not None:
                    reasons = [*reasons, said]
            for r in reasons:
                self.hits[r.code] = self.hits.get(r.code, 0) + 1
            raised.append(int(i))
            rows.append(
                {
                    "msisdn": msisdn,
                    "flagged_at": None,  # (below: times only for the events that alert)
                    "score": round(float(combined[i]), 6),
                    "decision": decision,
                    "reasons": [r.as_record() for r in reasons],
                }
            )
        if rows:
            for alert, at_time in zip(rows, arrays.utc_times(np.array(raised)), strict=True):
                alert["flagged_at"] = at_time
        return rows

    def _with_content(
        self,
        reasons: list[Reason],
        row: dict[str, float],
        at: dict[str, float],
        msisdn: str,
        arrays: FeatureArrays,
        i: int,
    ) -> list[Reason]:
        """The SMS burst's reasons with the content reason beside it (the category and the
        words that decided), taking the share of the burst's weight the text added to it."""
        burst = next((k for k, r in enumerate(reasons) if r.code == "sms_burst"), None)
        if burst is None or self.content is None:
            return reasons
        weight = reasons[burst].weight
        score = at["sms_burst"]
        plain = float(volume_score({k: np.array([v]) for k, v in row.items()})[0])
        share = min(max((score - plain) / score, 0.0), 1.0) if score > 0 else 0.0
        found = self.content.reason(msisdn, int(arrays.times_us(np.array([i]))[0]),
                                    round(weight * share, 4))  # fmt: skip
        if found is None:
            return reasons
        mine = reasons[burst]
        reasons = list(reasons)
        reasons[burst] = Reason(mine.code, round(weight - found.weight, 4), mine.text_zh,
                                mine.text_en, mine.evidence)  # fmt: skip
        reasons.insert(burst + 1, found)
        return reasons


def impersonated(
    scores: dict[str, np.ndarray], combined: np.ndarray, idx: np.ndarray
) -> np.ndarray | None:
    """At the events ``idx``: whether a detector of ``INTERCEPT_ONLY_DETECTORS`` drives the
    combined score (it is the highest, ties included: honest subscribers first), so the policy
    intercepts the presented number rather than restricting its owner. None when no such
    detector scored.

    >>> impersonated({"relay_call": np.array([0.9, 1.0]),
    ...               "spoofed_presentation": np.array([1.0, 0.5])},
    ...              np.array([1.0, 1.0]), np.array([0, 1])).tolist()
    [True, False]
    """
    driven: np.ndarray | None = None
    for name in INTERCEPT_ONLY_DETECTORS:
        s = scores.get(name)
        if s is None:
            continue
        mine = (s[idx] > 0) & (s[idx] >= combined[idx])
        driven = mine if driven is None else driven | mine
    return driven


def score_events(
    features: pl.DataFrame | FeatureArrays,
    subscribers: pl.DataFrame | None,
    policy: PolicyConfig,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    served: Served | None = None,
    campaigns: Traffic | None = None,
    content: SmsContent | None = None,
    call_content: CallContent | None = None,
    areas: Areas | CalleeAreas | None = None,
) -> ScoreResult:
    """Alerts from a features frame (as made by the feature engine, in record order), or from
    feature arrays. ``served``: the numbers the operator serves; by default
    :func:`served_numbers` of ``subscribers``. ``campaigns``: the records (calls, SMS times,
    subscribers) the campaign pass reads at its checkpoints, between the events before each
    and the events after it, as :func:`score_records` does; None: no campaign pass.
    ``content``: the SMS texts, for the content feature where the frame lacks it and the
    content reason; ``call_content``: call transcripts joined to their calls, for theirs;
    ``areas``: the callers' calls and their callees' areas, for the area features where the
    frame lacks them (``detect/callee_areas.py``), or the areas alone (the frame has them),
    for the relay detectors' reasons; by default, with ``campaigns``, its calls'."""
    if areas is None and campaigns is not None:
        areas = CalleeAreas.of_records(campaigns.calls, campaigns.subscribers)
    served = served if served is not None else served_numbers(subscribers)
    scorer = EventScorer(policy, allowed_numbers(subscribers), timezone=timezone, served=served)
    scorer.content = content
    scorer.call_content = call_content
    if isinstance(areas, CalleeAreas):
        scorer.callee_areas, scorer.areas = areas, areas.areas
    else:
        scorer.areas = areas
    if campaigns is None:
        rows = scorer.score(features)
    else:
        rows = []
        groups = BatchCampaigns(campaigns, policy, scorer)
        if isinstance(features, pl.DataFrame):
            times = features["time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
        elif isinstance(features.time, pl.Series):
            times = features.time.cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
        else:
            times = np.asarray(features.time, np.int64)
        for part, checkpoint in groups.segments(times):
            if part.shape[0]:
                lo, n = int(part[0]), int(part.shape[0])
                piece = (
                    features.slice(lo, n)
                    if isinstance(features, pl.DataFrame)
                    else features.take(part)
                )
                rows += scorer.score(piece)
            rows += groups.at(checkpoint)
    return ScoreResult(alerts_from_rows(rows), events=scorer.events, candidates=scorer.candidates,
                       detector_hits=scorer.hits)  # fmt: skip


def score_records(
    traffic: Traffic,
    policy: PolicyConfig | None = None,
    *,
    model: ModelScorer | None = None,
    triage: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    served: ServedNumbers | None = None,
    engine: str = "compiled",
    transcripts: pl.DataFrame | CallContent | None = None,
) -> ScoreResult:
    """Score canonical records end to end (features, detectors, policy) into alerts.

    The features come from the feature engine ``engine`` (``features/engines/base.py``).
    Without a model, only the events past the detectors' gate are scored, and numbers that
    cannot reach it are skipped (same alerts, less work); ``triage=False`` computes every
    number's features. A ``model`` can flag any number: every event is scored, a part of
    the numbers at a time. ``progress`` hears ``(step, done, total)`` as each of the
    :data:`SCORING_STEPS` starts (with a model or without triage, ``(step, part, parts)`` as
    each part of the numbers starts). ``served``: prefixes the operator serves
    (``--served``), besides the subscribers (:func:`served_numbers`). ``transcripts``: call
    transcripts (``call_id``, ``text``), or those already joined to the calls, for the
    content reason of the numbers whose answered calls read as a scam
    (``detect/call_content.py``).
    """

    policy = policy or PolicyConfig()
    if isinstance(transcripts, pl.DataFrame):
        transcripts = CallContent.of_records(transcripts, traffic.calls)
    traffic = _keyed(traffic)  # (the numbers' keys, parsed once for every reader)
    scorer = _event_scorer(traffic, policy, served, transcripts)
    pending = _PendingCampaigns(traffic, policy, scorer)
    del traffic

    def step(name: str) -> None:
        if progress is not None:
            progress(name, SCORING_STEPS.index(name), len(SCORING_STEPS))
        pending.step(name)

    total, parts = load_engine(engine)().features(
        pending.traffic(), gated=model is None, triage=triage and model is None, progress=step
    )
    groups = pending.made()
    by_parts = model is not None or not triage
    kept: list[_Candidates] = []
    decode = None
    for done, piece in enumerate(parts):
        if progress is not None and by_parts:
            progress("features and scores, by slices of numbers", done, total)
        decode = piece.decode
        # what the records say at the slice's events (``detect/record_features.py``)
        fill_records(scorer.fillers, piece.values, piece.is_sms, piece.time_us, piece.numbers)
        scores = detector_scores(FeatureArrays.of_events(piece))
        combined = highest(scores)
        X = None
        if model is not None:
            X = model.inputs(piece.values, piece.num)
            combined = policy.combine_model(combined, model.scores(X))
        idx = np.flatnonzero(combined >= policy.watch)
        kept.append(
            _Candidates(
                piece.evaluated, piece.num[idx], piece.is_sms[idx], piece.seq[idx],
                piece.time_us[idx], {k: v[idx] for k, v in piece.values.items()},
                {k: v[idx] for k, v in scores.items()}, combined[idx],
                None if X is None else X[idx],
            )
        )  # fmt: skip
    if kept:  # the last slice's features and scores: only its candidates are kept
        del piece, scores, combined, X, idx
    if by_parts and progress is not None:
        progress("detectors and policy", total, total)
    elif not by_parts:
        step("detectors and policy")
    rows: list[dict[str, object]] = []
    events = sum(k.events for k in kept)
    if decode is not None:
        c = _Candidates.concat(kept)
        kept.clear()  # (held once, joined)
        codes = decode
        arrays = FeatureArrays(
            lambda rows: list(codes(c.num[rows]).to_list()),
            np.where(c.is_sms, "sms", "call"), c.time_us, c.values, seq=c.seq,
        )  # fmt: skip
        explain = None if model is None or c.X is None else _explainer(model, c.X)
        order = np.argsort(c.seq, kind="stable")
        # the events before each checkpoint, then the groups found at it (as the stream)
        for part, checkpoint in groups.segments(c.time_us[order]):
            rows += scorer.step(arrays, order[part], c.scores, c.combined, explain)
            rows += groups.at(checkpoint)
    else:
        for _, checkpoint in groups.segments(np.zeros(0, np.int64)):
            rows += groups.at(checkpoint)
    return ScoreResult(
        alerts_from_rows(rows),
        events=events,
        candidates=scorer.candidates,
        detector_hits=scorer.hits,
    )


class _PendingCampaigns:
    """The campaign pass of :func:`score_records` over the keyed ``traffic`` (:func:`_keyed`),
    made while the feature engine works.

    The pass codes the calls it reads at the engine's first step after the cross-number
    signals (their peak is then without the coded calls), else once the engine has returned
    (:meth:`made`). From then on nothing here holds the calls as read, so their text columns
    go as the engine lets go of its own, where the caller handed over its last reference."""

    def __init__(self, traffic: Traffic, policy: PolicyConfig, scorer: EventScorer) -> None:
        self._waiting = [traffic]  # (what the engine and the pass both read)
        self._policy = policy
        self._scorer = scorer
        self._made: BatchCampaigns | None = None

    def traffic(self) -> Traffic:
        return self._waiting[0]

    def step(self, name: str) -> None:
        """The engine starts the step ``name`` (of ``BATCH_STEPS``)."""
        if self._waiting and name != BATCH_STEPS[0]:
            self._made = BatchCampaigns(self._waiting.pop(), self._policy, self._scorer)
        if self._made is not None and name == BATCH_STEPS[-1]:
            self._made.begin()  # (the groups beside the features, once triage has let go)

    def made(self) -> BatchCampaigns:
        if self._waiting:
            self._made = BatchCampaigns(self._waiting.pop(), self._policy, self._scorer)
        assert self._made is not None  # noqa: S101  (made at a step or just now)
        return self._made


def _keyed(traffic: Traffic) -> Traffic:
    """The calls with their numbers' keys (``records/codes.py``): parsed once, read by the
    callee areas, the feature engine and the campaign pass alike."""
    if traffic.calls is None:
        return traffic
    return replace(traffic, calls=with_call_keys(traffic.calls))


def _event_scorer(
    traffic: Traffic,
    policy: PolicyConfig,
    served: ServedNumbers | None,
    call_content: CallContent | None,
) -> EventScorer:
    """The scorer of the keyed ``traffic`` with its readers of records: what the SMS say,
    what the calls said (``call_content``), where the callees of the callers who may reach
    the relay detectors live."""
    scorer = EventScorer(
        policy,
        allowed_numbers(traffic.subscribers),
        timezone=traffic.timezone,
        served=served_numbers(traffic.subscribers, served),
    )
    scorer.content = SmsContent.of_sms(traffic.sms)
    scorer.call_content = call_content
    areas = CalleeAreas.of_records(traffic.calls, traffic.subscribers)
    scorer.callee_areas, scorer.areas = areas, areas.areas
    return scorer


def _explainer(model: ModelScorer, X: np.ndarray) -> Callable[[int], list[Reason]]:
    """The model's reasons for row ``i`` of its inputs ``X``."""
    return lambda i: model.reasons(X[i])


@dataclass
class _Candidates:
    """The candidate events of a part of the numbers (see :func:`score_records`)."""

    events: int  # acting events of the slice evaluated, candidates or not
    num: np.ndarray
    is_sms: np.ndarray
    seq: np.ndarray
    time_us: np.ndarray
    values: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    combined: np.ndarray
    X: np.ndarray | None  # the model's inputs (with a model)

    @staticmethod
    def concat(parts: list[_Candidates]) -> _Candidates:
        def join(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        def join_all(name: str) -> dict[str, np.ndarray]:
            first: dict[str, np.ndarray] = getattr(parts[0], name)
            return {k: np.concatenate([getattr(p, name)[k] for p in parts]) for k in first}

        return _Candidates(
            sum(p.events for p in parts),
            join("num"),
            join("is_sms"),
            join("seq"),
            join("time_us"),
            join_all("values"),
            join_all("scores"),
            join("combined"),
            None if parts[0].X is None else join("X"),
        )

"""Live scoring: record batches in record order -> features -> detectors -> decisions -> alerts.

:class:`LiveScorer` is the core of every live path (the stream, ``callwarden stream``): an
engine's live features (``features/engines/base.py``), the registered detectors and the same
:class:`~callwarden.decide.policy.DecisionState` as batch scoring. :func:`replay_alerts` feeds
recorded traffic through it, ``batch_size`` records at a time; the conformance suite asserts
that gives :func:`~callwarden.detect.scoring.score_records`' alerts, whatever the batch sizes.

With a learned model (``model``, an :class:`~callwarden.detect.model.events.EventModel`) every
record is scored, not only those past the detectors' gate, and the model reads each number's
features at their peak so far, carried from batch to batch
(:class:`~callwarden.detect.model.events.RunningPeaks`): the rows batch scoring gives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.arrays import FeatureArrays
from callwarden.detect.call_content import CallContent
from callwarden.detect.callee_areas import CalleeAreas
from callwarden.detect.campaign_steps import LiveCampaigns
from callwarden.detect.scoring import (
    EventScorer,
    allowed_numbers,
    detector_scores,
    served_numbers,
)
from callwarden.detect.sms_content import SmsContent
from callwarden.features.engines.base import Traffic, load_engine
from callwarden.network import ServedNumbers
from callwarden.records.batch import batch_of, record_batch

if TYPE_CHECKING:
    from callwarden.detect.model.events import EventModel

__all__ = ["LiveScorer", "replay_alerts"]


class LiveScorer:
    """Features -> detector scores -> decision, for record batches in record order.

    ``traffic`` gives the subscribers, known numbers and time zone (its records are not read);
    ``served``: prefixes the operator serves, besides the subscribers (``served_numbers``);
    ``model``: a learned scorer beside the detectors.
    """

    def __init__(
        self,
        traffic: Traffic,
        policy: PolicyConfig,
        served: ServedNumbers | None = None,
        engine: str = "compiled",
        model: EventModel | None = None,
        transcripts: pl.DataFrame | None = None,
    ) -> None:
        # transcripts: those known at the start (an empty frame: none yet, more will come)
        self.features = load_engine(engine)().live(traffic)
        self.scorer = EventScorer(
            policy,
            allowed_numbers(traffic.subscribers),
            timezone=traffic.timezone,
            served=served_numbers(traffic.subscribers, served),
        )
        #: the campaign pass at its checkpoints (``detect/campaign_steps.py``)
        self.campaigns = LiveCampaigns(traffic.subscribers, policy, self.scorer)
        self.model = model
        self.peaks = model.running() if model is not None else None
        #: call transcripts joined to the calls as both arrive (``detect/call_content.py``)
        self.scorer.call_content = CallContent.live(expect=transcripts is not None)
        #: the last hour's own calls and where their callees live (``detect/callee_areas.py``)
        self.scorer.callee_areas = CalleeAreas.live(traffic.subscribers)
        self.scorer.areas = self.scorer.callee_areas.areas
        if transcripts is not None:
            self.add_transcripts(transcripts)

    def add_transcripts(self, transcripts: pl.DataFrame) -> None:
        """Call transcripts (``call_id``, ``text``) as they arrive, before or after their
        calls: from then on, an alert of a caller whose answered call reads as a scam carries
        the content reason."""
        assert self.scorer.call_content is not None  # noqa: S101  (set in __init__)
        self.scorer.call_content.add_transcripts(transcripts)

    def step_batch(self, batch: pl.DataFrame) -> list[dict[str, Any]]:
        """Process a record batch (``records/batch.py``); return the alert rows it raises,
        in order (the groups of each campaign checkpoint it crosses included)."""
        return self.campaigns.step(batch, self._step_part)

    def _step_part(self, batch: pl.DataFrame) -> list[dict[str, Any]]:
        """The detectors and the policy over records between two campaign checkpoints."""
        got = self.features.update(batch)
        if self.scorer.call_content is not None:
            self.scorer.call_content.add_calls(batch)
        if self.scorer.callee_areas is not None:
            self.scorer.callee_areas.add_calls(batch)
        arrays = FeatureArrays(got.msisdn, got.kind, got.time_us, got.values)
        # what the batch's SMS say: the content feature, filled in at the events scored
        self.scorer.content = SmsContent.of_batch(batch)
        if self.model is None or self.peaks is None:
            return self.scorer.score(arrays)
        self.scorer.events += arrays.height
        if arrays.height == 0:
            return []
        model = self.model
        X = self.peaks.update(got.msisdn.to_list(), got.values)
        self.scorer.fill_records(arrays)
        scores = detector_scores(arrays)
        rules = np.max(np.vstack(list(scores.values())), axis=0)
        combined = self.scorer.policy.combine_model(rules, model.scores(X))
        idx = np.flatnonzero(combined >= self.scorer.policy.watch)
        return self.scorer.step(arrays, idx, scores, combined, lambda i: model.reasons(X[i]))

    def step_records(self, records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """The same for canonical records as dictionaries, ``(kind, record)`` in order."""
        return self.step_batch(batch_of(records)) if records else []

    def step(self, kind: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """Process one record; return the alert row it raises, if any."""
        rows = self.step_records([(kind, record)])
        return rows[0] if rows else None


def replay_alerts(
    traffic: Traffic,
    policy: PolicyConfig | None = None,
    batch_size: int = 50_000,
    served: ServedNumbers | None = None,
    model: EventModel | None = None,
    transcripts: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """All alerts from replaying recorded traffic through :class:`LiveScorer` in record
    order, ``batch_size`` records at a time (with ``model``, the learned scorer too;
    ``transcripts``: call transcripts, given before the first batch)."""
    scorer = LiveScorer(traffic, policy or PolicyConfig(), served, model=model,
                        transcripts=transcripts)  # fmt: skip
    records = record_batch(traffic.calls, traffic.sms)
    rows = []
    for start in range(0, records.height, batch_size):
        rows += scorer.step_batch(records.slice(start, batch_size))
    return alerts_from_rows(rows)

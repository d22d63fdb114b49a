"""How much a report weighs and how a mark fades: pure functions, no database.

A mark's evidence halves every ``half_life`` without reports; its score is
``1 - exp(-evidence)``, in [0, 1): one plain report scores 0.63, and a mark nobody reports fades
towards 0.

>>> from datetime import timedelta
>>> s = Scoring()
>>> round(s.score(1.0, timedelta(0)), 2), round(s.score(1.0, s.half_life), 2)
(0.63, 0.39)
>>> s.reporter_weight(confirmed=0, refuted=0, new=False), s.reporter_weight(3, 0, new=False)
(1.0, 1.6)
>>> s.burst_factor(0), s.burst_factor(3)
(1.0, 0.25)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from callwarden.reputation.categories import Source

__all__ = ["Scoring"]


@dataclass(frozen=True)
class Scoring:
    """The knobs of mark scoring, with their defaults."""

    half_life: timedelta = timedelta(days=30)
    #: a reporter this young is new: their reports weigh less, and count towards a burst
    new_reporter_age: timedelta = timedelta(days=7)
    new_reporter_factor: float = 0.5
    #: reports within this window from new or linked reporters are a burst
    burst_window: timedelta = timedelta(hours=1)
    #: what a report of each source weighs before the reporter's record
    source_weight: tuple[tuple[Source, float], ...] = (
        (Source.COMPLAINT, 1.0),
        (Source.DETECTION_ALERT, 1.0),
        (Source.IMPORTED_LIST, 0.5),
        (Source.ENTERPRISE_BLOCK, 0.5),
    )
    #: a case that confirms a mark adds this much evidence
    confirm_weight: float = 2.0
    #: a label a case grants (认证企业) starts with this much evidence: its score stays above
    #: 0.5 for about 3.5 half-lives (some three and a half months), then it wants renewing
    grant_weight: float = 8.0

    def decay(self, elapsed: timedelta) -> float:
        """The share of evidence left after ``elapsed`` without reports."""
        return 0.5 ** (max(elapsed, timedelta(0)) / self.half_life)

    def score(self, evidence: float, elapsed: timedelta) -> float:
        """The mark's score, ``elapsed`` after its evidence was last brought up to date."""
        return 1.0 - math.exp(-max(evidence, 0.0) * self.decay(elapsed))

    def weight_of(self, source: Source) -> float:
        return dict(self.source_weight)[source]

    @staticmethod
    def reporter_weight(
        confirmed: int, refuted: int, *, new: bool, new_factor: float = 0.5
    ) -> float:
        """Twice the reporter's chance of being right (Beta(1, 1) prior): 1.0 for an unknown
        reporter, towards 2.0 for one proven right, towards 0 for one proven wrong; a new
        reporter's weight is cut by ``new_factor``."""
        trust = (confirmed + 1) / (confirmed + refuted + 2)
        return round(2 * trust * (new_factor if new else 1.0), 6)

    @staticmethod
    def burst_factor(recent: int) -> float:
        """The share a report keeps when ``recent`` reports from new or linked reporters came
        on the same mark within the burst window: a burst of n weighs about log(n), not n."""
        return 1.0 / (1 + recent)

"""What the number's callers heard: answered calls whose transcripts read as fraud scripts.

An operator that transcribes calls (its own speech-to-text; ``score --transcripts``) knows what
a number said, not only how it dialled. Two record features carry it to each call event past
the detectors' gate (``detect/call_content.py``): ``call_content_risk``, the highest
probability the content classifier gives that a transcript of the number's answered calls of
the last 24 hours is a fraud script, and ``call_content_calls``, how many of those calls read
as one with 0.9 or more. The score is the higher of

- **several scam calls**: 2 such calls reach ``watch`` (0.45), 3 or more ``restrict`` (0.9);
- **one very confident script**: a fraud probability of 0.97 rises to 0.85 (``restrict``) at
  0.995: a police or customer-service impersonation read word for word.

Content alone never reaches ``suspend`` (0.95): a transcript is evidence that a person
reviews, and speech-to-text makes mistakes. An honest line (a courier, a bank's notice, a
family call) reads far below these bounds and scores 0; so does every number below the
detectors' gate (fewer than 6 calls an hour and no other sign): triage, in each engine,
skips those numbers before any transcript is read.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.call_content import CALL_RISK, CALL_SCAM, CALL_SCAMS
from callwarden.detect.reasons import Reason
from callwarden.features.gate import GATE_FEATURES, passes_gate

__all__ = ["CallContentDetector"]

#: several scam calls: the score at 2, and 3 or more
SEVERAL: tuple[float, float] = (0.45, 0.9)
#: one script: the fraud probability from which it counts, the one at which it is full, and
#: the score it then reaches
CONFIDENT: tuple[float, float, float] = (0.97, 0.995, 0.85)


@register
class CallContentDetector(Detector):
    name = "call_content"
    targets = ("fraud_call",)
    features = (*GATE_FEATURES, CALL_RISK, CALL_SCAMS)
    kind = "call"

    def raw_score(self, f: Features) -> np.ndarray:
        risk, calls = f.get(CALL_RISK), f.get(CALL_SCAMS)
        if risk is None or calls is None:  # no transcripts given
            return np.zeros(len(f["out_calls_1h"]))
        risk = np.nan_to_num(np.asarray(risk, dtype=np.float64), nan=0.0)
        calls = np.nan_to_num(np.asarray(calls, dtype=np.float64), nan=0.0)
        low, high = SEVERAL
        several = np.where(calls >= 3, high, np.where(calls >= 2, low, 0.0))
        lo, hi, top = CONFIDENT
        one = ramp(risk, lo, hi) * top
        score = np.maximum(several, one)
        return np.where(passes_gate(dict(f)), score, 0.0)

    def explain(self, f: Mapping[str, float]) -> Reason:
        risk = float(f.get(CALL_RISK, 0.0))
        risk = 0.0 if np.isnan(risk) else min(max(risk, 0.0), 1.0)
        calls = f.get(CALL_SCAMS, 0.0)
        n = 0 if np.isnan(calls) else int(calls)
        percent = round(100 * risk)
        # (detection puts the category and the words in place of these figures:
        # CallContent.explain)
        return Reason(
            self.name,
            1.0,
            f"近 24 小时 {n} 通已接通话的内容像诈骗话术 (最高把握 {percent}%)",
            f"{n} answered calls in 24 hours read as fraud scripts (up to {percent}% sure)",
            {CALL_SCAMS: n, CALL_RISK: round(risk, 4), "scam_from": CALL_SCAM},
        )

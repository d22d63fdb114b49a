"""SMS bursts: hundreds of texts to people the sender never texted before.

Volume alone flags a sender at 25 SMS an hour to strangers. Where the texts are scams by
their content (``sms_content_risk``, the content classifier's probability that the SMS is a
scam of any kind: ``detect/sms_content.py``), the same burst is stronger evidence and 20 an
hour are enough; an honest text (a delivery notice, a bank's statement) keeps the volume's
score, never a higher one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason
from callwarden.detect.sms_content import CONTENT_FEATURE, CONTENT_SCAM

__all__ = ["SmsBurstDetector", "volume_score"]


def volume_score(f: Features) -> np.ndarray:
    """The burst by volume and spread alone, whatever the texts say."""
    volume = ramp(f["sms_out_1h"], 10, 25)
    return volume * _spread(f)


def _spread(f: Features) -> np.ndarray:
    return ramp(f["sms_recipients_1h"] / np.maximum(f["sms_out_1h"], 1), 0.7, 0.9)


@register
class SmsBurstDetector(Detector):
    name = "sms_burst"
    targets = ("sms_spam",)
    features = ("sms_out_1h", "sms_recipients_1h", CONTENT_FEATURE)
    kind = "sms"

    def raw_score(self, f: Features) -> np.ndarray:
        plain = volume_score(f)
        risk = f.get(CONTENT_FEATURE)  # absent where records carried no texts
        if risk is None:
            return plain
        scam = ramp(risk, CONTENT_SCAM, 0.8)
        return np.maximum(plain, scam * ramp(f["sms_out_1h"], 10, 20) * _spread(f))

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, r = int(f["sms_out_1h"]), int(f["sms_recipients_1h"])
        risk = float(f.get(CONTENT_FEATURE, 0.0))
        if risk >= CONTENT_SCAM:  # (a content reason beside it names the category, words)
            zh, en = "内容疑似诈骗短信群发", "the texts read as scams"
        else:
            zh, en = "疑似垃圾短信群发", "looks like SMS spam"
        return Reason(
            self.name,
            1.0,
            f"60 分钟内发送短信 {n} 条, 发给 {r} 个不同号码; {zh}",
            f"{n} SMS sent in 60 min to {r} different numbers; {en}",
            {"sms_out_1h": n, "sms_recipients_1h": r, CONTENT_FEATURE: round(risk, 4)},
        )

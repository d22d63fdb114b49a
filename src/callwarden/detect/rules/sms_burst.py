"""SMS bursts: hundreds of texts to people the sender never texted before."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class SmsBurstDetector(Detector):
    name = "sms_burst"
    targets = ("sms_spam",)
    features = ("sms_out_1h", "sms_recipients_1h")
    kind = "sms"

    def raw_score(self, f: Features) -> np.ndarray:
        volume = ramp(f["sms_out_1h"], 10, 25)
        spread = ramp(f["sms_recipients_1h"] / np.maximum(f["sms_out_1h"], 1), 0.7, 0.9)
        return volume * spread

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, r = int(f["sms_out_1h"]), int(f["sms_recipients_1h"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内发送短信 {n} 条, 发给 {r} 个不同号码; 疑似垃圾短信群发",
            f"{n} SMS sent in 60 min to {r} different numbers; looks like SMS spam",
            {"sms_out_1h": n, "sms_recipients_1h": r},
        )

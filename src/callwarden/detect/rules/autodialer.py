"""Auto-dialers (群呼): dozens of calls an hour, almost all unanswered or cut within seconds."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class AutoDialerDetector(Detector):
    name = "autodialer"
    targets = ("robocall",)
    features = ("out_calls_1h", "uniq_callees_1h", "short_or_unanswered_share_1h", "in_calls_24h",
                "out_calls_24h")  # fmt: skip

    def raw_score(self, f: Features) -> np.ndarray:
        volume = ramp(f["out_calls_1h"], 12, 25)
        short = ramp(f["short_or_unanswered_share_1h"], 0.55, 0.75)
        strangers = ramp(f["uniq_callees_1h"] / np.maximum(f["out_calls_1h"], 1), 0.6, 0.85)
        one_way = ramp(0.3 - f["in_calls_24h"] / np.maximum(f["out_calls_24h"], 1), 0, 0.2)
        return volume * short * strangers * one_way

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, share = int(f["out_calls_1h"]), round(100 * f["short_or_unanswered_share_1h"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内主叫 {n} 次, {share}% 未接通或 10 秒内挂断, 几乎无被叫; 疑似群呼外呼",
            f"{n} outbound calls in 60 min, {share}% unanswered or under 10 s, hardly any "
            "inbound; looks like an auto-dialer",
            {"out_calls_1h": n, "short_or_unanswered_pct": share,
             "in_calls_24h": int(f["in_calls_24h"])},
        )  # fmt: skip

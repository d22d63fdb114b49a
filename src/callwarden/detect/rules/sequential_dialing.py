"""Sequential dialing: working through a number range (138xxxx0001, 0002, ...)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class SequentialDialingDetector(Detector):
    name = "sequential_dialing"
    targets = ("robocall",)
    features = ("out_calls_1h", "seq_dial_score_1h")

    def raw_score(self, f: Features) -> np.ndarray:
        return ramp(f["out_calls_1h"], 5, 10) * ramp(f["seq_dial_score_1h"], 0.3, 0.6)

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, share = int(f["out_calls_1h"]), round(100 * f["seq_dial_score_1h"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内主叫 {n} 次, 其中 {share}% 按号码顺序拨打; 疑似号段扫号",
            f"{n} outbound calls in 60 min, {share}% to consecutive numbers; "
            "looks like number-range scanning",
            {"out_calls_1h": n, "sequential_pct": share},
        )

"""Caller-ID rotation (网络云呼): many numbers of one campaign working one callee list.

Each number stays under per-number limits, so no single number looks busy; what gives the
campaign away is that its numbers keep calling people another number has just called, from
new SIMs on virtual-operator ranges or landlines, with hardly any call answered or returned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class RotationDetector(Detector):
    name = "rotation"
    targets = ("robocall_rotation",)
    features = ("shared_targets_24h", "out_calls_24h", "short_or_unanswered_share_24h",
                "in_calls_24h", "new_sim_days", "is_virtual", "is_landline")  # fmt: skip

    def raw_score(self, f: Features) -> np.ndarray:
        shared = ramp(f["shared_targets_24h"], 2, 5)
        share = ramp(f["shared_targets_24h"] / np.maximum(f["out_calls_24h"], 1), 0.15, 0.35)
        short = ramp(f["short_or_unanswered_share_24h"], 0.4, 0.6) * ramp(f["out_calls_24h"], 5, 8)
        one_way = ramp(0.2 - f["in_calls_24h"] / np.maximum(f["out_calls_24h"], 1), 0, 0.15)
        # Only the operator's own lines: an unknown activation date (another network) is no
        # evidence of a fresh SIM.
        new_sim = ramp(120 - np.nan_to_num(f["new_sim_days"], nan=1e9), 0, 60)
        cheap_line = np.maximum(f["is_virtual"], f["is_landline"])
        return shared * share * short * one_way * new_sim * (0.7 + 0.3 * cheap_line)

    def explain(self, f: Mapping[str, float]) -> Reason:
        shared, n = int(f["shared_targets_24h"]), int(f["out_calls_24h"])
        days = f["new_sim_days"]
        age = f"{int(days)}" if not math.isnan(days) else "?"
        return Reason(
            self.name,
            1.0,
            f"24 小时主叫 {n} 次, 其中 {shared} 个被叫号码刚被其他号码呼叫过; 入网 {age} 天, "
            "疑似多号码轮换外呼",
            f"{n} outbound calls in 24 h, {shared} to numbers another number had just called; "
            f"SIM {age} days old; looks like caller-ID rotation",
            {"shared_targets_24h": shared, "out_calls_24h": n, "new_sim_days": days},
        )

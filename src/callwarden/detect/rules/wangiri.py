"""Wangiri (响一声): foreign numbers ringing once or twice to bait expensive call-backs.

A one-ring call (``one_ring_out``) is an own call not answered after ringing at most
``ONE_RING_S`` (8 s, ``features/spec.py``): one or two rings, a ring cycle being 5 s."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class WangiriDetector(Detector):
    name = "wangiri"
    targets = ("wangiri",)
    features = ("is_international", "one_ring_share_1h", "out_calls_1h")

    def raw_score(self, f: Features) -> np.ndarray:
        return (
            f["is_international"]
            * ramp(f["one_ring_share_1h"], 0.6, 0.85)
            * ramp(f["out_calls_1h"], 4, 8)
        )

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, share = int(f["out_calls_1h"]), round(100 * f["one_ring_share_1h"])
        return Reason(
            self.name,
            1.0,
            f"境外号码 60 分钟内呼叫 {n} 次, {share}% 响一两声即挂; 疑似响一声诈骗, 请勿回拨",
            f"foreign number called {n} times in 60 min, {share}% hung up within one or two rings; "
            "looks like wangiri, do not call back",
            {"out_calls_1h": n, "one_ring_pct": share},
        )

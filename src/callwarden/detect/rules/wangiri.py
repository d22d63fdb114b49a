"""Wangiri (响一声): numbers ringing strangers once or twice to bait expensive call-backs.

A one-ring call (``one_ring_out``) is an own call not answered after ringing at most
``ONE_RING_S`` (8 s, ``features/spec.py``): one or two rings, a ring cycle being 5 s. Most
come from abroad; a Chinese number ringing many people that way (the operator's own SIM,
another carrier's) baits the same call-backs and is asked for more calls."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class WangiriDetector(Detector):
    name = "wangiri"
    targets = ("wangiri",)
    features = ("is_international", "one_ring_share_1h", "out_calls_1h", "uniq_callees_1h")

    def raw_score(self, f: Features) -> np.ndarray:
        # From abroad, four to eight such calls in an hour; from a Chinese number (another
        # carrier's, or a SIM of the operator's own), eight to twelve: the bait is the same
        # (a missed call from an unknown number, rung back), but a person ringing a friend
        # once as a sign ("打个响") is a domestic habit, so more calls are asked for
        abroad = f["is_international"]
        volume = abroad * ramp(f["out_calls_1h"], 4, 8) + (1 - abroad) * ramp(
            f["out_calls_1h"], 8, 12
        )
        # ... each to a different number: a parent redialling a child who does not pick up,
        # hanging up after a ring or two each time, is not baiting anyone
        different = ramp(f["uniq_callees_1h"] / np.maximum(f["out_calls_1h"], 1), 0.6, 0.85)
        return ramp(f["one_ring_share_1h"], 0.6, 0.85) * volume * different

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, share = int(f["out_calls_1h"]), round(100 * f["one_ring_share_1h"])
        abroad = f["is_international"] >= 0.5
        who_zh, who_en = ("境外号码 ", "foreign number called") if abroad else ("", "called")
        return Reason(
            self.name,
            1.0,
            f"{who_zh}60 分钟内呼叫 {n} 次, {share}% 响一两声即挂; 疑似响一声诈骗, 请勿回拨",
            f"{who_en} {n} times in 60 min, {share}% hung up within one or two rings; "
            "looks like wangiri, do not call back",
            {"out_calls_1h": n, "one_ring_pct": share, "abroad": bool(abroad)},
        )

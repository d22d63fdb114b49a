"""Spoofed caller ID (虚假主叫 / 改号): calls presenting a number nobody can own.

An honest caller never presents an invalid number: a handset shows the number its SIM was
given, a company trunk the numbers allocated to it. A number that the numbering plan says no
one can hold (too short or too long for its country, an unallocated range) is put there on
purpose, most often by a cloud calling platform or a gateway that lets the caller write any
number. A single such call can be a misconfigured switchboard; several to different people
within the hour is a campaign, and the number shown is worthless for calling back. So a few
calls suffice, as long as they reach different people.

Triage lets such numbers through from three calls in an hour (``features/gate.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class SpoofedCallerIdDetector(Detector):
    name = "spoofed_caller_id"
    targets = ("spoofed_caller_id", "wangiri")
    features = ("is_invalid_number", "uniq_callees_1h", "out_calls_1h")

    def raw_score(self, f: Features) -> np.ndarray:
        # three different callees in an hour: watch; four: review; five or more: the top of
        # the scale (interception: nobody can own the number, so blocking it harms no one)
        return (f["is_invalid_number"] > 0) * ramp(f["uniq_callees_1h"], 2, 5)

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, people = int(f["out_calls_1h"]), int(f["uniq_callees_1h"])
        return Reason(
            self.name,
            1.0,
            f"来电显示的号码不是任何人能持有的号码 (无效号码), 60 分钟内用它呼叫 {n} 次, "
            f"打给 {people} 个不同号码; 疑似改号 (虚假主叫), 该号码无法回拨核实",
            f"the number shown is one nobody can own (invalid); it called {n} times in 60 min "
            f"to {people} different numbers; looks like a spoofed caller ID, "
            "it cannot be called back",
            {"out_calls_1h": n, "uniq_callees_1h": people},
        )

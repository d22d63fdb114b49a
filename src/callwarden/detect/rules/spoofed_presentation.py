"""Spoofed presentation (改号 / 网络云呼): a burst of calls showing one number through a foreign
or cloud trunk.

Unlike ``spoofed_caller_id`` the number shown is a real one, often an honest subscriber's: a
call centre abroad shows a local ``+86`` number over an international gateway
(``caller_flag = trunk_mismatch``), a cloud calling platform shows a mobile number that belongs
on a mobile network (``cloud_trunk_mobile``). The person who answers sees someone they might
know, or a local number they trust; the owner of the number is not calling. So the figures of
this rule are the calls *presenting* the number, and the action it earns is an interception of
the presented number at the gateway (calls showing it that arrive from outside the operator's
mobile core are blocked, and the number is reported), never a restriction or suspension of the
subscriber (``decide/policy.py``).

One flagged call can be a roaming subscriber calling home through a foreign network; a handful
to different people within the hour is a campaign. Three different callees are watched, four
reviewed at most, six or more intercepted.

Triage lets such numbers through from three flagged calls in an hour (``features/gate.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason

__all__ = ["SpoofedPresentationDetector"]


@register
class SpoofedPresentationDetector(Detector):
    name = "spoofed_presentation"
    targets = ("cloud_trunk", "spoofed_presentation")
    features = ("spoofed_calls_1h", "spoofed_callees_1h")

    def raw_score(self, f: Features) -> np.ndarray:
        # (the gate: spoofed_callees_1h <= spoofed_calls_1h, so below three flagged calls the
        # ramp is 0)
        return ramp(f["spoofed_callees_1h"], 2, 6)

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, people = int(f["spoofed_calls_1h"]), int(f["spoofed_callees_1h"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内有 {n} 通经境外或云呼中继显示本号码的来电, 打给 {people} 个不同号码; "
            "该号码正被他人冒用 (改号 / 网络云呼), 机主本人的通话不受影响, "
            "从外部进入并显示该号码的呼叫已被拦截",
            f"{n} calls in 60 min presented this number through a foreign or cloud trunk, to "
            f"{people} different numbers; the number shown is being impersonated (spoofed), "
            "the owner's own calls are not affected, and calls presenting it from outside are "
            "blocked",
            {"spoofed_calls_1h": n, "spoofed_callees_1h": people},
        )

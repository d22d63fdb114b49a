"""Profile mismatch: an elderly or minor owner's number behaving like a call centre."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, age_text, ramp, register
from callwarden.detect.callee_areas import CUE, lowered
from callwarden.detect.reasons import Reason
from callwarden.detect.rules.relay_call import CONVERSATION_FEATURES, not_conversations


@register
class ProfileMismatchDetector(Detector):
    name = "profile_mismatch"
    targets = ("relay_call",)
    features = ("owner_age", "out_calls_1h", "uniq_callees_1h", "callback_share_24h",
                *CONVERSATION_FEATURES, CUE)  # fmt: skip

    def raw_score(self, f: Features) -> np.ndarray:
        age = np.nan_to_num(f["owner_age"], nan=40.0)
        unusual_owner = np.maximum(ramp(age, 62, 70), ramp(18 - age, 0, 2))
        busy = ramp(f["uniq_callees_1h"], 8, 14)
        no_callbacks = ramp(0.4 - f["callback_share_24h"], 0, 0.2)
        # A retired volunteer ringing the residents of a block talks with most of them; a
        # relay's strangers mostly do not pick up (relay_call.not_conversations). Volume
        # alone is weaker evidence than a relay's rhythm, so the talk must be lower: up to
        # 0.3 of the time, none from 0.45.
        talk = not_conversations(f, talking=0.45, width=0.15)
        # callees living in one area beyond chance: a round, not a bought list (callee_areas)
        return unusual_owner * busy * no_callbacks * talk * lowered(f, busy)

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, uniq = int(f["out_calls_1h"]), int(f["uniq_callees_1h"])
        age_zh, age_en = age_text(f["owner_age"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内向 {uniq} 个陌生号码主叫 {n} 次, 与机主使用习惯明显不符{age_zh}",
            f"{n} outbound calls to {uniq} strangers in 60 min, far from the owner's usual "
            f"use{age_en}",
            {"out_calls_1h": n, "uniq_callees_1h": uniq, "owner_age": f["owner_age"]},
        )

"""Contact with known fraud numbers: the rest of a ring, found through the people it calls.

Given a list of known fraud numbers (last week's confirmed cases, a shared block list), a number
that keeps calling the very people a known fraud number has just called, or keeps calling known
fraud numbers, is likely part of the same operation. A single shared callee means nothing (a
victim has a family too), so it takes several, a real share of the number's calls, and calls that
mostly do not connect.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class KnownFraudContactDetector(Detector):
    name = "known_fraud_contact"
    targets = ("fraud_ring",)
    features = ("shared_victims_24h", "known_contacts_24h", "out_calls_24h",
                "short_or_unanswered_share_24h")  # fmt: skip

    def raw_score(self, f: Features) -> np.ndarray:
        victims = f["shared_victims_24h"]
        shared = ramp(victims, 3, 6) * ramp(victims / np.maximum(f["out_calls_24h"], 1), 0.25, 0.5)
        contacts = ramp(f["known_contacts_24h"], 2, 5)
        # Honest people's calls connect; a ring's calls mostly do not (victims hang up).
        return np.maximum(shared, contacts) * ramp(f["short_or_unanswered_share_24h"], 0.4, 0.6)

    def explain(self, f: Mapping[str, float]) -> Reason:
        victims, contacts = int(f["shared_victims_24h"]), int(f["known_contacts_24h"])
        n = int(f["out_calls_24h"])
        return Reason(
            self.name,
            1.0,
            f"24 小时主叫 {n} 次, 其中 {victims} 个被叫号码刚被已知涉诈号码呼叫过, "
            f"{contacts} 次呼叫已知涉诈号码; 疑似同一诈骗团伙",
            f"{n} outbound calls in 24 h, {victims} to people a known fraud number had just "
            f"called, {contacts} to known fraud numbers; looks like part of the same ring",
            {"out_calls_24h": n, "shared_victims_24h": victims, "known_contacts_24h": contacts},
        )

"""SIM boxes (猫池): SIMs sharing devices in one place, calling out and never called."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason


@register
class SimBoxDetector(Detector):
    name = "simbox"
    targets = ("simbox",)
    features = ("imsis_per_imei", "out_calls_24h", "in_calls_24h", "cells_24h", "new_sim_days")

    def raw_score(self, f: Features) -> np.ndarray:
        shared_device = ramp(f["imsis_per_imei"], 2, 4)
        busy = ramp(f["out_calls_24h"], 3, 8)
        never_called = ramp(0.1 - f["in_calls_24h"] / np.maximum(f["out_calls_24h"], 1), 0, 0.1)
        fixed = ramp(3.5 - f["cells_24h"], 0, 1.5)
        return shared_device * busy * never_called * fixed

    def explain(self, f: Mapping[str, float]) -> Reason:
        sims, n = int(f["imsis_per_imei"]), int(f["out_calls_24h"])
        return Reason(
            self.name,
            1.0,
            f"同一终端 24 小时内使用 {sims} 个号码, 本号主叫 {n} 次、无被叫, 位置固定; 疑似猫池",
            f"{sims} numbers used the same device in 24 h; this one made {n} calls, received "
            "none, from one place; looks like a SIM box",
            {"imsis_per_imei": sims, "out_calls_24h": n, "in_calls_24h": int(f["in_calls_24h"]),
             "cells_24h": int(f["cells_24h"])},
        )  # fmt: skip

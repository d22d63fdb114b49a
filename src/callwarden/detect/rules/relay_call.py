"""Relay calls (seed 000): a SIM dialling strangers at a steady pace for someone else.

The tell is the rhythm: a call every one to five minutes, each to a number never called before,
few call backs. Five calls are enough to see it, long before a volume rule (100 calls an hour)
would fire.

"Steady" is judged twice: relative to the pace (coefficient of variation) and in seconds. Each of
a relay's calls is a dial, a ring and a short talk the scammer cuts off, so its gaps vary by
seconds whatever the pace. Honest phone work (a sales agent between client conversations) has
gaps that vary by minutes; at a slow pace even a modest CV is a spread of a minute and a half,
and a busy hour of such calls can look steady relative to its mean by chance alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, age_text, ramp, register
from callwarden.detect.reasons import Reason


@register
class RelayCallDetector(Detector):
    name = "relay_call"
    targets = ("relay_call",)
    features = (
        "out_calls_15m",
        "out_calls_1h",
        "uniq_callees_15m",
        "uniq_callees_1h",
        "gap_mean_15m",
        "gap_cv_15m",
        "gap_mean_1h",
        "gap_cv_1h",
        "callback_share_24h",
        "cells_24h",
        "owner_age",
    )

    def raw_score(self, f: Features) -> np.ndarray:
        age = np.nan_to_num(f["owner_age"], nan=40.0)
        # Elderly and minor owners are the ones recruited (seed 000): for them five steady
        # calls are evidence enough; anyone else must keep the rhythm up for longer.
        unusual_owner = np.maximum(ramp(age, 60, 65), ramp(18 - age, 0, 1))
        n15, n1h = f["out_calls_15m"], f["out_calls_1h"]
        enough_15 = unusual_owner * ramp(n15, 3.5, 5) + (1 - unusual_owner) * ramp(n15, 7, 9)
        # A slower rhythm (a call every 3-5 minutes) is easier to hit by chance: ask for two more.
        extra = 2.0 * ramp(f["gap_mean_1h"], 180, 300)
        enough_1h = unusual_owner * ramp(n1h, 3.5 + extra, 5 + extra) + (1 - unusual_owner) * ramp(
            n1h, 8 + extra, 11 + extra
        )
        rhythm = np.maximum(
            enough_15 * self._steady(f["gap_cv_15m"], f["gap_mean_15m"]),
            enough_1h * self._steady(f["gap_cv_1h"], f["gap_mean_1h"]),
        )
        strangers = ramp(f["uniq_callees_1h"] / np.maximum(n1h, 1), 0.75, 0.95)
        no_callbacks = ramp(0.5 - f["callback_share_24h"], 0, 0.3)
        # The SIM stays where its holder sits; couriers and drivers move from cell to cell.
        stationary = ramp(6 - f["cells_24h"], 0, 2)
        return rhythm * strangers * no_callbacks * stationary

    @classmethod
    def _steady(cls, cv: np.ndarray, mean_s: np.ndarray) -> np.ndarray:
        """A steady rhythm at a relay's pace: CV under 0.25, and gaps varying by under 50 s."""
        spread_s = cv * mean_s  # standard deviation of the gaps, in seconds
        return ramp(0.45 - cv, 0, 0.2) * ramp(80 - spread_s, 0, 30) * cls._pace(mean_s)

    @staticmethod
    def _pace(gap_s: np.ndarray) -> np.ndarray:
        """One call every 1-6 minutes: a person dialling by hand for someone else."""
        return ramp(gap_s, 45, 75) * ramp(400 - gap_s, 0, 60)

    def explain(self, f: Mapping[str, float]) -> Reason:
        n, gap = int(f["out_calls_1h"]), round(f["gap_mean_1h"])
        spread = round(f["gap_cv_1h"] * f["gap_mean_1h"])
        uniq = int(f["uniq_callees_1h"])
        age_zh, age_en = age_text(f["owner_age"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内主叫 {n} 次, 平均间隔 {gap} 秒 (相差约 {spread} 秒), "
            f"被叫 {uniq} 个不同号码, 几乎无回拨; 疑似中转呼叫{age_zh}",
            f"{n} outbound calls in 60 min, one every {gap} s on average (give or take "
            f"{spread} s), to {uniq} different numbers, almost none calling back; looks like "
            f"relay calling{age_en}",
            {"out_calls_1h": n, "gap_mean_s": gap, "gap_sd_s": spread, "uniq_callees_1h": uniq,
             "gap_cv": round(f["gap_cv_1h"], 2), "owner_age": f["owner_age"]},
        )  # fmt: skip

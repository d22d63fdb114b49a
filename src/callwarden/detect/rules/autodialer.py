"""Auto-dialers (群呼): dozens of calls an hour, almost all unanswered or cut within seconds;
or, dialling slowly, a day's list of strangers that hardly anyone answers or rings back.

Two readings, the higher one counts:

- **The hour**: 12-25 calls or more, most unanswered or under 10 s, to different numbers, with
  hardly any inbound over the day.
- **The day**, for a dialler kept under any hourly limit (a call every five minutes from
  morning to night, or a few sessions a day): 25-40 different numbers or more in 24 hours,
  hardly any called twice, 55-75% or more of the calls unanswered or under 10 s, almost
  none of them ringing back, hardly any inbound; and busy in the hour at the event (6-8
  calls). Honest phone work that reaches this many people is answered (a courier's
  recipients, a driver's passengers, an agent's clients) or rung back (a round of relatives,
  the parents of a class), and a company's notice line is on the allow list. A sales agent
  cold-calling 30 people a day, six in ten not answering, read 0.47 (`watch`, on the
  1M-subscriber day) at the looser bounds first tried (20-30 people, 50-70%); these keep
  such a day well under `review`. It is worth restricting the line at most (0.85): a slow
  dialler does its harm over the day, and a person reviews before anything more.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, ramp, register
from callwarden.detect.reasons import Reason

#: the highest score of the day's reading: above ``restrict`` (0.8), below ``suspend`` (0.95)
DAY_CEILING = 0.85


def _hour(f: Features) -> np.ndarray:
    volume = ramp(f["out_calls_1h"], 12, 25)
    short = ramp(f["short_or_unanswered_share_1h"], 0.55, 0.75)
    strangers = ramp(f["uniq_callees_1h"] / np.maximum(f["out_calls_1h"], 1), 0.6, 0.85)
    return volume * short * strangers * _one_way(f)


def _one_way(f: Features) -> np.ndarray:
    return ramp(0.3 - f["in_calls_24h"] / np.maximum(f["out_calls_24h"], 1), 0, 0.2)


def _day(f: Features) -> np.ndarray:
    out, people = f["out_calls_24h"], f["uniq_callees_24h"]
    many = ramp(people, 25, 40)
    strangers = ramp(people / np.maximum(out, 1), 0.8, 0.95)
    short = ramp(f["short_or_unanswered_share_24h"], 0.55, 0.75)
    unreturned = ramp(0.15 - f["callback_share_24h"], 0, 0.1)
    one_way = ramp(0.2 - f["in_calls_24h"] / np.maximum(out, 1), 0, 0.1)
    busy = ramp(f["out_calls_1h"], 5, 8)  # (the detectors' gate: 6 calls in the hour)
    return DAY_CEILING * many * strangers * short * unreturned * one_way * busy


@register
class AutoDialerDetector(Detector):
    name = "autodialer"
    targets = ("robocall",)
    features = ("out_calls_1h", "uniq_callees_1h", "short_or_unanswered_share_1h", "in_calls_24h",
                "out_calls_24h", "uniq_callees_24h", "short_or_unanswered_share_24h",
                "callback_share_24h")  # fmt: skip

    def raw_score(self, f: Features) -> np.ndarray:
        return np.fmax(_hour(f), _day(f))  # (an unknown figure in one reading: the other)

    def explain(self, f: Mapping[str, float]) -> Reason:
        arrays = {k: np.array([v], dtype=np.float64) for k, v in f.items()}
        if np.nan_to_num(_day(arrays))[0] > np.nan_to_num(_hour(arrays))[0]:
            n, people = int(f["out_calls_24h"]), int(f["uniq_callees_24h"])
            share = round(100 * f["short_or_unanswered_share_24h"])
            back = round(100 * f["callback_share_24h"])
            return Reason(
                self.name,
                1.0,
                f"24 小时内主叫 {n} 次, 打给 {people} 个不同号码, {share}% 未接通或 10 秒内挂断, "
                f"回拨 {back}%, 几乎无被叫; 疑似慢速群呼外呼",
                f"{n} outbound calls in 24 h to {people} different numbers, {share}% unanswered "
                f"or under 10 s, {back}% calling back, hardly any inbound; looks like an "
                "auto-dialer working slowly",
                {"out_calls_24h": n, "uniq_callees_24h": people,
                 "short_or_unanswered_pct_24h": share, "callback_pct_24h": back,
                 "in_calls_24h": int(f["in_calls_24h"])},
            )  # fmt: skip
        n, share = int(f["out_calls_1h"]), round(100 * f["short_or_unanswered_share_1h"])
        return Reason(
            self.name,
            1.0,
            f"60 分钟内主叫 {n} 次, {share}% 未接通或 10 秒内挂断, 几乎无被叫; 疑似群呼外呼",
            f"{n} outbound calls in 60 min, {share}% unanswered or under 10 s, hardly any "
            "inbound; looks like an auto-dialer",
            {"out_calls_1h": n, "short_or_unanswered_pct": share,
             "in_calls_24h": int(f["in_calls_24h"])},
        )  # fmt: skip

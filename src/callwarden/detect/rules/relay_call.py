"""Relay calls (seed 000): a SIM dialling strangers at a person's pace for someone else.

The tell is the pace: a call every one to five minutes, each to a number not called before,
few call backs, from one place. Five calls are enough to see it, long before a volume rule
(100 calls an hour) would fire.

The pace is read two ways, and either is evidence:

- **A steady rhythm**, judged relative to the pace (coefficient of variation) and in seconds.
  Each of a relay's calls is a dial, a ring and a short talk the scammer cuts off, so its gaps
  vary by seconds whatever the pace. Honest phone work (a sales agent between client
  conversations) has gaps that vary by minutes; at a slow pace even a modest CV is a spread of
  a minute and a half, and a busy hour of such calls can look steady relative to its mean by
  chance alone. So working-age owners need more calls, and more again at a slow pace.
- **A count of people within a quarter of an hour**, for the recruited owners (elderly and
  minors, seed 000) only. It needs no regular gaps: a holder who redials by hand has gaps a
  minute either way, and a burst that follows the owner's own call of half an hour before
  carries that one long gap in its window; both spoil any spread of gaps, neither changes
  how many different people were called in 15 minutes.

Either way, the calls must not be conversations (:func:`not_conversations`): a class teacher
ringing the parents or a retired volunteer the residents of a block has a relay's pace, but
people who know the caller answer and talk, and a relay's strangers mostly do not. Each
reading is judged by the calls it read: the hour's rhythm by the hour's talk and callees, the
quarter hour's rhythm and count by the quarter hour's, so that the owner's own conversations
and calls to the family earlier that evening do not hide a burst that follows them.

And where the people called live: a round's callees share one home area beyond chance, a
relay's bought list comes from anywhere; the score is lowered by up to 0.45 where they do
(``detect/callee_areas.py``), so at the strongest cue even the strongest evidence is watched,
not reviewed.

And how long it goes on: the first few calls restrict the SIM's outbound calls at most (which
stops a relay), and suspension waits for the calling to go on (:func:`sustained`). Seed 000's
SIM was suspended after dozens of calls in an hour; an honest round of four or five steady
calls reads as a relay at its fourth, and a wrong suspension cuts an elderly owner off
entirely, calls in included (DESIGN.md, principle 1: graduated actions).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from callwarden.detect.base import Detector, Features, age_text, ramp, register
from callwarden.detect.callee_areas import CUE, lowered
from callwarden.detect.reasons import Reason


def _unusual_owner(age: np.ndarray) -> np.ndarray:
    """1 for owners aged 65 or over or under 18 (0 at 60 and 18), 0 for unknown owners."""
    age = np.nan_to_num(age, nan=40.0)
    return np.maximum(ramp(age, 60, 65), ramp(18 - age, 0, 1))


#: the highest score of a relay read from its first few calls: above the default ``restrict``
#: (0.8), below ``suspend`` (0.95)
FIRST_CALLS_CEILING = 0.9
#: the hour's calls from which the ceiling is lifted: gone in full at the second count
SUSTAINED_CALLS_1H = (8.0, 12.0)


def sustained(f: Features) -> np.ndarray:
    """The ceiling of the relay score at each event: :data:`FIRST_CALLS_CEILING` up to the
    first of :data:`SUSTAINED_CALLS_1H` calls in the hour, 1 from the second."""
    lift = ramp(f["out_calls_1h"], *SUSTAINED_CALLS_1H)
    return FIRST_CALLS_CEILING + (1.0 - FIRST_CALLS_CEILING) * lift


#: what :func:`not_conversations` reads
CONVERSATION_FEATURES = ("answered_share_1h", "mean_duration_1h", "answered_share_15m",
                         "mean_duration_15m", "gap_mean_1h", "gap_mean_15m", "out_calls_15m",
                         "out_calls_1h", "inner_gap_mean_15m", "is_landline")  # fmt: skip
#: the longest gap counted as calling time: a quarter hour without a call is a pause
QUARTER_S = 900.0


def pause_before_quarter(f: Features) -> np.ndarray:
    """The gap before the quarter hour's first call where it is a pause of a quarter hour or
    more, else 0 (seconds).

    Only that call's gap can be one: every later call of the quarter hour follows another
    within it. The quarter hour's gaps sum to ``out_calls_15m * gap_mean_15m``; those under a
    quarter hour to ``(out_calls_15m - 1) * inner_gap_mean_15m`` (all but the first call's,
    when that one is a pause), so the difference is the first call's gap.

    >>> f = {"out_calls_15m": np.array([1.0, 4.0, 4.0]), "gap_mean_15m":
    ...      np.array([1751.0, 555.0, 120.0]), "inner_gap_mean_15m": np.array([np.nan, 110.0,
    ...      120.0])}
    >>> pause_before_quarter(f).tolist()
    [1751.0, 1890.0, 0.0]
    """
    n15, g15 = f["out_calls_15m"], f["gap_mean_15m"]
    inner = np.nan_to_num(f["inner_gap_mean_15m"], nan=0.0)
    first = np.nan_to_num(np.where(n15 <= 1, g15, n15 * g15 - (n15 - 1) * inner), nan=0.0)
    return np.where(first >= QUARTER_S, first, 0.0)


def talk_share(f: Features, window: str = "1h") -> np.ndarray:
    """The share of the calling time spent talking: answered share times mean connected
    seconds, over the time from one call to the next, all of the calls of ``window``
    (``1h`` or ``15m``).

    That time is the smallest of the mean gaps (of the window, and of the quarter hour) and
    the quarter hour over the calls in it: each mean can only be raised by the long gap
    before the first call of a burst, and ``n`` calls within 15 minutes are at most
    ``900 / (n - 1)`` seconds apart. The quarter hour's own figures (``15m``) leave out the
    owner's own conversations of the hour before a burst.

    A pause is calling time only up to a quarter hour, in the hour as in the quarter hour
    (whose bound above counts a lone call's gap as 900 s at most): the hour's mean gap
    counts the pause before the quarter hour's first call (:func:`pause_before_quarter`) as
    a quarter hour. Otherwise the first call after a round of calls and half an hour's
    rest reads the round's conversations as a fraction of an hour that was mostly rest (a
    round of 16 calls, three in four answered and talking 100 s, every two minutes, read as
    a third of the time talking at the call that followed a 29-minute pause; 0.44 with the
    pause counted as a quarter hour).

    >>> f = {"answered_share_1h": np.array([0.85, 0.55, 0.75]), "mean_duration_1h":
    ...      np.array([75.0, 40.0, 100.0]), "gap_mean_1h": np.array([900.0, 120.0, 225.0]),
    ...      "gap_mean_15m": np.array([400.0, 120.0, 1751.0]), "out_calls_15m":
    ...      np.array([9.0, 7.0, 1.0]), "out_calls_1h": np.array([12.0, 7.0, 16.0]),
    ...      "inner_gap_mean_15m": np.array([110.0, 120.0, np.nan])}
    >>> np.round(talk_share(f), 2).tolist()
    [0.57, 0.18, 0.44]
    """
    gap = f["gap_mean_15m"]
    if window != "15m":
        hour = f[f"gap_mean_{window}"]
        if window == "1h":
            over = pause_before_quarter(f) - QUARTER_S
            hour = hour - np.maximum(over, 0.0) / np.maximum(f["out_calls_1h"], 1.0)
        gap = np.minimum(hour, gap)
    gap = np.minimum(gap, QUARTER_S / np.maximum(f["out_calls_15m"] - 1, 1))
    mean = np.nan_to_num(f[f"mean_duration_{window}"], nan=0.0)
    return f[f"answered_share_{window}"] * mean / np.maximum(gap, 1.0)


def not_conversations(
    f: Features, talking: float = 0.5, window: str = "1h", width: float = 0.1
) -> np.ndarray:
    """1 for a mobile line whose calls (of ``window``) are mostly dialling and ringing (a
    talk share up to ``talking - width``), 0 from a talk share of ``talking``, and 0 for a
    landline.

    A relay SIM dials strangers one after another: most do not pick up or hang up at once,
    so however steady its pace, the line talks for a small part of the hour: a fifth at a
    two-minute pace, under two fifths even when every victim answers and the scammer talks
    for 45 s (seed 000), since the next call is two minutes on whatever happens. So the
    hour's calls score fully up to two fifths and nothing from half, where a call round
    talks (below); a quarter hour holds fewer calls, whose share strays further by chance
    either way, and is asked for less (full up to a quarter, nothing from two fifths),
    beside the hour's, never instead of it.
    Someone working down a list of people who know them (a class teacher ringing the
    parents, a retired volunteer the residents of a block) has the same pace because each
    call is a conversation: most of the hour is talk. And the relay is a handset in
    someone's hand: a company landline at a clerk's pace (a hospital's reminders, a bank's
    notices) is not one.
    """
    return ramp(talking - talk_share(f, window), 0, width) * (1 - f["is_landline"])


def new_people(people: np.ndarray, calls: np.ndarray) -> np.ndarray:
    """1 where the calls (of a window) went to people not called before in the hour, a
    share of 0.85 or more of them; 0 from 0.7.

    A relay dials strangers, each once. One call in seven to someone called before is a
    phone in ordinary use that evening: the owner's own call to the family a minute before
    the burst, in the burst's quarter hour (two calls to the same daughter within the hour
    make the next one not new). Two in five is someone ringing round the same few people.

    >>> new_people(np.array([6.0, 4.0, 3.0]), np.array([7.0, 5.0, 5.0])).round(2).tolist()
    [1.0, 0.67, 0.0]
    """
    return ramp(people / np.maximum(calls, 1), 0.7, 0.85)


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
        "inner_gap_mean_15m",
        "inner_gap_cv_15m",
        "gap_mean_1h",
        "gap_cv_1h",
        "callback_share_24h",
        "cells_24h",
        "owner_age",
        "short_or_unanswered_share_15m",
        *CONVERSATION_FEATURES,
        CUE,
    )

    def raw_score(self, f: Features) -> np.ndarray:
        pace = np.max(np.vstack(list(self._evidence(f).values())), axis=0)
        no_callbacks = ramp(0.5 - f["callback_share_24h"], 0, 0.3)
        # The SIM stays where its holder sits; couriers and drivers move from cell to cell.
        stationary = ramp(6 - f["cells_24h"], 0, 2)
        score = pace * no_callbacks * stationary * lowered(f, pace)
        return np.minimum(score, sustained(f))

    @classmethod
    def _evidence(cls, f: Features) -> dict[str, np.ndarray]:
        """Each reading of the pace (:meth:`_paces`), where the calls it read are not
        conversations: the hour's rhythm by the hour's talk, the quarter hour's rhythm and
        count by the quarter hour's (a burst after the owner's own long calls of the hour
        before is judged by the burst's calls)."""
        paces = cls._paces(f)
        # the calls to people not called before in the hour (the quarter hour's calls: the
        # owner's own call to the family twice that evening is not the burst's)
        strangers = {w: new_people(f[f"uniq_callees_{w}"], f[f"out_calls_{w}"])
                     for w in ("1h", "15m")}  # fmt: skip
        hour = not_conversations(f)
        quarter = np.maximum(hour, not_conversations(f, talking=0.4, window="15m", width=0.15))
        return {
            "1h": paces["1h"] * hour * strangers["1h"],
            "15m": paces["15m"] * quarter * strangers["15m"],
            "count": paces["count"] * quarter * strangers["15m"],
        }

    @classmethod
    def _paces(cls, f: Features) -> dict[str, np.ndarray]:
        """The evidence of a relay's pace, three ways: a steady rhythm over the hour, over the
        quarter hour, and the quarter hour's count of people (``count``)."""
        unusual = _unusual_owner(f["owner_age"])
        n15, n1h = f["out_calls_15m"], f["out_calls_1h"]
        # Elderly and minor owners are the ones recruited (seed 000): for them five steady
        # calls are evidence enough, at any of a relay's paces (dialling every few minutes so
        # as not to look like a machine). A working owner must keep the rhythm up for longer,
        # and a slower one (a call every 3-5 minutes, easier to hit by chance over an hour of
        # calls between clients) for two calls more.
        extra = 2.0 * ramp(f["gap_mean_1h"], 180, 300)
        # Four calls whose gaps vary by seconds (under 15 s) are as good as five steady ones:
        # at a slow relay's pace (a call every four or five minutes) a quarter hour holds
        # only four, and nobody rings four people that evenly by chance.
        tight = ramp(n15, 3, 4) * ramp(30 - f["gap_cv_15m"] * f["gap_mean_15m"], 0, 15)
        enough_15 = unusual * np.maximum(ramp(n15, 3.5, 5), tight) + (1 - unusual) * ramp(n15, 7, 9)
        enough_1h = unusual * ramp(n1h, 3.5, 5) + (1 - unusual) * ramp(n1h, 8 + extra, 11 + extra)
        return {
            "1h": enough_1h * cls._steady(f["gap_cv_1h"], f["gap_mean_1h"]),
            "15m": enough_15 * cls._steady(f["gap_cv_15m"], f["gap_mean_15m"]),
            "count": unusual * cls._people_in_15m(f),
        }

    @staticmethod
    def _people_in_15m(f: Features) -> np.ndarray:
        """Different people called one after another within 15 minutes, at a person's pace,
        and many of the calls not answered.

        Five people in 15 minutes are at most 225 s apart on average. That is evidence when
        the calls are spread fairly evenly among themselves (the gaps between the quarter
        hour's calls, not the pause before its first, ``inner_gap_*_15m``): a CV up to 0.8,
        none from 1.1, since a few calls in a rush then a long pause is someone ringing
        round; six people are evidence however the calls fall. A holder redialling by hand
        has gaps a minute either way (a CV about 0.5 at a two-minute pace); and the owner's
        own call of a few minutes before the burst is one of the quarter hour's gaps (a gap
        under 15 minutes is not a pause): four gaps of two minutes and one of nine, a CV
        about 0.8 (one of fourteen minutes, 1.1). Every call to someone new, and not seconds
        apart: the next number tried the moment one does not answer is a person in a
        hurry, not a relay's dial, ring and talk.

        The count alone stays under ``review`` (0.5 from five people, 0.55 from nine): an
        owner ringing down a list of people who know them (a retired volunteer calling the
        residents of a block, a grandmother calling the family) gets through to most of
        them. Strangers often do not pick up or hang up at once, so the quarter hour's calls
        unanswered or under 10 s add up to 0.15 (all of it from three in ten): five people
        and that share make ``review``. A count never earns more than ``review`` (0.7 at
        most): a person looks before anything is restricted.
        """
        n15 = f["out_calls_15m"]
        people = np.minimum(f["uniq_callees_15m"], n15)
        all_new = new_people(people, n15)
        not_a_rush = ramp(f["inner_gap_mean_15m"], 35, 60)
        even = ramp(1.1 - f["inner_gap_cv_15m"], 0, 0.3)
        count = 0.5 * np.maximum(ramp(people, 4, 5) * even, ramp(people, 5, 6))
        count += 0.05 * ramp(people, 6, 9)
        unanswered = 0.15 * ramp(f["short_or_unanswered_share_15m"], 0.1, 0.3)
        return (count + unanswered * (count > 0)) * all_new * not_a_rush

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
        """The figures of the evidence that gave the score: the hour's rhythm, the quarter
        hour's rhythm, or the quarter hour's count of people."""
        paces = self._evidence({k: np.array([v], dtype=np.float64) for k, v in f.items()})
        best = max(paces, key=lambda k: float(paces[k][0]))
        age_zh, age_en = age_text(f["owner_age"])
        if best == "count":
            n = int(f["out_calls_15m"])
            people = int(min(f["uniq_callees_15m"], f["out_calls_15m"]))
            return Reason(
                self.name,
                1.0,
                f"15 分钟内主叫 {n} 次, 一个接一个打给 {people} 个不同号码, 几乎无回拨, "
                f"位置固定; 疑似中转呼叫{age_zh}",
                f"{n} outbound calls in 15 min, one after another to {people} different "
                f"numbers, almost none calling back, from one place; looks like relay "
                f"calling{age_en}",
                {"out_calls_15m": n, "uniq_callees_15m": people,
                 "gap_mean_s": round(f["inner_gap_mean_15m"]), "owner_age": f["owner_age"]},
            )  # fmt: skip
        minutes = 60 if best == "1h" else 15
        n, gap = int(f[f"out_calls_{best}"]), round(f[f"gap_mean_{best}"])
        spread = round(f[f"gap_cv_{best}"] * f[f"gap_mean_{best}"])
        uniq = int(f[f"uniq_callees_{best}"])
        return Reason(
            self.name,
            1.0,
            f"{minutes} 分钟内主叫 {n} 次, 平均间隔 {gap} 秒 (相差约 {spread} 秒), "
            f"被叫 {uniq} 个不同号码, 几乎无回拨; 疑似中转呼叫{age_zh}",
            f"{n} outbound calls in {minutes} min, one every {gap} s on average (give or take "
            f"{spread} s), to {uniq} different numbers, almost none calling back; looks like "
            f"relay calling{age_en}",
            {f"out_calls_{best}": n, "gap_mean_s": gap, "gap_sd_s": spread,
             f"uniq_callees_{best}": uniq, "gap_cv": round(f[f"gap_cv_{best}"], 2),
             "owner_age": f["owner_age"]},
        )  # fmt: skip

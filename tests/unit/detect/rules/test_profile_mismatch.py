"""The profile-mismatch rule: an elderly or minor owner calling many people in an hour is a
relay only where the calls are not conversations."""

from __future__ import annotations

import numpy as np

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.rules.profile_mismatch import ProfileMismatchDetector

DETECTOR = ProfileMismatchDetector()


def score(**changes: float) -> float:
    """An owner aged 72 calling 30 people in the hour, every 2 minutes, no call-backs."""
    f = {
        "owner_age": 72.0,
        "out_calls_1h": 30.0,
        "uniq_callees_1h": 30.0,
        "callback_share_24h": 0.0,
        "answered_share_1h": 0.55,
        "mean_duration_1h": 40.0,
        "gap_mean_1h": 120.0,
        "gap_mean_15m": 120.0,
        "out_calls_15m": 8.0,
        "inner_gap_mean_15m": 120.0,
        "is_landline": 0.0,
    } | changes
    return float(DETECTOR.score({k: np.array([v]) for k, v in f.items()})[0])


def test_strangers_who_mostly_do_not_talk_are_a_relay() -> None:
    assert score() == 1.0


def test_a_retired_volunteer_talking_with_the_residents_stays_under_review() -> None:
    # most answer and talk about a minute: 38% of the time talking, and more
    assert score(answered_share_1h=0.77, mean_duration_1h=60.0) < PolicyConfig().review
    assert score(answered_share_1h=0.85, mean_duration_1h=65.0) == 0.0


def test_the_call_after_a_round_and_a_rest_is_judged_by_the_round() -> None:
    """A round of 16 calls every two minutes, three in four answered and talking 100 s, then
    half an hour's rest and a call to the family: the hour's mean gap is mostly the rest. The
    rest counts as a quarter hour of calling time at most, as in the quarter hour's reading."""
    after_rest = {"out_calls_1h": 16.0, "uniq_callees_1h": 16.0, "answered_share_1h": 0.75,
                  "mean_duration_1h": 100.0, "gap_mean_1h": 225.0, "out_calls_15m": 1.0,
                  "gap_mean_15m": 1751.0, "inner_gap_mean_15m": np.nan}  # fmt: skip
    assert score(**after_rest) < PolicyConfig().watch  # 0.78 (review) when the rest counted
    # strangers who mostly do not talk, the same hour and rest: still a relay
    assert score(**after_rest | {"answered_share_1h": 0.45, "mean_duration_1h": 40.0}) == 1.0

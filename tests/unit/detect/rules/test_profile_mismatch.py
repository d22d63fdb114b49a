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
        "is_landline": 0.0,
    } | changes
    return float(DETECTOR.score({k: np.array([v]) for k, v in f.items()})[0])


def test_strangers_who_mostly_do_not_talk_are_a_relay() -> None:
    assert score() == 1.0


def test_a_retired_volunteer_talking_with_the_residents_stays_under_review() -> None:
    # most answer and talk about a minute: 38% of the time talking, and more
    assert score(answered_share_1h=0.77, mean_duration_1h=60.0) < PolicyConfig().review
    assert score(answered_share_1h=0.85, mean_duration_1h=65.0) == 0.0

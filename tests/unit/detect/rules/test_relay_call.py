"""The relay-call rule on the features of one event: the pace read as a steady rhythm, or as a
count of people in a quarter hour when the gaps are not steady."""

from __future__ import annotations

import math

import numpy as np
import pytest

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.rules.relay_call import RelayCallDetector

DETECTOR = RelayCallDetector()
POLICY = PolicyConfig()


def event(**changes: float) -> dict[str, float]:
    """A relay's fifth call in a quarter hour, every two minutes, steady, owner aged 78.

    The quarter hour's own figures (talk, gaps between its calls) are the hour's unless
    given: the calls of the quarter hour are the calls of the hour."""
    base = {
        "out_calls_15m": 5.0,
        "out_calls_1h": 5.0,
        "uniq_callees_15m": 5.0,
        "uniq_callees_1h": 5.0,
        "gap_mean_15m": 120.0,
        "gap_cv_15m": 0.1,
        "gap_mean_1h": 120.0,
        "gap_cv_1h": 0.1,
        "callback_share_24h": 0.0,
        "cells_24h": 1.0,
        "owner_age": 78.0,
        "short_or_unanswered_share_1h": 0.4,
        "answered_share_1h": 0.55,
        "mean_duration_1h": 40.0,
        "is_landline": 0.0,
    } | changes
    same = {"short_or_unanswered_share_15m": "short_or_unanswered_share_1h",
            "answered_share_15m": "answered_share_1h", "mean_duration_15m": "mean_duration_1h",
            "inner_gap_mean_15m": "gap_mean_15m", "inner_gap_cv_15m": "gap_cv_15m"}  # fmt: skip
    return {k: base[v] for k, v in same.items()} | base


def score(f: dict[str, float]) -> float:
    return float(DETECTOR.score({k: np.array([v]) for k, v in f.items()})[0])


def decision(f: dict[str, float]) -> str | None:
    return POLICY.decision_for(score(f))


def test_five_steady_calls_of_a_recruited_owner_are_a_relay() -> None:
    assert decision(event()) == "restrict"


def test_a_relay_is_suspended_once_its_calling_goes_on() -> None:
    """The first few calls restrict outbound at most: an honest round of five steady calls
    reads the same, and a suspension cuts the owner off entirely. A relay that keeps calling
    is suspended (seed 000: dozens of calls in an hour)."""
    more = {"out_calls_15m": 8.0, "uniq_callees_15m": 8.0}
    assert decision(event(**more, out_calls_1h=8.0, uniq_callees_1h=8.0)) == "restrict"
    assert score(event(**more, out_calls_1h=9.0, uniq_callees_1h=9.0)) == pytest.approx(0.925)
    assert decision(event(**more, out_calls_1h=9.0, uniq_callees_1h=9.0)) == "restrict"
    assert decision(event(**more, out_calls_1h=12.0, uniq_callees_1h=12.0)) == "suspend"
    # the ceiling only holds the score down: weak evidence stays weak
    jittered = event(gap_cv_15m=0.5, gap_cv_1h=0.5, out_calls_1h=12.0, uniq_callees_1h=12.0)
    assert decision(jittered) == "review"


def test_gaps_a_minute_either_way_still_read_as_a_relay_at_the_fifth_call() -> None:
    # a holder redialling by hand: a CV of about 0.5 at a two-minute pace
    jittered = event(gap_cv_15m=0.5, gap_cv_1h=0.5)
    assert decision(jittered) == "review"
    # a count never earns more than review: a person looks before anything is restricted
    assert decision(jittered | {"out_calls_15m": 12, "out_calls_1h": 12, "uniq_callees_15m": 12,
                                "uniq_callees_1h": 12, "short_or_unanswered_share_1h": 1.0}) == (
        "review"
    )  # fmt: skip


def test_a_burst_after_the_owners_own_call_is_found_from_six_people() -> None:
    # the owner's call of twenty minutes before sits in the window as one long first gap
    after_a_call = event(gap_mean_15m=380.0, gap_cv_15m=1.3, gap_mean_1h=380.0, gap_cv_1h=1.3)
    assert decision(after_a_call) is None
    six = after_a_call | {"out_calls_15m": 6, "out_calls_1h": 6, "uniq_callees_15m": 6,
                          "uniq_callees_1h": 6}  # fmt: skip
    assert decision(six) == "review"


def test_a_burst_after_a_call_is_read_from_the_gaps_between_its_own_calls() -> None:
    # five calls two minutes apart, twenty minutes after the owner's own call: the pause
    # before the first spoils the spread of the window's gaps, not of the burst's own
    after_a_call = event(gap_mean_15m=380.0, gap_cv_15m=1.3, gap_mean_1h=380.0, gap_cv_1h=1.3,
                         inner_gap_mean_15m=120.0, inner_gap_cv_15m=0.1)  # fmt: skip
    assert decision(after_a_call) == "review"
    # five people in a rush then a long pause are still someone ringing round
    uneven = after_a_call | {"inner_gap_cv_15m": 1.1}
    assert score(uneven) < POLICY.watch


def test_a_burst_minutes_after_the_owners_own_call_is_read_from_five_people() -> None:
    # the owner's own call nine minutes before the burst is in the quarter hour, and its gap
    # (under 15 minutes, not a pause) among the burst's: gaps of 540, 120, 120, 120, 120 s
    gaps = np.array([540.0, 120.0, 120.0, 120.0, 120.0])
    mean, cv = float(gaps.mean()), float(gaps.std() / gaps.mean())
    burst = event(gap_mean_15m=mean, gap_cv_15m=cv, gap_mean_1h=mean, gap_cv_1h=cv,
                  short_or_unanswered_share_1h=0.6, answered_share_1h=0.4)  # fmt: skip
    assert 0.8 < cv < 0.85
    assert decision(burst) == "review"
    # the same gaps with most people answering stay under review: a count alone never does
    assert decision(burst | {"short_or_unanswered_share_15m": 0.0}) == "watch"


def test_the_owners_own_call_a_minute_before_a_burst_leaves_it_a_burst_of_strangers() -> None:
    # a call to a friend called an hour before, a minute before six calls to strangers: the
    # quarter hour holds seven calls, six to people new that hour, after a long pause
    burst = event(out_calls_15m=7.0, out_calls_1h=7.0, uniq_callees_15m=6.0, uniq_callees_1h=6.0,
                  gap_mean_15m=572.0, gap_cv_15m=1.95, gap_mean_1h=572.0, gap_cv_1h=1.95,
                  inner_gap_mean_15m=117.0, inner_gap_cv_15m=0.2,
                  short_or_unanswered_share_1h=0.43, answered_share_1h=0.57)  # fmt: skip
    assert decision(burst) == "review"
    # two calls in five to people called before are someone ringing the same few people
    few = burst | {"out_calls_15m": 5.0, "out_calls_1h": 5.0, "uniq_callees_15m": 3.0,
                   "uniq_callees_1h": 3.0}  # fmt: skip
    assert score(few) == 0.0


def test_a_burst_after_the_owners_own_conversations_is_judged_by_its_own_calls() -> None:
    # a ten-minute call to the family earlier that evening makes the hour look talkative;
    # the quarter hour of the burst is dialling and ringing
    after_a_talk = event(answered_share_1h=0.67, mean_duration_1h=160.0)
    assert score(event(answered_share_1h=0.67, mean_duration_1h=160.0, answered_share_15m=0.67,
                       mean_duration_15m=160.0)) == 0.0  # fmt: skip
    assert decision(after_a_talk | {"answered_share_15m": 0.6, "mean_duration_15m": 40.0}) == (
        "restrict"
    )
    # and the owner's own second call to the family that evening is not the burst's
    twice = after_a_talk | {"answered_share_15m": 0.6, "mean_duration_15m": 40.0,
                            "out_calls_1h": 7.0, "uniq_callees_1h": 5.0}  # fmt: skip
    assert decision(twice) == "restrict"


def test_a_call_round_whose_quarter_hour_talks_less_is_judged_with_its_hour() -> None:
    # a retired volunteer's round: half the hour talking, a quarter hour of shorter talks
    round_ = event(answered_share_1h=0.85, mean_duration_1h=70.0, answered_share_15m=0.7,
                   mean_duration_15m=60.0)  # fmt: skip
    assert score(round_) < POLICY.watch


def test_four_calls_to_the_second_at_a_slow_relays_pace() -> None:
    slow = event(out_calls_15m=4, out_calls_1h=4, uniq_callees_15m=4, uniq_callees_1h=4,
                 gap_mean_15m=290.0, gap_cv_15m=0.03,
                 gap_mean_1h=290.0, gap_cv_1h=0.03)  # fmt: skip
    assert POLICY.review <= score(slow)
    loose = slow | {"gap_cv_15m": 0.15, "gap_cv_1h": 0.15}  # 45 s either way
    assert score(loose) < POLICY.review


@pytest.mark.parametrize("people", [5, 6, 7])
def test_an_owner_ringing_family_who_answer_stays_under_review(people: int) -> None:
    # uneven gaps and every call answered: ringing round relatives, not strangers
    family = event(out_calls_15m=people, out_calls_1h=people, uniq_callees_15m=people,
                   uniq_callees_1h=people, gap_mean_15m=150.0, gap_cv_15m=0.6,
                   gap_mean_1h=150.0, gap_cv_1h=0.6, short_or_unanswered_share_1h=0.0)  # fmt: skip
    assert score(family) < POLICY.review


def test_the_count_of_people_is_for_recruited_owners_only() -> None:
    working = event(owner_age=35.0, out_calls_15m=8, out_calls_1h=8, uniq_callees_15m=8,
                    uniq_callees_1h=8, gap_cv_15m=0.6, gap_cv_1h=0.6)  # fmt: skip
    assert score(working) == 0.0
    company = working | {"owner_age": math.nan}
    assert score(company) == 0.0


def test_a_rush_of_calls_seconds_apart_is_not_a_relay() -> None:
    rush = event(gap_mean_15m=25.0, gap_cv_15m=0.6, gap_mean_1h=25.0, gap_cv_1h=0.6)
    assert score(rush) == 0.0


def test_the_reason_quotes_the_quarter_hour_when_the_count_gave_the_score() -> None:
    f = event(gap_mean_15m=380.0, gap_cv_15m=1.3, gap_mean_1h=380.0, gap_cv_1h=1.3,
              out_calls_15m=6, out_calls_1h=6, uniq_callees_15m=6, uniq_callees_1h=6)  # fmt: skip
    reason = DETECTOR.explain(f)
    assert reason.text_zh.startswith("15 分钟内主叫 6 次, 一个接一个打给 6 个不同号码")
    assert "机主 78 岁" in reason.text_zh
    assert reason.text_en.startswith("6 outbound calls in 15 min")
    steady = DETECTOR.explain(event())
    assert "平均间隔 120 秒" in steady.text_zh


def test_a_call_round_of_conversations_is_not_a_relay() -> None:
    # the same pace and owner, but most calls answered and talked through: a retired
    # volunteer ringing the residents of a block spends most of the hour talking
    round_ = event(answered_share_1h=0.85, mean_duration_1h=80.0)
    assert score(round_) == 0.0
    assert decision(event(answered_share_1h=0.7, mean_duration_1h=60.0)) is not None


def test_a_landline_at_a_clerks_pace_is_not_a_relay() -> None:
    assert score(event(is_landline=1.0, owner_age=math.nan, out_calls_15m=9,
                       out_calls_1h=9, uniq_callees_15m=9, uniq_callees_1h=9)) == 0.0  # fmt: skip

"""Where the callees live (``detect/callee_areas.py``): a round of calls to one area lowers the
relay rules' score; a list from anywhere, another network's or foreign numbers, and an
operator whose subscribers all live in one area change nothing. Records written by hand
(``area_world.py``), not by the simulator."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.detect import rules as _rules  # noqa: F401  (registers the detectors)
from callwarden.detect.base import DETECTORS
from callwarden.detect.callee_area_kernels import busy_slots
from callwarden.detect.callee_areas import (
    AREA,
    AREA_FEATURES,
    CALLEES,
    CUE,
    IN_AREA,
    LOOK_CALLS_1H,
    LOOK_CALLS_1H_USUAL,
    RELAY_DETECTORS,
    STRENGTH,
    Areas,
    CalleeAreas,
    _Calls,
    best_area,
    cue_at,
)
from callwarden.detect.rules.relay_call import FIRST_CALLS_CEILING
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.features.spec import FEATURES, RECORD_FEATURES
from callwarden.records.codes import whole_numbers, with_call_keys

from .area_world import (
    CALLED,
    COMMON,
    FOREIGN,
    OTHER_NET,
    ROUND,
    ROUND_AREA,
    SPREAD,
    calls,
    subscribers,
)


def alerts(subs: pl.DataFrame) -> pl.DataFrame:
    return score_records(Traffic(calls(), None, subs)).alerts


def top(alerts: pl.DataFrame, msisdn: str) -> float:
    return float(alerts.filter(pl.col("msisdn") == msisdn)["score"].max())  # type: ignore[arg-type]


def relay_texts(alerts: pl.DataFrame, msisdn: str, lang: str = "zh") -> list[str]:
    rows = alerts.filter(pl.col("msisdn") == msisdn)["reasons"].to_list()
    return [r[f"text_{lang}"] for rs in rows for r in rs if r["code"] in RELAY_DETECTORS]


def test_a_round_in_one_area_is_lowered_and_says_so() -> None:
    plain, lowered = alerts(subscribers(regions=False)), alerts(subscribers())
    # (its strongest rhythm at its first calls: restricted, not suspended; relay_call.sustained)
    assert top(plain, ROUND) == FIRST_CALLS_CEILING
    # the strongest cue takes 0.45 off: the strongest rhythm is watched, not reviewed
    assert top(lowered, ROUND) == pytest.approx(1.0 - STRENGTH)
    assert lowered.filter(pl.col("msisdn") == ROUND)["decision"].to_list() == ["watch"]
    texts = relay_texts(lowered, ROUND)
    assert texts and all(f"4 个号码中 4 个同在{ROUND_AREA}" in t for t in texts)
    assert all("分数下调 45%" in t for t in texts)
    english = relay_texts(lowered, ROUND, "en")
    assert all("4 of the 4 numbers called in 60 min live in" in t for t in english)
    evidence = lowered.filter(pl.col("msisdn") == ROUND)["reasons"].to_list()[0][0]["evidence"]
    assert '"callee_area_cue": 1.0' in evidence


@pytest.mark.parametrize("caller", [SPREAD, OTHER_NET, FOREIGN, COMMON])
def test_lists_from_anywhere_keep_their_score(caller: str) -> None:
    """Callees in many areas, of another network, abroad or odd strings, or in the area where
    nearly half the subscribers live: no cue, the same decisions as without areas."""
    plain, with_areas = alerts(subscribers(regions=False)), alerts(subscribers())
    mine = [a.filter(pl.col("msisdn") == caller).select("flagged_at", "decision", "score")
            for a in (plain, with_areas)]  # fmt: skip
    assert mine[0].height and mine[0].equals(mine[1])
    texts = relay_texts(with_areas, caller)
    want = {SPREAD: "分散各地 (同在一地的至多 1 个)", OTHER_NET: "均无本网归属地",
            FOREIGN: "均无本网归属地", COMMON: "同在成都, 但本网用户多在此地"}  # fmt: skip
    assert texts and all(want[caller] in t for t in texts)


def test_an_operator_whose_subscribers_all_live_in_one_area_gets_no_cue() -> None:
    plain, one = alerts(subscribers(regions=False)), alerts(subscribers(one_area=True))
    assert plain.select("msisdn", "flagged_at", "decision", "score").equals(
        one.select("msisdn", "flagged_at", "decision", "score")
    )


def test_the_features_are_filled_only_where_a_relay_detector_scores() -> None:
    subs = subscribers()
    found = CalleeAreas.of_records(calls(), subs)
    n = 3
    values = {name: np.zeros(n) for name in FEATURES}
    values.update(out_calls_15m=np.array([5.0, 5.0, 2.0]), out_calls_1h=np.array([5.0, 5, 2]),
                  uniq_callees_15m=np.array([5.0, 5, 2]), uniq_callees_1h=np.array([5.0, 5, 2]),
                  gap_mean_15m=np.full(n, 120.0), gap_mean_1h=np.full(n, 120.0),
                  inner_gap_mean_15m=np.full(n, 120.0), gap_cv_15m=np.full(n, 0.1),
                  gap_cv_1h=np.full(n, 0.1), inner_gap_cv_15m=np.full(n, 0.1),
                  owner_age=np.array([76.0, 30.0, 76.0]))  # fmt: skip
    last = calls().filter(pl.col("caller") == ROUND)["start_time"].max()
    at_us = int(last.timestamp() * 1e6)  # type: ignore[union-attr]
    found.fill(values, np.ones(n, bool), np.full(n, at_us), lambda idx: [ROUND] * len(idx))
    # the relay's event; a working owner's five calls and two calls score 0 there
    assert values[CUE].tolist() == [1.0, 0.0, 0.0]
    assert values[IN_AREA][0] == values[CALLEES][0] == len(CALLED[ROUND])
    assert found.areas.names[int(values[AREA][0])] == ROUND_AREA
    assert values[AREA][1:].tolist() == [-1.0, -1.0]


def test_the_chance_weight_asks_more_of_a_common_area() -> None:
    areas = Areas.of_counts({"a": 40, "b": 5, "c": 55})
    a, b, c = (areas.names.index(x) for x in "abc")
    assert best_area([b] * 3, areas.weights)[0] == pytest.approx(1.0)  # 1 in 8,000 by chance
    assert best_area([a] * 5, areas.weights)[0] == 0.0  # 1 in 100: anyone's list
    assert best_area([a] * 9, areas.weights)[0] == pytest.approx(1.0)  # 1 in 3,800
    assert 0 < best_area([c] * 12, areas.weights)[0] < 1  # 1 in 1,300: partly (m * w = 3.1)
    assert best_area([b, b], areas.weights)[0] == 0.0  # two callees say nothing
    # seven in ten of the callees in one area start the cue, nine in ten give it in full
    assert best_area([b] * 7 + [-1] * 3, areas.weights)[0] == 0.0
    assert best_area([b] * 9 + [-1], areas.weights)[0] == 1.0
    assert Areas.of_counts({"only": 10}).weights == (0.0,)


def test_the_hour_and_the_quarter_hour() -> None:
    weights = Areas.of_counts({"a": 1, "b": 19}).weights
    minute = 60 * 10**6
    # four calls to area a in the last quarter hour, after six elsewhere earlier in the hour
    us = [k * minute for k in range(0, 30, 5)] + [k * minute for k in (50, 52, 54, 56)]
    callees = [f"x{k}" for k in range(6)] + [f"a{k}" for k in range(4)]
    areas = [-1] * 6 + [0] * 4
    cue, m, k, code, minutes = cue_at(us, callees, areas, 56 * minute, weights)
    assert (cue, m, k, code, minutes) == (1.0, 4, 4, 0, 15)
    # calls after the event and at or before an hour ago are not read; a callee called twice
    # counts once
    assert cue_at([0, minute, 2 * minute], ["a", "a", "b"], [0, 0, 0], minute, weights)[2] == 1
    assert cue_at([0, 3600 * 10**6], ["a", "b"], [0, 0], 3600 * 10**6, weights)[2] == 1


def test_missing_or_empty_regions_are_no_area() -> None:
    subs = subscribers().with_columns(
        region=pl.when(pl.col("msisdn").is_in(CALLED[ROUND][:3]))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("region"))
    )
    subs = pl.concat([subs, subs.head(1).with_columns(region=pl.lit(""))])  # a second row
    got = alerts(subs)
    assert top(got, ROUND) == FIRST_CALLS_CEILING  # three of six without an area: no round
    assert not CalleeAreas.of_records(calls(), None)
    assert not CalleeAreas.of_records(calls(), subscribers(regions=False))


def test_the_area_features_are_record_features() -> None:
    for name in (CUE, IN_AREA, CALLEES, AREA):
        assert name in RECORD_FEATURES and name not in FEATURES


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_relay_detectors_score_nothing_under_the_looked_at_calls(data: st.DataObject) -> None:
    """No engine computes the areas below ``LOOK_CALLS_1H`` own calls in the hour: the relay
    detectors score 0 there, whatever else holds."""
    n1h = data.draw(st.integers(0, LOOK_CALLS_1H - 1))
    n15 = data.draw(st.integers(0, n1h))
    row = {f: data.draw(st.floats(0, 1e4)) for f in FEATURES}
    row.update({f: data.draw(st.floats(0, 1)) for f in RECORD_FEATURES})
    row.update(out_calls_1h=n1h, out_calls_15m=n15, uniq_callees_1h=data.draw(st.integers(0, n1h)),
               uniq_callees_15m=data.draw(st.integers(0, n15)),
               owner_age=data.draw(st.sampled_from([math.nan, 10.0, 40.0, 80.0])))  # fmt: skip
    f = {k: np.array([float(v)]) for k, v in row.items()}
    for name in RELAY_DETECTORS:
        assert DETECTORS.get(name).score(f)[0] == 0.0


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_relay_detectors_ask_owners_of_working_age_for_more_calls(data: st.DataObject) -> None:
    """Batch keeps only the busier hours (``LOOK_CALLS_1H_USUAL``) of owners aged 18 to 60 or
    unknown: the relay detectors score 0 below them there, whatever else holds."""
    n1h = data.draw(st.integers(0, LOOK_CALLS_1H_USUAL - 1))
    n15 = data.draw(st.integers(0, n1h))
    row = {f: data.draw(st.floats(0, 1e4)) for f in FEATURES}
    row.update({f: data.draw(st.floats(0, 1)) for f in RECORD_FEATURES})
    age = data.draw(st.one_of(st.just(math.nan), st.integers(18, 60).map(float)))
    row.update(out_calls_1h=n1h, out_calls_15m=n15, uniq_callees_1h=data.draw(st.integers(0, n1h)),
               uniq_callees_15m=data.draw(st.integers(0, n15)), owner_age=age)  # fmt: skip
    f = {k: np.array([float(v)]) for k, v in row.items()}
    for name in RELAY_DETECTORS:
        assert DETECTORS.get(name).score(f)[0] == 0.0


def test_batch_keeps_the_hours_the_relay_rules_can_read() -> None:
    """A working-age owner's five calls in an hour (``COMMON``'s, made 36) are not kept: the
    rules never score them; a retired owner's are."""
    subs = subscribers().with_columns(
        owner_birth_year=pl.when(pl.col("msisdn") == COMMON)
        .then(1990)
        .otherwise(pl.col("owner_birth_year"))
        .cast(pl.Int16)
    )
    kept = CalleeAreas.of_records(calls(), subs)._frame
    assert kept is not None
    callers = set(kept["caller"].to_list())
    keys = pl.select(pl.lit(pl.Series([ROUND, COMMON])).hash()).to_series().to_list()
    assert keys[0] in callers and keys[1] not in callers


def test_the_numbers_parsed_once_give_the_features_of_their_texts() -> None:
    """Batch reads the callers' and callees' keys that ``records/codes.py`` parsed where every
    one spells an E.164 number, and hashes the texts where not: the same features."""
    plain = calls().filter(pl.col("caller") != FOREIGN).sort("start_time")
    keyed = with_call_keys(plain)
    assert {"_caller_code", "_callee_code"} <= set(keyed.columns)
    n = plain.height
    us = plain["start_time"].dt.epoch("us").to_numpy()
    got = []
    for frame in (plain, keyed):
        found = CalleeAreas.of_records(frame, subscribers())
        values = {name: np.zeros(n) for name in FEATURES}
        values.update(out_calls_15m=np.full(n, 5.0), out_calls_1h=np.full(n, 5.0),
                      uniq_callees_15m=np.full(n, 5.0), uniq_callees_1h=np.full(n, 5.0),
                      gap_mean_15m=np.full(n, 120.0), gap_mean_1h=np.full(n, 120.0),
                      inner_gap_mean_15m=np.full(n, 120.0), gap_cv_15m=np.full(n, 0.1),
                      gap_cv_1h=np.full(n, 0.1), inner_gap_cv_15m=np.full(n, 0.1),
                      owner_age=np.full(n, 76.0))  # fmt: skip
        found.fill(values, np.ones(n, bool), us, lambda idx: plain["caller"].gather(idx).to_list())
        got.append(np.column_stack([values[name] for name in AREA_FEATURES]))
    assert (got[0][:, 0] > 0).any() and (got[0][:, 2] >= 3).any()
    assert np.array_equal(got[0], got[1])


_MINUTE = 60 * 10**6


@settings(deadline=None, max_examples=200)  # (the first example loads the compiled walk)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),  # caller
            st.integers(0, 150),  # start, minutes
            st.integers(1, 12),  # callee
            st.integers(-1, 3),  # the callee's area, -1 for none
        ),
        max_size=60,
    ),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 160)), min_size=1, max_size=12),
    st.lists(st.integers(1, 400), min_size=4, max_size=4),
)
def test_the_compiled_walk_gives_cue_at_figures_bit_for_bit(
    rows: list[tuple[int, int, int, int]],
    events: list[tuple[int, int]],
    sizes: list[int],
) -> None:
    # the batch and live scorers read every event's areas in one compiled walk; Spark calls
    # cue_at per event: the same figures, ties, window edges and repeated callees included
    weights = Areas.of_counts({f"area{a}": n for a, n in enumerate(sizes)}).weights
    frame = pl.DataFrame(
        [(c, m * _MINUTE, e, a) for c, m, e, a in rows],
        schema={"caller": pl.UInt64, "us": pl.Int64, "callee": pl.UInt64, "area": pl.Int32},
        orient="row",
    )
    callers = np.array([c for c, _ in events], np.uint64)
    at_us = np.array([m * _MINUTE for _, m in events], np.int64)
    got = _Calls(frame).at(callers, at_us, weights)
    ordered = frame.sort("caller", "us", "callee")
    for e, (caller, at) in enumerate(zip(callers.tolist(), at_us.tolist(), strict=True)):
        mine = ordered.filter(pl.col("caller") == caller)
        want = cue_at(mine["us"].to_list(), mine["callee"].to_list(), mine["area"].to_list(),
                      at, weights)  # fmt: skip
        assert got[e].tolist() == [float(x) for x in want]


@given(
    st.lists(st.integers(0, 12), max_size=60),
    st.integers(1, 6),
    st.booleans(),
)
def test_busy_slots_are_the_hours_of_enough_calls_with_the_next_and_those_after(
    hours: list[int], need: int, at_the_top: bool
) -> None:
    # a caller's hours as slots, at the top of uint64 too (a hashed caller's slots wrap)
    base = 2**64 - 13 if at_the_top else 0  # (the last hour is the largest slot)
    slots = np.sort(np.array([base + h for h in hours], np.uint64))
    counts: dict[int, int] = {}
    for h in hours:
        counts[h] = counts.get(h, 0) + 1
    starts = {h for h in counts if counts[h] + counts.get(h + 1, 0) >= need}
    want = sorted(starts | {h + 1 for h in starts if h + 1 in counts})
    assert busy_slots(slots, need).tolist() == [base + h for h in want]


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.integers(8613800000000, 8613800000009).map(lambda n: f"+{n}"),
                st.sampled_from(["5e1272273e041e82", "+086123", None]),
            ),
            st.sampled_from(["成都", "绵阳", "德阳", "", None]),
        ),
        max_size=25,
    )
)
def test_the_subscribers_homes_by_their_keys_are_those_of_their_texts(
    rows: list[tuple[str | None, str | None]],
) -> None:
    # batch reads the homes by the numbers' keys, without grouping the texts, where each
    # number with an area spells a key once; a repeated or odd number: grouped as before
    subs = pl.DataFrame(rows, schema={"msisdn": pl.String, "region": pl.String}, orient="row")
    homes = Areas.homes(subs)
    codes = {name: k for k, name in enumerate(Areas.of_subscribers(subs).names)}
    keys = whole_numbers(homes["msisdn"], "+")[0].tolist()
    want = sorted(
        (key, codes[region])
        for key, region in zip(keys, homes["region"].to_list(), strict=True)
        if key >= 0
    )
    made = CalleeAreas(subs, parsed=True)
    assert made.areas == Areas.of_subscribers(subs)
    assert sorted(made._homes.iter_rows()) == want

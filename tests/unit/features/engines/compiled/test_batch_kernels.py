"""The batch engine's compiled passes equal the plain array formulas they replaced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.scoring import SCORING_STEPS, FeatureArrays, score_events, score_records
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.engines.compiled.batch import (
    COUNT_SIGNALS,
    FLAG_SIGNALS,
    _own_signals,
    _pair_hash,
    event_features,
)
from callwarden.features.engines.compiled.crossing import (
    _SMALL_DEVICE,
    _callee_passes,
    _device_sims,
)
from callwarden.features.engines.compiled.events import Events, NumberCodes
from callwarden.features.engines.compiled.textcodes import MAX_DIGITS, whole_numbers
from callwarden.features.engines.compiled.triage import _max_two_hours
from callwarden.features.engines.compiled.windows import (
    previous_index,
    stable_argsort,
    window_sums_of,
)
from callwarden.features.gate import GATE_FEATURES, passes_gate
from callwarden.features.spec import (
    EVENT_IN,
    EVENT_OUT,
    EVENT_SMS,
    NIGHT_HOURS,
    ONE_RING_S,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
)
from callwarden.records import codes as codes_module

DAY_MS = 86_400_000


def window_sums(  # the prefix-sum formulas the compiled pass replaced
    blocks: np.ndarray,
    t: np.ndarray,
    signals: dict[str, np.ndarray],
    window_ms: int,
    at: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Reference: sums over ``(t - w, t]`` within each block as differences of prefix sums;
    with ``at`` (indices), only the sums ending at those elements, in that order."""
    n = t.shape[0]
    k = n if at is None else at.shape[0]
    if n == 0 or k == 0:
        return {name: np.zeros(k) for name in signals}
    block_id = np.empty(n, np.int64)
    block_id[0] = 0
    np.cumsum(blocks[1:] != blocks[:-1], out=block_id[1:])
    t0 = int(t.min())
    span = int(t.max()) - t0 + window_ms + 1
    if int(block_id[-1]) * span >= 2**62:
        raise OverflowError("too many groups times too long a period for one window pass")
    key = block_id * span + (t - t0)
    del block_id
    end = np.arange(1, n + 1) if at is None else at + 1
    start = np.searchsorted(key, (key if at is None else key[at]) - window_ms, side="right")
    out = {}
    cs = np.empty(n + 1)
    cs[0] = 0.0
    for name, values in signals.items():
        # the signals are integers, so these prefix sums (and their differences) are exact
        np.cumsum(values, out=cs[1:])
        out[name] = cs[end] - cs[start]
    return out


def _spelled(text: str | None, prefix: str) -> int:
    """The reference: the integer a text spells after the prefix, exactly, or -1."""
    if text is None or not text.startswith(prefix):
        return -1
    digits = text[len(prefix) :]
    if not (0 < len(digits) <= MAX_DIGITS) or not all("0" <= c <= "9" for c in digits):
        return -1
    return int(digits) if str(int(digits)) == digits else -1


texts = st.one_of(
    st.none(),
    st.text(alphabet="+0123456789 -a", max_size=21),
    st.integers(0, 10**19).map(lambda k: f"+{k}"),
    st.integers(0, 10**16).map(str),
)


@settings(deadline=None)  # (the first example compiles the pass)
@given(st.lists(texts, max_size=40), st.sampled_from(["", "+"]), st.booleans())
def test_whole_numbers_match_their_spelling(
    values: list[str | None], prefix: str, as_views: bool
) -> None:
    """Read in place from polars' string views, or from plain Arrow strings."""
    series = pl.Series(values, dtype=pl.String)
    if as_views:
        codes, bad = whole_numbers(series, prefix)
    else:
        with mock.patch.object(codes_module, "_views", return_value=None):
            codes, bad = whole_numbers(series, prefix)
    want = [_spelled(v, prefix) for v in values]
    assert codes.tolist() == want
    if len(values) > 1:  # a slice of a column reads from its offset
        assert whole_numbers(series.slice(1), prefix)[0].tolist() == want[1:]
    assert bad == sum(1 for v, w in zip(values, want, strict=True) if v is not None and w < 0)


def window_sums_at(
    blocks: np.ndarray,
    t: np.ndarray,
    signals: dict[str, np.ndarray],
    window_ms: int,
    row: np.ndarray,
    rows: int,
) -> dict[str, np.ndarray]:
    """The compiled pass for one window over named integer-valued signal arrays."""
    names = list(signals)
    matrix = np.zeros((t.shape[0], len(names)), np.int64)
    for j, name in enumerate(names):
        matrix[:, j] = signals[name]
    out = window_sums_of(
        blocks, t, (matrix[:, :0], matrix), [(int(window_ms), list(range(len(names))))], row, rows
    )
    return {name: out[j] for j, name in enumerate(names)}


def drawn(data: st.DataObject, n: int, elements: st.SearchStrategy[Any]) -> np.ndarray:
    """One drawn value per element of a block of ``n`` (a row, when ``elements`` draws lists)."""
    return np.array(data.draw(st.lists(elements, min_size=n, max_size=n)))


@st.composite
def blocks_and_times(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 300))
    keys = np.sort(np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))))
    t = np.array(draw(st.lists(st.integers(0, 5 * 3_600_000), min_size=n, max_size=n)))
    order = np.lexsort((t, keys))
    return keys[order], t[order]


@settings(deadline=None)
@given(blocks_and_times(), st.sampled_from([1, 900_000, 3_600_000, DAY_MS]), st.data())
def test_sliding_sums_equal_prefix_sums(
    bt: tuple[np.ndarray, np.ndarray], window: int, data: st.DataObject
) -> None:
    keys, t = bt
    n = keys.shape[0]
    signals = {
        "a": drawn(data, n, st.integers(0, 3)).astype(float),
        "b": drawn(data, n, st.integers(0, 3600)).astype(float) ** 2,
    }
    at = np.flatnonzero(drawn(data, n, st.booleans()))
    row = np.full(n, -1)
    row[at] = np.random.default_rng(n).permutation(at.shape[0])  # any order of the caller's
    got = window_sums_at(keys, t, signals, window, row, at.shape[0])
    want = window_sums(keys, t, signals, window, at=at)
    for name in signals:
        assert np.array_equal(got[name][row[at]], want[name])


@settings(deadline=None)
@given(blocks_and_times(), st.data())
def test_all_windows_in_one_pass_equal_prefix_sums_per_window(
    bt: tuple[np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    keys, t = bt
    n = keys.shape[0]
    flags = drawn(data, n, st.lists(st.integers(0, 1), min_size=3, max_size=3)).astype(np.int8)
    counts = drawn(data, n, st.lists(st.integers(0, 3600**2), min_size=2, max_size=2))
    counts = counts.astype(np.int32)
    columns = [(900_000, [0, 3]), (3_600_000, [1, 2, 4]), (DAY_MS, [0, 4])]
    at = np.flatnonzero(drawn(data, n, st.booleans()))
    row = np.full(n, -1)
    row[at] = np.arange(at.shape[0])
    got = window_sums_of(keys, t, (flags, counts), columns, row, at.shape[0])
    whole = np.hstack([flags, counts]).astype(float)
    q = 0
    for window, cols in columns:
        want = window_sums(keys, t, {str(c): whole[:, c] for c in cols}, window, at=at)
        for c in cols:
            assert np.array_equal(got[q], want[str(c)])
            q += 1


def _rhythm_reference(
    num: np.ndarray, t: np.ndarray, out: np.ndarray, other: np.ndarray
) -> dict[str, np.ndarray]:
    """The array formulas the compiled pass replaced: each outgoing call against the
    number's previous outgoing call."""
    n = num.shape[0]
    o = np.flatnonzero(out)
    prev_o = np.r_[-1, o[:-1]][: o.shape[0]]
    same = np.r_[False, num[o[1:]] == num[o[:-1]]][: o.shape[0]]
    gap_ms = np.where(same, t[o] - t[np.maximum(prev_o, 0)], 3_600_000)
    has_gap = same & (gap_ms < 3_600_000)
    gap = (gap_ms // 1000).astype(np.float64)
    now, before = other[o], other[np.maximum(prev_o, 0)]
    step = np.abs(now - before)
    got = {
        "gap_out": np.where(has_gap, gap, 0.0),
        "gap_out_sq": np.where(has_gap, gap * gap, 0.0),
        "has_gap_out": has_gap.astype(np.float64),
        "seq_out": (same & (now >= 0) & (before >= 0) & (step >= 1) & (step <= SEQUENTIAL_STEP)
                    ).astype(np.float64),
    }  # fmt: skip
    result = {}
    for name, values in got.items():
        result[name] = np.zeros(n)
        result[name][o] = values
    return result


@settings(deadline=None)
@given(blocks_and_times(), st.data())
def test_own_signals_equal_the_array_formulas(
    bt: tuple[np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    num, t = bt
    n = num.shape[0]

    def ints(lo: int, hi: int) -> np.ndarray:
        return drawn(data, n, st.integers(lo, hi))

    kind, duration, ring, hour = ints(0, 2).astype(np.int8), ints(0, 40), ints(-1, 9), ints(0, 23)
    other = ints(-1, 12) + 8613800000000 * (ints(0, 1))
    # spoofed presentations (or none at all: an empty array) are no own outgoing calls
    spoofed = ints(0, 1).astype(np.int8) if data.draw(st.booleans()) else np.zeros(0, np.int8)
    flags = np.zeros((n, len(FLAG_SIGNALS)), np.int8)
    counts = np.zeros((n, len(COUNT_SIGNALS)), np.int32)
    limits = np.array([SHORT_CALL_S, ONE_RING_S, *NIGHT_HOURS, SEQUENTIAL_STEP, 3_600_000])
    _own_signals(num, t, kind, spoofed, duration.astype(np.int32), ring.astype(np.int32),
                 hour.astype(np.int8), other, limits, flags, counts)  # fmt: skip
    got = dict(zip(FLAG_SIGNALS, flags.T, strict=True)) | dict(
        zip(COUNT_SIGNALS, counts.T, strict=True)
    )
    out = kind == EVENT_OUT
    if spoofed.shape[0]:
        out &= spoofed == 0
    want = _rhythm_reference(num, t, out, other) | {
        "out": out,
        "in": kind == EVENT_IN,
        "sms_out": kind == EVENT_SMS,
        "short_out": out & (duration < SHORT_CALL_S),
        "answered_out": out & (duration > 0),
        "one_ring_out": out & (duration == 0) & (ring >= 0) & (ring <= ONE_RING_S),
        "night_out": out & (hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1]),
        "dur_out": np.where(out, duration, 0),
    }
    for name, values in want.items():
        assert np.array_equal(got[name], np.asarray(values, np.float64)), name


def previous_in_group(keys: np.ndarray, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Time of the previous element of the same group with ``mask`` set, or -1."""
    prev = previous_index(keys, mask)
    return np.where(prev >= 0, t[np.maximum(prev, 0)], -1)


def _device_sims_reference(
    imei: np.ndarray, caller: np.ndarray, t: np.ndarray, window: int
) -> np.ndarray:
    """The array formulas the compiled pass replaced."""
    n = t.shape[0]
    sims = np.zeros(n)
    dev = np.flatnonzero(imei >= 0)
    if dev.shape[0] == 0:
        return sims
    by_dev = dev[stable_argsort(imei[dev])]
    by_pair = stable_argsort(imei[by_dev], caller[by_dev])
    a, b = imei[by_dev][by_pair], caller[by_dev][by_pair]
    pair = np.cumsum(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    tp = t[by_dev][by_pair]
    seen = previous_in_group(pair, tp, np.ones(by_pair.shape[0], bool))
    new = np.zeros(by_dev.shape[0])
    new[by_pair] = (seen < 0) | (tp - seen >= window)
    sims[by_dev] = window_sums(imei[by_dev], t[by_dev], {"x": new}, window)["x"]
    return sims


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3 * _SMALL_DEVICE), st.integers(1, 40), st.integers(0, 2**31))
def test_device_sims_equal_the_pair_formulas(n: int, numbers: int, seed: int) -> None:
    """Phones (a few SIMs) take the list, busy devices the sort; both give the same sums."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 2 * DAY_MS, n))
    imei = rng.choice(np.array([-1, 11, 12, 13]), n, p=[0.1, 0.7, 0.1, 0.1])
    caller = rng.integers(0, numbers, n) + 8613800000000
    window = int(rng.choice([3_600_000, DAY_MS]))
    got = np.zeros(n)
    dev = np.flatnonzero(imei >= 0)
    _device_sims(dev[stable_argsort(imei[dev])], imei, caller, t, window, got)
    assert np.array_equal(got, _device_sims_reference(imei, caller, t, window))


@settings(deadline=None)
@given(st.integers(1, 200), st.integers(0, 2**31))
def test_shared_targets_compare_each_call_with_the_callee_previous(n: int, seed: int) -> None:
    """Shared targets and victims against each callee's earlier calls, spoofed ones left out;
    many callees, so that the table grows (when not sized for them at the start)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 2 * DAY_MS, n))
    callees = int(rng.choice([6, 5000]))
    caller, callee = rng.integers(0, 6, n), rng.integers(-1, callees, n)
    spoofed = (rng.random(n) < 0.1).astype(np.int8) if seed % 2 else np.zeros(0, np.int8)
    known = (rng.random(n) < 0.3).astype(np.int8) if seed % 3 else np.zeros(0, np.int8)
    got, got_victim = np.zeros(n, np.int8), np.zeros(n, np.int8)
    # the table sized for the callees at the start, or too small, so that it grows
    sized = int(rng.choice([0, np.unique(callee).shape[0]]))
    _callee_passes(callee, caller, t, spoofed, known, 6 * 3_600_000, got, got_victim, sized)
    want, victim = np.zeros(n, np.int8), np.zeros(n, np.int8)
    own = [j for j in range(n) if not (spoofed.shape[0] and spoofed[j])]
    for i in own:
        earlier = [j for j in own if j < i and callee[j] == callee[i]]
        if earlier:
            j = earlier[-1]
            want[i] = caller[j] != caller[i] and t[i] - t[j] < 6 * 3_600_000
        from_known = [j for j in earlier if known.shape[0] and known[j]]
        if from_known:
            j = from_known[-1]
            victim[i] = caller[j] != caller[i] and t[i] - t[j] < DAY_MS
    assert np.array_equal(got, want)
    assert np.array_equal(got_victim, victim)


@pytest.fixture(scope="module")
def city(small_city: Callable[[int], dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    return small_city(5)


def test_event_order_features_are_the_frame_reordered(city: dict[str, pl.DataFrame]) -> None:
    calls, sms, subs = city["calls"], city["sms"], city["subscribers"]
    frame = feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs))
    events = event_features(Traffic(calls, sms, subs))
    order = np.argsort(events.seq)
    assert np.array_equal(events.seq[order], frame["seq"].to_numpy())
    assert events.numbers(order) == frame["msisdn"].to_list()
    assert np.array_equal(events.time_us[order], frame["time"].dt.epoch("us").to_numpy())
    for name, values in events.values.items():
        assert np.array_equal(values[order], frame[name].to_numpy(), equal_nan=True), name


def test_scoring_event_order_arrays_equals_scoring_the_frame(
    city: dict[str, pl.DataFrame],
) -> None:
    calls, subs = city["calls"], city["subscribers"]
    # the texts' content is read by score_records (detect/sms_content.py), not by the features
    sms = city["sms"].drop("content", strict=False)
    frame = feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs))
    events = event_features(Traffic(calls, sms, subs))
    from_frame = score_events(frame, subs, PolicyConfig()).alerts
    from_arrays = score_events(FeatureArrays.of_events(events), subs, PolicyConfig()).alerts
    assert from_frame.height > 0
    assert from_arrays.equals(from_frame)
    # score_records runs the campaign pass at its checkpoints over the records, too
    traffic = Traffic(calls, sms, subs)
    with_groups = score_events(frame, subs, PolicyConfig(), campaigns=traffic).alerts
    assert score_records(traffic).alerts.equals(with_groups)


def test_score_records_reports_its_steps_in_order(city: dict[str, pl.DataFrame]) -> None:
    heard: list[tuple[str, int, int]] = []
    score_records(
        Traffic(city["calls"], city["sms"], city["subscribers"]),
        progress=lambda *heard_now: heard.append(heard_now),
    )
    assert heard == [(s, k, len(SCORING_STEPS)) for k, s in enumerate(SCORING_STEPS)]


def test_gated_event_features_are_the_events_past_the_gate(city: dict[str, pl.DataFrame]) -> None:
    calls, sms, subs = city["calls"], city["sms"], city["subscribers"]
    every = event_features(Traffic(calls, sms, subs))
    gated = event_features(Traffic(calls, sms, subs), gated=True)
    keep = np.flatnonzero(passes_gate(every.values))
    assert 0 < keep.shape[0] < every.height
    assert gated.height == keep.shape[0]
    assert gated.evaluated == every.evaluated == every.height
    assert np.array_equal(gated.seq, every.seq[keep])
    for name, values in every.values.items():
        assert np.array_equal(gated.values[name], values[keep], equal_nan=True), name


def test_the_gate_reads_only_its_listed_features(city: dict[str, pl.DataFrame]) -> None:
    every = event_features(Traffic(city["calls"], city["sms"], city["subscribers"]))
    # (a missing feature would raise a KeyError)
    only = {name: every.values[name] for name in GATE_FEATURES}
    assert np.array_equal(passes_gate(only), passes_gate(every.values))


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30 * 3_600_000)), min_size=1, max_size=200)
)
def test_hour_peaks_by_code_equal_the_grouped_strings(calls: list[tuple[int, int]]) -> None:
    """The compiled count per (number, clock hour) gives what the string group-by gives."""
    codes = np.array([8613800000000 + c for c, _ in calls])
    t = np.array([ms for _, ms in calls])
    frame = pl.DataFrame(
        {
            "caller": [f"+{c}" for c in codes],
            "start_time": pl.Series(t).cast(pl.Datetime("ms")),
            "code": codes,
        }
    )
    by_code = _max_two_hours(frame, "caller", "start_time", key="code")
    by_text = _max_two_hours(frame, "caller", "start_time")
    assert (
        by_code.sort("caller")
        .select(by_text.columns)
        .cast({"peak": pl.Int64, "total": pl.Int64})
        .equals(by_text.sort("caller").cast({"peak": pl.Int64, "total": pl.Int64}))
    )


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1))))
def test_pair_hash_in_one_pass_equals_the_array_formula(pairs: list[tuple[int, int]]) -> None:
    """The compiled pair hash gives the bits of the numpy formula it replaced (negative codes,
    -1 for an unknown cell, wrap around as uint64 in both)."""
    a = np.array([p for p, _ in pairs], np.int64)
    b = np.array([q for _, q in pairs], np.int64)
    mix = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        want = a.astype(np.uint64) * mix
        want ^= b.astype(np.uint64) + np.uint64(0x632BE59BD9B4E019) + (want << np.uint64(6))
        want ^= want >> np.uint64(29)
    assert np.array_equal(_pair_hash(a, b), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 30), max_size=30), st.integers(1, 40))
def test_number_cuts_cover_every_event_and_keep_numbers_whole(sizes: list[int], most: int) -> None:
    num = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    ev = Events(*(num,) * 15, codes=NumberCodes(numeric=True))  # (only num matters here)
    cuts = ev.number_cuts(most)
    if not sizes:
        assert cuts == []
        return
    assert [a for a, _ in cuts] == [0, *(b for _, b in cuts[:-1])]  # contiguous
    assert cuts[-1][1] == num.shape[0]
    for a, b in cuts:
        assert a < b
        assert a == 0 or num[a] != num[a - 1]  # a number is never cut
        assert b - a <= most or num[a] == num[b - 1]  # too many only for one number alone
        if b < num.shape[0]:  # as full as whole numbers allow
            nxt = int(np.searchsorted(num, num[b], side="right"))
            assert nxt - a > most

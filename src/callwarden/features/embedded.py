"""The embedded feature engine: the spec's signals and windows with numpy and polars.

Events are sorted once by (number, seq). A window ``(t - w, t]`` of a number's events ending at
event i is the index range ``[start_i, i]`` found with one ``searchsorted`` on a composite
(number block, time) key, and every windowed sum is a difference of prefix sums: O(n log n)
for all features of all numbers at once, with no Python loop over events.

Pair signals ("callee new to this number in the last hour", "a callback") group events by
a 64-bit hash of the pair with a stable sort, so each group stays in record order.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from callwarden.features.events import KIND_IN, KIND_OUT, KIND_SMS, Events, build_events
from callwarden.features.formulas import features_from_sums, number_flags, profile_features
from callwarden.features.spec import (
    FEATURES,
    NIGHT_HOURS,
    ONE_RING_S,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
    WINDOWS,
    Agg,
    window_signals,
)
from callwarden.features.windows import previous_in_group, stable_argsort, window_sums

__all__ = ["FeatureFrame", "compute_features"]

HOUR_MS, DAY_MS = WINDOWS["1h"], WINDOWS["24h"]
_MIX = np.uint64(0x9E3779B97F4A7C15)
FeatureFrame = pl.DataFrame


def _pair_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = a.astype(np.uint64) * _MIX
        h ^= b.astype(np.uint64) + np.uint64(0x632BE59BD9B4E019) + (h << np.uint64(6))
        h ^= h >> np.uint64(29)
    return h


def _new_within(prev_t: np.ndarray, t: np.ndarray, window_ms: int) -> np.ndarray:
    return ((prev_t < 0) | (t - prev_t >= window_ms)).astype(np.float64)


def _signals(ev: Events) -> dict[str, np.ndarray]:
    out = ev.kind == KIND_OUT
    inc = ev.kind == KIND_IN
    sms = ev.kind == KIND_SMS
    answered = out & (ev.duration > 0)
    s: dict[str, np.ndarray] = {
        "out": out.astype(np.float64),
        "in": inc.astype(np.float64),
        "sms_out": sms.astype(np.float64),
        "short_out": (out & (ev.duration < SHORT_CALL_S)).astype(np.float64),
        "answered_out": answered.astype(np.float64),
        "one_ring_out": (
            out & (ev.duration == 0) & (ev.ring >= 0) & (ev.ring <= ONE_RING_S)
        ).astype(np.float64),
        "night_out": (
            out & (ev.local_hour >= NIGHT_HOURS[0]) & (ev.local_hour < NIGHT_HOURS[1])
        ).astype(np.float64),
        "dur_out": np.where(out, ev.duration, 0).astype(np.float64),
    }

    s.update(_rhythm_signals(ev, out))
    s.update(_pair_signals(ev))
    s.update(_place_signals(ev, out))
    return s


def _rhythm_signals(ev: Events, out: np.ndarray) -> dict[str, np.ndarray]:
    """Gaps and sequential dialing: the previous outgoing call of the same number."""
    n = len(ev)
    s: dict[str, np.ndarray] = {}
    o = np.flatnonzero(out)
    prev_o = np.r_[-1, o[:-1]][: o.shape[0]]
    same = np.r_[False, ev.num[o[1:]] == ev.num[o[:-1]]][: o.shape[0]]
    # Whole seconds: every signal is an integer, so window sums are exact in every engine.
    gap_ms = np.where(same, ev.t[o] - ev.t[np.maximum(prev_o, 0)], HOUR_MS)
    has_gap = same & (gap_ms < HOUR_MS)
    gap = (gap_ms // 1000).astype(np.float64)
    for name, values in (
        ("gap_out", np.where(has_gap, gap, 0.0)),
        ("gap_out_sq", np.where(has_gap, gap * gap, 0.0)),
        ("has_gap_out", has_gap.astype(np.float64)),
    ):
        s[name] = np.zeros(n)
        s[name][o] = values
    now, before = ev.other_digits[o], ev.other_digits[np.maximum(prev_o, 0)]
    step = np.abs(now - before)
    s["seq_out"] = np.zeros(n)
    s["seq_out"][o] = (
        same & (now >= 0) & (before >= 0) & (step >= 1) & (step <= SEQUENTIAL_STEP)
    ).astype(np.float64)

    return s


def _pair_signals(ev: Events) -> dict[str, np.ndarray]:
    """Group by (number, other party), keeping record order inside each group."""
    n = len(ev)
    s: dict[str, np.ndarray] = {}
    pair = _pair_hash(ev.num, ev.other)
    by_pair = stable_argsort(pair)
    pk, pt, pkind = pair[by_pair], ev.t[by_pair], ev.kind[by_pair]
    last_out = previous_in_group(pk, pt, pkind == KIND_OUT)
    last_sms = previous_in_group(pk, pt, pkind == KIND_SMS)
    for name, mask, prev, window in (
        ("new_callee_1h", pkind == KIND_OUT, last_out, HOUR_MS),
        ("new_callee_24h", pkind == KIND_OUT, last_out, DAY_MS),
        ("new_recipient_1h", pkind == KIND_SMS, last_sms, HOUR_MS),
    ):
        values = np.zeros(n)
        values[by_pair] = np.where(mask, _new_within(prev, pt, window), 0.0)
        s[name] = values
    callback = (pkind == KIND_IN) & (last_out >= 0) & (pt - last_out < DAY_MS)
    s["callback_in"] = np.zeros(n)
    s["callback_in"][by_pair] = callback.astype(np.float64)

    return s


def _place_signals(ev: Events, out: np.ndarray) -> dict[str, np.ndarray]:
    """Cells, shared targets and devices."""
    n = len(ev)
    s: dict[str, np.ndarray] = {}
    # Cells: a cell is new when this number has not called from it in the last 24 h.
    with_cell = np.flatnonzero(out & (ev.cell >= 0))
    cell_pair = _pair_hash(ev.num[with_cell], ev.cell[with_cell])
    by_cell = stable_argsort(cell_pair)
    prev_cell = previous_in_group(
        cell_pair[by_cell], ev.t[with_cell][by_cell], np.ones(by_cell.shape[0], bool)
    )
    s["new_cell_24h"] = np.zeros(n)
    s["new_cell_24h"][with_cell[by_cell]] = _new_within(prev_cell, ev.t[with_cell][by_cell], DAY_MS)

    # Computed over all calls before triage (see crossing.py), carried on the out events.
    s["shared_target_out"] = ev.shared_target
    s["imei_sims"] = ev.imei_sims
    s["known_peer_out"] = ev.known_peer
    s["shared_victim_out"] = ev.shared_victim
    return s


def _windowed(ev: Events, signals: dict[str, np.ndarray], at: np.ndarray) -> dict[str, np.ndarray]:
    """Every windowed feature at the events ``at`` (indices into ``ev``)."""
    needed = window_signals()
    sums: dict[str, np.ndarray] = {}
    for window, names in needed.items():
        got = window_sums(
            ev.num, ev.t, {k: signals[k] for k in sorted(names)}, WINDOWS[window], at=at
        )
        sums.update({f"{k}@{window}": v for k, v in got.items()})
    last = {str(f.signal): signals[str(f.signal)][at] for f in FEATURES.values()
            if f.agg is Agg.LAST}  # fmt: skip
    return features_from_sums(sums, last)


def _static(
    numbers: pl.Series, t_ms: np.ndarray, subscribers: pl.DataFrame | None
) -> dict[str, np.ndarray]:
    out = number_flags(numbers)
    act = birth = np.full(t_ms.shape[0], np.nan)
    if subscribers is not None and subscribers.height:
        subs = subscribers.select(
            "msisdn",
            act_ms=pl.col("activated_on").cast(pl.Datetime("ms")).dt.epoch("ms"),
            birth=pl.col("owner_birth_year").cast(pl.Float64),
        )
        joined = pl.DataFrame({"msisdn": numbers}).join(
            subs, on="msisdn", how="left", maintain_order="left"
        )
        act = joined["act_ms"].to_numpy().astype(np.float64)
        birth = joined["birth"].to_numpy().astype(np.float64)
    out.update(profile_features(t_ms, act, birth))
    return out


def compute_features(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None = None,
    subscribers: pl.DataFrame | None = None,
    timezone: str = "Asia/Shanghai",
    only: pl.Series | None = None,
    known: pl.Series | None = None,
) -> tuple[FeatureFrame, pl.DataFrame, pl.DataFrame | None]:
    """Features of the acting number at every outgoing call and sent SMS.

    ``only`` limits the rows returned to the events of those numbers (see triage); ``known`` are
    known fraud numbers (for the shared-victim and known-contact signals).

    Returns ``(features, ordered_calls, ordered_sms)``. ``features`` has one row per outgoing
    call or SMS, in record order, with ``msisdn``, ``kind`` (``call`` / ``sms``), ``record``
    (row in the ordered input), ``seq``, ``time`` (the record's own timestamp) and every
    feature of :data:`~callwarden.features.spec.FEATURES`.
    """
    ev, ordered_calls, ordered_sms = build_events(calls, sms, timezone, known, only=only)
    # Acting events (outgoing calls and SMS) in record order; with ``only`` every event is one
    # of those numbers' already.
    # (windows are looked up in event order, which is fast, then put in record order)
    acting = np.flatnonzero(ev.kind != KIND_IN)
    by_seq = np.argsort(ev.seq[acting])
    values = {k: v[by_seq] for k, v in _windowed(ev, _signals(ev), acting).items()}
    acting = acting[by_seq]
    numbers = ev.codes.decode(ev.num[acting])
    static = _static(numbers, ev.t[acting], subscribers)
    is_sms = ev.kind[acting] == KIND_SMS
    call_times = ordered_calls["start_time"]
    rec = ev.record[acting]
    if call_times.len() == 0:  # SMS only: a placeholder the SMS times replace
        call_times = pl.Series("start_time", [None], dtype=call_times.dtype)
    time = call_times.gather(pl.Series(np.where(is_sms, 0, rec)))
    if ordered_sms is not None and is_sms.any():
        sms_times = ordered_sms["sent_time"].gather(pl.Series(np.where(is_sms, rec, 0)))
        time = pl.select(pl.when(pl.Series(is_sms)).then(sms_times).otherwise(time)).to_series()
    columns: dict[str, object] = {
        "msisdn": numbers,
        "kind": pl.Series(np.where(is_sms, "sms", "call")),
        "record": rec,
        "seq": ev.seq[acting],
        "time": time,
    }
    for name in FEATURES:
        series = static[name] if name in static else values[name]
        columns[name] = pl.Series(name, series, dtype=pl.Float64)
    return pl.DataFrame(columns), ordered_calls, ordered_sms

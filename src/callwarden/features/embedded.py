"""The embedded feature engine: the spec's signals and windows with numpy and polars.

Events are sorted once by (number, seq). The sums over a window ``(t - w, t]`` of a number's
events come from one compiled pass over each number's events per window length (running sums
whose left end catches up as the right end steps on): O(n) for all features of all numbers at
once, with no Python loop over events. :func:`event_features` leaves the features in that
order (batch scoring reads them so); :func:`compute_features` gives them in record order.

Pair signals ("callee new to this number in the last hour", "a callback") group events by
a 64-bit hash of the pair with a stable sort, so each group stays in record order, and read
each group in one compiled pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import polars as pl

from callwarden.features.events import (
    KIND_IN,
    KIND_OUT,
    KIND_SMS,
    Events,
    NumberCodes,
    _any_rows,
    build_events,
)
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
from callwarden.features.windows import previous_in_group, stable_argsort, window_sums_at

__all__ = ["EventFeatures", "FeatureFrame", "compute_features", "event_features"]

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


@numba.njit(cache=True)
def _pair_pass(by_pair: np.ndarray, pair: np.ndarray, t: np.ndarray, kind: np.ndarray,
               out: np.ndarray) -> None:  # fmt: skip
    """Over each (number, other party) group in record order (``by_pair``): the time of the
    pair's previous outgoing call and SMS decides ``out[0]`` new callee in 1 h, ``out[1]`` in
    24 h, ``out[2]`` new SMS recipient in 1 h, ``out[3]`` a callback (an incoming call within
    24 h of an outgoing one)."""
    last_out = -1
    last_sms = -1
    for k in range(by_pair.shape[0]):
        i = by_pair[k]
        if k == 0 or pair[i] != pair[by_pair[k - 1]]:
            last_out = -1
            last_sms = -1
        if kind[i] == KIND_OUT:
            out[0, i] = 1.0 if last_out < 0 or t[i] - last_out >= HOUR_MS else 0.0
            out[1, i] = 1.0 if last_out < 0 or t[i] - last_out >= DAY_MS else 0.0
            last_out = t[i]
        elif kind[i] == KIND_SMS:
            out[2, i] = 1.0 if last_sms < 0 or t[i] - last_sms >= HOUR_MS else 0.0
            last_sms = t[i]
        elif last_out >= 0 and t[i] - last_out < DAY_MS:
            out[3, i] = 1.0


def _pair_signals(ev: Events) -> dict[str, np.ndarray]:
    """Group by (number, other party), keeping record order inside each group."""
    pair = _pair_hash(ev.num, ev.other)
    out = np.zeros((4, len(ev)))
    _pair_pass(stable_argsort(pair), pair, ev.t, ev.kind, out)
    names = ("new_callee_1h", "new_callee_24h", "new_recipient_1h", "callback_in")
    return {name: out[k] for k, name in enumerate(names)}


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


def _windowed(
    ev: Events, signals: dict[str, np.ndarray], at: np.ndarray, row: np.ndarray
) -> dict[str, np.ndarray]:
    """Every windowed feature at the events ``at`` (indices into ``ev``, in the order wanted);
    ``row[i]`` is event i's position in ``at``, or -1."""
    needed = window_signals()
    sums: dict[str, np.ndarray] = {}
    for window, names in needed.items():
        got = window_sums_at(
            ev.num, ev.t, {k: signals[k] for k in sorted(names)}, WINDOWS[window], row,
            at.shape[0],
        )  # fmt: skip
        sums.update({f"{k}@{window}": v for k, v in got.items()})
    last = {str(f.signal): signals[str(f.signal)][at] for f in FEATURES.values()
            if f.agg is Agg.LAST}  # fmt: skip
    return features_from_sums(sums, last)


@dataclass
class EventFeatures:
    """Every feature at every acting event (outgoing call, sent SMS), in event order: by
    number, then record order. What batch scoring reads; :func:`compute_features` puts the
    same rows in record order as a frame."""

    num: np.ndarray  # int64 number code of each event (decode with ``codes``)
    codes: NumberCodes
    is_sms: np.ndarray  # bool
    seq: np.ndarray  # int64 position in record order
    record: np.ndarray  # int64 row in the ordered calls (or SMS)
    time_us: np.ndarray  # int64 µs since the epoch (UTC): the record's own timestamp
    values: dict[str, np.ndarray]  # every feature of FEATURES

    @property
    def height(self) -> int:
        return int(self.num.shape[0])

    def numbers(self, idx: np.ndarray) -> list[str]:
        """The numbers of the events ``idx``."""
        return list(self.codes.decode(self.num[idx]).to_list())


def _per_number_static(
    ev: Events, acting: np.ndarray, subscribers: pl.DataFrame | None
) -> dict[str, np.ndarray]:
    """Static features of the acting events (in event order): the number's own flags and
    profile, looked up once per number and spread over its events."""
    num = ev.num[acting]
    first = np.flatnonzero(np.r_[True, num[1:] != num[:-1]]) if num.shape[0] else num
    counts = np.diff(np.r_[first, num.shape[0]])
    numbers = ev.codes.decode(num[first])
    out = {k: np.repeat(v, counts) for k, v in number_flags(numbers).items()}
    act = birth = np.full(first.shape[0], np.nan)
    if subscribers is not None and subscribers.height:
        act, birth = _profile_columns(numbers, subscribers)
    out.update(profile_features(ev.t[acting], np.repeat(act, counts), np.repeat(birth, counts)))
    return out


def _profile_columns(
    numbers: pl.Series, subscribers: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Activation (ms since the epoch) and owner birth year of each number, NaN unknown."""
    subs = subscribers.select(
        "msisdn",
        act_ms=pl.col("activated_on").cast(pl.Datetime("ms")).dt.epoch("ms"),
        birth=pl.col("owner_birth_year").cast(pl.Float64),
    )
    joined = pl.DataFrame({"msisdn": numbers}).join(
        subs, on="msisdn", how="left", maintain_order="left"
    )
    return (
        joined["act_ms"].to_numpy().astype(np.float64),
        joined["birth"].to_numpy().astype(np.float64),
    )


def event_features(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None = None,
    subscribers: pl.DataFrame | None = None,
    timezone: str = "Asia/Shanghai",
    only: pl.Series | None = None,
    known: pl.Series | None = None,
) -> tuple[EventFeatures, pl.DataFrame, pl.DataFrame | None]:
    """The features of :func:`compute_features`, in event order, as arrays.

    Returns ``(features, ordered_calls, ordered_sms)``.
    """
    ev, ordered_calls, ordered_sms = build_events(calls, sms, timezone, known, only=only)
    # Acting events (outgoing calls and SMS); with ``only`` every event is one of those
    # numbers' already. Windows are summed in event order, where each number's events are
    # next to each other.
    acting = np.flatnonzero(ev.kind != KIND_IN)
    row = np.full(len(ev), -1, np.int64)
    row[acting] = np.arange(acting.shape[0])
    values = _windowed(ev, _signals(ev), acting, row)
    values.update(_per_number_static(ev, acting, subscribers))
    is_sms = ev.kind[acting] == KIND_SMS
    rec = ev.record[acting]
    call_us = ordered_calls["start_time"].dt.epoch("us").to_numpy()
    time_us = _any_rows(call_us)[np.where(is_sms, 0, rec)]
    if ordered_sms is not None and is_sms.any():
        sms_us = ordered_sms["sent_time"].dt.epoch("us").to_numpy()
        time_us = np.where(is_sms, sms_us[np.where(is_sms, rec, 0)], time_us)
    features = EventFeatures(
        num=ev.num[acting],
        codes=ev.codes,
        is_sms=is_sms,
        seq=ev.seq[acting],
        record=rec,
        time_us=time_us,
        values={name: values[name] for name in FEATURES},
    )
    return features, ordered_calls, ordered_sms


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
    ef, ordered_calls, ordered_sms = event_features(calls, sms, subscribers, timezone, only, known)
    order = np.argsort(ef.seq)
    is_sms = ef.is_sms[order]
    rec = ef.record[order]
    call_times = ordered_calls["start_time"]
    if call_times.len() == 0:  # SMS only: a placeholder the SMS times replace
        call_times = pl.Series("start_time", [None], dtype=call_times.dtype)
    time = call_times.gather(pl.Series(np.where(is_sms, 0, rec)))
    if ordered_sms is not None and is_sms.any():
        sms_times = ordered_sms["sent_time"].gather(pl.Series(np.where(is_sms, rec, 0)))
        time = pl.select(pl.when(pl.Series(is_sms)).then(sms_times).otherwise(time)).to_series()
    columns: dict[str, object] = {
        "msisdn": ef.codes.decode(ef.num[order]),
        "kind": pl.Series(np.where(is_sms, "sms", "call")),
        "record": rec,
        "seq": ef.seq[order],
        "time": time,
    }
    for name in FEATURES:
        columns[name] = pl.Series(name, ef.values[name][order], dtype=pl.Float64)
    return pl.DataFrame(columns), ordered_calls, ordered_sms

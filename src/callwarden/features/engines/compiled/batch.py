"""The embedded feature engine: the spec's signals and windows with numpy, polars and numba.

Events are sorted once by (number, seq). Their signals (:data:`SIGNALS`, all integers) fill two
small matrices, a row per event: 0/1 flags as int8, counts and seconds as int32. The sums over
every window ``(t - w, t]`` of a number's events come from one compiled pass over the events
(running sums, one left end per window catching up as the right end steps on): O(n) for all
features of all numbers at once, with no Python loop over events. :func:`event_features`
leaves the features in that order (batch scoring reads them so, and with ``gated`` only at
the events past the triage gate).

Pair signals ("callee new to this number in the last hour", "a callback") group events by
a 64-bit hash of the pair with a stable sort, so each group stays in record order, and read
each group in one compiled pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.base import EventFeatures, Traffic
from callwarden.features.engines.compiled.events import (
    Events,
    _any_rows,
    build_events,
)
from callwarden.features.engines.compiled.threads import run_all
from callwarden.features.engines.compiled.windows import stable_argsort, window_sums_of
from callwarden.features.formulas import features_from_sums, number_flags, profile_features
from callwarden.features.gate import GATE_FEATURES, passes_gate
from callwarden.features.spec import (
    EVENT_IN,
    EVENT_OUT,
    EVENT_SMS,
    FEATURES,
    NIGHT_HOURS,
    ONE_RING_S,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
    WINDOWS,
    Agg,
    window_signals,
)

__all__ = [
    "SLICE_EVENTS",
    "event_feature_slices",
    "event_features",
]

HOUR_MS, DAY_MS = WINDOWS["1h"], WINDOWS["24h"]
_MIX = np.uint64(0x9E3779B97F4A7C15)
#: events (incoming included) per slice of :func:`event_feature_slices`: a few hundred MB
#: of signals, window sums and features at a time
SLICE_EVENTS = 1_000_000


@numba.njit(cache=True, nogil=True)
def _pair_hash_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        h = np.uint64(a[i]) * _MIX
        h ^= np.uint64(b[i]) + np.uint64(0x632BE59BD9B4E019) + (h << np.uint64(6))
        out[i] = h ^ (h >> np.uint64(29))


def _pair_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each (a, b) pair of int64 (wrapping arithmetic), in one pass."""
    out = np.empty(a.shape[0], np.uint64)
    _pair_hash_into(a, b, out)
    return out


#: every per-event signal: 0/1 flags (int8 columns), then counts and seconds (int32).
#: All are integers, so window sums are exact in every engine.
FLAG_SIGNALS = (
    "out", "in", "sms_out", "short_out", "answered_out", "one_ring_out", "night_out",
    "has_gap_out", "seq_out", "new_callee_1h", "new_callee_24h", "new_recipient_1h",
    "callback_in", "new_cell_24h", "shared_target_out", "known_peer_out", "shared_victim_out",
    "spoofed_out", "spoofed_new_callee_1h", "has_inner_gap_out",
)  # fmt: skip
COUNT_SIGNALS = ("dur_out", "gap_out", "gap_out_sq", "imei_sims", "inner_gap_out",
                 "inner_gap_out_sq")  # fmt: skip
SIGNALS = FLAG_SIGNALS + COUNT_SIGNALS
_COL = {name: j for j, name in enumerate(SIGNALS)}
_FLAG = {name: j for j, name in enumerate(FLAG_SIGNALS)}
_COUNT = {name: j for j, name in enumerate(COUNT_SIGNALS)}


@numba.njit(cache=True, nogil=True)
def _own_signals(num: np.ndarray, t: np.ndarray, kind: np.ndarray, spoofed: np.ndarray,
                 duration: np.ndarray, ring: np.ndarray, hour: np.ndarray,
                 other_digits: np.ndarray, limits: np.ndarray, flags: np.ndarray,
                 counts: np.ndarray) -> None:  # fmt: skip
    """The signals of an event that need only its own number's events (sorted by number,
    then record order): its kind, duration and hour, and the gap to (and the callee of) the
    number's previous outgoing call. Flag columns 0-8 and count columns 0-2 (as in
    :data:`FLAG_SIGNALS`, :data:`COUNT_SIGNALS`); ``limits``: short call, one ring, night
    start and end, sequential step, gap horizon (ms). A spoofed presentation (``spoofed``,
    empty when the input has none) is not the number's own call: none of these, and not the
    previous call of the next one."""
    short_s, one_ring_s, night_from, night_to = limits[0], limits[1], limits[2], limits[3]
    seq_step, horizon = limits[4], limits[5]
    any_spoofed = spoofed.shape[0] > 0
    last = -1  # the number's previous outgoing call
    for i in range(t.shape[0]):
        if i == 0 or num[i] != num[i - 1]:
            last = -1
        if kind[i] == EVENT_IN:
            flags[i, 1] = 1
            continue
        if kind[i] == EVENT_SMS:
            flags[i, 2] = 1
            continue
        if any_spoofed and spoofed[i]:
            continue
        d = duration[i]
        flags[i, 0] = 1
        flags[i, 3] = d < short_s
        flags[i, 4] = d > 0
        flags[i, 5] = d == 0 and ring[i] >= 0 and ring[i] <= one_ring_s
        flags[i, 6] = hour[i] >= night_from and hour[i] < night_to
        counts[i, 0] = d
        if last >= 0:
            # whole seconds: every signal is an integer
            gap_ms = t[i] - t[last]
            if gap_ms < horizon:
                gap = gap_ms // 1000
                counts[i, 1] = gap
                counts[i, 2] = gap * gap
                flags[i, 7] = 1
            now, before = other_digits[i], other_digits[last]
            if now >= 0 and before >= 0 and 1 <= abs(now - before) <= seq_step:
                flags[i, 8] = 1
        last = i


@numba.njit(cache=True, nogil=True)
def _pair_pass(by_pair: np.ndarray, pair: np.ndarray, t: np.ndarray, kind: np.ndarray,
               spoofed: np.ndarray, out: np.ndarray, col: int, spoof_col: int) -> None:  # fmt: skip
    """Over each (number, other party) group in record order (``by_pair``): the time of the
    pair's previous outgoing call and SMS decides ``out[:, col]`` new callee in 1 h,
    ``col + 1`` in 24 h, ``col + 2`` new SMS recipient in 1 h, ``col + 3`` a callback (an
    incoming call within 24 h of an outgoing one).

    Spoofed presentations (``spoofed``, empty when the input has none) keep a time of their
    own: ``out[:, spoof_col]`` a callee no spoofed presentation of the number reached in the
    hour before. They are neither the number's outgoing calls nor, on the callee's side,
    callbacks."""
    any_spoofed = spoofed.shape[0] > 0
    last_out = -1
    last_sms = -1
    last_spoof = -1
    for k in range(by_pair.shape[0]):
        i = by_pair[k]
        if k == 0 or pair[i] != pair[by_pair[k - 1]]:
            last_out = -1
            last_sms = -1
            last_spoof = -1
        if any_spoofed and spoofed[i]:
            if kind[i] == EVENT_OUT:
                out[i, spoof_col] = last_spoof < 0 or t[i] - last_spoof >= HOUR_MS
                last_spoof = t[i]
        elif kind[i] == EVENT_OUT:
            out[i, col] = last_out < 0 or t[i] - last_out >= HOUR_MS
            out[i, col + 1] = last_out < 0 or t[i] - last_out >= DAY_MS
            last_out = t[i]
        elif kind[i] == EVENT_SMS:
            out[i, col + 2] = last_sms < 0 or t[i] - last_sms >= HOUR_MS
            last_sms = t[i]
        elif last_out >= 0 and t[i] - last_out < DAY_MS:
            out[i, col + 3] = 1


@numba.njit(cache=True, nogil=True)
def _new_in_group(rows: np.ndarray, key: np.ndarray, t: np.ndarray, window_ms: int,
                  out: np.ndarray, col: int) -> None:  # fmt: skip
    """``out[rows[k], col]`` = 1 where element ``k`` (grouped by ``key``, record order inside)
    is its group's first, or comes ``window_ms`` or more after the one before."""
    for k in range(rows.shape[0]):
        if k == 0 or key[k] != key[k - 1] or t[rows[k]] - t[rows[k - 1]] >= window_ms:
            out[rows[k], col] = 1


def _signals(ev: Events) -> tuple[np.ndarray, np.ndarray]:
    """Every signal of :data:`SIGNALS` at every event: an int8 matrix of the flags and an
    int32 matrix of the counts, a row per event (small: a day's events are millions)."""
    flags = np.zeros((len(ev), len(FLAG_SIGNALS)), np.int8)
    counts = np.zeros((len(ev), len(COUNT_SIGNALS)), np.int32)
    limits = np.array(
        [SHORT_CALL_S, ONE_RING_S, NIGHT_HOURS[0], NIGHT_HOURS[1], SEQUENTIAL_STEP, HOUR_MS],
        np.int64,
    )
    # Spoofed presentations count only in the spoofed_* signals (see spec.py); an empty array
    # when there are none, so the passes read nothing more.
    spoofed = ev.spoofed if ev.spoofed is not None else np.zeros(0, np.int8)

    def own() -> None:
        _own_signals(ev.num, ev.t, ev.kind, spoofed, ev.duration, ev.ring, ev.local_hour,
                     ev.other_digits, limits, flags, counts)  # fmt: skip

    def pairs() -> None:
        # Pairs: grouped by (number, other party), record order kept inside each group.
        pair = _pair_hash(ev.num, ev.other)
        _pair_pass(stable_argsort(pair), pair, ev.t, ev.kind, spoofed, flags,
                   _FLAG["new_callee_1h"], _FLAG["spoofed_new_callee_1h"])  # fmt: skip

    def cells() -> None:
        # Cells: a cell is new when this number has not called from it in the last 24 h
        # (its own calls: a spoofed presentation's cell is not the number's).
        own_out = ev.kind == EVENT_OUT
        if ev.spoofed is not None:
            own_out &= ev.spoofed == 0
        with_cell = np.flatnonzero(own_out & (ev.cell >= 0))
        cell_pair = _pair_hash(ev.num[with_cell], ev.cell[with_cell])
        by_cell = stable_argsort(cell_pair)
        _new_in_group(with_cell[by_cell], cell_pair[by_cell], ev.t, DAY_MS, flags,
                      _FLAG["new_cell_24h"])  # fmt: skip

    def own_and_cells() -> None:
        own()
        cells()

    # each writes its own columns: the pair pass beside the other two (see threads.py)
    run_all(pairs, own_and_cells)
    # Computed over all calls before triage (see crossing.py), carried on the out events.
    flags[:, _FLAG["shared_target_out"]] = ev.shared_target
    flags[:, _FLAG["known_peer_out"]] = ev.known_peer
    flags[:, _FLAG["shared_victim_out"]] = ev.shared_victim
    counts[:, _COUNT["imei_sims"]] = ev.imei_sims
    if ev.spoofed is not None:  # (None: no flagged call, both columns stay 0)
        flags[:, _FLAG["spoofed_out"]] = ev.spoofed * (ev.kind == EVENT_OUT)
    # a gap of whole seconds under 900 is one of under 15 minutes (the window's own gaps)
    inner = (flags[:, _FLAG["has_gap_out"]] == 1) & (
        counts[:, _COUNT["gap_out"]] < WINDOWS["15m"] // 1000
    )
    flags[:, _FLAG["has_inner_gap_out"]] = inner
    counts[:, _COUNT["inner_gap_out"]] = np.where(inner, counts[:, _COUNT["gap_out"]], 0)
    counts[:, _COUNT["inner_gap_out_sq"]] = np.where(inner, counts[:, _COUNT["gap_out_sq"]], 0)
    return flags, counts


def _column(signals: tuple[np.ndarray, np.ndarray], name: str) -> np.ndarray:
    flags, counts = signals
    return flags[:, _FLAG[name]] if name in _FLAG else counts[:, _COUNT[name]]


def _window_sums(
    ev: Events,
    signals: tuple[np.ndarray, np.ndarray],
    at: np.ndarray,
    needed: dict[str, set[str]],
    events: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The sums ``signal@window`` of ``needed`` at the events ``at`` (indices into ``ev``,
    ascending), summed over the events ``events`` alone (whole numbers' events, holding
    ``at``; default all)."""
    row = np.full(len(ev), -1, np.int64)
    row[at] = np.arange(at.shape[0])
    pairs = [(w, k) for w in needed for k in sorted(needed[w])]
    columns = [(WINDOWS[w], [_COL[k] for k in sorted(needed[w])]) for w in needed]
    num, t = ev.num, ev.t
    if events is not None:  # (a number's sums read its own events only)
        num, t, row = num[events], t[events], row[events]
        signals = (signals[0][events], signals[1][events])
    sums = window_sums_of(num, t, signals, columns, row, at.shape[0])
    return {f"{k}@{w}": sums[q] for q, (w, k) in enumerate(pairs)}


def _last_signals(
    signals: tuple[np.ndarray, np.ndarray], at: np.ndarray, names: Iterable[str]
) -> dict[str, np.ndarray]:
    return {str(f.signal): _column(signals, str(f.signal))[at].astype(np.float64)
            for f in (FEATURES[n] for n in names) if f.agg is Agg.LAST}  # fmt: skip


def _windowed(
    ev: Events,
    signals: tuple[np.ndarray, np.ndarray],
    at: np.ndarray,
    names: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """The windowed features (every one, or those of ``names``) at the events ``at``
    (indices into ``ev``, ascending)."""
    chosen = list(FEATURES) if names is None else list(names)
    sums = _window_sums(ev, signals, at, window_signals(chosen))
    return features_from_sums(sums, _last_signals(signals, at, chosen), chosen)


def _numbers_events(ev: Events, at: np.ndarray) -> np.ndarray | None:
    """The events of the numbers that have an event in ``at`` (None: every event)."""
    first = np.r_[True, ev.num[1:] != ev.num[:-1]] if len(ev) else np.zeros(0, bool)
    block = np.cumsum(first) - 1
    wanted = np.zeros(int(block[-1]) + 1 if len(ev) else 0, bool)
    wanted[block[at]] = True
    return None if wanted.all() else np.flatnonzero(wanted[block])


#: each acting number's code (ascending), activation (ms since the epoch) and owner birth
#: year, NaN unknown: looked up in the subscribers once for all slices
Profiles = tuple[np.ndarray, np.ndarray, np.ndarray]


def _profiles(ev: Events, subscribers: pl.DataFrame | None) -> Profiles | None:
    """The profiles of the numbers that act in ``ev`` (one join, however many slices)."""
    if subscribers is None or subscribers.height == 0:
        return None
    starts = np.flatnonzero(np.r_[True, ev.num[1:] != ev.num[:-1]]) if len(ev) else ev.num
    acts = np.add.reduceat(ev.kind != EVENT_IN, starts) > 0 if len(ev) else np.zeros(0, bool)
    codes = ev.num[starts[acts]]  # (events are sorted by number: ascending codes)
    return (codes, *_profile_columns(ev.codes.decode(codes), subscribers))


def _per_number_static(
    ev: Events, acting: np.ndarray, profiles: Profiles | None
) -> dict[str, np.ndarray]:
    """Static features of the acting events (in event order): the number's own flags and
    profile, looked up once per number and spread over its events."""
    num = ev.num[acting]
    first = np.flatnonzero(np.r_[True, num[1:] != num[:-1]]) if num.shape[0] else num
    counts = np.diff(np.r_[first, num.shape[0]])
    out = {k: np.repeat(v, counts) for k, v in number_flags(ev.codes.decode(num[first])).items()}
    act = birth = np.full(first.shape[0], np.nan)
    if profiles is not None:
        codes, all_act, all_birth = profiles
        at = np.searchsorted(codes, num[first])  # (every acting number is there)
        act, birth = all_act[at], all_birth[at]
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
    traffic: Traffic,
    only: pl.Series | None = None,
    *,
    gated: bool = False,
) -> EventFeatures:
    """Every feature at every acting event of ``traffic``, in event order (by number, then
    record order); with ``only`` (numbers), those numbers' events alone.

    ``gated``: only the events that pass the gate (``features/gate.py``), the only ones a
    detector can score above 0. Their features are the same; the gate's own features are
    computed first, at every event, the rest only where it passes. ``evaluated`` counts the
    events before the gate.
    """
    ev, ordered_calls, ordered_sms = build_events(traffic, only=only)
    times = _record_times(ordered_calls, ordered_sms)
    profiles = _profiles(ev, traffic.subscribers)
    # only the events and their times are read from here on: the records can go (when the
    # caller holds no other reference, as the engine's triage does not)
    del ordered_calls, ordered_sms, traffic
    return _features_of(ev, profiles, times, gated=gated)


def event_feature_slices(
    traffic: Traffic,
    *,
    most: int | None = None,
    gated: bool = False,
) -> tuple[int, Iterator[EventFeatures]]:
    """:func:`event_features` of every number, a slice of whole numbers at a time.

    The events are built once; each slice's signals and windows are then computed from its
    numbers' events alone (a number's features depend on nothing else), so the slices hold
    exactly the rows of :func:`event_features`, in the same order, while only one slice's
    features are in memory at a time. A slice holds at most ``most`` events (incoming ones
    included; default :data:`SLICE_EVENTS`) unless one number alone has more. ``gated`` as
    in :func:`event_features`.

    Returns ``(slices, iterator)``: how many slices there are, and the slices.
    """
    ev, ordered_calls, ordered_sms = build_events(traffic)
    times = _record_times(ordered_calls, ordered_sms)
    profiles = _profiles(ev, traffic.subscribers)
    cuts = ev.number_cuts(SLICE_EVENTS if most is None else most)
    return len(cuts), (_features_of(ev.slice(a, b), profiles, times, gated=gated) for a, b in cuts)


def _record_times(
    ordered_calls: pl.DataFrame, ordered_sms: pl.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """µs since the epoch (UTC) of every call, and of every SMS, in the ordered inputs."""
    call_us = _any_rows(ordered_calls["start_time"].dt.epoch("us").to_numpy())
    sms_us = (
        ordered_sms["sent_time"].dt.epoch("us").to_numpy()
        if ordered_sms is not None
        else np.zeros(0, np.int64)
    )
    return call_us, sms_us


def _features_of(
    ev: Events,
    profiles: Profiles | None,
    times: tuple[np.ndarray, np.ndarray],
    *,
    gated: bool = False,
) -> EventFeatures:
    """Every feature at the acting events of ``ev`` (a whole set of numbers' events)."""
    # Acting events (outgoing calls and SMS); with ``only`` every event is one of those
    # numbers' already. Windows are summed in event order, where each number's events are
    # next to each other.
    acting = np.flatnonzero(ev.kind != EVENT_IN)
    evaluated = int(acting.shape[0])
    signals = _signals(ev)
    static = _per_number_static(ev, acting, profiles)
    if gated:
        # the gate's sums at every acting event, then the other sums only at those past it,
        # over the events of their numbers alone (the gate's sums are not summed again)
        gate_needs = window_signals(GATE_FEATURES)
        gate_sums = _window_sums(ev, signals, acting, gate_needs)
        last = _last_signals(signals, acting, GATE_FEATURES)
        at_gate = features_from_sums(gate_sums, last, GATE_FEATURES)
        keep = np.flatnonzero(passes_gate({**at_gate, **static}))
        del at_gate
        acting = acting[keep]
        static = {k: v[keep] for k, v in static.items()}
        rest = {
            w: ks - gate_needs.get(w, set()) for w, ks in window_signals(list(FEATURES)).items()
        }
        sums = _window_sums(ev, signals, acting, {w: ks for w, ks in rest.items() if ks},
                            _numbers_events(ev, acting))  # fmt: skip
        sums.update((k, v[keep]) for k, v in gate_sums.items())
        del gate_sums
        values = features_from_sums(sums, _last_signals(signals, acting, FEATURES), FEATURES)
        del sums
    else:
        values = _windowed(ev, signals, acting)
    del signals
    values.update(static)
    is_sms = ev.kind[acting] == EVENT_SMS
    rec = ev.record[acting]
    call_us, sms_us = times
    time_us = call_us[np.where(is_sms, 0, rec)]
    if is_sms.any():
        time_us = np.where(is_sms, sms_us[np.where(is_sms, rec, 0)], time_us)
    return EventFeatures(
        num=ev.num[acting],
        decode=ev.codes.decode,
        is_sms=is_sms,
        seq=ev.seq[acting],
        time_us=time_us,
        values={name: values[name] for name in FEATURES},
        evaluated=evaluated,
    )

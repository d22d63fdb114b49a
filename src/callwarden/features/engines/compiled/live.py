"""Features record by record, compiled: the spec's windows as per-number state, fed in batches.

This is the incremental engine of :mod:`callwarden.features.spec`: the stream runs it, and the
conformance suite holds it equal to the batch engine bit for bit. Records are processed one by
one in record order (``records/batch.py``, ``spec.RECORD_ORDER``): each record's
signals depend only on earlier records, and the acting number's features at it are its window
sums ``(t - w, t]``. The loop over records is compiled with numba (a per-record Python loop
would dominate); batches of any size give the same features.

State is plain numpy arrays (so a checkpoint is a pickle of arrays):

* **numbers** get dense slots (a codebook of the numbers' texts, textcodes.py); per slot the
  last outgoing call, last callee, last incoming caller, last incoming known fraud caller, and
  the running sums of every window (``signal@window``; int32, talk time int64);
* **events** live in pools, a number's acting events (outgoing calls and SMS) and its incoming
  calls, each a linked list per number, and devices' new SIMs; signals that are only 0 or 1
  are bits of one int32 per event, durations and gaps int32, and the gaps' squares and inner
  gaps are read from the gap, not stored (pools.py). Each window
  keeps a pointer to its oldest event; when an event leaves the longest window its storage is
  reused;
* **pairs** ("when did this number last call that one", cells, devices) are open-addressing
  hash tables of int64 keys (hashtable.py);
* **times** (events', pairs', a number's last call) are milliseconds after a base, int32 in
  the pools and pair tables (offsets.py).

>>> import datetime as dt
>>> eng = IncrementalFeatures()
>>> t0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> calls = pl.DataFrame({"call_id": ["0", "1", "2"], "caller": ["+8613800000001"] * 3,
...     "callee": ["+8613900000000", "+8613900000001", "+8613900000002"],
...     "start_time": [t0 + dt.timedelta(minutes=2 * k) for k in range(3)],
...     "duration_s": [0, 0, 0], "ring_s": [20, 20, 20], "caller_cell": ["C1"] * 3,
...     "caller_imei": ["1"] * 3})
>>> from callwarden.records.batch import record_batch
>>> f = eng.process(record_batch(calls))
>>> f["out_calls_15m"].to_list(), f["gap_mean_15m"].to_list()
([1.0, 2.0, 3.0], [0.0, 120.0, 120.0])
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.base import LiveBatch, LiveFeatures, Traffic
from callwarden.features.engines.compiled.hashtable import NONE, Table, grow, resized
from callwarden.features.engines.compiled.hashtable import get as _ht_get
from callwarden.features.engines.compiled.hashtable import put as _ht_put
from callwarden.features.engines.compiled.offsets import SPAN_MS, UNSET, rebase, split_at
from callwarden.features.engines.compiled.pools import (
    Pool,
    advance_to,
    push_counted_to,
    push_to,
)
from callwarden.features.engines.compiled.textcodes import (
    Codebook,
    Dictionary,
    number_flags_compiled,
)
from callwarden.features.engines.compiled.upgrades import upgraded
from callwarden.features.formulas import (
    features_from_sums,
    fixed_offset_ms,
    invalid_flags,
    profile_features,
)
from callwarden.features.spec import (
    FEATURES,
    NIGHT_HOURS,
    NUMBER_FLAGS,
    ONE_RING_S,
    RECORD_CALL,
    RECORD_SMS,
    SEQUENTIAL_STEP,
    SHORT_CALL_S,
    SPOOFED_FLAGS,
    WINDOWS,
    window_signals,
)
from callwarden.records.batch import RECORD_SCHEMA

__all__ = ["IncrementalFeatures", "warm_up"]

HOUR_MS, DAY_MS, SIX_H_MS = WINDOWS["1h"], WINDOWS["24h"], WINDOWS["6h"]
QUARTER_MS = WINDOWS["15m"]
Arrays = tuple[np.ndarray, ...]  # one pool or hash table, as the compiled code takes it

_NEEDED = window_signals()
#: windows shortest first: events leaving the last one leave every window
_WINDOW_ORDER = tuple(sorted(_NEEDED, key=lambda w: WINDOWS[w]))
#: the sums kept per number, ``signal@window``
SUM_NAMES = tuple(f"{s}@{w}" for w in _WINDOW_ORDER for s in sorted(_NEEDED[w]))
#: signals of a number's incoming calls; every other windowed signal is of its acting events
IN_SIGNALS = ("in", "callback_in")
ACT_SIGNALS = tuple(sorted({s for names in _NEEDED.values() for s in names} - set(IN_SIGNALS)))
_A = {s: k for k, s in enumerate(ACT_SIGNALS)}
#: acting signals that are only ever 0 or 1 (``_process`` sets them so): kept as bits of one
#: int32 per event (pools.py); the others (durations, gaps and their squares) as int32 columns
BINARY_SIGNALS = (
    "out", "short_out", "answered_out", "one_ring_out", "night_out", "has_gap_out", "seq_out",
    "new_callee_1h", "new_callee_24h", "new_cell_24h", "shared_target_out", "known_peer_out",
    "shared_victim_out", "sms_out", "new_recipient_1h", "spoofed_out", "spoofed_new_callee_1h",
    "has_inner_gap_out",
)  # fmt: skip
_ACT_BITS = tuple(k for k, s in enumerate(ACT_SIGNALS) if s in BINARY_SIGNALS)
#: acting signals read from others rather than stored (``_process`` sets them so): a gap's
#: square, and the inner gap (and its square), the gap where the call came within the quarter
#: hour (``has_inner_gap_out``) and 0 elsewhere
_ACT_DERIVED = {
    _A["gap_out_sq"]: (_A["gap_out"], True, -1),
    _A["inner_gap_out"]: (_A["gap_out"], False, _A["has_inner_gap_out"]),
    _A["inner_gap_out_sq"]: (_A["gap_out"], True, _A["has_inner_gap_out"]),
}


#: sums that can outgrow int32 (a day's talk, in seconds) are int64 (``long_sums``); the
#: others, counts and gaps under an hour (and their squares), int32 (``sums``)
_LONG = tuple(j for j, name in enumerate(SUM_NAMES) if name.startswith("dur_out@"))
_SHORT = tuple(j for j in range(len(SUM_NAMES)) if j not in _LONG)
#: where each kept sum goes among SUM_NAMES: ``(short, long)``
_OUT_COLS = (np.array(_SHORT, np.int64), np.array(_LONG, np.int64))


def _window_map(signals: tuple[str, ...]) -> np.ndarray:
    """``[window, signal] ->`` the column of its sum: ``j >= 0`` in ``sums``, ``-2 - j`` in
    ``long_sums``, -1 where the window does not sum it (``pools._add``)."""
    where = {SUM_NAMES[j]: k for k, j in enumerate(_SHORT)}
    where.update({SUM_NAMES[j]: -2 - k for k, j in enumerate(_LONG)})
    out = np.full((len(_WINDOW_ORDER), len(signals)), -1, np.int64)
    for w, window in enumerate(_WINDOW_ORDER):
        for k, s in enumerate(signals):
            out[w, k] = where.get(f"{s}@{window}", -1)
    return out


_ACT_MAP, _IN_MAP = _window_map(ACT_SIGNALS), _window_map(IN_SIGNALS)
_WINDOW_MS = np.array([WINDOWS[w] for w in _WINDOW_ORDER], np.int64)
_DEVICE_MAP, _DEVICE_MS = np.zeros((1, 1), np.int64), np.array([DAY_MS], np.int64)
_NO_LONGS = np.zeros((1, 0), np.int64)  # (the device pool sums no durations)


@numba.njit(cache=True, inline="always")
def _sums_out(tot: Any, s: int, cols: Any, out: np.ndarray, r: int) -> None:
    """Owner ``s``'s sums into row ``r`` of ``out``, in SUM_NAMES order (``cols``: _OUT_COLS)."""
    for k in range(cols[0].shape[0]):
        out[r, cols[0][k]] = tot[0][s, k]
    for k in range(cols[1].shape[0]):
        out[r, cols[1][k]] = tot[1][s, k]


# --- compiled state ----------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _process(  # noqa: PLR0915  (one compiled loop over records)
    kind: np.ndarray, t: np.ndarray, a: np.ndarray, b: np.ndarray, digits: np.ndarray,
    dur: np.ndarray, ring: np.ndarray, hour: np.ndarray, cell: np.ndarray, imei: np.ndarray,
    spoofed: np.ndarray, known_a: np.ndarray, known_b: np.ndarray, has_known: bool,
    num: np.ndarray, last_callee: np.ndarray, tot: Any,
    act: Arrays, act_map: np.ndarray, inc: Arrays, in_map: np.ndarray, wms: np.ndarray,
    dev: Arrays, dev_tot: Any, dev_map: np.ndarray, dev_ms: np.ndarray,
    pair_out: Arrays, pair_sms: Arrays, pair_spoof: Arrays, cell_seen: Arrays,
    dev_seen: Arrays, sig_idx: np.ndarray, out_cols: Any, out_sums: np.ndarray,
    out_sims: np.ndarray,
) -> None:  # fmt: skip
    """Every record in order: its signals, the actor's (and callee's) windows, the sums out.

    ``num[slot]`` (int32, ``UNSET`` for none) = last own out time, last in caller, its time,
    last known in caller, its time; ``last_callee[slot]`` the last own callee's digits
    (spoofed presentations leave them alone). ``sig_idx`` gives the
    ACT_SIGNALS positions (see ``_SIG``).
    """
    n_act = act[8].shape[0]  # (the pool's signal columns: Pool.arrays)
    v = np.zeros(n_act)
    vin = np.zeros(2)
    vdev = np.zeros(1)
    i_out, i_short, i_ans, i_ring, i_night, i_dur = (
        sig_idx[0],
        sig_idx[1],
        sig_idx[2],
        sig_idx[3],
        sig_idx[4],
        sig_idx[5],
    )
    i_gap, i_gap2, i_hasgap, i_seq, i_new1, i_new24 = (
        sig_idx[6],
        sig_idx[7],
        sig_idx[8],
        sig_idx[9],
        sig_idx[10],
        sig_idx[11],
    )
    i_cell, i_shared, i_peer, i_victim, i_sms, i_recip = (
        sig_idx[12],
        sig_idx[13],
        sig_idx[14],
        sig_idx[15],
        sig_idx[16],
        sig_idx[17],
    )
    i_spoof, i_spoof_new = sig_idx[18], sig_idx[19]
    i_inner, i_inner2, i_hasinner = sig_idx[20], sig_idx[21], sig_idx[22]
    for r in range(kind.shape[0]):
        v[:] = 0.0
        me, them, tr = a[r], b[r], t[r]
        pair_key = me * 4294967296 + them
        if kind[r] == RECORD_SMS:
            prev = _ht_get(pair_sms[0], pair_sms[1], pair_key)
            v[i_sms] = 1.0
            v[i_recip] = 1.0 if (prev == NONE or tr - prev >= HOUR_MS) else 0.0
            _ht_put(pair_sms[0], pair_sms[1], pair_sms[2], pair_key, tr)
            push_to(act, tot, act_map, wms, me, tr, v)
            advance_to(inc, tot, in_map, wms, me, tr)
            _sums_out(tot, me, out_cols, out_sums, r)
            out_sims[r] = 0.0
            continue
        if spoofed[r]:
            # Not the actor's own call (spec.py): only the spoofed signals, with a pair time
            # of their own; the callee received a call, but from nobody it can call back.
            prev_spoof = _ht_get(pair_spoof[0], pair_spoof[1], pair_key)
            v[i_spoof] = 1.0
            v[i_spoof_new] = 1.0 if (prev_spoof == NONE or tr - prev_spoof >= HOUR_MS) else 0.0
            _ht_put(pair_spoof[0], pair_spoof[1], pair_spoof[2], pair_key, tr)
            push_to(act, tot, act_map, wms, me, tr, v)
            advance_to(inc, tot, in_map, wms, me, tr)
            _sums_out(tot, me, out_cols, out_sums, r)
            out_sims[r] = 0.0
            vin[0] = 1.0
            vin[1] = 0.0
            push_to(inc, tot, in_map, wms, them, tr, vin)
            continue
        d = dur[r]
        v[i_out] = 1.0
        v[i_short] = 1.0 if d < SHORT_CALL_S else 0.0
        v[i_ans] = 1.0 if d > 0 else 0.0
        v[i_ring] = 1.0 if (d == 0 and ring[r] >= 0 and ring[r] <= ONE_RING_S) else 0.0
        v[i_night] = 1.0 if (hour[r] >= NIGHT_HOURS[0] and hour[r] < NIGHT_HOURS[1]) else 0.0
        v[i_dur] = float(d)
        last_out = num[me, 0]
        if last_out != UNSET and tr - last_out < HOUR_MS:
            gap = float((tr - last_out) // 1000)
            v[i_gap] = gap
            v[i_gap2] = gap * gap
            v[i_hasgap] = 1.0
            if tr - last_out < QUARTER_MS:
                v[i_inner] = gap
                v[i_inner2] = gap * gap
                v[i_hasinner] = 1.0
        now, before = digits[r], last_callee[me]
        if last_out != UNSET and now >= 0 and before >= 0:
            step = abs(now - before)
            v[i_seq] = 1.0 if (step >= 1 and step <= SEQUENTIAL_STEP) else 0.0
        prev_pair = _ht_get(pair_out[0], pair_out[1], pair_key)
        v[i_new1] = 1.0 if (prev_pair == NONE or tr - prev_pair >= HOUR_MS) else 0.0
        v[i_new24] = 1.0 if (prev_pair == NONE or tr - prev_pair >= DAY_MS) else 0.0
        if cell[r] >= 0:
            ck = me * 4294967296 + cell[r]
            prev_cell = _ht_get(cell_seen[0], cell_seen[1], ck)
            v[i_cell] = 1.0 if (prev_cell == NONE or tr - prev_cell >= DAY_MS) else 0.0
            _ht_put(cell_seen[0], cell_seen[1], cell_seen[2], ck, tr)
        who = num[them, 1]
        if who != UNSET:
            v[i_shared] = 1.0 if (who != me and tr - num[them, 2] < SIX_H_MS) else 0.0
        if has_known:
            v[i_peer] = 1.0 if known_b[r] else 0.0
            kwho = num[them, 3]
            if kwho != UNSET:
                v[i_victim] = 1.0 if (kwho != me and tr - num[them, 4] < DAY_MS) else 0.0
        sims = 0.0
        if imei[r] >= 0:
            dk = imei[r] * 4294967296 + me
            prev_dev = _ht_get(dev_seen[0], dev_seen[1], dk)
            vdev[0] = 1.0 if (prev_dev == NONE or tr - prev_dev >= DAY_MS) else 0.0
            _ht_put(dev_seen[0], dev_seen[1], dev_seen[2], dk, tr)
            push_counted_to(dev, dev_tot, dev_map, dev_ms, imei[r], tr, vdev)
            sims = float(dev_tot[0][imei[r], 0])
        push_to(act, tot, act_map, wms, me, tr, v)
        advance_to(inc, tot, in_map, wms, me, tr)
        _sums_out(tot, me, out_cols, out_sums, r)
        out_sims[r] = sims
        num[me, 0] = tr
        last_callee[me] = now
        _ht_put(pair_out[0], pair_out[1], pair_out[2], pair_key, tr)
        # the callee's side: an incoming call, maybe a call back
        back = _ht_get(pair_out[0], pair_out[1], them * 4294967296 + me)
        vin[0] = 1.0
        vin[1] = 1.0 if (back != NONE and tr - back < DAY_MS) else 0.0
        push_to(inc, tot, in_map, wms, them, tr, vin)
        num[them, 1] = me
        num[them, 2] = tr
        if known_a[r]:
            num[them, 3] = me
            num[them, 4] = tr


#: the ACT_SIGNALS positions ``_process`` needs, in its order
_SIG = np.array(
    [
        _A[s]
        for s in (
            "out", "short_out", "answered_out", "one_ring_out", "night_out", "dur_out",
            "gap_out", "gap_out_sq", "has_gap_out", "seq_out", "new_callee_1h", "new_callee_24h",
            "new_cell_24h", "shared_target_out", "known_peer_out", "shared_victim_out", "sms_out",
            "new_recipient_1h", "spoofed_out", "spoofed_new_callee_1h", "inner_gap_out",
            "inner_gap_out_sq", "has_inner_gap_out",
        )
    ],
    np.int64,
)  # fmt: skip


class IncrementalFeatures(LiveFeatures):
    """Per-number state; :meth:`update` takes record batches (``records/batch.py``), read
    against ``context``'s subscribers, known fraud numbers and zone (``Traffic.context``)."""

    def __init__(self, context: Traffic | None = None) -> None:
        context = context if context is not None else Traffic.context()
        subscribers, known = context.subscribers, context.known
        self.timezone = context.timezone
        self.zone = ZoneInfo(self.timezone)
        self.numbers, self.cells, self.devices = Codebook("+"), Dictionary(), Codebook()
        n_windows = len(_WINDOW_ORDER)
        # times as int32 ms after ``base_ms``, the first record's (offsets.py)
        self.base_ms: int | None = None
        self.acting = Pool(len(ACT_SIGNALS), n_windows, _ACT_BITS, _ACT_DERIVED, np.int32)
        # (an incoming call, a call back); (a new SIM on the device)
        self.incoming = Pool(len(IN_SIGNALS), n_windows, (0, 1), times=np.int32)
        self.device = Pool(1, 1, (0,), times=np.int32)
        self.device_sums = np.zeros((1024, 1), np.int32)
        self.num = np.full((1024, 5), UNSET, np.int32)  # (times are offsets, numbers slots)
        self.last_callee = np.full(1024, -1, np.int64)
        self.sums = np.zeros((1024, len(_SHORT)), np.int32)
        self.long_sums = np.zeros((1024, len(_LONG)), np.int64)
        #: per number: activation (ms), birth year, E.164 digits, known fraud, and flags
        self.act_ms = np.full(1024, np.nan)
        self.birth = np.full(1024, np.nan, np.float32)  # (years: exact in float32)
        self.digits = np.full(1024, -1, np.int64)
        self.is_known = np.zeros(1024, np.bool_)
        self.flags = {name: np.zeros(1024, np.int8) for name in _FLAGS}  # (0 or 1)
        #: is_invalid_number per number, -1 until the number first acts (asking the numbering
        #: plan costs more than the rest of a record, and most numbers are only called)
        self.invalid = np.full(1024, -1, np.int8)
        self.pair_out, self.pair_sms = Table(np.int32), Table(np.int32)
        #: (number, callee) -> time of the latest spoofed presentation of the number to it
        self.pair_spoof = Table(np.int32)
        self.cell_seen, self.device_seen = Table(np.int32), Table(np.int32)
        self.has_known = known is not None and known.len() > 0
        if known is not None and known.len():
            slots = self._slots(known.cast(pl.String))
            self.is_known[slots] = True
        if subscribers is not None and subscribers.height:
            slots = self._slots(subscribers["msisdn"].cast(pl.String))
            act = subscribers["activated_on"].cast(pl.Datetime("ms")).dt.epoch("ms")
            self.act_ms[slots] = act.cast(pl.Float64).fill_null(np.nan).to_numpy()
            birth = subscribers["owner_birth_year"].cast(pl.Float64)
            self.birth[slots] = birth.fill_null(np.nan).to_numpy()

    def __getstate__(self) -> dict[str, Any]:
        """The per-number arrays up to the last number (room for more is not carried)."""
        rows = max(len(self.numbers), 1024)
        state = dict(self.__dict__)
        for name, _ in _PER_NUMBER:
            if name in state:  # (not in a state restored from before it, until it is set)
                state[name] = state[name][:rows]
        state["flags"] = {k: v[:rows] for k, v in self.flags.items()}
        return state

    def _slots(self, numbers: pl.Series) -> np.ndarray:
        """The slots of these numbers; new numbers get their per-number arrays filled in."""
        slots, new = self.numbers.encode_series(numbers)
        if new:
            first = len(self.numbers) - len(new)
            if self.num.shape[0] < len(self.numbers):
                # rows past the numbers are left as zeros, never written (their pages are not
                # mapped), and set to their fill below as numbers take them
                size = grow(self.num.shape[0], len(self.numbers))
                for name, _ in _PER_NUMBER:
                    setattr(self, name, resized(getattr(self, name), size, 0))
                self.flags = {k: resized(v, size, 0) for k, v in self.flags.items()}
            for name, fill in _PER_NUMBER:
                if fill != 0:
                    getattr(self, name)[first : len(self.numbers)] = fill
            digits, flags = number_flags_compiled(new, invalid=False)
            self.digits[first : len(self.numbers)] = digits
            for name, values in flags.items():
                self.flags[name][first : len(self.numbers)] = values
        return slots

    def _invalid(self, slots: np.ndarray, actors: pl.Series) -> np.ndarray:
        """``is_invalid_number`` of the actors, asked once per number when it first acts."""
        got = self.invalid[slots]
        unknown = np.flatnonzero(got < 0)
        if unknown.shape[0]:
            rows = pl.Series(unknown)
            self.invalid[slots[unknown]] = invalid_flags(actors.gather(rows))
            got = self.invalid[slots]
        return got.astype(np.float64)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A checkpoint from an earlier layout is brought to this one (upgrades.py)."""
        self.__dict__.update(upgraded(state))

    def _offsets(self, t: np.ndarray) -> np.ndarray:
        """The batch's times (ms, in record order) as offsets from the base, which moves first
        if they would reach too far past it (offsets.py)."""
        if t.shape[0] == 0:
            return t
        if self.base_ms is None:
            self.base_ms = int(t[0])
        elif int(t[-1]) - self.base_ms > SPAN_MS:
            delta = int(t[0]) - self.base_ms
            pools = [getattr(self, k) for k in _POOLS]
            rebase(pools, [getattr(self, k) for k in _TABLES], self.num, delta)
            self.base_ms += delta
        return t - self.base_ms

    def _local_hour(self, time: pl.Series, t: np.ndarray) -> np.ndarray:
        """Hour of day in the operator's zone; by arithmetic when the batch has one offset."""
        if t.shape[0] == 0:
            return np.zeros(0, np.int64)
        off = fixed_offset_ms(self.zone, int(t.min()), int(t.max()))
        if off is not None:
            return ((t + off) // HOUR_MS) % 24
        hour = time.dt.convert_time_zone(self.timezone).dt.hour()
        return hour.cast(pl.Int64).to_numpy()

    def process_arrays(
        self, batch: pl.DataFrame
    ) -> tuple[pl.Series, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """:meth:`process` without building a frame: ``(msisdn, kind, time, features)``, the
        time as µs since the epoch."""
        n = batch.height
        us = batch["time"].to_physical().to_numpy()
        t = us // 1000
        if (cut := split_at(t)) < n:  # (more than int32 offsets span: in parts)
            parts = [self.process_arrays(part) for part in (batch[:cut], batch[cut:])]
            values = {k: np.concatenate([p[3][k] for p in parts]) for k in parts[0][3]}
            return (pl.concat([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                    np.concatenate([p[2] for p in parts]), values)  # fmt: skip
        rel = self._offsets(t)
        a = self._slots(batch["actor"])
        b = self._slots(batch["other"])
        kind = batch["kind"].to_numpy()
        cell, _ = self.cells.encode(batch["cell"].to_list())
        imei, _ = self.devices.encode_series(batch["imei"])
        if self.device_sums.shape[0] < len(self.devices):
            size = grow(self.device_sums.shape[0], len(self.devices))
            self.device_sums = resized(self.device_sums, size, 0)
        self.acting.reserve(n, len(self.numbers))
        self.incoming.reserve(n, len(self.numbers))
        self.device.reserve(n, len(self.devices))
        # Pair entries a day older than this batch answer like absent ones for it and every
        # later batch (records come in order): they go when a table grows.
        stale = int(rel[0]) - DAY_MS if n else NONE
        for table in (self.pair_out, self.pair_sms, self.cell_seen, self.device_seen):
            table.reserve(n, stale)
        spoofed = _spoofed(batch)
        self.pair_spoof.reserve(int(np.count_nonzero(spoofed)), stale)
        out_sums = np.zeros((n, len(SUM_NAMES)))
        out_sims = np.zeros(n)
        _process(
            _i64(kind), _i64(rel), _i64(a), _i64(b), _i64(self.digits[b]),
            _i64(batch["duration_s"]), _i64(batch["ring_s"]),
            _i64(self._local_hour(batch["time"], t)), _i64(cell), _i64(imei),
            spoofed, _bool(self.is_known[a]), _bool(self.is_known[b]), self.has_known,
            self.num, self.last_callee, (self.sums, self.long_sums), self.acting.arrays(), _ACT_MAP,
            self.incoming.arrays(), _IN_MAP, _WINDOW_MS, self.device.arrays(),
            (self.device_sums, _NO_LONGS), _DEVICE_MAP, _DEVICE_MS,
            self.pair_out.arrays(), self.pair_sms.arrays(), self.pair_spoof.arrays(),
            self.cell_seen.arrays(), self.device_seen.arrays(), _SIG, _OUT_COLS, out_sums,
            out_sims,
        )  # fmt: skip
        sums = {name: out_sums[:, j] for j, name in enumerate(SUM_NAMES)}
        values = features_from_sums(sums, {"imei_sims": out_sims})
        values.update({name: flag[a].astype(np.float64) for name, flag in self.flags.items()})
        values["is_invalid_number"] = self._invalid(a, batch["actor"])
        values.update(profile_features(t, self.act_ms[a], self.birth[a].astype(np.float64)))
        return batch["actor"], _KIND_NAMES[kind], us, {name: values[name] for name in FEATURES}

    def update(self, batch: pl.DataFrame) -> LiveBatch:
        """The actor's features at each record of the batch (in record order, continuing
        from the previous batch)."""
        return LiveBatch(*self.process_arrays(batch))

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Features of the actor at each record, in the batch's order (which must be the
        processing order, continuing from the previous batch).

        Returns ``msisdn``, ``kind`` (``call`` / ``sms``), ``time`` and every feature.
        """
        _, kind, _, values = self.process_arrays(batch)
        columns: dict[str, Any] = {
            "msisdn": batch["actor"],
            "kind": pl.Series(kind, dtype=pl.String),
            "time": batch["time"],
        }
        for name in FEATURES:
            columns[name] = pl.Series(name, values[name], dtype=pl.Float64)
        return pl.DataFrame(columns)

    def state_bytes(self) -> int:
        """Bytes of the arrays that hold the state (the dictionaries of texts not included)."""
        arrays: tuple[np.ndarray, ...] = (
            self.num, self.last_callee, self.sums, self.long_sums, self.act_ms, self.birth,
            self.device_sums,
            self.digits, self.is_known, self.invalid, *self.flags.values(),
        )  # fmt: skip
        return (
            sum(a.nbytes for a in arrays)
            + sum(p.nbytes() for p in (self.acting, self.incoming, self.device))
            + sum(tb.nbytes() for tb in (self.pair_out, self.pair_sms, self.pair_spoof,
                                         self.cell_seen, self.device_seen))
        )  # fmt: skip


_FLAGS = NUMBER_FLAGS
#: the per-number arrays (besides the flags) and what a new number's row holds
_PER_NUMBER = (("num", UNSET), ("last_callee", -1), ("sums", 0), ("long_sums", 0),
               ("act_ms", np.nan), ("birth", np.nan), ("digits", -1), ("is_known", 0),
               ("invalid", -1))  # fmt: skip
_KIND_NAMES = np.array(["call", "sms"])
#: the state's pools and pair tables (their times are offsets: offsets.py)
_POOLS = ("acting", "incoming", "device")
_TABLES = ("pair_out", "pair_sms", "pair_spoof", "cell_seen", "device_seen")


def _i64(values: np.ndarray | pl.Series) -> np.ndarray:
    """A writable, contiguous int64 array: one compiled signature for every batch."""
    if isinstance(values, pl.Series):
        values = values.to_numpy()
    return np.array(values, dtype=np.int64, copy=True, order="C")


def _spoofed(batch: pl.DataFrame) -> np.ndarray:
    """Per record, whether its caller flag is one of SPOOFED_FLAGS (a batch without the
    ``flag`` column, from before it, has none)."""
    if "flag" not in batch.columns or batch["flag"].null_count() == batch.height:
        return np.zeros(batch.height, np.bool_)
    marked = batch["flag"].is_in(list(SPOOFED_FLAGS)).fill_null(value=False)
    return _bool(marked.to_numpy())


def _bool(values: np.ndarray) -> np.ndarray:
    return np.array(values, dtype=np.bool_, copy=True, order="C")


def warm_up() -> None:
    """Compile the engine now (the first batch would otherwise pay for it; the compiled code
    is cached on disk, so only the first process after an install waits)."""
    row = {
        "kind": [RECORD_CALL], "actor": ["+8613800000000"], "other": ["+8613800000001"],
        "time": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)], "duration_s": [0], "ring_s": [-1],
        "cell": ["C"], "imei": ["1"], "flag": ["trunk_mismatch"], "id": ["c"],
        "length": [None], "content": [None], "trunk": ["GW"],
    }  # fmt: skip
    IncrementalFeatures(Traffic.context(known=pl.Series(["+8613800000001"]))).process(
        pl.DataFrame(row, schema=RECORD_SCHEMA)
    )

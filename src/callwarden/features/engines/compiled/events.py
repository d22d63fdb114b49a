"""Turn canonical calls and SMS into the per-number event timeline every engine shares.

Numbers become int64 codes: E.164 digits when every number is E.164 (so consecutive numbers
stay consecutive, which sequential-dialing needs), dense codes for opaque identifiers. Records
are ordered by ``(time, kind, id)``; ``seq`` is the position in that order, the order a live
stream would process them in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace
from zoneinfo import ZoneInfo

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.base import Traffic
from callwarden.features.engines.compiled.crossing import (
    CROSSING_COLUMNS,
    dense_codes,
    digit_codes,
    spoofed_calls,
    with_crossing_signals,
)
from callwarden.features.engines.compiled.hashtable import IntSet
from callwarden.features.engines.compiled.textcodes import whole_numbers
from callwarden.features.engines.compiled.threads import ranges, run_ranges
from callwarden.features.engines.compiled.windows import stable_argsort
from callwarden.features.formulas import e164_digits as digits
from callwarden.features.formulas import fixed_offset_ms
from callwarden.features.spec import EVENT_IN, EVENT_OUT, EVENT_SMS, SMS_ORDER, WINDOWS

__all__ = [
    "Events",
    "NumberCodes",
    "build_events",
    "spoofed_calls",
]

HOUR_MS = WINDOWS["1h"]


@dataclass
class NumberCodes:
    """Maps numbers to int64 codes and back."""

    numeric: bool
    dictionary: pl.Series | None = None  # code -> number, for opaque identifiers

    def encode(self, numbers: pl.Series) -> np.ndarray:
        if self.numeric:
            codes, bad = whole_numbers(numbers, "+")
            if bad == 0 and numbers.null_count() == 0:
                return codes
            # (numbers outside the fitted records: NaN where a text spells no code)
            return numbers.str.slice(1).cast(pl.Int64, strict=False).to_numpy()
        assert self.dictionary is not None  # noqa: S101  (set whenever numeric is False)
        lookup = pl.DataFrame({"n": self.dictionary, "code": np.arange(self.dictionary.len())})
        return (
            pl.DataFrame({"n": numbers})
            .join(lookup, on="n", how="left", maintain_order="left")["code"]
            .to_numpy()
        )

    def decode(self, codes: np.ndarray) -> pl.Series:
        if self.numeric:
            return pl.select(pl.lit("+") + pl.lit(pl.Series(codes).cast(pl.String))).to_series()
        assert self.dictionary is not None  # noqa: S101
        return self.dictionary.gather(pl.Series(codes))

    @staticmethod
    def fit(*columns: pl.Series) -> NumberCodes:
        if not columns:
            return NumberCodes(numeric=True)
        values = pl.concat([c.cast(pl.String) for c in columns])
        if values.len() == 0 or digit_codes(values) is not None:
            return NumberCodes(numeric=True)
        return NumberCodes(numeric=False, dictionary=values.unique(maintain_order=True))


@dataclass
class Events:
    """All events, sorted by (number, seq). Arrays are aligned; times in ms since the epoch."""

    num: np.ndarray  # int64 number code of the party whose event it is
    other: np.ndarray  # int64 code of the other party
    other_digits: np.ndarray  # int64 E.164 digits of the other party, -1 when not E.164
    t: np.ndarray  # int64 ms
    seq: np.ndarray  # int64 global record order
    kind: np.ndarray  # int8: EVENT_OUT, EVENT_IN, EVENT_SMS
    duration: np.ndarray  # int32 seconds (calls), 0 for SMS
    ring: np.ndarray  # int32 seconds, -1 unknown
    cell: np.ndarray  # int64 code of the caller cell, -1 unknown
    local_hour: np.ndarray  # int8 hour in the operator's zone
    shared_target: np.ndarray  # int32 0/1: the call's shared-target signal (out events), else 0
    imei_sims: np.ndarray  # int32: numbers on the call's device in 24 h (out events), else 0
    known_peer: np.ndarray  # int32 0/1: out event to a known fraud number
    shared_victim: np.ndarray  # int32 0/1: out event to a known fraud number's recent callee
    record: np.ndarray  # int64 row of the record in the ordered calls/SMS input
    codes: NumberCodes
    #: int8 0/1: out or in event of a call that presented its caller number through a trunk
    #: that could not carry it (``caller_flag`` in SPOOFED_FLAGS): not the caller's own call,
    #: see spec.py; None when no call of the input is so flagged
    spoofed: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.num.shape[0])

    def slice(self, start: int, end: int) -> Events:
        """The events ``[start, end)`` (views, no copy); cut at number boundaries (see
        :meth:`number_cuts`), they are those numbers' events whole."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name)[start:end]
                for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)
            },
        )

    def number_cuts(self, most: int) -> list[tuple[int, int]]:
        """``[start, end)`` pieces covering every event, each of whole numbers and of at most
        ``most`` events unless one number has more.

        >>> ev = Events(*(np.array([1, 1, 2, 3, 3, 3]),) * 15, codes=NumberCodes(True))
        >>> ev.number_cuts(3)
        [(0, 3), (3, 6)]
        >>> ev.number_cuts(1)  # a number with more events than that stays whole
        [(0, 2), (2, 3), (3, 6)]
        """
        n = len(self)
        if n == 0:
            return []
        # every number's first event, and the end
        starts = np.r_[np.flatnonzero(np.r_[True, self.num[1:] != self.num[:-1]]), n]
        cuts = [0]
        while cuts[-1] < n:
            at = cuts[-1]
            if at + most >= n:
                cuts.append(n)
                continue
            # the last number start within reach, or the next one if a number alone is more
            nxt = int(starts[np.searchsorted(starts, at + most, side="right") - 1])
            if nxt <= at:
                nxt = int(starts[np.searchsorted(starts, at, side="right")])
            cuts.append(nxt)
        return list(itertools.pairwise(cuts))


def _number_codes(
    calls: pl.DataFrame, sms: pl.DataFrame | None
) -> tuple[NumberCodes, np.ndarray, np.ndarray]:
    """The codes of every number, and the calls' caller and callee codes."""
    if "_caller_code" in calls.columns:  # every call number is E.164, already as digits
        codes = NumberCodes.fit(*((sms["sender"], sms["recipient"]) if sms is not None else ()))
        if codes.numeric:
            return codes, calls["_caller_code"].to_numpy(), calls["_callee_code"].to_numpy()
    codes = NumberCodes.fit(
        calls["caller"],
        calls["callee"],
        *((sms["sender"], sms["recipient"]) if sms is not None else ()),
    )
    return codes, codes.encode(calls["caller"]), codes.encode(calls["callee"])


def _record_order(t_call: np.ndarray, t_sms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``seq`` of every call and SMS: merged by time, calls first on ties, then by row.

    >>> [s.tolist() for s in _record_order(np.array([5, 7, 7]), np.array([1, 7, 9]))]
    [[1, 2, 3], [0, 4, 5]]
    """
    n, k = t_call.shape[0], t_sms.shape[0]
    if k == 0:
        return np.arange(n, dtype=np.int64), np.zeros(0, np.int64)
    if bool((np.diff(t_call) >= 0).all()) and bool((np.diff(t_sms) >= 0).all()):
        # both in time order already (as build_events has them): a merge, no sort
        seq_call = np.arange(n, dtype=np.int64) + np.searchsorted(t_sms, t_call, side="left")
        seq_sms = np.arange(k, dtype=np.int64) + np.searchsorted(t_call, t_sms, side="right")
        return seq_call, seq_sms
    order = np.lexsort(
        (np.r_[np.arange(n), np.arange(k)], np.r_[np.zeros(n, np.int8), np.ones(k, np.int8)],
         np.r_[t_call, t_sms])
    )  # fmt: skip
    seq = np.empty(n + k, dtype=np.int64)
    seq[order] = np.arange(n + k)
    return seq[:n], seq[n:]


def _any_rows(per_call: np.ndarray) -> np.ndarray:
    """Per-call values, with a placeholder row when there are no calls (only SMS): SMS events
    read row 0 of the call arrays, and ``np.where`` then takes their own value."""
    return per_call if per_call.shape[0] else np.zeros(1, per_call.dtype)


@numba.njit(cache=True, nogil=True)
def _gather(kind: np.ndarray, record: np.ndarray, caller: np.ndarray, callee: np.ndarray,
            caller_digits: np.ndarray, callee_digits: np.ndarray, t_call: np.ndarray,
            seq_call: np.ndarray, duration: np.ndarray, ring: np.ndarray, cell: np.ndarray,
            hour_call: np.ndarray, crossing: tuple[np.ndarray, ...], recipient: np.ndarray,
            t_sms: np.ndarray, seq_sms: np.ndarray, hour_sms: np.ndarray, other: np.ndarray,
            other_digits: np.ndarray, t: np.ndarray, seq: np.ndarray, dur: np.ndarray,
            rings: np.ndarray, cells: np.ndarray, hour: np.ndarray,
            crossed: np.ndarray) -> None:  # fmt: skip
    """Each event's columns from its record, in one pass: a call's (the other party is the
    callee on the out side, the caller on the in side; the crossing signals go on the out
    side), or an SMS's (no duration, ring or cell)."""
    for i in range(kind.shape[0]):
        r = record[i]
        if kind[i] == EVENT_SMS:
            other[i] = recipient[r]
            other_digits[i] = -1
            t[i] = t_sms[r]
            seq[i] = seq_sms[r]
            rings[i] = -1
            cells[i] = -1
            hour[i] = hour_sms[r]
            continue
        out = kind[i] == EVENT_OUT
        other[i] = callee[r] if out else caller[r]
        other_digits[i] = callee_digits[r] if out else caller_digits[r]
        t[i] = t_call[r]
        seq[i] = seq_call[r]
        dur[i] = duration[r]
        rings[i] = ring[r]
        cells[i] = cell[r]
        hour[i] = hour_call[r]
        if out:
            for k in range(len(crossing)):
                crossed[k, i] = crossing[k][r]


def _select_events(
    caller: np.ndarray,
    callee: np.ndarray,
    sender: np.ndarray,
    seq_call: np.ndarray,
    seq_sms: np.ndarray,
    chosen: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, record, num)`` of the events, sorted by (number, seq).

    A call is an out event of its caller and an in event of its callee, an SMS an event of its
    sender; with ``chosen`` (codes), only the events of those numbers.
    """
    members = IntSet(chosen[chosen >= 0]) if chosen is not None else None
    rows = [
        np.flatnonzero(members.contains(who)) if members is not None else np.arange(who.shape[0])
        for who in (caller, callee, sender)
    ]
    kind = np.concatenate(
        [
            np.full(r.shape[0], k, np.int8)
            for r, k in zip(rows, (EVENT_OUT, EVENT_IN, EVENT_SMS), strict=True)
        ]
    )
    record = np.concatenate(rows)
    num = np.concatenate([caller[rows[0]], callee[rows[1]], sender[rows[2]]])
    # out before in for one call (a call to oneself): 2 * seq + side orders the events
    seq2 = np.concatenate([2 * seq_call[rows[0]], 2 * seq_call[rows[1]] + 1, 2 * seq_sms[rows[2]]])
    # by seq, then a stable sort by number (timsort is quick on these few sorted runs)
    by_seq = np.argsort(seq2, kind="stable")
    perm = by_seq[stable_argsort(num[by_seq])]
    return kind[perm], record[perm], num[perm]


def build_events(
    traffic: Traffic, only: pl.Series | None = None
) -> tuple[Events, pl.DataFrame, pl.DataFrame | None]:
    """Events of every party of every call (and SMS) of ``traffic``, plus the ordered inputs.

    With ``only`` (numbers), just those numbers' events: a number's features depend on its own
    events alone, so this changes none of them. Returns ``(events, ordered_calls,
    ordered_sms)``; ``events.record`` indexes into the ordered calls for call events and into
    the ordered SMS for SMS events.
    """
    timezone = traffic.timezone
    calls = with_crossing_signals(traffic.calls, traffic.known)
    sms = traffic.sms
    sms = sms.sort(*SMS_ORDER) if sms is not None and sms.height else None
    codes, caller, callee = _number_codes(calls, sms)
    empty = np.zeros(0, np.int64)
    sender = codes.encode(sms["sender"]) if sms is not None else empty
    t_call = calls["start_time"].dt.epoch("ms").to_numpy()
    t_sms = sms["sent_time"].dt.epoch("ms").to_numpy() if sms is not None else empty
    seq_call, seq_sms = _record_order(t_call, t_sms)
    chosen = None
    if only is not None:  # (numbers not in the records have no code: a NaN from encode)
        found = codes.encode(only.cast(pl.String))
        chosen = found[~np.isnan(found)].astype(np.int64) if found.dtype.kind == "f" else found
    kind, record, num = _select_events(caller, callee, sender, seq_call, seq_sms, chosen)

    def local_hour(times: pl.Series, t_ms: np.ndarray) -> np.ndarray:
        off = (
            fixed_offset_ms(ZoneInfo(timezone), int(t_ms.min()), int(t_ms.max()))
            if t_ms.shape[0]
            else None
        )
        if off is not None:  # one offset all day (no daylight-saving change): arithmetic
            return ((t_ms + off) // HOUR_MS % 24).astype(np.int8)
        return times.dt.convert_time_zone(timezone).dt.hour().cast(pl.Int8).to_numpy()

    n = kind.shape[0]
    per_call = tuple(calls[c].cast(pl.Int32).to_numpy() for c in CROSSING_COLUMNS)
    crossed = np.zeros((len(per_call), n), np.int32)  # (all whole numbers)
    columns = {
        name: np.empty(n, dtype)
        for name, dtype in (("other", np.int64), ("other_digits", np.int64), ("t", np.int64),
                            ("seq", np.int64), ("ring", np.int32), ("cell", np.int64),
                            ("local_hour", np.int8))
    }  # fmt: skip
    columns["duration"] = np.zeros(n, np.int32)
    sources = (
        caller, callee,
        caller if codes.numeric else digits(calls["caller"]),
        callee if codes.numeric else digits(calls["callee"]),
        t_call, seq_call,
        calls["duration_s"].fill_null(0).cast(pl.Int32).to_numpy(),
        calls["ring_s"].fill_null(-1).cast(pl.Int32).to_numpy(),
        dense_codes(calls["caller_cell"]),
        local_hour(calls["start_time"], t_call),
        per_call,
        codes.encode(sms["recipient"]) if sms is not None else empty,
        t_sms, seq_sms,
        local_hour(sms["sent_time"], t_sms) if sms is not None else np.zeros(0, np.int8),
    )  # fmt: skip
    into = tuple(columns[c] for c in ("other", "other_digits", "t", "seq", "duration", "ring",
                                      "cell", "local_hour"))  # fmt: skip

    def gather(a: int, b: int) -> None:
        o, od, t, s, d, r, c, h = (x[a:b] for x in into)
        _gather(kind[a:b], record[a:b], *sources, o, od, t, s, d, r, c, h, crossed[:, a:b])

    run_ranges(gather, ranges(n))  # every event on its own: a piece to each thread
    spoofed = spoofed_calls(calls)
    if spoofed is not None:  # on both sides of the call (the callee's in event too)
        is_sms = kind == EVENT_SMS
        spoofed = spoofed[np.where(is_sms, 0, record)]
        spoofed[is_sms] = 0
    events = Events(
        num=num,
        kind=kind,
        shared_target=crossed[0],
        imei_sims=crossed[1],
        known_peer=crossed[2],
        shared_victim=crossed[3],
        record=record,
        codes=codes,
        spoofed=spoofed,
        **columns,
    )
    return events, calls, sms

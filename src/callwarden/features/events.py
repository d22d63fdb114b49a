"""Turn canonical calls and SMS into the per-number event timeline every engine shares.

Numbers become int64 codes: E.164 digits when every number is E.164 (so consecutive numbers
stay consecutive, which sequential-dialing needs), dense codes for opaque identifiers. Records
are ordered by ``(time, kind, id)``; ``seq`` is the position in that order, the order a live
stream would process them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from callwarden.features.crossing import with_crossing_signals
from callwarden.numbers import E164_PATTERN

__all__ = ["KIND_IN", "KIND_OUT", "KIND_SMS", "Events", "NumberCodes", "build_events"]

KIND_OUT, KIND_IN, KIND_SMS = 0, 1, 2


@dataclass
class NumberCodes:
    """Maps numbers to int64 codes and back."""

    numeric: bool
    dictionary: pl.Series | None = None  # code -> number, for opaque identifiers

    def encode(self, numbers: pl.Series) -> np.ndarray:
        if self.numeric:
            return numbers.str.slice(1).cast(pl.Int64).to_numpy()
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
        if values.len() == 0 or values.str.contains(E164_PATTERN).all():
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
    kind: np.ndarray  # int8: KIND_OUT, KIND_IN, KIND_SMS
    duration: np.ndarray  # int32 seconds (calls), 0 for SMS
    ring: np.ndarray  # int32 seconds, -1 unknown
    cell: np.ndarray  # int64 code of the caller cell, -1 unknown
    local_hour: np.ndarray  # int8 hour in the operator's zone
    shared_target: np.ndarray  # float: the call's shared-target signal (out events), else 0
    imei_sims: np.ndarray  # float: numbers on the call's device in 24 h (out events), else 0
    known_peer: np.ndarray  # float: out event to a known fraud number
    shared_victim: np.ndarray  # float: out event to a known fraud number's recent callee
    record: np.ndarray  # int64 row of the record in the ordered calls/SMS input
    codes: NumberCodes

    def __len__(self) -> int:
        return int(self.num.shape[0])


def digits(numbers: pl.Series) -> np.ndarray:
    """E.164 digits as int64 (``+8613800000001`` -> 8613800000001), -1 for anything else."""
    text = numbers.cast(pl.String)
    return (
        pl.select(
            pl.when(pl.lit(text).str.contains(r"^\+[0-9]{1,18}$"))
            .then(pl.lit(text).str.slice(1).cast(pl.Int64, strict=False))
            .otherwise(-1)
        )
        .to_series()
        .fill_null(-1)
        .to_numpy()
    )


def _codes(values: pl.Series) -> np.ndarray:
    """Dense codes for an optional string column, -1 for null."""
    physical = values.cast(pl.Categorical).to_physical().cast(pl.Int64)
    return physical.fill_null(-1).to_numpy()


def _out_only(values: np.ndarray) -> np.ndarray:
    """A per-call value on the call's out event, 0 on its in event."""
    out = np.zeros(2 * values.shape[0])
    out[0::2] = values
    return out


def build_events(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None = None,
    timezone: str = "Asia/Shanghai",
    known: pl.Series | None = None,
) -> tuple[Events, pl.DataFrame, pl.DataFrame | None]:
    """Events for every party of every call (and SMS), plus the ordered inputs.

    Returns ``(events, ordered_calls, ordered_sms)``; ``events.record`` indexes into the
    ordered calls for call events and into the ordered SMS for SMS events.
    """
    calls = with_crossing_signals(calls, known)
    sms = sms.sort("sent_time", "sms_id") if sms is not None and sms.height else None
    n = calls.height
    if "_caller_code" in calls.columns:  # every call number is E.164, already as digits
        codes = NumberCodes.fit(*((sms["sender"], sms["recipient"]) if sms is not None else ()))
    else:
        codes = NumberCodes(numeric=False)
    if codes.numeric and "_caller_code" in calls.columns:
        caller = calls["_caller_code"].to_numpy()
        callee = calls["_callee_code"].to_numpy()
    else:
        codes = NumberCodes.fit(
            calls["caller"],
            calls["callee"],
            *((sms["sender"], sms["recipient"]) if sms is not None else ()),
        )
        caller = codes.encode(calls["caller"])
        callee = codes.encode(calls["callee"])
    t_call = calls["start_time"].dt.epoch("ms").to_numpy()
    hour_call = (
        calls["start_time"].dt.convert_time_zone(timezone).dt.hour().cast(pl.Int8).to_numpy()
    )
    duration = calls["duration_s"].fill_null(0).cast(pl.Int32).to_numpy()
    ring = calls["ring_s"].fill_null(-1).cast(pl.Int32).to_numpy()
    cell = _codes(calls["caller_cell"])

    # Global record order: calls and SMS merged by time (calls first on ties, then by id).
    if sms is not None:
        t_sms = sms["sent_time"].dt.epoch("ms").to_numpy()
        order = np.lexsort(
            (np.r_[np.arange(n), np.arange(sms.height)],
             np.r_[np.zeros(n, np.int8), np.ones(sms.height, np.int8)],
             np.r_[t_call, t_sms])
        )  # fmt: skip
        seq_all = np.empty(order.shape[0], dtype=np.int64)
        seq_all[order] = np.arange(order.shape[0])
        seq_call, seq_sms = seq_all[:n], seq_all[n:]
    else:
        seq_call = np.arange(n, dtype=np.int64)

    # Interleave out/in events of each call so the arrays stay in record order.
    m = 2 * n
    num = np.empty(m, np.int64)
    num[0::2], num[1::2] = caller, callee
    other = np.empty(m, np.int64)
    other[0::2], other[1::2] = callee, caller
    callee_digits = callee if codes.numeric else digits(calls["callee"])
    caller_digits = caller if codes.numeric else digits(calls["caller"])
    other_digits = np.empty(m, np.int64)
    other_digits[0::2], other_digits[1::2] = callee_digits, caller_digits
    kind = np.empty(m, np.int8)
    kind[0::2], kind[1::2] = KIND_OUT, KIND_IN
    parts = {
        "num": num,
        "other": other,
        "other_digits": other_digits,
        "t": np.repeat(t_call, 2),
        "seq": np.repeat(seq_call, 2),
        "kind": kind,
        "duration": np.repeat(duration, 2),
        "ring": np.repeat(ring, 2),
        "cell": np.repeat(cell, 2),
        "local_hour": np.repeat(hour_call, 2),
        "shared_target": _out_only(calls["_shared_target"].to_numpy()),
        "imei_sims": _out_only(calls["_imei_sims"].to_numpy()),
        "known_peer": _out_only(calls["_known_peer"].to_numpy()),
        "shared_victim": _out_only(calls["_shared_victim"].to_numpy()),
        "record": np.repeat(np.arange(n, dtype=np.int64), 2),
    }
    if sms is not None:
        k = sms.height
        extra = {
            "num": codes.encode(sms["sender"]),
            "other": codes.encode(sms["recipient"]),
            "other_digits": np.full(k, -1, np.int64),
            "t": t_sms,
            "seq": seq_sms,
            "kind": np.full(k, KIND_SMS, np.int8),
            "duration": np.zeros(k, np.int32),
            "ring": np.full(k, -1, np.int32),
            "cell": np.full(k, -1, np.int64),
            "local_hour": sms["sent_time"]
            .dt.convert_time_zone(timezone)
            .dt.hour()
            .cast(pl.Int8)
            .to_numpy(),
            "record": np.arange(k, dtype=np.int64),
            "shared_target": np.zeros(k),
            "imei_sims": np.zeros(k),
            "known_peer": np.zeros(k),
            "shared_victim": np.zeros(k),
        }
        parts = {key: np.concatenate([parts[key], extra[key]]) for key in parts}
    # (number, seq) order: seq first, then a stable sort by number.
    by_seq = np.argsort(parts["seq"], kind="stable")
    by_num = by_seq[np.argsort(parts["num"][by_seq], kind="stable")]
    sorted_parts = {key: value[by_num] for key, value in parts.items()}
    return Events(codes=codes, **sorted_parts), calls, sms

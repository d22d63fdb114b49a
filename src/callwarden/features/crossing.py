"""Signals that cross numbers: shared targets and shared devices, one value per call.

Both look beyond the caller's own records: "the callee's previous incoming call came from
another number within 6 h" needs every call to that callee, and "numbers seen on this device in
the last 24 h" every call from that device. They are computed once over *all* calls, in record
order, and carried as columns (``_shared_target``, ``_imei_sims``), so that triage can then drop
the calls of numbers that cannot be flagged without changing these values.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from callwarden.features.spec import WINDOWS
from callwarden.features.windows import (
    previous_in_group,
    previous_index,
    stable_argsort,
    window_sums,
)

__all__ = [
    "CODE_COLUMNS",
    "CROSSING_COLUMNS",
    "digit_codes",
    "order_calls",
    "with_crossing_signals",
]

CROSSING_COLUMNS = ("_shared_target", "_imei_sims", "_known_peer", "_shared_victim")
#: int64 E.164 digits of caller and callee, added when every number of the calls is E.164
CODE_COLUMNS = ("_caller_code", "_callee_code")
SIX_H_MS, DAY_MS = WINDOWS["6h"], WINDOWS["24h"]
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)


def order_calls(calls: pl.DataFrame) -> pl.DataFrame:
    """Calls in record order, ``(start_time, call_id)``; free when they already are."""
    if calls.height < 2:
        return calls
    times = calls["start_time"]
    if times.null_count() == 0:
        step = np.diff(times.to_physical().to_numpy())
        if (step > 0).all():
            return calls
        ties = np.flatnonzero(step == 0)
        ids = calls["call_id"]
        in_order = bool((step >= 0).all()) and bool((ids.gather(ties + 1) > ids.gather(ties)).all())
        return calls if in_order else calls.sort("start_time", "call_id")
    in_order = calls.select(
        (
            (pl.col("start_time").diff() > pl.duration(microseconds=0))
            | (
                (pl.col("start_time").diff() == pl.duration(microseconds=0))
                & (pl.col("call_id") > pl.col("call_id").shift())
            )
        )
        .slice(1)
        .all()
    ).item()
    return calls if in_order else calls.sort("start_time", "call_id")


def digit_codes(numbers: pl.Series) -> pl.Series | None:
    """E.164 numbers as int64 digits, or None unless every number spells its code back
    exactly (``+`` and the digits, no leading zero), so that codes and numbers map one to one.

    >>> digit_codes(pl.Series(["+8613800000001", "+21620123456"])).to_list()
    [8613800000001, 21620123456]
    >>> digit_codes(pl.Series(["+8613800000001", "5e1272273e041e82"])) is None
    True
    """
    if numbers.len() == 0:
        return numbers.cast(pl.Int64)
    code = numbers.str.slice(1).cast(pl.Int64, strict=False)
    if code.null_count() or not numbers.str.starts_with("+").all():
        return None
    spelled = _spells(numbers.str.slice(1), code.to_numpy()) & (code.to_numpy() > 0)
    return code if bool(spelled.all()) else None


def _spells(texts: pl.Series, codes: np.ndarray) -> np.ndarray:
    """Whether each text is exactly ``str(code)``, for texts that parsed as those integers.

    A text that parses as an integer and is as long as the integer's own spelling has no sign,
    space or leading zero to spare (and is cheaper to check than spelling every code back).
    """
    length = np.maximum(np.searchsorted(_POWERS_OF_TEN, np.abs(codes), side="right"), 1)
    return texts.str.len_bytes().to_numpy() == length + (codes < 0)


def _dense(values: pl.Series) -> np.ndarray:
    return values.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def _device_codes(imeis: pl.Series) -> np.ndarray:
    """IMEIs as int64 (they are 15 digits), or dense codes when some are not numbers; -1 null."""
    imeis = imeis.cast(pl.String)
    as_int = imeis.cast(pl.Int64, strict=False)
    # only when the integer spells the same text back (no signs, spaces or leading zeros), so
    # two different IMEIs never share a code
    if as_int.null_count() == imeis.null_count():
        codes = as_int.fill_null(-1).to_numpy()
        if bool((_spells(imeis, codes) | imeis.is_null().to_numpy()).all()):
            return codes
    return _dense(imeis)


def _pair_code(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Group ids for consecutive equal (a, b) pairs in arrays sorted by (a, b)."""
    change = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    return np.cumsum(change)


def with_crossing_signals(calls: pl.DataFrame, known: pl.Series | None = None) -> pl.DataFrame:
    """Ordered calls with the crossing columns added (if not there yet).

    ``known`` are known fraud numbers (a block list, last week's confirmed cases): a call to one
    is a ``_known_peer``; a call to someone a known number called within the previous 24 h (and
    not this caller) is a ``_shared_victim``.
    """
    calls = order_calls(calls)
    if all(c in calls.columns for c in CROSSING_COLUMNS):
        return calls
    if calls.height == 0:  # (a day of SMS only)
        return calls.with_columns(pl.lit(0.0).alias(c) for c in CROSSING_COLUMNS)
    n = calls.height
    t = calls["start_time"].dt.epoch("ms").to_numpy()
    caller_code = digit_codes(calls["caller"])
    callee_code = digit_codes(calls["callee"]) if caller_code is not None else None
    if caller_code is not None and callee_code is not None:
        # E.164 digits are codes already, and far cheaper than a dictionary
        calls = calls.with_columns(_caller_code=caller_code, _callee_code=callee_code)
        caller = caller_code.to_numpy()
        callee = callee_code.to_numpy()
    else:
        caller = _dense(pl.concat([calls["caller"], calls["callee"]]))[:n]
        callee = _dense(calls["callee"])

    # Shared targets: group calls by callee (stable, so record order holds inside a group).
    # Each call against the callee's previous incoming call, in that order (sequential access).
    by_callee = stable_argsort(callee)
    k_callee, k_caller, k_t = callee[by_callee], caller[by_callee], t[by_callee]
    shared = np.zeros(n)
    shared[by_callee[1:]] = (
        (k_callee[1:] == k_callee[:-1])
        & (k_caller[1:] != k_caller[:-1])
        & (k_t[1:] - k_t[:-1] < SIX_H_MS)
    )
    del k_callee, k_caller, k_t

    # Devices: per IMEI, numbers first seen (again) within 24 h, summed over the last 24 h.
    sims = np.zeros(n)
    imei = _device_codes(calls["caller_imei"])
    dev = np.flatnonzero(imei >= 0)
    if dev.shape[0]:
        by_dev = dev[stable_argsort(imei[dev])]
        # (device, caller) pairs: sort by caller inside each device, keeping record order
        by_pair = stable_argsort(imei[by_dev], caller[by_dev])
        pair = _pair_code(imei[by_dev][by_pair], caller[by_dev][by_pair])
        tp = t[by_dev][by_pair]
        seen = previous_in_group(pair, tp, np.ones(by_pair.shape[0], bool))
        new = np.zeros(by_dev.shape[0])
        new[by_pair] = (seen < 0) | (tp - seen >= DAY_MS)
        sims[by_dev] = window_sums(imei[by_dev], t[by_dev], {"x": new}, DAY_MS)["x"]
    peer, victim = _known_signals(calls, known, by_callee, callee, t)
    return calls.with_columns(
        _shared_target=pl.Series(shared),
        _imei_sims=pl.Series(sims),
        _known_peer=pl.Series(peer),
        _shared_victim=pl.Series(victim),
    )


def _known_signals(
    calls: pl.DataFrame,
    known: pl.Series | None,
    by_callee: np.ndarray,
    callee: np.ndarray,
    t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = calls.height
    if known is None or known.len() == 0:
        return np.zeros(n), np.zeros(n)
    listed = known.cast(pl.String).implode()
    peer = calls["callee"].is_in(listed).to_numpy().astype(np.float64)
    by_known = calls["caller"].is_in(listed).to_numpy()
    caller = calls["caller"].to_numpy()
    # Within each callee's calls (record order): the latest earlier call from a known number.
    last = previous_index(callee[by_callee], by_known[by_callee])
    src = by_callee[np.maximum(last, 0)]
    here = by_callee
    victim = np.zeros(n)
    victim[here] = (last >= 0) & (caller[src] != caller[here]) & (t[here] - t[src] < DAY_MS)
    return peer, victim

"""Triage for the compiled engine: skip the numbers no detector could flag, before their features.

:func:`candidates` finds, cheaply and over the whole input, every number for which a condition
of the gate (``features/gate.py``) *can* hold (an hour's calls never exceed the calls of the two
clock hours it spans, and so on). ``out_calls_*`` count only a number's own calls, not spoofed
presentations of it (spec.py); the clock-hour counts take every call, flagged ones included,
which bounds them all the same. Features of those numbers are then computed exactly, from every
record that can affect them (:func:`restrict_to`): their own calls and SMS, with the two signals
that look at other numbers' calls (shared targets, shared devices) computed over all calls
beforehand (crossing.py). Other numbers cannot be flagged, so their events are not evaluated.
The result equals scoring everything; it is only faster.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.base import Traffic
from callwarden.features.engines.compiled.crossing import digit_codes, with_crossing_signals
from callwarden.features.engines.compiled.hashtable import IntSet
from callwarden.features.formulas import invalid_flags
from callwarden.features.gate import GATE, Gate
from callwarden.features.spec import HOME_PREFIX, SPOOFED_FLAGS, WINDOWS

__all__ = ["candidates", "restrict_to"]

HOUR_MS = WINDOWS["1h"]


def _max_two_hours(
    frame: pl.DataFrame, who: str, time: str, key: str | None = None, busy: pl.Expr | None = None
) -> pl.DataFrame:
    """Per number: the most records in any two consecutive clock hours (>= any 1 h window),
    as ``peak``, and all its records, as ``total``; only the numbers ``busy`` holds for.

    ``key`` is an integer code of ``who`` (its E.164 digits) to count by, much faster than
    strings, if there is one.
    """
    busy = pl.lit(value=True) if busy is None else busy
    if key is not None and key in frame.columns and frame.height:
        counted = _peaks_by_code(frame[key].to_numpy(), frame[time].dt.epoch("ms").to_numpy())
        if counted is not None:
            return (
                counted.filter(busy)
                .with_columns(
                    pl.concat_str([pl.lit("+"), pl.col("code").cast(pl.String)]).alias(who)
                )
                .drop("code")
            )
    hours = frame.select(who, hour=pl.col(time).dt.epoch("ms") // HOUR_MS)
    per_hour = hours.group_by(who, "hour").len().sort(who, "hour")
    return _pairs(per_hour, who).filter(busy)


def _peaks_by_code(codes: np.ndarray, t_ms: np.ndarray) -> pl.DataFrame | None:
    """``_max_two_hours`` for non-negative int64 codes: one sort of (code, hour) keys and one
    compiled pass over them.

    None when the keys would not fit in an int64.
    """
    hour = t_ms // HOUR_MS
    first = int(hour.min())
    slots = int(hour.max()) - first + 1
    if int(codes.min()) < 0 or int(codes.max()) >= 2**62 // slots:
        return None
    hour -= first
    hour += codes * slots
    key = pl.Series(hour).sort().to_numpy()
    count = _numbers_in(key, slots)
    number = np.empty(count, np.int64)
    peak = np.zeros(count, np.uint32)
    total = np.zeros(count, np.uint32)
    _hour_peaks(key, slots, number, peak, total)
    return pl.DataFrame({"code": number, "peak": peak, "total": total})


@numba.njit(cache=True)
def _numbers_in(key: np.ndarray, slots: int) -> int:
    """How many numbers the sorted (number * slots + hour) keys hold."""
    count = 0
    for i in range(key.shape[0]):
        if i == 0 or key[i] // slots != key[i - 1] // slots:
            count += 1
    return count


@numba.njit(cache=True)
def _hour_peaks(key: np.ndarray, slots: int, number: np.ndarray, peak: np.ndarray,
                total: np.ndarray) -> None:  # fmt: skip
    """Per number of the sorted (number * slots + hour) keys: the most records in two
    consecutive hours (``peak``) and all its records (``total``)."""
    m = -1
    prev_num, prev_slot, prev_count = -1, -2, 0
    i, n = 0, key.shape[0]
    while i < n:
        j = i
        while j < n and key[j] == key[i]:
            j += 1
        num, slot, count = key[i] // slots, key[i] % slots, j - i
        if num != prev_num:
            m += 1
            number[m] = num
            prev_slot, prev_count = -2, 0
        pair = count + (prev_count if slot == prev_slot + 1 else 0)
        peak[m] = max(peak[m], pair)
        total[m] += count
        prev_num, prev_slot, prev_count = num, slot, count
        i = j


def _pairs(per_hour: pl.DataFrame, who: str) -> pl.DataFrame:
    return (
        per_hour.with_columns(
            pair=pl.col("len")
            + pl.when(
                (pl.col(who).shift() == pl.col(who))
                & (pl.col("hour").shift() == pl.col("hour") - 1)
            )
            .then(pl.col("len").shift())
            .otherwise(0)
        )
        .group_by(who)
        .agg(peak=pl.col("pair").max(), total=pl.col("len").sum())
    )


def candidates(traffic: Traffic, gate: Gate = GATE) -> pl.Series:
    """Numbers that may pass the gate somewhere in the traffic (a superset of the flaggable)."""
    calls, sms, subscribers = traffic.calls, traffic.sms, traffic.subscribers
    # every condition below needs this many calls in two clock hours, or in all
    fewest = min(gate.busy_calls_1h, gate.unusual_calls_1h, gate.invalid_calls_1h)
    busy = (pl.col("peak") >= fewest) | (pl.col("total") >= gate.new_sim_calls_24h)
    out = _max_two_hours(calls, "caller", "start_time", key="_caller_code", busy=busy).rename(
        {"caller": "msisdn"}
    )
    unusual = pl.lit(value=False)
    new_sim = pl.lit(value=False)
    if subscribers is not None and subscribers.height and calls.height:
        first, last = calls["start_time"].min(), calls["start_time"].max()
        if not isinstance(first, datetime) or not isinstance(last, datetime):
            raise TypeError("start_time must be a timestamp column")
        subs = subscribers.select("msisdn", "owner_birth_year", "activated_on")
        out = out.join(subs, on="msisdn", how="left")
        year_first, year_last = first.year, last.year
        # a year of slack each side: the age feature counts years of 365.2425 days
        unusual = (pl.col("owner_birth_year") <= year_last - gate.unusual_age_over) | (
            pl.col("owner_birth_year") >= year_first - gate.unusual_age_under - 1
        )
        fresh_after = (first - timedelta(days=gate.new_sim_days + 1)).date()
        new_sim = (pl.col("activated_on") >= fresh_after) & (
            pl.col("total") >= gate.new_sim_calls_24h
        )
    foreign = ~pl.col("msisdn").str.starts_with(HOME_PREFIX)
    chosen = out.filter(
        (pl.col("peak") >= gate.busy_calls_1h)
        | ((pl.col("peak") >= gate.unusual_calls_1h) & (unusual.fill_null(False) | foreign))
        | new_sim.fill_null(False)
    )["msisdn"]
    parts = [chosen, _invalid_callers(out, chosen, gate), _spoofed_callers(calls, gate)]
    if "_imei_sims" in calls.columns:  # the feature itself, computed over all calls
        shared_device = np.flatnonzero(calls["_imei_sims"].to_numpy() >= gate.sims_per_device)
        parts.append(calls["caller"].gather(pl.Series(shared_device)))
    else:
        shared = (
            calls.select("caller_imei", "caller")
            .drop_nulls("caller_imei")
            .group_by("caller_imei")
            .agg(n=pl.col("caller").n_unique())
            .filter(pl.col("n") >= gate.sims_per_device)["caller_imei"]
        )
        if shared.len():
            parts.append(calls.filter(pl.col("caller_imei").is_in(shared.implode()))["caller"])
    if all(c in calls.columns for c in ("_known_peer", "_shared_victim")):
        # (both are 0 without a known-fraud list: only the calls where one is set can count)
        marked = np.flatnonzero(
            (calls["_known_peer"].to_numpy() > 0) | (calls["_shared_victim"].to_numpy() > 0)
        )
        ring = (
            calls.select("caller", "_known_peer", "_shared_victim")[marked].group_by("caller")
        ).agg(peer=pl.col("_known_peer").sum(), victim=pl.col("_shared_victim").sum())
        parts.append(
            ring.filter(
                (pl.col("peer") >= gate.known_signals_24h)
                | (pl.col("victim") >= gate.known_signals_24h)
            )["caller"]
        )
    if sms is not None and sms.height:
        sender_codes = digit_codes(sms["sender"])  # (None unless every sender is E.164)
        if sender_codes is not None:
            sms = sms.select("sender", "sent_time", _sender_code=sender_codes)
        texts = _max_two_hours(sms, "sender", "sent_time", key="_sender_code")
        parts.append(texts.filter(pl.col("peak") >= gate.sms_1h)["sender"])
    return pl.concat([p.cast(pl.String).rename("msisdn") for p in parts]).unique()


def _invalid_callers(out: pl.DataFrame, chosen: pl.Series, gate: Gate) -> pl.Series:
    """Numbers nobody can own with enough calls in two clock hours (asked of the numbering plan
    only for the few not chosen already)."""
    busy = out.filter(pl.col("peak") >= gate.invalid_calls_1h)["msisdn"]
    ask = busy.filter(~busy.is_in(chosen.implode())) if chosen.len() else busy
    return ask.filter(pl.Series(invalid_flags(ask) > 0))


def _spoofed_callers(calls: pl.DataFrame, gate: Gate) -> pl.Series:
    """Numbers presented through a trunk that could not carry them (``SPOOFED_FLAGS``) on
    enough calls in two clock hours."""
    if "caller_flag" not in calls.columns or calls["caller_flag"].null_count() == calls.height:
        return pl.Series("msisdn", [], pl.String)
    flagged = calls.filter(pl.col("caller_flag").cast(pl.String).is_in(list(SPOOFED_FLAGS)))
    if flagged.height == 0:
        return pl.Series("msisdn", [], pl.String)
    peaks = _max_two_hours(flagged, "caller", "start_time")
    return peaks.filter(pl.col("peak") >= gate.spoofed_calls_1h)["caller"]


def restrict_to(numbers: pl.Series, traffic: Traffic) -> Traffic:
    """The traffic that can change the features of ``numbers``: their own calls and SMS.

    Signals that look at other numbers' calls (shared targets, shared devices) are computed on
    all calls first and kept as columns, so dropping the other calls changes nothing.
    """
    calls = with_crossing_signals(traffic.calls, traffic.known)
    sms = traffic.sms
    chosen = numbers.implode()
    texts = sms.filter(pl.col("sender").is_in(chosen)) if sms is not None else None
    # only the columns the events read: the devices are in the crossing signals already, and
    # the numbers' texts are not needed where their codes are (and the SMS numbers are E.164)
    unused = ["caller_imei", "_imei_code", "callee_flag", "trunk"]
    if "_caller_code" in calls.columns:  # compare int64 codes rather than strings
        codes = numbers.str.slice(1).cast(pl.Int64, strict=False).drop_nulls().to_numpy()
        chosen_codes = IntSet(codes[codes >= 0])
        keep = chosen_codes.contains(calls["_caller_code"].to_numpy())
        keep |= chosen_codes.contains(calls["_callee_code"].to_numpy())
        if texts is None or texts.height == 0 or _e164_only(texts):
            unused += ["caller", "callee"]
        kept = calls.drop(unused, strict=False).filter(pl.Series(keep))
    else:
        kept = calls.drop(unused, strict=False).filter(
            pl.col("caller").is_in(chosen) | pl.col("callee").is_in(chosen)
        )
    return replace(traffic, calls=kept, sms=texts)


def _e164_only(sms: pl.DataFrame) -> bool:
    """Whether every SMS number spells its E.164 digits (then the events code them so)."""
    return digit_codes(pl.concat([sms["sender"], sms["recipient"]]).cast(pl.String)) is not None

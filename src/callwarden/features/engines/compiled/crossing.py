"""Signals that cross numbers: shared targets and shared devices, one value per call.

Both look beyond the caller's own records: "the callee's previous incoming call came from
another number within 6 h" needs every call to that callee, and "numbers seen on this device in
the last 24 h" every call from that device. They are computed once over *all* calls, in record
order, and carried as columns (``_shared_target``, ``_imei_sims``), so that triage can then drop
the calls of numbers that cannot be flagged without changing these values.

A spoofed presentation (a call whose ``caller_flag`` is one of
:data:`~callwarden.features.spec.SPOOFED_FLAGS`) is not a call of the number it shows: it takes
no part in these signals. Its own values are 0, it is not "the callee's previous call" of
anyone's shared target, its device (if any) is not the presented number's, and it is not a
call *from* a known fraud number either (whoever placed it only showed that number).
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from callwarden.features.engines.compiled.textcodes import whole_numbers
from callwarden.features.engines.compiled.threads import run_both
from callwarden.features.engines.compiled.windows import stable_argsort
from callwarden.features.spec import CALL_ORDER, SPOOFED_FLAGS, WINDOWS

__all__ = [
    "CODE_COLUMNS",
    "CROSSING_COLUMNS",
    "dense_codes",
    "digit_codes",
    "order_calls",
    "spoofed_calls",
    "with_crossing_signals",
]

CROSSING_COLUMNS = ("_shared_target", "_imei_sims", "_known_peer", "_shared_victim")
#: int64 E.164 digits of caller and callee, added when every number of the calls is E.164
CODE_COLUMNS = ("_caller_code", "_callee_code")
SIX_H_MS, DAY_MS = WINDOWS["6h"], WINDOWS["24h"]


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
        return calls if in_order else calls.sort(*CALL_ORDER)
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
    return calls if in_order else calls.sort(*CALL_ORDER)


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
    codes, bad = whole_numbers(numbers, "+")
    if bad or numbers.null_count() or not bool((codes > 0).all()):
        return None
    return pl.Series(numbers.name, codes)


def spoofed_calls(calls: pl.DataFrame) -> np.ndarray | None:
    """Per call, 1 where its ``caller_flag`` is one of :data:`SPOOFED_FLAGS` (int8); None
    when no call is (the column absent, as in files written before it, or all null).

    >>> spoofed_calls(pl.DataFrame({"caller_flag": [None, "trunk_mismatch", "impossible"]}))
    array([0, 1, 0], dtype=int8)
    >>> spoofed_calls(pl.DataFrame({"caller": ["+8613800000001"]})) is None
    True
    """
    if "caller_flag" not in calls.columns or calls.height == 0:
        return None
    flag = calls["caller_flag"]
    if flag.null_count() == flag.len():
        return None
    marked = flag.cast(pl.String).is_in(list(SPOOFED_FLAGS)).fill_null(value=False)
    if not marked.any():
        return None
    return marked.cast(pl.Int8).to_numpy()


def dense_codes(values: pl.Series) -> np.ndarray:
    """Dense codes of a string column, -1 for null."""
    return values.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def _device_codes(imeis: pl.Series) -> np.ndarray:
    """IMEIs as int64 (they are 15 digits), or dense codes when some are not numbers; -1 null."""
    codes, bad = whole_numbers(imeis)
    # only when every integer spells the same text back (no signs, spaces or leading zeros),
    # so two different IMEIs never share a code
    return codes if bad == 0 else dense_codes(imeis.cast(pl.String))


@numba.njit(cache=True, inline="always")
def _slot(key: int, mask: int) -> np.int64:
    z = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64((z ^ (z >> np.uint64(29))) & np.uint64(mask))


@numba.njit(cache=True)
def _grown(table: np.ndarray) -> np.ndarray:
    """The open-addressing table of :func:`_callee_passes` at twice the slots."""
    mask = 2 * table.shape[0] - 1
    out = np.zeros((mask + 1, table.shape[1]), np.int64)
    for s in range(table.shape[0]):
        if table[s, 0]:
            j = _slot(table[s, 0], mask)
            while out[j, 0]:
                j = (j + 1) & mask
            out[j, :] = table[s, :]
    return out


@numba.njit(cache=True, nogil=True)
def _callee_passes(callee: np.ndarray, caller: np.ndarray, t: np.ndarray, spoofed: np.ndarray,
                   from_known: np.ndarray, window_ms: int, shared: np.ndarray,
                   victim: np.ndarray, callees: int) -> None:  # fmt: skip
    """Over the calls in record order, each callee's previous incoming call kept in a hash
    table (its caller and time, one cache line per callee): ``shared[i]`` = 1 where it came
    from another number less than ``window_ms`` before; ``victim[i]`` = 1 where the callee's
    latest earlier call from a known number (``from_known``, empty: none) came from another
    number less than 24 h before. Spoofed presentations (``spoofed``, empty: none) are
    nobody's calls: skipped, and never anyone's previous."""
    any_spoofed, any_known = spoofed.shape[0] > 0, from_known.shape[0] > 0
    # per slot: callee + 2 (0: free), last caller, last time, last known caller, its time,
    # whether there is one
    # sized for ``callees`` distinct callees at the start: growing it by doubling held the
    # old table beside the new one, a third more memory at the engine's peak
    slots = 1 << 12
    while slots < 2 * (callees + 1):
        slots *= 2
    table = np.zeros((slots, 8), np.int64)
    used = 0
    for i in range(callee.shape[0]):
        if any_spoofed and spoofed[i]:
            continue
        if 2 * (used + 1) > table.shape[0]:
            table = _grown(table)
        key = callee[i] + 2  # (codes are -1 for null, else not negative)
        mask = table.shape[0] - 1
        s = _slot(key, mask)
        while table[s, 0] != 0 and table[s, 0] != key:
            s = (s + 1) & mask
        if table[s, 0] == 0:
            table[s, 0] = key
            used += 1
        else:
            if caller[i] != table[s, 1] and t[i] - table[s, 2] < window_ms:
                shared[i] = 1
            if table[s, 5] and caller[i] != table[s, 3] and t[i] - table[s, 4] < DAY_MS:
                victim[i] = 1
        table[s, 1] = caller[i]
        table[s, 2] = t[i]
        if any_known and from_known[i]:
            table[s, 3] = caller[i]
            table[s, 4] = t[i]
            table[s, 5] = 1


#: devices with more calls than this find their numbers' last calls by sorting, not a list
_SMALL_DEVICE = 64


@numba.njit(cache=True)
def _new_by_list(group: np.ndarray, caller: np.ndarray, t: np.ndarray, window_ms: int,
                 new: np.ndarray) -> None:  # fmt: skip
    """A device's calls from a number not seen on it in the ``w`` before (a short list of the
    device's numbers and when each was last seen: a phone carries a few SIMs)."""
    seen_num = np.empty(group.shape[0], np.int64)
    seen_t = np.empty(group.shape[0], np.int64)
    m = 0
    for k in range(group.shape[0]):
        i = group[k]
        found = -1
        for q in range(m):
            if seen_num[q] == caller[i]:
                found = q
                break
        if found < 0:
            seen_num[m] = caller[i]
            found = m
            m += 1
            new[k] = 1
        elif t[i] - seen_t[found] >= window_ms:
            new[k] = 1
        seen_t[found] = t[i]


@numba.njit(cache=True)
def _new_by_sort(group: np.ndarray, caller: np.ndarray, t: np.ndarray, window_ms: int,
                 new: np.ndarray) -> None:  # fmt: skip
    """The same for a device with many calls: its calls sorted by number (stable, so each
    number's calls stay in record order)."""
    order = np.argsort(caller[group], kind="mergesort")
    for q in range(order.shape[0]):
        i, k = group[order[q]], order[q]
        before = group[order[q - 1]] if q else -1
        if before < 0 or caller[before] != caller[i] or t[i] - t[before] >= window_ms:
            new[k] = 1


@numba.njit(cache=True, nogil=True)
def _device_sims(by_dev: np.ndarray, imei: np.ndarray, caller: np.ndarray, t: np.ndarray,
                 window_ms: int, out: np.ndarray) -> None:  # fmt: skip
    """``out[i]``: how many of the device's calls in ``(t - w, t]`` came from a number not seen
    on the device in the ``w`` before them (``by_dev``: calls grouped by device, record order
    inside)."""
    n = by_dev.shape[0]
    new = np.zeros(n, np.int8)
    start = 0
    while start < n:
        end = start + 1
        while end < n and imei[by_dev[end]] == imei[by_dev[start]]:
            end += 1
        group = by_dev[start:end]
        if end - start <= _SMALL_DEVICE:
            _new_by_list(group, caller, t, window_ms, new[start:end])
        else:
            _new_by_sort(group, caller, t, window_ms, new[start:end])
        acc = 0
        left = start
        for k in range(start, end):
            acc += new[k]
            edge = t[by_dev[k]] - window_ms
            while t[by_dev[left]] <= edge:
                acc -= new[left]
                left += 1
            out[by_dev[k]] = acc
        start = end


def with_crossing_signals(calls: pl.DataFrame, known: pl.Series | None = None) -> pl.DataFrame:
    """Ordered calls with the crossing columns added (if not there yet).

    ``known`` are known fraud numbers (a block list, last week's confirmed cases): a call to one
    is a ``_known_peer``; a call to someone a known number called within the previous 24 h (and
    not this caller) is a ``_shared_victim``. Spoofed presentations (:func:`spoofed_calls`) are
    left out of every signal: theirs are 0, and no other call's looks at them.
    """
    calls = order_calls(calls)
    if all(c in calls.columns for c in CROSSING_COLUMNS):
        return calls
    if calls.height == 0:  # (a day of SMS only)
        return calls.with_columns(pl.lit(0, pl.Int32).alias(c) for c in CROSSING_COLUMNS)
    n = calls.height
    t = calls["start_time"].dt.epoch("ms").to_numpy()
    caller_code: pl.Series | None
    callee_code: pl.Series | None
    if all(c in calls.columns for c in CODE_COLUMNS):  # parsed as read (records/codes.py)
        caller_code, callee_code = calls["_caller_code"], calls["_callee_code"]
    else:
        caller_code = digit_codes(calls["caller"])
        callee_code = digit_codes(calls["callee"]) if caller_code is not None else None
    if caller_code is not None and callee_code is not None:
        # E.164 digits are codes already, and far cheaper than a dictionary
        calls = calls.with_columns(_caller_code=caller_code, _callee_code=callee_code)
        caller = caller_code.to_numpy()
        callee = callee_code.to_numpy()
    else:
        caller = dense_codes(pl.concat([calls["caller"], calls["callee"]]))[:n]
        callee = dense_codes(calls["callee"])

    spoofed = spoofed_calls(calls)

    def targets() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Shared targets and victims: each call against its callee's previous incoming call
        # (and previous one from a known number), in record order; a spoofed presentation is
        # no number's call, so it is neither.
        shared, victim = np.zeros(n, np.int8), np.zeros(n, np.int8)
        peer, from_known = _known_numbers(calls, known, spoofed)
        # (the table's size only: HyperLogLog's estimate, a tenth more for its error, costs
        # a sixth of an exact count; a table too small grows and gives the same values)
        estimate = pl.DataFrame({"k": callee}).select(pl.col("k").approx_n_unique()).item()
        callees = int(estimate * 1.1)
        _callee_passes(callee, caller, t, _none_if(spoofed), from_known, SIX_H_MS, shared,
                       victim, callees)  # fmt: skip
        return shared, peer, victim

    imei = (
        calls["_imei_code"].to_numpy()
        if "_imei_code" in calls.columns
        else _device_codes(calls["caller_imei"])  # (on every thread, before the two below)
    )
    if spoofed is not None:  # the device on a spoofed presentation is not the number's
        imei = np.where(spoofed == 0, imei, -1)

    def devices() -> np.ndarray:
        # Devices: per IMEI, numbers first seen (again) within 24 h, summed over the last 24 h.
        sims = np.zeros(n, np.int32)
        dev = np.flatnonzero(imei >= 0)
        if dev.shape[0]:
            by_dev = dev[stable_argsort(imei[dev])]
            _device_sims(by_dev, imei, caller, t, DAY_MS, sims)
        return sims

    # the two groupings are independent: side by side (see threads.py)
    (shared, peer, victim), sims = run_both(targets, devices)
    # (small integer columns: a day of calls carries them through triage)
    return calls.with_columns(
        _shared_target=pl.Series(shared),
        _imei_sims=pl.Series(sims),
        _known_peer=pl.Series(peer),
        _shared_victim=pl.Series(victim),
    )


def _none_if(flags: np.ndarray | None) -> np.ndarray:
    return flags if flags is not None else np.zeros(0, np.int8)


def _known_numbers(
    calls: pl.DataFrame, known: pl.Series | None, spoofed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per call: 1 where it goes to a known number (not for a spoofed presentation), and
    1 where it comes from one (empty when no number is known)."""
    n = calls.height
    if known is None or known.len() == 0:
        return np.zeros(n, np.int8), np.zeros(0, np.int8)
    listed = known.cast(pl.String).implode()
    peer = calls["callee"].is_in(listed).to_numpy().astype(np.int8)
    if spoofed is not None:
        peer[spoofed != 0] = 0
    return peer, calls["caller"].is_in(listed).to_numpy().astype(np.int8)

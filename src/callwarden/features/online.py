"""Features one record at a time: the spec's signals and windows as per-number state.

This is the incremental form of :mod:`callwarden.features.embedded`: the same signals, the same
windows ``(t - w, t]`` over the number's own events up to and including the current one, kept as
deques with running sums. Feeding records in the order :func:`replay_order` gives yields, for
every outgoing call and SMS, exactly the features the batch engine computes for it; the
conformance suite checks that on generated traffic.

>>> import datetime as dt
>>> on = OnlineFeatures()
>>> t0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> f = None
>>> for k in range(3):
...     f = on.call({"call_id": str(k), "caller": "+8613800000001", "callee": f"+861390000000{k}",
...                  "start_time": t0 + dt.timedelta(minutes=2 * k), "duration_s": 0, "ring_s": 20,
...                  "caller_cell": "C1", "caller_imei": "1"})
>>> f["out_calls_15m"], f["gap_mean_15m"]
(3.0, 120.0)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

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

__all__ = ["OnlineFeatures", "replay_order"]

HOUR_MS, DAY_MS, SIX_H_MS = WINDOWS["1h"], WINDOWS["24h"], WINDOWS["6h"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_E164_DIGITS = re.compile(r"\+[0-9]{1,18}")


def _ms(t: dt.datetime) -> int:
    return (t - _EPOCH) // dt.timedelta(milliseconds=1)


_NEEDED = window_signals()


_INDEX: dict[tuple[str, ...], dict[str, int]] = {}


@dataclass(slots=True)
class _Window:
    """Running sums of some signals over the last ``ms`` milliseconds of one number's events.

    Events keep only their non-zero signals (most are zero), as (index, value) pairs; every
    signal is a whole number of seconds or counts, so adding and taking away is exact.
    """

    ms: int
    names: tuple[str, ...]
    events: deque[tuple[int, tuple[tuple[int, float], ...]]] = field(default_factory=deque)
    sums: list[float] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # one index per set of names, shared by every number's window (memory per number)
        self.index = _INDEX.setdefault(self.names, {n: k for k, n in enumerate(self.names)})
        self.sums = [0.0] * len(self.names)

    def add(self, t: int, values: Mapping[str, float]) -> list[float]:
        """Add one event; the sums over the window ending at it, in ``names`` order."""
        index, sums = self.index, self.sums
        row = tuple((index[n], v) for n, v in values.items() if v and n in index)
        self.events.append((t, row))
        for k, v in row:
            sums[k] += v
        events, edge = self.events, t - self.ms
        while events[0][0] <= edge:
            for k, v in events.popleft()[1]:
                sums[k] -= v
        return sums

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.sums, strict=True))


@dataclass(slots=True)
class _Number:
    windows: dict[str, _Window]
    last_out_t: int | None = None
    last_callee: int | None = None
    last_in: tuple[str, int] | None = None  # (caller, t) of the latest incoming call
    last_known_in: tuple[str, int] | None = None  # the same, from a known fraud number


class OnlineFeatures:
    """Per-number state; call :meth:`call` / :meth:`sms` with records in replay order."""

    def __init__(
        self,
        subscribers: pl.DataFrame | None = None,
        timezone: str = "Asia/Shanghai",
        known: pl.Series | None = None,
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.known: set[str] = set(known.cast(pl.String).to_list()) if known is not None else set()
        self.numbers: dict[str, _Number] = {}
        self.pair_out: dict[tuple[str, str], int] = {}
        self.pair_sms: dict[tuple[str, str], int] = {}
        self.cell_seen: dict[tuple[str, str], int] = {}
        self.device_seen: dict[tuple[str, str], int] = {}
        self.devices: dict[str, _Window] = {}
        self.profile: dict[str, tuple[float, float]] = {}
        if subscribers is not None:
            for row in subscribers.select("msisdn", "activated_on", "owner_birth_year").iter_rows():
                act = dt.datetime.combine(row[1], dt.time(), dt.UTC) if row[1] else None
                self.profile[row[0]] = (
                    float(_ms(act)) if act else math.nan,
                    float(row[2]) if row[2] is not None else math.nan,
                )

    def _number(self, msisdn: str) -> _Number:
        state = self.numbers.get(msisdn)
        if state is None:
            state = _Number({w: _Window(WINDOWS[w], tuple(sorted(n))) for w, n in _NEEDED.items()})
            self.numbers[msisdn] = state
        return state

    @staticmethod
    def _numeric(msisdn: str) -> int | None:
        return int(msisdn[1:]) if _E164_DIGITS.fullmatch(msisdn) else None

    def _features(
        self, msisdn: str, t: int, sums: dict[str, dict[str, float]], last: Mapping[str, float]
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        for f in FEATURES.values():
            if f.agg is Agg.STATIC:
                continue
            if f.agg is Agg.LAST:
                out[f.name] = last.get(str(f.signal), 0.0)
                continue
            s = sums[str(f.window)]
            num, den = s[str(f.signal)], s.get(str(f.over), 0.0)
            if f.agg is Agg.SUM:
                out[f.name] = num
            elif f.agg in (Agg.SHARE, Agg.MEAN):
                out[f.name] = num / den if den > 0 else 0.0
            elif f.agg is Agg.RATIO:
                out[f.name] = num / (den + 1.0)
            elif f.agg is Agg.CV:
                mean = num / den if den > 0 else 0.0
                var = (s["gap_out_sq"] / den if den > 0 else 0.0) - mean * mean
                out[f.name] = math.sqrt(max(var, 0.0)) / mean if mean > 0 else 0.0
        act, birth = self.profile.get(msisdn, (math.nan, math.nan))
        out["new_sim_days"] = (t - act) / 86_400_000.0
        out["owner_age"] = math.floor(1970 + t / (365.2425 * 86_400_000.0)) - birth
        national = msisdn[3:]
        cn = msisdn.startswith("+86")
        out["is_international"] = 0.0 if cn else 1.0
        out["is_virtual"] = float(cn and national.startswith(("162", "165", "167", "170", "171")))
        out["is_landline"] = float(cn and (national.startswith("10") or national[:1] in "23456789"))
        return out

    def _add(
        self, state: _Number, t: int, signals: Mapping[str, float]
    ) -> dict[str, dict[str, float]]:
        out = {}
        for w, win in state.windows.items():
            win.add(t, signals)
            out[w] = win.as_dict()
        return out

    def call(self, rec: Mapping[str, Any]) -> dict[str, float]:
        """Take one call; return the caller's features at it."""
        caller, callee = str(rec["caller"]), str(rec["callee"])
        t = _ms(rec["start_time"])
        duration = int(rec["duration_s"] or 0)
        ring = -1 if rec.get("ring_s") is None else int(rec["ring_s"])
        hour = rec["start_time"].astimezone(self.zone).hour
        me = self._number(caller)

        sig: dict[str, float] = {
            "out": 1.0,
            "short_out": float(duration < SHORT_CALL_S),
            "answered_out": float(duration > 0),
            "one_ring_out": float(duration == 0 and 0 <= ring <= ONE_RING_S),
            "night_out": float(NIGHT_HOURS[0] <= hour < NIGHT_HOURS[1]),
            "dur_out": float(duration),
        }
        if me.last_out_t is not None and t - me.last_out_t < HOUR_MS:
            gap = float((t - me.last_out_t) // 1000)
            sig.update(gap_out=gap, gap_out_sq=gap * gap, has_gap_out=1.0)
        a, b = self._numeric(callee), me.last_callee
        if me.last_out_t is not None and a is not None and b is not None:
            sig["seq_out"] = float(1 <= abs(a - b) <= SEQUENTIAL_STEP)
        prev_pair = self.pair_out.get((caller, callee))
        for name, window in (("new_callee_1h", HOUR_MS), ("new_callee_24h", DAY_MS)):
            sig[name] = float(prev_pair is None or t - prev_pair >= window)
        cell = rec.get("caller_cell")
        if cell is not None:
            prev_cell = self.cell_seen.get((caller, cell))
            sig["new_cell_24h"] = float(prev_cell is None or t - prev_cell >= DAY_MS)
            self.cell_seen[(caller, cell)] = t
        them = self._number(callee)
        if them.last_in is not None:
            who, when = them.last_in
            sig["shared_target_out"] = float(who != caller and t - when < SIX_H_MS)
        if self.known:
            sig["known_peer_out"] = float(callee in self.known)
            if them.last_known_in is not None:
                who, when = them.last_known_in
                sig["shared_victim_out"] = float(who != caller and t - when < DAY_MS)
        imei = rec.get("caller_imei")
        if imei is not None:
            prev_dev = self.device_seen.get((imei, caller))
            new_sim = float(prev_dev is None or t - prev_dev >= DAY_MS)
            self.device_seen[(imei, caller)] = t
            device = self.devices.setdefault(imei, _Window(DAY_MS, ("x",)))
            sig["imei_sims"] = device.add(t, {"x": new_sim})[0]

        sums = self._add(me, t, sig)
        features = self._features(caller, t, sums, sig)
        me.last_out_t, me.last_callee = t, a
        self.pair_out[(caller, callee)] = t

        # The callee's side: an incoming call, maybe a call back.
        back = self.pair_out.get((callee, caller))
        in_sig = {"in": 1.0, "callback_in": float(back is not None and t - back < DAY_MS)}
        self._add(them, t, in_sig)
        them.last_in = (caller, t)
        if caller in self.known:
            them.last_known_in = (caller, t)
        return features

    def sms(self, rec: Mapping[str, Any]) -> dict[str, float]:
        """Take one SMS; return the sender's features at it."""
        sender, recipient = str(rec["sender"]), str(rec["recipient"])
        t = _ms(rec["sent_time"])
        me = self._number(sender)
        prev = self.pair_sms.get((sender, recipient))
        sig = {"sms_out": 1.0, "new_recipient_1h": float(prev is None or t - prev >= HOUR_MS)}
        self.pair_sms[(sender, recipient)] = t
        return self._features(sender, t, self._add(me, t, sig), sig)


def replay_order(
    calls: pl.DataFrame, sms: pl.DataFrame | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records in the order the batch engine and a live stream process them.

    Calls sorted by ``(start_time, call_id)``, SMS by ``(sent_time, sms_id)``, merged by the
    millisecond, calls first on ties.
    """
    c = calls.sort("start_time", "call_id").with_columns(
        _t=pl.col("start_time").dt.epoch("ms"), _k=pl.lit(0), _i=pl.int_range(pl.len())
    )
    rows = [("call", r) for r in c.iter_rows(named=True)]
    if sms is not None and sms.height:
        s = sms.sort("sent_time", "sms_id").with_columns(
            _t=pl.col("sent_time").dt.epoch("ms"), _k=pl.lit(1), _i=pl.int_range(pl.len())
        )
        rows += [("sms", r) for r in s.iter_rows(named=True)]
        rows.sort(key=lambda kr: (kr[1]["_t"], kr[1]["_k"], kr[1]["_i"]))
    yield from rows

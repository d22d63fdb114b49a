"""Behavioural features, defined once: signals per event, aggregated over event-time windows.

Every engine (the embedded one here, the stream and Spark later) computes the same thing:

1. **Events.** Each call becomes an *out* event of its caller and an *in* event of its callee;
   each SMS an *sms_out* event of its sender. Events are totally ordered by
   ``(time, record id)``: the order a live stream would see them in.
2. **Signals.** Each event carries a few numbers (:data:`SIGNALS`): is it an outgoing call, was it
   short, how long since the previous outgoing call, is the callee new to this number, ...
   A signal of an event depends only on that event and on earlier events.
3. **Features.** A feature is a signal aggregated over the number's own events in the window
   ``(t - w, t]`` up to and including the current event (:data:`FEATURES`), or a static
   attribute of the subscriber. So a feature at time t uses only records at or before t, and
   batch scoring is the stream replayed.

**Spoofed presentations.** A call whose ``caller_flag`` is one of :data:`SPOOFED_FLAGS` (a +86
number on an international trunk, a mobile number on a cloud trunk: 改号 / 网络云呼) shows a
number that is very often a real, honest subscriber's, who did not place it. It is an event of
the presented number (so the number's features are looked at there), but it is **not the
number's own call**: it counts only in the ``spoofed_*`` signals. Every other signal of it is 0
(``out``, short, answered, one-ring, night, duration, gap, sequence, new callee, cell, shared
target, device, known fraud contact or victim), and it is not the "previous call" or the "last
call to that callee" of any later one. Its callee did receive a call: ``in`` is 1 there, but
not ``callback_in`` (nobody the callee can call back placed it), and it is no other number's
"previous call from another number" either. So a burst of presentations changes none of the
owner's own behavioural features; only the ``spoofed_*`` features see it.

"Distinct" counts (``uniq_callees_1h``) count a callee when it is called after a gap of at least
the window: exact for strangers, a slight undercount for someone called twice within the
window on both sides of its edge. Every engine computes that same definition incrementally.

>>> FEATURES["out_calls_1h"].window_ms
3600000
>>> sorted(f.name for f in FEATURES.values() if f.static)[:3]
['is_international', 'is_invalid_number', 'is_landline']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from callwarden.numbers import VIRTUAL_PREFIXES

__all__ = [
    "CALL_ORDER",
    "EVENT_IN",
    "EVENT_OUT",
    "EVENT_SMS",
    "FEATURES",
    "FEATURE_NAMES",
    "HOME_PREFIX",
    "LANDLINE_PATTERN",
    "NUMBER_FLAGS",
    "RECORD_CALL",
    "RECORD_FEATURES",
    "RECORD_ORDER",
    "RECORD_SMS",
    "SIGNALS",
    "SMS_ORDER",
    "SPOOFED_FLAGS",
    "VIRTUAL_PATTERN",
    "WINDOWS",
    "Agg",
    "Feature",
    "Signal",
    "window_signals",
]

#: the event-time windows, in milliseconds
WINDOWS: dict[str, int] = {
    "15m": 15 * 60_000,
    "1h": 3_600_000,
    "6h": 6 * 3_600_000,
    "24h": 86_400_000,
}

#: record kinds: the ``kind`` column of a record batch (records/batch.py) and of the stream
RECORD_CALL, RECORD_SMS = 0, 1
#: event kinds: a call is an OUT event of its caller and an IN event of its callee, an SMS an
#: SMS event of its sender (OUT before IN for a call to oneself)
EVENT_OUT, EVENT_IN, EVENT_SMS = 0, 1, 2
#: Record order, the order a live stream processes records in and what "earlier" means to
#: every engine: calls by ``CALL_ORDER``, SMS by ``SMS_ORDER``, merged by the millisecond with
#: calls first. As columns of a record batch: its millisecond, kind, microsecond and id.
CALL_ORDER = ("start_time", "call_id")
SMS_ORDER = ("sent_time", "sms_id")
RECORD_ORDER = ("ms", "kind", "us", "id")

#: Number flags, read off the number itself: not under ``HOME_PREFIX`` (international); under it
#: and a virtual-operator range (``numbers.VIRTUAL_PREFIXES``), or a landline range.
HOME_PREFIX = "+86"
VIRTUAL_PATTERN = "^(" + "|".join(VIRTUAL_PREFIXES) + ")"
LANDLINE_PATTERN = "^(10|[2-9])"  # national digits of a fixed line (Beijing 10, then area codes)
NUMBER_FLAGS = ("is_international", "is_virtual", "is_landline")

SHORT_CALL_S = 10  # a connected call shorter than this counts as "short"
ONE_RING_S = 8  # rang this long or less, not answered: one or two rings (a cycle is 5 s)
SEQUENTIAL_STEP = 10  # callee numbers this close to the previous callee are "sequential"
NIGHT_HOURS = (0, 6)  # local hours counted as night
#: caller flags (``caller_flag`` of canonical calls, records/schema.py NUMBER_FLAGS) that say
#: the call presented a number that is probably someone else's: a +86 number on an
#: international trunk, a mobile number on a cloud (VoIP) trunk. An absent or null
#: ``caller_flag`` is no flag.
SPOOFED_FLAGS = ("trunk_mismatch", "cloud_trunk_mobile")


@dataclass(frozen=True)
class Signal:
    """A per-event number every engine computes the same way."""

    name: str
    meaning: str
    #: the window the signal itself depends on (for "new within window" signals)
    window: str | None = None


SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal("out", "1 for an outgoing call of the number's own (not a spoofed presentation)"),
        Signal("in", "1 for an incoming call (a spoofed presentation too: the callee got it)"),
        Signal("sms_out", "1 for a sent SMS"),
        Signal("short_out", f"own outgoing call unanswered or connected under {SHORT_CALL_S} s"),
        Signal("answered_out", "own outgoing call that connected"),
        Signal(
            "one_ring_out", f"own outgoing call not answered after ringing at most {ONE_RING_S} s"
        ),
        Signal("night_out", f"own outgoing call in local hours {NIGHT_HOURS[0]}-{NIGHT_HOURS[1]}"),
        Signal("dur_out", "connected seconds of an own outgoing call"),
        Signal(
            "gap_out", "whole seconds since the number's previous own outgoing call, if within 1 h"
        ),
        Signal("gap_out_sq", "gap_out squared (for the spread of gaps)"),
        Signal(
            "has_gap_out", "1 when gap_out is defined (a previous own outgoing call within 1 h)"
        ),
        Signal(
            "inner_gap_out",
            "gap_out when the previous own outgoing call was under 15 min before (a gap between "
            "calls of one quarter hour, not the pause before its first)",
        ),
        Signal("inner_gap_out_sq", "inner_gap_out squared (for the spread of those gaps)"),
        Signal("has_inner_gap_out", "1 when inner_gap_out is defined"),
        Signal("seq_out", f"callee within {SEQUENTIAL_STEP} of the previous own call's callee"),
        Signal(
            "new_callee_1h", "own call to a callee no own call reached in the previous hour", "1h"
        ),
        Signal(
            "new_callee_24h", "own call to a callee no own call reached in the previous 24 h", "24h"
        ),
        Signal("new_recipient_1h", "SMS recipient not texted in the previous hour", "1h"),
        Signal(
            "callback_in",
            "incoming call, not a spoofed presentation, from a number this one called (own "
            "calls) in the previous 24 h",
        ),
        Signal("new_cell_24h", "own call from a cell no own call used in the previous 24 h", "24h"),
        Signal(
            "shared_target_out",
            "own call whose callee's previous incoming call, not a spoofed presentation, came "
            "from another number within 6 h",
        ),
        Signal(
            "imei_sims",
            "distinct numbers seen on this own call's device in the previous 24 h (own calls; "
            "a spoofed presentation's device is not the number's)",
        ),
        Signal("known_peer_out", "own outgoing call to a known fraud number"),
        Signal(
            "shared_victim_out",
            "own call whose callee's latest earlier call from a known fraud number (not a "
            "spoofed presentation of it) came from another number within 24 h",
        ),
        Signal(
            "spoofed_out",
            "outgoing call whose presented caller number its ingress trunk could not honestly "
            f"carry (caller_flag {' or '.join(SPOOFED_FLAGS)}); such a call counts in no other "
            "signal of the number",
        ),
        Signal(
            "spoofed_new_callee_1h",
            "spoofed_out to a callee no spoofed presentation of this number reached in the "
            "previous hour",
            "1h",
        ),
    )
}


class Agg(StrEnum):
    """How a feature reduces signals over its window."""

    SUM = "sum"  # sum of one signal
    SHARE = "share"  # sum(signal) / sum(denominator signal)
    MEAN = "mean"  # sum(signal) / sum(denominator signal), in the signal's unit
    CV = "cv"  # coefficient of variation from sum, sum of squares (signal + "_sq") and count
    RATIO = "ratio"  # sum(signal) / (sum(denominator) + 1)
    LAST = "last"  # the signal's value on the current event
    STATIC = "static"  # an attribute of the subscriber (or number), not of events


@dataclass(frozen=True)
class Feature:
    """One named feature: what it measures, over how long, in words for people."""

    name: str
    agg: Agg
    signal: str | None = None
    over: str | None = None  # denominator signal for SHARE, MEAN, RATIO, CV
    window: str | None = None
    label_zh: str = ""
    label_en: str = ""

    @property
    def window_ms(self) -> int:
        return WINDOWS[self.window] if self.window else 0

    @property
    def static(self) -> bool:
        return self.agg is Agg.STATIC


def _count(name: str, signal: str, window: str, zh: str, en: str) -> Feature:
    return Feature(name, Agg.SUM, signal, window=window, label_zh=zh, label_en=en)


def _share(name: str, signal: str, over: str, window: str, zh: str, en: str) -> Feature:
    return Feature(name, Agg.SHARE, signal, over, window, zh, en)


_ALL: tuple[Feature, ...] = (
    _count("out_calls_15m", "out", "15m", "15 分钟主叫次数", "outbound calls in 15 min"),
    _count("out_calls_1h", "out", "1h", "1 小时主叫次数", "outbound calls in 1 h"),
    _count("out_calls_24h", "out", "24h", "24 小时主叫次数", "outbound calls in 24 h"),
    _count("in_calls_24h", "in", "24h", "24 小时被叫次数", "inbound calls in 24 h"),
    _count(
        "uniq_callees_15m", "new_callee_1h", "15m", "15 分钟新被叫号码数", "new callees in 15 min"
    ),
    _count("uniq_callees_1h", "new_callee_1h", "1h", "1 小时被叫号码数", "distinct callees in 1 h"),
    _count(
        "uniq_callees_24h", "new_callee_24h", "24h", "24 小时被叫号码数", "distinct callees in 24 h"
    ),
    Feature(
        "gap_mean_15m",
        Agg.MEAN,
        "gap_out",
        "has_gap_out",
        "15m",
        "平均呼叫间隔(秒)",
        "mean seconds between calls",
    ),
    Feature(
        "gap_cv_15m",
        Agg.CV,
        "gap_out",
        "has_gap_out",
        "15m",
        "呼叫间隔离散度",
        "regularity of gaps (CV)",
    ),
    Feature(
        "gap_mean_1h",
        Agg.MEAN,
        "gap_out",
        "has_gap_out",
        "1h",
        "平均呼叫间隔(秒)",
        "mean seconds between calls",
    ),
    Feature(
        "gap_cv_1h",
        Agg.CV,
        "gap_out",
        "has_gap_out",
        "1h",
        "呼叫间隔离散度",
        "regularity of gaps (CV)",
    ),
    Feature(
        "inner_gap_mean_15m",
        Agg.MEAN,
        "inner_gap_out",
        "has_inner_gap_out",
        "15m",
        "15 分钟内相邻呼叫的平均间隔(秒)",
        "mean seconds between the calls of 15 min",
    ),
    Feature(
        "inner_gap_cv_15m",
        Agg.CV,
        "inner_gap_out",
        "has_inner_gap_out",
        "15m",
        "15 分钟内相邻呼叫间隔离散度",
        "regularity of the gaps between the calls of 15 min (CV)",
    ),
    _share(
        "short_or_unanswered_share_1h",
        "short_out",
        "out",
        "1h",
        "未接通或短通话占比",
        "share unanswered or under 10 s",
    ),
    _share(
        "short_or_unanswered_share_24h",
        "short_out",
        "out",
        "24h",
        "未接通或短通话占比(24小时)",
        "share unanswered or under 10 s in 24 h",
    ),
    _share(
        "short_or_unanswered_share_15m",
        "short_out",
        "out",
        "15m",
        "未接通或短通话占比(15分钟)",
        "share unanswered or under 10 s in 15 min",
    ),
    _share(
        "answered_share_15m",
        "answered_out",
        "out",
        "15m",
        "接通率(15分钟)",
        "answered share in 15 min",
    ),
    _share("answered_share_1h", "answered_out", "out", "1h", "接通率", "answered share"),
    _share("one_ring_share_1h", "one_ring_out", "out", "1h", "响一声挂断占比", "one-ring share"),
    Feature(
        "mean_duration_1h",
        Agg.MEAN,
        "dur_out",
        "answered_out",
        "1h",
        "平均通话时长(秒)",
        "mean connected seconds",
    ),
    Feature(
        "mean_duration_15m",
        Agg.MEAN,
        "dur_out",
        "answered_out",
        "15m",
        "平均通话时长(秒, 15分钟)",
        "mean connected seconds in 15 min",
    ),
    Feature(
        "in_out_ratio_24h", Agg.RATIO, "in", "out", "24h", "被叫/主叫比", "inbound per outbound"
    ),
    _share(
        "callback_share_24h",
        "callback_in",
        "new_callee_24h",
        "24h",
        "被叫回拨占比",
        "share of callees who called back",
    ),
    _share("night_share_24h", "night_out", "out", "24h", "夜间主叫占比", "share of calls at night"),
    _count("cells_24h", "new_cell_24h", "24h", "24 小时使用小区数", "cells used in 24 h"),
    _share(
        "seq_dial_score_1h", "seq_out", "out", "1h", "顺序拨号占比", "share dialled in sequence"
    ),
    _count(
        "shared_targets_24h",
        "shared_target_out",
        "24h",
        "与其他号码共同被叫数",
        "callees shared with other numbers in 24 h",
    ),
    Feature(
        "imsis_per_imei",
        Agg.LAST,
        "imei_sims",
        label_zh="同一终端号码数",
        label_en="numbers on this device in 24 h",
    ),
    _count(
        "known_contacts_24h",
        "known_peer_out",
        "24h",
        "呼叫已知涉诈号码次数",
        "calls to known fraud numbers in 24 h",
    ),
    _count(
        "shared_victims_24h",
        "shared_victim_out",
        "24h",
        "与已知涉诈号码共同被叫数",
        "callees a known fraud number had called in 24 h",
    ),
    _count(
        "spoofed_calls_1h",
        "spoofed_out",
        "1h",
        "1 小时经境外或云呼中继显示本号码的呼叫数",
        "calls in 1 h presenting this number through a foreign or cloud trunk",
    ),
    _count(
        "spoofed_callees_1h",
        "spoofed_new_callee_1h",
        "1h",
        "1 小时经境外或云呼中继显示本号码呼叫的不同号码数",
        "distinct callees in 1 h of calls presenting this number through a foreign or cloud trunk",
    ),
    _count("sms_out_1h", "sms_out", "1h", "1 小时发送短信数", "SMS sent in 1 h"),
    _count(
        "sms_recipients_1h",
        "new_recipient_1h",
        "1h",
        "1 小时短信接收号码数",
        "distinct SMS recipients in 1 h",
    ),
    Feature("new_sim_days", Agg.STATIC, label_zh="入网天数", label_en="days since activation"),
    Feature("owner_age", Agg.STATIC, label_zh="机主年龄", label_en="owner's age"),
    Feature("is_virtual", Agg.STATIC, label_zh="虚拟运营商号段", label_en="virtual-operator range"),
    Feature("is_international", Agg.STATIC, label_zh="境外号码", label_en="international number"),
    Feature("is_landline", Agg.STATIC, label_zh="固定电话", label_en="landline"),
    Feature(
        "is_invalid_number",
        Agg.STATIC,
        label_zh="无效号码(无人能持有)",
        label_en="invalid number (nobody can own it)",
    ),
)

FEATURES: dict[str, Feature] = {f.name: f for f in _ALL}
FEATURE_NAMES: list[str] = [f.name for f in _ALL]

#: Features of what a record *says*, not of events: no engine computes them. Detection fills
#: them in at the events it scores, where it reads the records (each reader a
#: ``RecordFeatures`` of ``detect/record_features.py``, all of them in its ``FILLERS``); a
#: detector reading one scores as without it where it is absent.
RECORD_FEATURES: dict[str, Feature] = {
    "sms_content_risk": Feature(
        "sms_content_risk",
        Agg.LAST,
        label_zh="短信内容诈骗概率",
        label_en="probability that the SMS text is a scam",
    ),
    # (detect/call_content.py: the number's answered calls of the last 24 hours, transcribed)
    "call_content_risk": Feature(
        "call_content_risk",
        Agg.LAST,
        label_zh="已接通话内容诈骗概率(最高)",
        label_en="highest probability that an answered call's transcript is a fraud script",
    ),
    "call_content_calls": Feature(
        "call_content_calls",
        Agg.LAST,
        label_zh="内容像诈骗话术的已接通话数",
        label_en="answered calls whose transcripts read as fraud scripts",
    ),
    # (detect/callee_areas.py: where the callees of the number's own calls of the last
    # quarter hour or hour live, at the call events the relay detectors score)
    "callee_area_cue": Feature(
        "callee_area_cue",
        Agg.LAST,
        label_zh="被叫同在一地的程度(超出偶然)",
        label_en="how far the numbers called live in one area, beyond chance",
    ),
    "callee_area_callees": Feature(
        "callee_area_callees",
        Agg.LAST,
        label_zh="同在一地的被叫号码数",
        label_en="numbers called that live in that one area",
    ),
    "callee_area_of": Feature(
        "callee_area_of",
        Agg.LAST,
        label_zh="被叫号码数(区域判断所用)",
        label_en="different numbers called (the areas' window)",
    ),
    "callee_area_code": Feature(
        "callee_area_code",
        Agg.LAST,
        label_zh="被叫所在地区编号",
        label_en="code of that area (-1: none)",
    ),
    "callee_area_minutes": Feature(
        "callee_area_minutes",
        Agg.LAST,
        label_zh="被叫区域判断所用的时段(分钟)",
        label_en="minutes of calls the areas were read over",
    ),
}


def window_signals(names: Iterable[str] | None = None) -> dict[str, set[str]]:
    """For each window, the signals whose sums the features over it need (of all features,
    or of the features ``names``).

    >>> sorted(window_signals()["15m"])  # doctest: +NORMALIZE_WHITESPACE
    ['answered_out', 'dur_out', 'gap_out', 'gap_out_sq', 'has_gap_out', 'has_inner_gap_out',
     'inner_gap_out', 'inner_gap_out_sq', 'new_callee_1h', 'out', 'short_out']
    >>> {w: sorted(s) for w, s in window_signals(["out_calls_1h", "answered_share_1h"]).items()}
    {'1h': ['answered_out', 'out']}
    """
    needed: dict[str, set[str]] = {}
    chosen = FEATURES.values() if names is None else [FEATURES[n] for n in names]
    for f in chosen:
        if f.window:
            group = needed.setdefault(f.window, set())
            group.update(x for x in (f.signal, f.over) if x)
            if f.agg is Agg.CV:
                group.add(f"{f.signal}_sq")  # the spread needs the sum of squares too
    return needed

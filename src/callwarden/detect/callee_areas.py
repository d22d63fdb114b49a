"""Where the callees live: what tells a round of calls from a relay SIM at its fifth call.

A class teacher rings the parents of one class, a volunteer the residents of one block: the
people called live near one another. A relay SIM dials a list bought from anywhere
("天南地北"). At each call event the relay detectors look at, the caller's own calls (not
spoofed presentations of the number) that started in the last 15 minutes, and in the last
hour, up to the event give four record features (``features/spec.py`` RECORD_FEATURES):

- :data:`CALLEES`: how many different numbers were called (``k``);
- :data:`AREA` and :data:`IN_AREA`: the home area most of them share and how many live there
  (``m``);
- :data:`MINUTES`: the window they were read over (15 or 60 minutes);
- :data:`CUE`: how far they live in one area beyond chance, ``ramp(m / k, 0.7, 0.9)`` times
  ``ramp(-log10(p ** m), 2.5, 3.5)``: at least seven in ten of at least three callees in one
  area, and that being under 1 in 300 (fully under 1 in 3,000) for someone dialling anyone,
  ``p`` being the area's share of the subscribers. An operator whose subscribers all live in
  one area gets no cue (``p`` = 1); a common area needs more callees than a rare one. The
  window with the stronger cue is the one given (the hour on a tie).

A callee's area is its ``region`` in the subscribers table (the operator's own records of
where its subscribers live). A callee of another network or abroad has none and counts
against the cue: a number's segment says where a SIM was sold, not where its holder lives,
and an unknown callee is what a bought list is full of. Without regions, every feature is 0
(``AREA`` -1) and nothing changes.

The two relay detectors (``relay_call``, ``profile_mismatch``) multiply their score by
``1 - STRENGTH * cue`` (:func:`lowered`): at the strongest cue even the strongest relay
evidence (1.0) stays at ``watch`` (0.55). Four or five steady calls to people who live
together beyond chance are what a round of calls looks like (a class teacher, a volunteer
ringing a block), and nothing else the rules read at those calls tells a round from a relay;
so they are watched, not reviewed. The price: a relay working a list of one neighbourhood is
watched, not reviewed, by these two rules (it was reviewed at 0.6 before, issue 23). Their
reasons say how far the cue lowered the score, or how spread the callees were
(:meth:`Areas.explain`).

Batch scoring (:meth:`CalleeAreas.of_records`) and the live scorer (:meth:`CalleeAreas.live`,
then :meth:`CalleeAreas.add_calls` with each record batch) fill them in at the call events
where a relay detector scores (:meth:`CalleeAreas.fill`: the figure multiplies nothing
elsewhere); Spark computes them at its call events with enough calls
(``features/engines/spark/areas.py``), all three by :func:`cue_at`'s rule (batch and live
read every event's in one compiled walk, ``callee_area_kernels.py``, held to it bit for bit).

>>> areas = Areas.of_counts({"成都": 40, "绵阳": 5, "德阳": 5})
>>> areas.names
('德阳', '成都', '绵阳')
>>> cue, m, k, code = best_area([2, 2, 2, 2, -1], areas.weights)  # 4 of 5 in 绵阳 (10%)
>>> round(cue, 2), m, k, areas.names[code]
(0.5, 4, 5, '绵阳')
>>> best_area([1, 1, 1, 1, 1], areas.weights)[0]  # 5 in 成都 (80%): anyone's list does that
0.0
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
import polars as pl

from callwarden.detect.callee_area_kernels import busy_slots, cues_at
from callwarden.detect.reasons import Reason
from callwarden.features.gate import GATE
from callwarden.features.spec import SPOOFED_FLAGS
from callwarden.records.codes import CALL_KEYS, whole_numbers

__all__ = [
    "AREA", "AREA_FEATURES", "CALLEES", "CUE", "IN_AREA", "LOOK_CALLS_1H", "MINUTES",
    "RELAY_DETECTORS",
    "STRENGTH", "Areas", "CalleeAreas", "best_area", "cue_at", "lowered",
]  # fmt: skip

#: the record features (``features/spec.py`` RECORD_FEATURES)
CUE: Final = "callee_area_cue"
IN_AREA: Final = "callee_area_callees"
CALLEES: Final = "callee_area_of"
AREA: Final = "callee_area_code"
MINUTES: Final = "callee_area_minutes"
AREA_FEATURES: Final = (CUE, IN_AREA, CALLEES, AREA, MINUTES)
#: how far the cue lowers a relay detector's score (1.0 -> 0.55, under ``review``, at the
#: strongest cue)
STRENGTH: Final = 0.45
#: the detectors it lowers and whose reasons name the areas
RELAY_DETECTORS: Final = ("relay_call", "profile_mismatch")
#: the windows read, in µs: the quarter hour and the hour
WINDOWS_US: Final = (15 * 60 * 10**6, 3600 * 10**6)
#: fewer different callees than this say nothing about where a list lives
MIN_CALLEES: Final = 3
#: the relay detectors score 0 below this many own calls in the hour (the gate's bound for
#: the recruited owners'), so no engine need compute the cue there
LOOK_CALLS_1H: Final = GATE.unusual_calls_1h
#: nor below this many for an owner aged 18 to 60 or unknown (the gate's bound for anyone; the
#: relay rules ask such owners for more), so batch keeps only their busier hours
LOOK_CALLS_1H_USUAL: Final = GATE.busy_calls_1h


def _ramp(x: float, lo: float, hi: float) -> float:
    return min(max((x - lo) / (hi - lo), 0.0), 1.0)


def lowered(f: Mapping[str, np.ndarray], like: np.ndarray) -> np.ndarray:
    """``1 - STRENGTH * cue`` at each event (1 where the cue is absent or unknown); ``like``
    gives the shape."""
    cue = f.get(CUE)
    if cue is None:
        return np.ones(np.shape(like))
    return 1.0 - STRENGTH * np.minimum(np.maximum(np.nan_to_num(cue, nan=0.0), 0.0), 1.0)


def best_area(areas: Sequence[int], weights: Sequence[float]) -> tuple[float, int, int, int]:
    """The cue of different callees whose area codes are ``areas`` (-1 for none): ``(cue, m,
    k, code)``, the area of the strongest cue (of the most callees where none has one; the
    first area on a tie) and how many of the ``k`` live there (``code`` -1: none has an area).
    ``weights``: each area's ``-log10`` share of the subscribers."""
    k = len(areas)
    counts: dict[int, int] = {}
    for a in areas:
        if a >= 0:
            counts[a] = counts.get(a, 0) + 1
    best = (0.0, 0, -1)
    for a in sorted(counts):
        m = counts[a]
        cue = 0.0
        if k >= MIN_CALLEES:
            cue = _ramp(m / k, 0.7, 0.9) * _ramp(m * weights[a], 2.5, 3.5)
        if (cue, m) > (best[0], best[1]):
            best = (cue, m, a)
    return best[0], best[1], k, best[2]


def cue_at(
    us: Sequence[int],
    callees: Sequence[int | str],
    areas: Sequence[int],
    at_us: int,
    weights: Sequence[float],
) -> tuple[float, int, int, int, int]:
    """The features at an event at ``at_us`` (:data:`AREA_FEATURES`, in order): of the
    caller's own calls sorted by start (``us``, their ``callees`` and the callees' ``areas``),
    those of the last quarter hour and of the last hour up to the event; the window with the
    stronger cue (the hour on a tie)."""
    hi = bisect.bisect_right(us, at_us)
    found: tuple[float, int, int, int, int] | None = None
    for window in reversed(WINDOWS_US):  # (the hour first: it wins ties)
        lo = bisect.bisect_right(us, at_us - window)
        seen: dict[int | str, int] = {}
        for j in range(lo, hi):
            seen.setdefault(callees[j], areas[j])
        got = (*best_area(list(seen.values()), weights), window // 60_000_000)
        if found is None or got[0] > found[0]:
            found = got
    assert found is not None  # noqa: S101  (two windows)
    return found


@dataclass(frozen=True)
class Areas:
    """The areas the subscribers live in (sorted: their codes), and each one's ``-log10``
    share of the subscribers with an area."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    @staticmethod
    def of_counts(counts: Mapping[str, int]) -> Areas:
        names = tuple(sorted(counts))
        total = sum(counts.values())
        return Areas(names, tuple(-math.log10(counts[n] / total) for n in names))

    @staticmethod
    def homes(subscribers: pl.DataFrame | None) -> pl.DataFrame:
        """Each subscriber's area (``msisdn``, ``region``): one per number (the first name of
        several), none for an empty or missing ``region``."""
        if subscribers is None or "region" not in subscribers.columns:
            return pl.DataFrame(schema={"msisdn": pl.String, "region": pl.String})
        return (
            subscribers.select(pl.col("msisdn").cast(pl.String), pl.col("region").cast(pl.String))
            .filter(pl.col("msisdn").is_not_null() & (pl.col("region").fill_null("") != ""))
            .group_by("msisdn")
            .agg(pl.col("region").min())
        )

    @staticmethod
    def of_subscribers(subscribers: pl.DataFrame | None) -> Areas:
        counts = Areas.homes(subscribers)["region"].value_counts()
        return Areas.of_counts(dict(counts.iter_rows()))

    def explain(self, found: Reason, row: Mapping[str, float]) -> Reason:
        """A relay detector's reason with where its callees live: how far that lowered the
        score, or how spread they are; as it is without areas or under three callees."""
        figures = [np.nan_to_num(row.get(f, 0.0), nan=0.0) for f in (CALLEES, IN_AREA, AREA)]
        k, m, code = (int(x) for x in figures)
        cue = float(np.nan_to_num(row.get(CUE, 0.0), nan=0.0))
        minutes = int(np.nan_to_num(row.get(MINUTES, 60.0), nan=60.0))
        if not self.names or k < MIN_CALLEES:
            return found
        zh_in = f"{minutes} 分钟内被叫的 {k} 个号码"
        en_in = f"the {k} numbers called in {minutes} min"
        if m == 0 or not 0 <= code < len(self.names):
            zh, en = f"{zh_in}均无本网归属地", f"none of {en_in} has a home area here"
        else:
            name = self.names[code]
            if cue > 0:
                pct = round(100 * STRENGTH * min(cue, 1.0))
                zh = f"{zh_in}中 {m} 个同在{name}, 像一轮打给熟人的电话, 分数下调 {pct}%"
                en = (f"{m} of {en_in} live in {name}, like a round of calls to people the "
                      f"caller knows: score lowered by {pct}%")  # fmt: skip
            elif m / k >= 0.7:
                zh = f"{zh_in}中 {m} 个同在{name}, 但本网用户多在此地, 不足为凭"
                en = f"{m} of {en_in} live in {name}, where many subscribers live: not telling"
            else:
                zh = f"{zh_in}分散各地 (同在一地的至多 {m} 个)"
                en = f"{en_in} live far apart (at most {m} in one area)"
        evidence = {**found.evidence, "callees": k, "callees_in_area": m,
                    "callee_area": self.names[code] if 0 <= code < len(self.names) else None,
                    "callee_area_cue": round(cue, 4), "callee_area_minutes": minutes}  # fmt: skip
        return Reason(found.code, found.weight, f"{found.text_zh}; {zh}",
                      f"{found.text_en}; {en}", evidence)  # fmt: skip


def _key(numbers: pl.Expr) -> pl.Expr:
    """A number as the 64-bit hash its calls are kept by where the calls' numbers were not
    parsed to keys (texts of a day's calls would cost several times as much; two numbers of
    one hash, some 1 in 10^13 pairs, would be read as one)."""
    return numbers.cast(pl.String).hash()


#: no number's key where the numbers are parsed (``whole_numbers``' -1, unsigned)
_NO_KEY: Final = np.uint64(2**64 - 1)


def _keys(numbers: pl.Series, *, parsed: bool) -> np.ndarray:
    """The numbers' keys (uint64): their E.164 digits (``records/codes.py``, :data:`_NO_KEY`
    for a text that spells none) where the calls' numbers are ``parsed``, else :func:`_key`."""
    if parsed:
        return whole_numbers(numbers, "+")[0].view(np.uint64)
    return numbers.to_frame().select(_key(pl.col(numbers.name))).to_series().to_numpy()


class _Calls:
    """Own calls by caller (its key), sorted by start: µs, callee (its key) and
    the callee's area code."""

    def __init__(self, frame: pl.DataFrame) -> None:
        frame = frame.sort("caller", "us", "callee")
        self.caller = frame["caller"].to_numpy()
        self.us = frame["us"].to_numpy()
        self.callee = frame["callee"].to_numpy()
        self.area = frame["area"].to_numpy()

    def at(self, callers: np.ndarray, at_us: np.ndarray, weights: Sequence[float]) -> np.ndarray:
        """:func:`cue_at` at each event (its caller's key, its time): a row of the
        :data:`AREA_FEATURES` per event, in one compiled walk (``callee_area_kernels.py``)."""
        out = np.zeros((at_us.shape[0], len(AREA_FEATURES)))
        cues_at(
            self.us, self.callee, self.area,
            np.searchsorted(self.caller, callers, side="left"),
            np.searchsorted(self.caller, callers, side="right"),
            np.asarray(at_us, np.int64), np.asarray(weights, np.float64),
            np.array(WINDOWS_US, np.int64), MIN_CALLEES, out,
        )  # fmt: skip
        return out


class CalleeAreas:
    """The callers' own calls with their callees' areas, and the features they give at events.

    Batch: :meth:`of_records`. Live: :meth:`live`, then :meth:`add_calls` with each batch.
    """

    #: a reader of records (``detect/record_features.py``)
    features: ClassVar[tuple[str, ...]] = AREA_FEATURES
    kind: ClassVar[str] = "call"

    def __init__(self, subscribers: pl.DataFrame | None, *, parsed: bool = False) -> None:
        #: the numbers are keyed by their E.164 digits (batch, as ``records/codes.py`` parsed
        #: the calls'), else by :func:`_key`
        self._parsed = parsed
        homes = _keyed_homes(subscribers) if parsed else None
        if homes is None:
            named = Areas.homes(subscribers)
            homes = pl.DataFrame(
                {"callee": _keys(named["msisdn"], parsed=parsed), "region": named["region"]},
                schema={"callee": pl.UInt64, "region": pl.String},
            )
        self.areas = Areas.of_counts(dict(homes["region"].value_counts().iter_rows()))
        codes = pl.DataFrame(
            {"region": list(self.areas.names), "area": range(len(self.areas.names))},
            schema={"region": pl.String, "area": pl.Int32},
        )
        #: callee key -> area code
        self._homes = (
            homes.join(codes, on="region")
            .select("callee", "area")
            .filter(pl.col("callee") != _NO_KEY)
        )
        self._frame: pl.DataFrame | None = None  # batch: every caller's own calls
        self._recent: list[pl.DataFrame] = []  # live: the last hour's, a frame per batch

    def __bool__(self) -> bool:
        return bool(self.areas.names)

    @classmethod
    def of_records(cls, calls: pl.DataFrame, subscribers: pl.DataFrame | None) -> CalleeAreas:
        """Canonical calls (``caller``, ``callee``, ``start_time``, ``caller_flag`` if any;
        their keys ``_caller_code`` and ``_callee_code`` where ``records/codes.py`` parsed
        them, read instead of the texts): the own calls of the callers with at least
        :data:`LOOK_CALLS_1H` of them in two consecutive clock hours (no relay detector scores
        another's events)."""
        parsed = all(CALL_KEYS[c] in calls.columns for c in ("caller", "callee"))
        made = cls(subscribers, parsed=parsed)
        if made and calls.height:
            unusual = _unusual_owners(calls, subscribers, parsed=parsed)
            made._frame = made._busy_hours(calls, unusual)
        return made

    def _call_keys(self, calls: pl.DataFrame, column: str) -> np.ndarray:
        """The keys of the calls' ``caller`` or ``callee``: parsed once, or hashed here."""
        if self._parsed:
            return calls[CALL_KEYS[column]].to_numpy().view(np.uint64)
        return _keys(calls[column], parsed=False)

    def _busy_hours(self, calls: pl.DataFrame, unusual: np.ndarray) -> pl.DataFrame:
        """The own calls in two consecutive clock hours of their caller holding at least
        :data:`LOOK_CALLS_1H` of them: every call an event the relay rules score can read
        (its hour's calls lie in its clock hour and the one before, both kept), or
        :data:`LOOK_CALLS_1H_USUAL` for a caller not among the ``unusual`` owners (their
        keys), counted by a hash of the caller's key plus the hour in arrays as long as the
        calls, never their texts. (Two keys that meet by chance only keep more calls than
        needed.)"""
        mine = (calls["caller"].is_not_null() & calls["callee"].is_not_null()).to_numpy()
        if "caller_flag" in calls.columns:  # a spoofed presentation is another's call
            flag = calls["caller_flag"].cast(pl.String).is_in(list(SPOOFED_FLAGS))
            mine &= ~flag.fill_null(value=False).to_numpy()
        us = calls["start_time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
        caller = self._call_keys(calls, "caller")
        own = pl.Series(caller[mine])
        # (a hash spreads keys that differ by one, as neighbouring numbers' digits do)
        slot = own.hash().to_numpy() + (us[mine] // WINDOWS_US[1]).astype(np.uint64)  # (wraps)
        odd = own.is_in(pl.Series(unusual, dtype=pl.UInt64).implode()).to_numpy()
        del own
        kept_slots = np.concatenate(
            [_busy_slots(slot[odd], LOOK_CALLS_1H), _busy_slots(slot[~odd], LOOK_CALLS_1H_USUAL)]
        )
        del odd
        keep = np.zeros(calls.height, dtype=bool)
        wanted = pl.Series(kept_slots, dtype=pl.UInt64).implode()
        keep[np.flatnonzero(mine)] = pl.Series(slot, dtype=pl.UInt64).is_in(wanted).to_numpy()
        del slot, kept_slots
        at = np.flatnonzero(keep)
        if self._parsed:
            callee = self._call_keys(calls, "callee")[at]
        else:  # (only the kept calls' texts hashed)
            callee = _keys(calls["callee"].gather(at), parsed=False)
        kept = pl.DataFrame(
            {"caller": caller[at], "callee": callee, "us": us[at]},
            schema={"caller": pl.UInt64, "callee": pl.UInt64, "us": pl.Int64},
        )
        return kept.join(self._homes, on="callee", how="left").with_columns(
            pl.col("area").fill_null(-1)
        )

    @classmethod
    def live(cls, subscribers: pl.DataFrame | None) -> CalleeAreas:
        return cls(subscribers)

    def _own(
        self, calls: pl.LazyFrame, caller: str, callee: str, start: str, flag: str
    ) -> pl.LazyFrame:
        """The own calls (``caller`` and ``callee`` keys, ``us``, the callee's ``area``)."""
        mine = pl.col(caller).is_not_null() & pl.col(callee).is_not_null()
        if flag in calls.collect_schema().names():  # a spoofed presentation is another's
            mine = mine & ~pl.col(flag).cast(pl.String).is_in(list(SPOOFED_FLAGS)).fill_null(
                value=False
            )
        own = calls.filter(mine).select(
            caller=_key(pl.col(caller)),
            callee=_key(pl.col(callee)),
            us=pl.col(start).cast(pl.Datetime("us", "UTC")).dt.epoch("us"),
        )
        return own.join(self._homes.lazy(), on="callee", how="left").with_columns(
            pl.col("area").fill_null(-1)
        )

    def add_calls(self, batch: pl.DataFrame) -> None:
        """Live: the calls of a record batch (``records/batch.py``), in record order; those of
        the last hour are kept."""
        if not self:
            return
        if batch.height == 0:
            return
        # the batch's first event reads the hour before it
        first = batch["time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us").min()
        oldest = int(first) - WINDOWS_US[1]  # type: ignore[arg-type]
        while self._recent and int(self._recent[0]["us"].max()) <= oldest:  # type: ignore[arg-type]
            self._recent.pop(0)
        calls = batch.lazy().filter(pl.col("kind") == 0)
        own = self._own(calls, "actor", "other", "time", "flag").collect()
        if own.height:
            self._recent.append(own)

    def _calls_of(self, callers: set[int]) -> _Calls:
        parts = [self._frame] if self._frame is not None else self._recent
        wanted = pl.Series(sorted(callers), dtype=pl.UInt64).implode()
        frame = pl.concat([p.filter(pl.col("caller").is_in(wanted)) for p in parts])
        return _Calls(frame)

    def fill(
        self,
        values: dict[str, np.ndarray],
        is_kind: np.ndarray,
        time_us: np.ndarray,
        numbers: Callable[[np.ndarray], Sequence[str]],
    ) -> None:
        """Set the :data:`AREA_FEATURES` at every event: at the call events (``is_kind``)
        with at least :data:`LOOK_CALLS_1H` own calls in the hour where a relay detector
        scores, from the calls known; 0 (``AREA`` -1) elsewhere (nothing reads them there)."""
        n = is_kind.shape[0]
        out = {name: np.zeros(n) for name in AREA_FEATURES}
        out[AREA][:] = -1.0
        if self and n and "out_calls_1h" in values:
            look = is_kind & (values["out_calls_1h"] >= LOOK_CALLS_1H)
            at = np.flatnonzero(look)
            if at.shape[0]:
                at = at[_relay_scores(values, at) > 0]
            if at.shape[0]:
                who = pl.Series("msisdn", list(numbers(at)), dtype=pl.String)
                keys = _keys(who, parsed=self._parsed)
                got = self._calls_of(set(keys.tolist())).at(keys, time_us[at], self.areas.weights)
                for j, name in enumerate(AREA_FEATURES):
                    out[name][at] = got[:, j]
        values.update(out)


def _keyed_homes(subscribers: pl.DataFrame | None) -> pl.DataFrame | None:
    """Each subscriber's key (its E.164 digits) and area (``callee``, ``region``), as
    :meth:`Areas.homes` gives them, without grouping the texts: where every number with an
    area spells a key and only once (a subscriber table lists each number once), else None.
    (Grouping a million texts cost 0.3 s on the 1M day, and their keys read in the grouped
    order, scattered, as much again as in the table's.)"""
    if subscribers is None or "region" not in subscribers.columns:
        return None
    table = subscribers.select(
        pl.col("msisdn").cast(pl.String), pl.col("region").cast(pl.String)
    ).filter(pl.col("msisdn").is_not_null() & (pl.col("region").fill_null("") != ""))
    keys = _keys(table["msisdn"], parsed=True)
    ordered = np.sort(keys)
    if ordered.shape[0] and (ordered[-1] == _NO_KEY or bool((ordered[1:] == ordered[:-1]).any())):
        return None
    return pl.DataFrame(
        {"callee": keys, "region": table["region"]},
        schema={"callee": pl.UInt64, "region": pl.String},
    )


def _unusual_owners(
    calls: pl.DataFrame, subscribers: pl.DataFrame | None, *, parsed: bool
) -> np.ndarray:
    """The keys (:func:`_keys`) of the subscribers who may be over 60 or under 18 at some
    call (a year of slack each side, as the triage's gate), for whom the relay rules look
    from :data:`LOOK_CALLS_1H` calls."""
    if subscribers is None or "owner_birth_year" not in subscribers.columns:
        return np.zeros(0, dtype=np.uint64)
    at = pl.col("start_time").cast(pl.Datetime("us", "UTC"))
    # (the years of the first and last start: the year of every call cost a pass as long)
    first, last = calls.select(at.min().dt.year(), at.max().dt.year().alias("last")).row(0)
    if not isinstance(first, int) or not isinstance(last, int):
        return np.zeros(0, dtype=np.uint64)
    birth = pl.col("owner_birth_year")
    odd = (birth <= last - 60) | (birth >= first - 18)
    numbers = subscribers.filter(odd.fill_null(value=False))["msisdn"].cast(pl.String)
    keys = _keys(numbers, parsed=parsed)
    return keys[keys != _NO_KEY]


def _busy_slots(slots: np.ndarray, need: int) -> np.ndarray:
    """Of the calls' (caller, clock hour) ``slots``: those holding, with the next hour's, at
    least ``need`` calls, and the hours that follow them; one sort of the slots and a pass
    over their runs in compiled code (``callee_area_kernels.py``; a hash grouping of the
    day's calls cost twice as much, numpy's passes over the runs three times as much)."""
    return busy_slots(pl.Series(slots, dtype=pl.UInt64).sort().to_numpy(), need)


class _AtRows(Mapping[str, np.ndarray]):
    """The features at some events (``rows``), each taken when a detector first reads it;
    no cue."""

    def __init__(self, values: Mapping[str, np.ndarray], rows: np.ndarray) -> None:
        self._values, self._rows = values, rows
        self._taken: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name == CUE:
            raise KeyError(name)
        if name not in self._taken:
            self._taken[name] = self._values[name][self._rows]
        return self._taken[name]

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._values if k != CUE)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _relay_scores(values: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The relay detectors' highest score at the events ``rows``, without the cue."""
    from callwarden.detect.base import DETECTORS  # noqa: PLC0415  (the rules import this)

    plain = _AtRows(values, rows)
    found = np.zeros(rows.shape[0])
    for name in RELAY_DETECTORS:
        if name in DETECTORS.names():
            found = np.maximum(found, DETECTORS.get(name).score(plain))
    return found

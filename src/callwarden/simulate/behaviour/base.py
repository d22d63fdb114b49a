"""What every behaviour produces, and the shared shapes of time and duration.

A behaviour is a function ``(population, day) -> Traffic``: numpy columns of call attempts and
SMS, plus the moment each actor's suspicious behaviour began (ground truth for time-to-flag).
Times are seconds since local midnight of the simulated day; the city writer turns them
into UTC timestamps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from callwarden.registry import Registry
from callwarden.simulate.population import Population

__all__ = [
    "BEHAVIOURS",
    "DAY_S",
    "Behaviour",
    "CallBatch",
    "Day",
    "SmsBatch",
    "Traffic",
    "answered_durations",
    "diurnal_seconds",
    "first_calls",
    "ring_times",
]

DAY_S = 86_400
NULL = -1  # missing cell / IMEI in the int columns

#: relative call volume by local hour for people (low at night, peaks late morning and evening)
PEOPLE_HOURS = np.array(
    [0.3, 0.15, 0.1, 0.08, 0.08, 0.25, 1.0, 2.5, 4.0, 5.0, 5.5, 5.0,
     4.5, 4.0, 4.5, 5.0, 5.0, 5.0, 5.5, 6.0, 5.5, 4.5, 3.0, 1.5]
)  # fmt: skip


@dataclass
class CallBatch:
    """Columns of call attempts (one entry per attempt)."""

    caller: np.ndarray  # int64 E.164 digits
    callee: np.ndarray
    t: np.ndarray  # float64 seconds since local midnight
    duration: np.ndarray  # int32, 0 = not answered
    ring: np.ndarray  # int32
    cell: np.ndarray  # int32, -1 = unknown (caller outside the network)
    imei: np.ndarray  # int64, -1 = unknown
    #: int8 code into simulate.trunks.TRUNKS; None (or -1) = the trunk the caller's network
    #: usually comes in on (see simulate.trunks.usual_trunks)
    trunk: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.caller.shape[0])

    def trunk_codes(self) -> np.ndarray:
        if self.trunk is None:
            return np.full(len(self), NULL, dtype=np.int8)
        return self.trunk.astype(np.int8)

    def take(self, keep: np.ndarray) -> CallBatch:
        """The attempts ``keep`` selects (a mask or indices)."""
        return CallBatch(
            caller=self.caller[keep], callee=self.callee[keep], t=self.t[keep],
            duration=self.duration[keep], ring=self.ring[keep], cell=self.cell[keep],
            imei=self.imei[keep], trunk=None if self.trunk is None else self.trunk[keep],
        )  # fmt: skip

    def from_home(self, pop: Population) -> CallBatch:
        """The same attempts, those whose callers are in the network placed from their home
        cell and own phone (in place; returned for chaining)."""
        sub = pop.index_of(self.caller)
        inside = sub >= 0
        self.cell[inside] = pop.home_cell[sub[inside]]
        self.imei[inside] = pop.imei[sub[inside]]
        return self

    @staticmethod
    def concat(batches: list[CallBatch]) -> CallBatch:
        columns = {
            f: np.concatenate([getattr(b, f) for b in batches])
            for f in ("caller", "callee", "t", "duration", "ring", "cell", "imei")
        }
        return CallBatch(**columns, trunk=np.concatenate([b.trunk_codes() for b in batches]))


@dataclass
class SmsBatch:
    """Columns of SMS; content is an index into the behaviour's texts, -1 = not kept."""

    sender: np.ndarray
    recipient: np.ndarray
    t: np.ndarray
    length: np.ndarray  # int32
    content: np.ndarray  # int32 index into Traffic.texts, -1 = null

    def __len__(self) -> int:
        return int(self.sender.shape[0])


@dataclass
class Traffic:
    """One behaviour's output for one day."""

    calls: list[CallBatch] = field(default_factory=list)
    sms: list[SmsBatch] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # SMS contents referenced by index
    #: ground truth: number (int64) -> seconds since midnight when its bad behaviour began
    onsets: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Day:
    """The day being simulated and its own random stream."""

    index: int
    date: date
    rng: np.random.Generator


Behaviour = Callable[[Population, Day], Traffic]
BEHAVIOURS: Registry[Behaviour] = Registry("simulator behaviour")


def diurnal_seconds(
    rng: np.random.Generator, n: int, hours: np.ndarray = PEOPLE_HOURS
) -> np.ndarray:
    """Draw ``n`` times of day (seconds) following hourly weights."""
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return hour * 3600.0 + rng.random(n) * 3600.0


def window_seconds(rng: np.random.Generator, n: int, start_h: float, end_h: float) -> np.ndarray:
    """Uniform times between two local hours."""
    return (start_h + rng.random(n) * (end_h - start_h)) * 3600.0


def answered_durations(
    rng: np.random.Generator, n: int, answer_rate: float, median_s: float, sigma: float = 1.0
) -> np.ndarray:
    """Connected seconds: 0 for unanswered attempts, log-normal otherwise."""
    answered = rng.random(n) < answer_rate
    dur = np.exp(np.log(median_s) + sigma * rng.standard_normal(n))
    return np.where(answered, np.clip(np.rint(dur), 1, 7200), 0).astype(np.int32)


def ring_times(rng: np.random.Generator, duration: np.ndarray) -> np.ndarray:
    """Seconds of ringing: short when answered, up to the network timeout when not."""
    n = duration.shape[0]
    answered = rng.integers(2, 16, size=n)
    unanswered = np.where(
        rng.random(n) < 0.7, rng.integers(20, 46, size=n), rng.integers(3, 20, size=n)
    )
    return np.where(duration > 0, answered, unanswered).astype(np.int32)


def own_calls(
    pop: Population,
    day: Day,
    who: np.ndarray,
    *,
    callee: np.ndarray,
    t: np.ndarray,
    duration: np.ndarray,
    ring: np.ndarray | None = None,
    moving: bool = False,
) -> CallBatch:
    """Build a batch of calls placed by subscribers ``who`` (indices), with cell and device.

    People call from their work cell in office hours and from home otherwise; ``moving``
    actors (couriers, drivers) appear in cells around their home.
    """
    rng = day.rng
    hour = t / 3600.0
    at_work = (hour >= 9) & (hour < 18)
    cell = np.where(at_work, pop.work_cell[who], pop.home_cell[who]).astype(np.int32)
    if moving:
        cell = ((cell + rng.integers(-6, 7, size=who.shape[0])) % pop.n_cells).astype(np.int32)
    return CallBatch(
        caller=pop.number[who],
        callee=callee.astype(np.int64),
        t=t.astype(np.float64),
        duration=duration.astype(np.int32),
        ring=ring_times(rng, duration) if ring is None else ring.astype(np.int32),
        cell=cell,
        imei=pop.imei[who],
    )


def external_calls(
    pop: Population,
    day: Day,
    *,
    caller: np.ndarray,
    callee: np.ndarray,
    t: np.ndarray,
    duration: np.ndarray,
    ring: np.ndarray | None = None,
    trunk: int = NULL,
) -> CallBatch:
    """Calls placed by numbers outside the network: no cell or device is known. ``trunk``
    (a code into simulate.trunks.TRUNKS) sets the trunk they all come in on."""
    n = caller.shape[0]
    return CallBatch(
        caller=caller.astype(np.int64),
        callee=callee.astype(np.int64),
        t=t.astype(np.float64),
        duration=duration.astype(np.int32),
        ring=ring_times(day.rng, duration) if ring is None else ring.astype(np.int32),
        cell=np.full(n, NULL, dtype=np.int32),
        imei=np.full(n, NULL, dtype=np.int64),
        trunk=None if trunk == NULL else np.full(n, trunk, dtype=np.int8),
    )


def strangers(
    pop: Population, rng: np.random.Generator, n: int, outside_share: float = 0.3
) -> np.ndarray:
    """Numbers with no tie to the caller: anyone in the city or on another network."""
    inside = pop.number[pop.persons[rng.integers(0, pop.persons.shape[0], size=n)]]
    outside = pop.external[rng.integers(0, pop.external.shape[0], size=n)]
    return np.where(rng.random(n) < outside_share, outside, inside)


def first_calls(pop: Population, who: np.ndarray, t: np.ndarray) -> dict[int, float]:
    """Number -> time of its first call, for calls placed by subscriber indices ``who``."""
    order = np.lexsort((t, who))
    first = np.r_[True, who[order][1:] != who[order][:-1]]
    return {
        int(pop.number[w]): float(x)
        for w, x in zip(who[order][first].tolist(), t[order][first].tolist(), strict=True)
    }


def spread_counts(rng: np.random.Generator, k: int, bounds: tuple[int, int]) -> np.ndarray:
    """Per-actor daily counts, uniform in ``bounds``; a tenth of actors have a partial day."""
    counts = rng.integers(bounds[0], bounds[1], endpoint=True, size=k)
    partial = rng.random(k) < 0.1
    return np.where(partial, np.maximum(1, counts // 3), counts)

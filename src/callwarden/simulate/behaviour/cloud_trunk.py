"""Cloud-trunk campaigns (网络云呼): a VoIP platform rotates through other carriers' mobile
numbers as caller IDs, each for a few calls, all arriving on the platform's cloud trunk.

Each number alone looks like a person making a few calls; what gives the campaign away is the
trunk (a mobile number belongs on a mobile network, not a cloud platform) and the shared
pattern across its numbers.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    Day,
    Traffic,
    answered_durations,
    external_calls,
)
from callwarden.simulate.population import Population
from callwarden.simulate.trunks import CLOUD

__all__ = ["cloud_trunk"]


def cloud_trunk(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.cloud_trunk
    rng = day.rng
    numbers = pop.cloud
    if numbers.shape[0] == 0:
        return Traffic()
    k = rng.integers(
        cfg.calls_per_number[0], cfg.calls_per_number[1], endpoint=True, size=numbers.shape[0]
    )
    caller = np.repeat(numbers, k)
    n = caller.shape[0]
    # Each number is used in one short slot of the working day, then the platform moves on.
    slot = cfg.start_hour + rng.random(numbers.shape[0]) * (cfg.end_hour - cfg.start_hour - 1)
    t = np.repeat(slot * 3600.0, k) + rng.uniform(0, 3600.0, size=n)
    victims = pop.persons[rng.integers(0, pop.persons.shape[0], size=n)]
    duration = answered_durations(rng, n, cfg.answer_rate, 40.0, 0.8)
    calls = [
        external_calls(
            pop, day, caller=caller, callee=pop.number[victims], t=t, duration=duration,
            trunk=CLOUD,
        )
    ]  # fmt: skip
    order = np.argsort(caller, kind="stable")
    first = np.r_[True, caller[order][1:] != caller[order][:-1]]
    onsets = {
        int(c): float(x)
        for c, x in zip(caller[order][first].tolist(), _firsts(t[order], first), strict=True)
    }
    return Traffic(calls=calls, onsets=onsets)


def _firsts(t: np.ndarray, first: np.ndarray) -> list[float]:
    """The earliest time of each run of one caller (runs start where ``first`` is true)."""
    starts = np.flatnonzero(first)
    return np.minimum.reduceat(t, starts).tolist() if starts.shape[0] else []


BEHAVIOURS.register("cloud_trunk", cloud_trunk)

"""Relay calls (seed 000): an elderly or minor owner's SIM dials strangers for a scammer.

A teenager is promised 40 yuan a deal to dial numbers with his grandmother's phone while the
scammer talks on another. From about 18:00 the SIM places a call every ~2 minutes to strangers;
the owner's ordinary life (the social behaviour) goes on around it. Some relays are slower, some
stop early, some come back on later days.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, Traffic, own_calls, strangers
from callwarden.simulate.population import Population

__all__ = ["relay_calls"]


def _active_today(pop: Population, day: Day, who: np.ndarray) -> np.ndarray:
    """Which relays burst today: each has a first day, then repeats with some chance."""
    cfg = pop.config.relay_call
    days = pop.config.days
    first = (who * 2654435761 + pop.config.seed) % days
    repeat = day.rng.random(who.shape[0]) < cfg.repeat_share
    return (first == day.index) | ((day.index > first) & repeat)


def relay_calls(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.relay_call
    rng = day.rng
    who = pop.of("relay_call")
    who = who[_active_today(pop, day, who)]
    if who.shape[0] == 0:
        return Traffic()
    k = rng.integers(cfg.burst_calls[0], cfg.burst_calls[1], endpoint=True, size=who.shape[0])
    start = np.clip(
        cfg.start_hour * 3600.0 + rng.normal(0.0, cfg.start_spread_h * 3600.0, size=who.shape[0]),
        8 * 3600.0,
        22 * 3600.0,
    )
    slow = rng.random(who.shape[0]) < cfg.slow_share
    mean_gap = np.where(slow, rng.uniform(150.0, 300.0, size=who.shape[0]), cfg.gap_s)
    caller = np.repeat(who, k)
    n = caller.shape[0]
    gap = np.maximum(20.0, np.repeat(mean_gap, k) + rng.normal(0.0, cfg.gap_jitter_s, size=n))
    # Gap i is the time from call i-1 to call i; the first call starts the burst.
    first = np.cumsum(np.concatenate([[0], k[:-1]]))
    gap[first] = 0.0
    offset = np.cumsum(gap)
    offset -= np.repeat(offset[first], k)
    t = np.minimum(np.repeat(start, k) + offset, 86_399.0)
    # Victims hang up fast, or the scammer talks for a minute; never longer than the gap.
    answered = rng.random(n) < cfg.answer_rate
    talk = np.minimum(rng.lognormal(np.log(40.0), 0.7, size=n), np.repeat(mean_gap, k) - 15.0)
    duration = np.where(answered, np.clip(np.rint(talk), 3, None), 0).astype(np.int32)
    calls = own_calls(pop, day, caller, callee=strangers(pop, rng, n, 0.25), t=t, duration=duration)
    onsets = {
        int(pop.number[w]): float(s)
        for w, s in zip(who.tolist(), np.asarray(start).tolist(), strict=True)
    }
    return Traffic(calls=[calls], onsets=onsets)


BEHAVIOURS.register("relay_call", relay_calls)

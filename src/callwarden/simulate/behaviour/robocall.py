"""Auto-dialer lines: hundreds of calls a day, sequential or list dialing, few answered.

A dialer works through a number range (138xxxx0000, 138xxxx0001, ...) or a bought list at a
machine's steady pace; most calls ring out or are hung up within seconds.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, Traffic, own_calls, strangers
from callwarden.simulate.population import Population

__all__ = ["robocalls"]


def robocalls(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.robocall
    rng = day.rng
    who = pop.of("robocall")
    if who.shape[0] == 0:
        return Traffic()
    k = rng.integers(cfg.calls_per_day[0], cfg.calls_per_day[1], endpoint=True, size=who.shape[0])
    start = rng.uniform(8.5, 10.0, size=who.shape[0]) * 3600.0
    end = rng.uniform(17.0, 20.0, size=who.shape[0]) * 3600.0
    pace = (end - start) / k
    caller = np.repeat(who, k)
    n = caller.shape[0]
    first = np.cumsum(np.r_[0, np.asarray(k)[:-1]])
    step = np.arange(n) - np.repeat(first, k)
    # Machine pace with a little jitter from call set-up times.
    t = np.repeat(start, k) + step * np.repeat(pace, k) + rng.uniform(0, 4.0, size=n)
    sequential = np.repeat(rng.random(who.shape[0]) < cfg.sequential_share, k)
    base = 86 * 10**11 + rng.choice([138, 139, 150, 186, 133], size=who.shape[0]) * 10**8
    base += rng.integers(0, 10**4, size=who.shape[0]) * 10**4 + day.index * 1000
    seq_callee = np.repeat(base, k) + step
    callee = np.where(sequential, seq_callee, strangers(pop, rng, n, 0.4))
    answered = rng.random(n) < cfg.answer_rate
    duration = np.where(answered, rng.integers(2, 25, size=n), 0).astype(np.int32)
    ring = np.where(answered, rng.integers(2, 8, size=n), rng.integers(8, 16, size=n))
    calls = own_calls(
        pop, day, caller, callee=callee, t=np.minimum(t, 86_399.0), duration=duration, ring=ring
    )
    onsets = {
        int(pop.number[w]): float(s)
        for w, s in zip(who.tolist(), np.asarray(start).tolist(), strict=True)
    }
    return Traffic(calls=[calls], onsets=onsets)


BEHAVIOURS.register("robocall", robocalls)

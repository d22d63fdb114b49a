"""Wangiri (响一声): foreign numbers ring once and hang up, baiting costly call-backs."""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, Traffic, external_calls, own_calls
from callwarden.simulate.population import Population

__all__ = ["wangiri"]


def wangiri(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.wangiri
    rng = day.rng
    sources = pop.wangiri
    if sources.shape[0] == 0:
        return Traffic()
    k = rng.integers(
        cfg.calls_per_day[0], cfg.calls_per_day[1], endpoint=True, size=sources.shape[0]
    )
    caller = np.repeat(sources, k)
    n = caller.shape[0]
    # Bursts at night abroad land in the Chinese evening and early morning.
    start = rng.uniform(0.0, 20.0, size=sources.shape[0]) * 3600.0
    t = np.minimum(np.repeat(start, k) + rng.uniform(0, 4 * 3600.0, size=n), 86_399.0)
    victims = pop.persons[rng.integers(0, pop.persons.shape[0], size=n)]
    one_ring = rng.integers(1, 4, size=n)
    calls = [
        external_calls(
            pop,
            day,
            caller=caller,
            callee=pop.number[victims],
            t=t,
            duration=np.zeros(n, dtype=np.int32),
            ring=one_ring,
        )
    ]
    back = rng.random(n) < cfg.callback_rate
    if back.any():
        m = int(back.sum())
        calls.append(
            own_calls(
                pop,
                day,
                victims[back],
                callee=caller[back],
                t=np.minimum(t[back] + rng.exponential(900.0, size=m), 86_399.0),
                duration=rng.integers(20, 240, size=m).astype(np.int32),
            )
        )
    onsets = {
        int(s): float(st)
        for s, st in zip(sources.tolist(), np.asarray(start).tolist(), strict=True)
    }
    return Traffic(calls=calls, onsets=onsets)


BEHAVIOURS.register("wangiri", wangiri)

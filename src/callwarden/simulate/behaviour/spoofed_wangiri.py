"""Spoofed-ID wangiri (虚假主叫): one-ring bursts from foreign caller IDs that are not numbers.

The caller IDs borrow a real country code with a number nobody there can have (one digit too
many, like ``+371573613369``), as field reports of spoofed one-ring campaigns show; the calls
come in through the international gateway.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, Traffic, external_calls, own_calls
from callwarden.simulate.population import Population
from callwarden.simulate.trunks import INTERNATIONAL

__all__ = ["spoofed_wangiri"]


def spoofed_wangiri(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.spoofed_wangiri
    rng = day.rng
    sources = pop.spoofed
    if sources.shape[0] == 0:
        return Traffic()
    k = rng.integers(
        cfg.calls_per_day[0], cfg.calls_per_day[1], endpoint=True, size=sources.shape[0]
    )
    caller = np.repeat(sources, k)
    n = caller.shape[0]
    start = rng.uniform(0.0, 20.0, size=sources.shape[0]) * 3600.0
    t = np.minimum(np.repeat(start, k) + rng.uniform(0, 3 * 3600.0, size=n), 86_399.0)
    victims = pop.persons[rng.integers(0, pop.persons.shape[0], size=n)]
    calls = [
        external_calls(
            pop,
            day,
            caller=caller,
            callee=pop.number[victims],
            t=t,
            duration=np.zeros(n, dtype=np.int32),
            ring=rng.integers(1, 4, size=n),
            trunk=INTERNATIONAL,
        )
    ]
    # A few victims dial the number back; the call fails at once: nobody has that number.
    back = rng.random(n) < cfg.callback_rate
    if back.any():
        calls.append(
            own_calls(
                pop,
                day,
                victims[back],
                callee=caller[back],
                t=np.minimum(t[back] + rng.exponential(900.0, size=int(back.sum())), 86_399.0),
                duration=np.zeros(int(back.sum()), dtype=np.int32),
            )
        )
    onsets = {
        int(s): float(st)
        for s, st in zip(sources.tolist(), np.asarray(start).tolist(), strict=True)
    }
    return Traffic(calls=calls, onsets=onsets)


BEHAVIOURS.register("spoofed_wangiri", spoofed_wangiri)

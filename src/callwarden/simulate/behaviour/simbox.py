"""SIM boxes (猫池 / GoIP): many SIMs in one cell, few device IMEIs, calls out only.

Bypass traffic turns international calls into local ones: the calls are real (answered, minutes
long) but the SIMs never receive a call, never move, and rotate over a handful of modules.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    Day,
    Traffic,
    answered_durations,
    first_calls,
    own_calls,
    strangers,
    window_seconds,
)
from callwarden.simulate.population import Population

__all__ = ["simboxes"]


def simboxes(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.simbox
    rng = day.rng
    sims = pop.of("simbox")
    if sims.shape[0] == 0:
        return Traffic()
    k = rng.integers(cfg.calls_per_sim[0], cfg.calls_per_sim[1], endpoint=True, size=sims.shape[0])
    caller = np.repeat(sims, k)
    n = caller.shape[0]
    t = window_seconds(rng, n, 7.5, 23.5)
    duration = answered_durations(rng, n, cfg.answer_rate, 150.0, 0.7)
    calls = own_calls(pop, day, caller, callee=strangers(pop, rng, n, 0.5), t=t, duration=duration)
    # A SIM is moved between the box's modules: the device changes call by call.
    modules = np.unique(pop.imei[sims])
    calls.imei = (
        modules[rng.integers(0, modules.shape[0], size=n)] if modules.shape[0] else calls.imei
    )
    return Traffic(calls=[calls], onsets=first_calls(pop, caller, t))


BEHAVIOURS.register("simbox", simboxes)

"""Everyday life: people calling their circles, calls from other networks, personal SMS.

Circles are reciprocal by construction: people sit on a ring inside their community and call
neighbours at an offset ``d`` drawn from a heavy-tailed law; the neighbour calls back at ``-d``
with the same probability. Heavy users (couriers, sales agents, relay SIM owners) have this
background life too, which is what makes them hard to tell apart.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    PEOPLE_HOURS,
    Day,
    SmsBatch,
    Traffic,
    answered_durations,
    diurnal_seconds,
    external_calls,
    own_calls,
)
from callwarden.simulate.population import Population

__all__ = ["social_life"]


def _circle_contacts(pop: Population, rng: np.random.Generator, caller: np.ndarray) -> np.ndarray:
    """Pick a contact in the caller's community: near neighbours far more often."""
    m = pop.config.normal.circle_size
    n_persons = pop.persons.shape[0]
    pos = pop.circle_pos[caller]
    base = (pos // m) * m
    size = np.minimum(m, n_persons - base)
    # geometric offsets: 1 (closest family) is most likely, a long tail reaches the whole circle
    d = np.minimum(rng.geometric(0.25, size=caller.shape[0]), np.maximum(size // 2, 1))
    sign = np.where(rng.random(caller.shape[0]) < 0.5, -1, 1)
    target = base + (pos - base + sign * d) % np.maximum(size, 1)
    return pop.persons[target]


def social_life(pop: Population, day: Day) -> Traffic:
    """Outgoing calls of every person, incoming calls from outside, and personal SMS."""
    cfg = pop.config.normal
    rng = day.rng
    persons = pop.persons
    age = pop.age(day.date)[persons]
    # The old and the very young call less; each person has their own rate.
    age_factor = np.select([age >= 70, age >= 60, age <= 17], [0.45, 0.7, 0.6], 1.0)
    rate = rng.gamma(cfg.rate_shape, cfg.calls_per_day / cfg.rate_shape, size=persons.shape[0])
    k = rng.poisson(rate * age_factor)
    caller = np.repeat(persons, k)
    n = caller.shape[0]

    where = rng.random(n)
    in_circle = where < cfg.in_circle_share
    in_city = (where >= cfg.in_circle_share) & (where < cfg.in_circle_share + cfg.in_city_share)
    callee = np.empty(n, dtype=np.int64)
    callee[in_circle] = pop.number[_circle_contacts(pop, rng, caller[in_circle])]
    callee[in_city] = pop.number[
        persons[rng.integers(0, persons.shape[0], size=int(in_city.sum()))]
    ]
    outside = ~(in_circle | in_city)
    # Each person has a few outside contacts of their own (a doctor, a bank line, a relative).
    slot = rng.integers(0, 6, size=int(outside.sum()))
    callee[outside] = pop.external[(caller[outside] * 131 + slot * 7919) % pop.external.shape[0]]

    shift = (pop.circle_pos[caller] % 5 - 2) * 1800.0  # early birds and night owls
    t = np.clip(diurnal_seconds(rng, n) + shift, 0, 86_399.0)
    duration = answered_durations(rng, n, cfg.answer_rate, cfg.median_duration_s)
    calls = [own_calls(pop, day, caller, callee=callee, t=t, duration=duration)]

    # Calls in from other networks: family elsewhere, shops, banks' landlines.
    k_in = rng.poisson(cfg.incoming_external_per_day * persons.shape[0])
    to = persons[rng.integers(0, persons.shape[0], size=k_in)]
    frm = pop.external[(to * 131 + rng.integers(0, 6, size=k_in) * 7919) % pop.external.shape[0]]
    t_in = diurnal_seconds(rng, k_in)
    calls.append(
        external_calls(
            pop,
            day,
            caller=frm,
            callee=pop.number[to],
            t=t_in,
            duration=answered_durations(rng, k_in, cfg.answer_rate, cfg.median_duration_s),
        )
    )

    k_sms = rng.poisson(cfg.sms_per_day, size=persons.shape[0])
    sender = np.repeat(persons, k_sms)
    recipient = _circle_contacts(pop, rng, sender)
    m = sender.shape[0]
    sms = SmsBatch(
        sender=pop.number[sender],
        recipient=pop.number[recipient],
        t=diurnal_seconds(rng, m, PEOPLE_HOURS),
        length=rng.integers(4, 70, size=m).astype(np.int32),
        content=np.full(m, -1, dtype=np.int32),  # person-to-person content is not retained
    )
    return Traffic(calls=calls, sms=[sms])


BEHAVIOURS.register("social", social_life)

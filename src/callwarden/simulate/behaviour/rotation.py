"""Caller-ID rotation (网络云呼): one campaign, many numbers, one shared callee list.

A call centre spreads its dialing over 20-60 numbers (virtual 170/171 ranges or landlines) so
that each stays under per-number limits; the campaign dials its list round robin and retries a
target from another line, so numbers share callees and keep the same hours. Only a view across
numbers sees it.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    Day,
    Traffic,
    first_calls,
    own_calls,
    strangers,
)
from callwarden.simulate.population import Population

__all__ = ["rotation_campaigns"]


def rotation_campaigns(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.rotation
    rng = day.rng
    members = pop.of("robocall_rotation")
    batches = []
    onsets: dict[int, float] = {}
    for gid in np.unique(pop.group[members]):
        lines = members[pop.group[members] == gid]
        per_line = rng.integers(*cfg.calls_per_number, endpoint=True, size=lines.shape[0])
        total = int(per_line.sum())
        # The campaign's list: every line dials from it, and targets that did not pick up are
        # dialled again from another line, so lines share callees (about 1.8 calls a target).
        campaign_list = strangers(pop, rng, max(1, int(total / cfg.calls_per_target)), 0.35)
        targets = campaign_list[rng.integers(0, campaign_list.shape[0], size=total)]
        line_of_call = np.repeat(lines, per_line)
        rng.shuffle(line_of_call)  # round robin with a shuffled order of lines
        morning = rng.random(total) < 0.5
        t = (
            np.where(
                morning, rng.uniform(9.0, 12.0, size=total), rng.uniform(14.0, 18.0, size=total)
            )
            * 3600.0
        )
        t = np.sort(t)
        answered = rng.random(total) < cfg.answer_rate
        duration = np.where(answered, rng.integers(3, 40, size=total), 0).astype(np.int32)
        batches.append(own_calls(pop, day, line_of_call, callee=targets, t=t, duration=duration))
        onsets.update(first_calls(pop, line_of_call, t))
    return Traffic(calls=batches, onsets=onsets)


BEHAVIOURS.register("robocall_rotation", rotation_campaigns)

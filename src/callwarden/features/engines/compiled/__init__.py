"""The compiled engine: the spec's signals and windows with numpy, polars and numba, in process.

Batch (:mod:`.batch` over :mod:`.events`, :mod:`.crossing`, :mod:`.windows`, with :mod:`.triage`)
and live (:mod:`.live`, per-number state in :mod:`.hashtable` tables, numbers coded by
:mod:`.textcodes`), both equal to the spec bit for bit; :mod:`.threads` runs independent passes
on every core. Nothing outside this package imports its modules but the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from callwarden.features.engines.base import Engine, EventFeatures, LiveFeatures, Traffic
from callwarden.features.engines.compiled.batch import event_feature_slices, event_features
from callwarden.features.engines.compiled.crossing import with_crossing_signals
from callwarden.features.engines.compiled.live import IncrementalFeatures, warm_up
from callwarden.features.engines.compiled.triage import candidates, restrict_to

__all__ = ["CompiledEngine"]

_warm: list[bool] = []  # whether this process has loaded the live engine's machine code


class CompiledEngine(Engine):
    """Both verbs in process: batch over whole columns, live over per-number state."""

    name = "compiled"

    def features(
        self,
        traffic: Traffic,
        *,
        gated: bool = False,
        triage: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[int, Iterator[EventFeatures]]:
        def step(name: str) -> None:
            if progress is not None:
                progress(name)

        step("cross-number signals")
        traffic = replace(traffic, calls=with_crossing_signals(traffic.calls, traffic.known))
        if not (gated and triage):
            return event_feature_slices(traffic, gated=gated)
        step("triage")
        only = candidates(traffic)
        if only.len() == 0:  # no number can reach the gate: no event to compute
            return 0, iter(())
        step("features")
        # handed over, not kept here: the day's calls with their codes go once the chosen
        # numbers' are taken, and those once their events are built (event_features)
        chosen = [restrict_to(only, traffic)]
        del traffic
        return 1, iter((event_features(chosen.pop(), only=only, gated=True),))

    def live(self, traffic: Traffic) -> LiveFeatures:
        self.warm_up()
        return IncrementalFeatures(traffic)

    def warm_up(self) -> None:
        if not _warm:  # the machine code, loaded (or compiled) once per process
            warm_up()
            _warm.append(True)

"""The live engine (``features/engines/compiled/live.py``) run over records in batches, and the
check that a checkpoint of an older state layout restores and goes on as a run that never
stopped (``test_offsets.py`` and ``test_state_layout.py`` beside it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.features.engines.base import Traffic
from callwarden.features.engines.compiled.live import IncrementalFeatures
from callwarden.records.batch import record_batch
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.snapshot import read_state, write_state

Change = Callable[[IncrementalFeatures], None]


def city_records(
    root: Path, subscribers: int, days: int, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A simulated city under ``root``: its records as one record batch, and its subscribers."""
    simulate_city(SimulationConfig(subscribers=subscribers, days=days, seed=seed), root)
    calls = pl.read_parquet(root / "calls", hive_partitioning=False)
    sms = pl.read_parquet(root / "sms", hive_partitioning=False)
    return record_batch(calls, sms), pl.read_parquet(root / "subscribers")


def run_features(
    engine: IncrementalFeatures, records: pl.DataFrame, step: int
) -> dict[str, np.ndarray]:
    """Every feature of ``records``, given to ``engine`` ``step`` records at a time."""
    parts = [engine.update(records.slice(s, step)).values for s in range(0, records.height, step)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def assert_same_features(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """The same features, value for value (NaN where the other has NaN)."""
    assert a.keys() == b.keys()
    for name, got in a.items():
        same = (got == b[name]) | (np.isnan(got) & np.isnan(b[name]))
        assert same.all(), name


def assert_restores_alike(
    records: pl.DataFrame,
    subscribers: pl.DataFrame,
    path: Path,
    *,
    cut: int,
    step: int,
    as_before: Change,
    start: Change | None = None,
    check: Change | None = None,
) -> None:
    """Run one engine through ``records`` straight; run another (``start`` changes it first)
    to ``cut``, put its state in an older layout (``as_before``), write it as a stream
    checkpoint at ``path`` and read it back (``check`` looks at its layout as restored): it
    must give the rest of the records the features the straight one gave."""
    straight = IncrementalFeatures(Traffic.context(subscribers))
    run_features(straight, records.slice(0, cut), step)
    expected = run_features(straight, records.slice(cut), step)

    stopped = IncrementalFeatures(Traffic.context(subscribers))
    if start is not None:
        start(stopped)
    run_features(stopped, records.slice(0, cut), step)
    as_before(stopped)
    write_state(stopped, path)
    restored = read_state(path)
    assert isinstance(restored, IncrementalFeatures)
    if check is not None:
        check(restored)
    assert_same_features(run_features(restored, records.slice(cut), step), expected)

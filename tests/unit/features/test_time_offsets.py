"""The live engine keeps times as int32 offsets from a base (offsets.py): moving the base, and
holding times from long before it at the floor, gives the features of a run that never moved
it, and a checkpoint from before offsets (epoch ms, int64) restores into them alike."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import polars as pl
import pytest

from callwarden.features.engines.base import Traffic
from callwarden.features.engines.compiled import live, offsets
from callwarden.features.engines.compiled.hashtable import EMPTY, NONE
from callwarden.features.engines.compiled.live import IncrementalFeatures
from callwarden.features.spec import WINDOWS
from callwarden.records.batch import record_batch
from callwarden.simulate import SimulationConfig, simulate_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    root = tmp_path_factory.mktemp("offsets-city")
    simulate_city(SimulationConfig(subscribers=600, days=3, seed=23), root)
    calls = pl.read_parquet(root / "calls", hive_partitioning=False)
    sms = pl.read_parquet(root / "sms", hive_partitioning=False)
    return record_batch(calls, sms), pl.read_parquet(root / "subscribers")


def _run(engine: IncrementalFeatures, records: pl.DataFrame, step: int) -> dict[str, Any]:
    parts = [engine.update(records.slice(s, step)).values for s in range(0, records.height, step)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _assert_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name, got in a.items():
        same = (got == b[name]) | (np.isnan(got) & np.isnan(b[name]))
        assert same.all(), name


def test_state_times_are_int32(city: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    records, subs = city
    engine = IncrementalFeatures(Traffic.context(subs))
    _run(engine, records.slice(0, 5_000), 5_000)
    assert engine.base_ms == int(records["time"].to_physical()[0]) // 1000
    for name in live._POOLS:
        assert getattr(engine, name).t.dtype == np.int32
    for name in live._TABLES:
        assert getattr(engine, name).vals.dtype == np.int32
    assert engine.numbers.table.vals.dtype == np.int32  # (codes)


def test_a_moving_base_gives_the_same_features(
    city: tuple[pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    records, subs = city
    expected = _run(IncrementalFeatures(Traffic.context(subs)), records, 4_000)
    # the base moves every two hours of event time, batches of a day are cut in parts, and
    # times a day and a moment older than a batch are held at the floor
    monkeypatch.setattr(offsets, "SPAN_MS", 2 * WINDOWS["1h"])
    monkeypatch.setattr(live, "SPAN_MS", 2 * WINDOWS["1h"])
    monkeypatch.setattr(offsets, "FLOOR", -WINDOWS["24h"] - 1)
    moving = IncrementalFeatures(Traffic.context(subs))
    first = int(records["time"].to_physical()[0]) // 1000
    _assert_equal(_run(moving, records, 4_000), expected)
    assert moving.base_ms is not None and moving.base_ms > first + WINDOWS["24h"]
    held = moving.acting.t[: int(moving.acting.meta[0])]
    assert (held == offsets.FLOOR).any()
    moved_in_parts = IncrementalFeatures(Traffic.context(subs))
    _assert_equal(_run(moved_in_parts, records, records.height // 2), expected)


def _as_before_offsets(engine: IncrementalFeatures) -> None:
    """The engine's times back to epoch ms in int64 arrays, no base: a state from before."""
    base = engine.base_ms
    assert base is not None
    for name in live._POOLS:
        pool = getattr(engine, name)
        pool.t = pool.t.astype(np.int64) + base
    for name in live._TABLES:
        table = getattr(engine, name)
        vals = table.vals.astype(np.int64)
        vals[table.keys != EMPTY] += base
        table.vals = vals
    # ``num`` as it was: int64, NONE for none, the last callee's digits its second column
    wide = engine.num.astype(np.int64)
    wide[engine.num == offsets.UNSET] = NONE
    for c in offsets.TIME_COLUMNS:
        wide[wide[:, c] != NONE, c] += base
    callee = engine.last_callee.copy()
    callee[callee < 0] = NONE
    engine.num = np.column_stack([wide[:, 0], callee, wide[:, 1:]])
    del engine.base_ms, engine.last_callee


def test_a_checkpoint_from_before_offsets_restores_and_goes_on_alike(
    city: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    records, subs = city
    cut = records.height // 2
    straight = IncrementalFeatures(Traffic.context(subs))
    _run(straight, records.slice(0, cut), 5_000)
    expected = _run(straight, records.slice(cut), 5_000)

    stopped = IncrementalFeatures(Traffic.context(subs))
    _run(stopped, records.slice(0, cut), 5_000)
    _as_before_offsets(stopped)
    # ... and from before is_invalid_number and birth years were int8 and float32
    stopped.invalid = stopped.invalid.astype(np.float64)
    stopped.birth = stopped.birth.astype(np.float64)
    restored = pickle.loads(pickle.dumps(stopped))  # noqa: S301  (its own bytes)
    assert restored.base_ms is not None and restored.acting.t.dtype == np.int32
    assert restored.invalid.dtype == np.int8 and restored.birth.dtype == np.float32
    assert restored.num.dtype == np.int32 and restored.num.shape[1] == 5
    _assert_equal(_run(restored, records.slice(cut), 5_000), expected)

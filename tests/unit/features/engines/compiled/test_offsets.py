"""The live engine keeps times as int32 offsets from a base (offsets.py): moving the base, and
holding times from long before it at the floor, gives the features of a run that never moved
it, and a checkpoint from before offsets (epoch ms, int64) restores into them alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.unit.features.engines.compiled.live_checkpoints import (
    assert_restores_alike,
    assert_same_features,
    city_records,
    run_features,
)

from callwarden.features.engines.base import Traffic
from callwarden.features.engines.compiled import live, offsets
from callwarden.features.engines.compiled.hashtable import EMPTY, NONE
from callwarden.features.engines.compiled.live import IncrementalFeatures
from callwarden.features.spec import WINDOWS


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    return city_records(tmp_path_factory.mktemp("offsets-city"), 600, 3, 23)


def test_state_times_are_int32(city: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    records, subs = city
    engine = IncrementalFeatures(Traffic.context(subs))
    run_features(engine, records.slice(0, 5_000), 5_000)
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
    expected = run_features(IncrementalFeatures(Traffic.context(subs)), records, 4_000)
    # the base moves every two hours of event time, batches of a day are cut in parts, and
    # times a day and a moment older than a batch are held at the floor
    monkeypatch.setattr(offsets, "SPAN_MS", 2 * WINDOWS["1h"])
    monkeypatch.setattr(live, "SPAN_MS", 2 * WINDOWS["1h"])
    monkeypatch.setattr(offsets, "FLOOR", -WINDOWS["24h"] - 1)
    moving = IncrementalFeatures(Traffic.context(subs))
    first = int(records["time"].to_physical()[0]) // 1000
    assert_same_features(run_features(moving, records, 4_000), expected)
    assert moving.base_ms is not None and moving.base_ms > first + WINDOWS["24h"]
    held = moving.acting.t[: int(moving.acting.meta[0])]
    assert (held == offsets.FLOOR).any()
    moved_in_parts = IncrementalFeatures(Traffic.context(subs))
    assert_same_features(run_features(moved_in_parts, records, records.height // 2), expected)


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
    city: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    def as_before(engine: IncrementalFeatures) -> None:
        _as_before_offsets(engine)
        # ... and from before is_invalid_number and birth years were int8 and float32
        engine.invalid = engine.invalid.astype(np.float64)
        engine.birth = engine.birth.astype(np.float64)

    def check(restored: IncrementalFeatures) -> None:
        assert restored.base_ms is not None and restored.acting.t.dtype == np.int32
        assert restored.invalid.dtype == np.int8 and restored.birth.dtype == np.float32
        assert restored.num.dtype == np.int32 and restored.num.shape[1] == 5

    records, subs = city
    assert_restores_alike(
        records, subs, tmp_path / "ckpt", cut=records.height // 2, step=5_000,
        as_before=as_before, check=check,
    )  # fmt: skip

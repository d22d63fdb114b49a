"""The live engine's compact state gives the features it gave before, and a checkpoint written
before the compact layout restores into it and goes on alike.

Signals that are only ever 0 or 1 are kept as bits of one int32 per event (pools.py), window
sums as int32 (int64 for talk time): a pool that keeps every signal as a column (the layout
before) must give the same features, records in any batches; and an engine pickled with the
layout before (signals as columns, sums as float64), restored, must go on as one that never
stopped.
"""

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
from callwarden.features.engines.compiled import live
from callwarden.features.engines.compiled.live import ACT_SIGNALS, IncrementalFeatures
from callwarden.features.engines.compiled.pools import Pool, columns


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    return city_records(tmp_path_factory.mktemp("layout-city"), 800, 2, 17)


def _columns_only(pool: Pool) -> Pool:
    """The pool as it was before bits: every signal an int32 column (no ``col``, no ``bits``)."""
    legacy = Pool.__new__(Pool)
    every = np.zeros((pool.t.shape[0], pool.width), np.int32)
    every[: int(pool.meta[0])] = pool.signals()
    legacy.__dict__ = {"t": pool.t, "next": pool.next, "sig": every, "free": pool.free,
                       "meta": pool.meta, "head": pool.head, "tail": pool.tail}  # fmt: skip
    return legacy


def test_columns_put_binary_signals_in_bits() -> None:
    col = columns(len(ACT_SIGNALS), live._ACT_BITS)
    assert (col < 0).sum() == len(live.BINARY_SIGNALS) == len(live._ACT_BITS)
    assert sorted((-1 - col[col < 0]).tolist()) == list(range(len(live._ACT_BITS)))
    assert sorted(col[col >= 0].tolist()) == list(range(len(ACT_SIGNALS) - len(live._ACT_BITS)))


def test_bits_give_the_features_of_columns(city: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    records, subs = city
    compact = IncrementalFeatures(Traffic.context(subs))
    wide = IncrementalFeatures(Traffic.context(subs))
    n_windows = wide.acting.head.shape[1]
    wide.acting = Pool(len(ACT_SIGNALS), n_windows)  # every signal a column
    wide.incoming, wide.device = Pool(2, n_windows), Pool(1, 1)
    assert_same_features(run_features(compact, records, 3_000), run_features(wide, records, 777))
    # the bits hold only 0 and 1, and the columns what the wide pool holds
    rows = int(compact.acting.meta[0])
    assert rows == int(wide.acting.meta[0])
    assert np.array_equal(compact.acting.signals(), wide.acting.sig[:rows])
    assert compact.acting.nbytes() < 0.45 * wide.acting.nbytes()
    # the devices' pool keeps new SIMs only, not every call from a device
    from_devices = int(((records["kind"] == 0) & records["imei"].is_not_null()).sum())
    assert 0 < int(compact.device.meta[0]) < from_devices


def test_a_checkpoint_from_before_bits_restores_and_goes_on_alike(
    city: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    def as_before(stopped: IncrementalFeatures) -> None:
        stopped.acting = _columns_only(stopped.acting)
        stopped.incoming = _columns_only(stopped.incoming)
        stopped.device = _columns_only(stopped.device)
        # ... and every window sum a float64 column of SUM_NAMES, the flags float64 too
        every = np.zeros((stopped.sums.shape[0], len(live.SUM_NAMES)))
        every[:, live._OUT_COLS[0]] = stopped.sums
        every[:, live._OUT_COLS[1]] = stopped.long_sums
        stopped.sums = every  # type: ignore[assignment]
        stopped.device_sums = stopped.device_sums.astype(np.float64)
        del stopped.long_sums
        stopped.flags = {k: v.astype(np.float64) for k, v in stopped.flags.items()}

    def check(restored: IncrementalFeatures) -> None:
        assert (restored.acting.col < 0).sum() == len(live._ACT_BITS)
        assert restored.sums.dtype == np.int32 and restored.long_sums.dtype == np.int64

    records, subs = city
    assert_restores_alike(
        records, subs, tmp_path / "ckpt", cut=records.height // 2, step=5_000,
        as_before=as_before, check=check,
    )  # fmt: skip


def test_derived_signals_are_not_stored_and_read_back_alike(
    city: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    records, subs = city
    engine = IncrementalFeatures(Traffic.context(subs))
    run_features(engine, records, 4_000)
    acting = engine.acting
    # dur_out and gap_out stored; the gaps' squares and the inner gaps read from gap_out
    assert acting.sig.shape[1] == len(ACT_SIGNALS) - len(live._ACT_BITS) - 3
    every = acting.signals()
    gap, inner = every[:, live._A["gap_out"]], every[:, live._A["has_inner_gap_out"]]
    assert (every[:, live._A["gap_out_sq"]] == gap * gap).all()
    assert (every[:, live._A["inner_gap_out"]] == np.where(inner == 1, gap, 0)).all()
    assert (inner == 1).any() and (gap > 0).any()


def test_a_checkpoint_from_before_derived_signals_restores_and_goes_on_alike(
    city: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    def every_gap_stored(stopped: IncrementalFeatures) -> None:
        n_windows = stopped.acting.head.shape[1]
        stopped.acting = Pool(len(ACT_SIGNALS), n_windows, live._ACT_BITS)

    def as_before(stopped: IncrementalFeatures) -> None:
        for pool in (stopped.acting, stopped.incoming, stopped.device):
            # a pool pickled before either: every owner row set, every signal of a column stored
            pool.head[pool.owners :], pool.tail[pool.owners :] = -1, -1
            del pool.der, pool.owners

    def check(restored: IncrementalFeatures) -> None:
        assert restored.acting.sig.shape[1] == len(ACT_SIGNALS) - len(live._ACT_BITS) - 3

    records, subs = city
    assert_restores_alike(
        records, subs, tmp_path / "ckpt", cut=records.height // 3, step=2_000,
        as_before=as_before, start=every_gap_stored, check=check,
    )  # fmt: skip

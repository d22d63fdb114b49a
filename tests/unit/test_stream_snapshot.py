"""Checkpoints taken by a forked child: complete, in time, and a restored engine goes on alike.

The child of a fork has no threads; polars serialising a frame of several chunks waits for its
thread pool there forever. The state is therefore pickled in the consumer (arrays out of band)
and the child only writes bytes: this test takes a checkpoint of an engine whose reorder
buffer has many chunks, after polars has worked on threads, and bounds the wait.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import polars as pl

from callwarden.features.incremental import record_batch
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.engine import StreamEngine
from callwarden.stream.snapshot import Snapshot, read_state


def test_a_checkpoint_of_a_busy_engine_is_written_and_restores_the_same_alerts(
    tmp_path: Path,
) -> None:
    simulate_city(SimulationConfig(subscribers=2000, days=1, seed=5), tmp_path / "city")
    calls = pl.read_parquet(tmp_path / "city" / "calls", hive_partitioning=False)
    subs = pl.read_parquet(tmp_path / "city" / "subscribers")
    batch = record_batch(calls)
    cut = batch.height // 2
    engine = StreamEngine(subs, lateness_ms=600_000)  # ten minutes: a buffer of many batches
    alerts = []
    for start in range(0, cut, 50):
        alerts += engine.push_frame(batch.slice(start, min(50, cut - start)))
    assert engine.buffer.n_chunks() > 1

    async def checkpoint() -> None:
        await asyncio.wait_for(Snapshot.start(engine, tmp_path / "ckpt").wait(), timeout=120)

    asyncio.run(checkpoint())
    restored = read_state(tmp_path / "ckpt")
    assert isinstance(restored, StreamEngine)
    rest = batch.slice(cut)
    expected = engine.push_frame(rest) + engine.flush()
    got = restored.push_frame(rest) + restored.flush()
    assert got == expected
    assert restored.stats == engine.stats

"""Structured Streaming: files arriving in a folder give the alerts of the whole day in batch.

The day's calls land as five files, two batches of them; the job runs twice (the second run
picks up from its checkpoint, as after a restart) and its alert files together equal batch
scoring of all the calls, the campaign pass's group alerts among them.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from pyspark.sql import SparkSession

from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.features.engines.spark.session import read_records
from callwarden.features.engines.spark.stream import start_stream
from callwarden.simulate import SimulationConfig, simulate_city

pytestmark = pytest.mark.integration


def _land(calls: pl.DataFrame, folder: Path, parts: range, of: int) -> None:
    """Write parts of the calls as files, oldest first (the file source goes by file age)."""
    n = calls.height
    for k in parts:
        path = folder / f"calls-{k:02d}.parquet"
        calls[k * n // of : (k + 1) * n // of].write_parquet(path)
        os.utime(path, (1_700_000_000 + k, 1_700_000_000 + k))


def test_arriving_files_give_the_batch_alerts(spark: SparkSession, tmp_path: Path) -> None:
    city = tmp_path / "city"
    simulate_city(SimulationConfig(subscribers=1000, seed=4, days=1), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False).sort("start_time", "call_id")
    subs = pl.read_parquet(city / "subscribers")
    incoming, out = tmp_path / "incoming", tmp_path / "alerts"
    incoming.mkdir()
    subscribers = read_records(spark, str(city), "subscribers")

    def run() -> None:
        query = start_stream(spark, str(incoming), str(out), subscribers=subscribers,
                             trigger_seconds=0, files_per_batch=2)  # fmt: skip
        query.awaitTermination()
        assert query.exception() is None

    _land(calls, incoming, range(3), of=5)
    run()
    _land(calls, incoming, range(3, 5), of=5)
    run()  # a new query on the same checkpoint: only the new files are read
    files = sorted(out.glob("alerts-*.parquet"))
    assert len(files) == 3  # files 0-1, 2, then 3-4
    got = pl.read_parquet(files)
    want = score_records(Traffic(calls, None, subs)).alerts
    assert want.height > 10
    codes = want["reasons"].list.eval(pl.element().struct.field("code")).explode()
    assert (codes == "campaign").any()  # (a rotation campaign's lines, found as a group)
    assert got.equals(want)

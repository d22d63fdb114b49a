"""The campaign pass is defined once: batch, the replayed stream in any batch sizes, the stream
with records arriving out of order, and a prefix of the records all give the same group alerts.

The city is the simulator's with many small rotation campaigns (4-8 calls a line), so the
groups are found only across numbers and their checkpoints cut through every batch size.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.live import replay_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.simulate import simulate_city
from callwarden.simulate.scenarios import VARIANTS
from callwarden.stream.engine import StreamEngine
from callwarden.stream.files import run_records

from .test_batch_equals_live import arrivals


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("campaigncity")
    simulate_city(VARIANTS["rotation_few_calls"].config(subscribers=1500, seed=31), out)
    return out


def _read(city: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    return calls, sms, pl.read_parquet(city / "subscribers")


def _grouped(alerts: pl.DataFrame) -> pl.DataFrame:
    return alerts.filter(pl.col("reasons").list.first().struct.field("code") == "campaign")


def test_batch_and_stream_raise_the_same_group_alerts(city: Path) -> None:
    calls, sms, subs = _read(city)
    batch = score_records(Traffic(calls, sms, subs)).alerts
    assert _grouped(batch).height >= 10
    for size in (4_999, 200_000):  # (checkpoints fall inside batches and between them)
        assert replay_alerts(Traffic(calls, sms, subs), batch_size=size).equals(batch)
    engine = StreamEngine(subs, lateness_ms=30_000)
    stream = alerts_from_rows(run_records(engine, iter(arrivals(calls, sms, 30_000, seed=3))))
    assert stream.equals(batch)


def test_a_prefix_of_the_records_gives_a_prefix_of_the_group_alerts(city: Path) -> None:
    calls, _, subs = _read(city)
    calls = calls.sort("start_time")
    full = score_records(Traffic(calls, None, subs)).alerts
    cut = calls["start_time"][int(calls.height * 0.6)]
    early = score_records(Traffic(calls.filter(pl.col("start_time") <= cut), None, subs)).alerts
    assert _grouped(early).height > 0
    assert early.equals(full.filter(pl.col("flagged_at") <= cut))


def test_the_group_alerts_are_mostly_the_labelled_fraud_lines(city: Path) -> None:
    """A small city is saturated (the campaigns' lists cover much of it), so a stray honest
    number may be taken into a group now and then: no more than one in fifty."""
    calls, sms, subs = _read(city)
    labels = pl.read_parquet(city / "labels")
    grouped = _grouped(score_records(Traffic(calls, sms, subs)).alerts)
    flagged = set(grouped.filter(pl.col("decision") != "watch")["msisdn"])
    fraud = set(labels.filter(~pl.col("label").is_in(["normal", "legit_heavy"]))["msisdn"])
    assert len(flagged) >= 10
    assert len(flagged - fraud) / len(flagged) <= 0.02

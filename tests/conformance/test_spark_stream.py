"""Structured Streaming: files arriving in a folder give the alerts of the whole day in batch.

The day's calls land as five files, two batches of them; the job runs twice (the second run
picks up from its checkpoint, as after a restart) and its alert files together equal batch
scoring of all the calls, the campaign pass's group alerts among them. With SMS arriving in a
folder of their own beside the calls, the alerts equal batch scoring of calls and SMS, the SMS
bursts and their content reasons among them. With the learned scorer, the files taken one a
micro-batch, the alerts equal batch scoring with the same model: each number's highest model
inputs carry from one micro-batch to the next. The state's growing tables are kept as at most
two versions each, whatever the number of micro-batches, and the look-back of a three-day
stream drops the calls no micro-batch reads any more, its alerts still equal batch's.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from callwarden.cli.app import app
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.model import ModelParams, train_model
from callwarden.detect.model.events import event_scorer, number_table_of_slices
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic, load_engine
from callwarden.features.engines.spark.session import read_records
from callwarden.features.engines.spark.stream import start_stream
from callwarden.simulate import SimulationConfig, simulate_city

pytestmark = pytest.mark.integration


def _land(calls: pl.DataFrame, folder: Path, parts: range, of: int, name: str = "calls") -> None:
    """Write parts of the records as files, oldest first (the file source goes by file age)."""
    n = calls.height
    for k in parts:
        path = folder / f"{name}-{k:02d}.parquet"
        calls[k * n // of : (k + 1) * n // of].write_parquet(path)
        os.utime(path, (1_700_000_000 + k, 1_700_000_000 + k))


def _city(tmp_path: Path, seed: int) -> tuple[Path, pl.DataFrame, pl.DataFrame]:
    """A simulated day of 1,000 subscribers: its folder, its calls in record order, its
    subscribers."""
    city = tmp_path / "city"
    simulate_city(SimulationConfig(subscribers=1000, seed=seed, days=1), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False).sort("start_time", "call_id")
    return city, calls, pl.read_parquet(city / "subscribers")


def test_arriving_files_give_the_batch_alerts(spark: SparkSession, tmp_path: Path) -> None:
    city, calls, subs = _city(tmp_path, seed=4)
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
    assert _versions(out / "_state") == {"candidates": 2}  # (of three micro-batches)


def test_arriving_sms_beside_the_calls_give_the_batch_alerts(
    spark: SparkSession, tmp_path: Path
) -> None:
    city, calls, subs = _city(tmp_path, seed=6)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False).sort("sent_time", "sms_id")
    incoming, texts, out = tmp_path / "incoming", tmp_path / "texts", tmp_path / "alerts"
    incoming.mkdir()
    texts.mkdir()
    subscribers = read_records(spark, str(city), "subscribers")

    def run() -> None:
        query = start_stream(spark, str(incoming), str(out), subscribers=subscribers,
                             trigger_seconds=0, files_per_batch=2,
                             sms_source=str(texts))  # fmt: skip
        query.awaitTermination()
        assert query.exception() is None

    # (the SMS of each part of the day land with its calls; the files of both folders are
    # taken two at a time per folder)
    _land(calls, incoming, range(2), of=4)
    _land(sms, texts, range(2), of=4, name="sms")
    run()
    _land(calls, incoming, range(2, 4), of=4)
    _land(sms, texts, range(2, 4), of=4, name="sms")
    # the rest through the command, on the same state (a restart with the same folders)
    done = CliRunner().invoke(app, [
        "score", str(incoming), "--sms", str(texts), "--subscribers", str(city / "subscribers"),
        "--out", str(out), "--engine", "spark", "--master", "local[2]", "--stream",
        "--trigger-seconds", "0",
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert " and " in done.output and "texts ->" in done.output  # (the SMS folder read)
    got = pl.read_parquet(sorted(out.glob("alerts-*.parquet")))
    want = score_records(Traffic(calls, sms, subs)).alerts
    codes = want["reasons"].list.eval(pl.element().struct.field("code")).explode()
    assert (codes == "sms_burst").any() and (codes == "content").any()
    assert got.equals(want)
    without = score_records(Traffic(calls, None, subs)).alerts
    assert not without.equals(want)  # (the SMS change the day's alerts: they were read)
    assert _versions(out / "_state") == {"candidates": 2, "texts": 2}


def test_arriving_files_with_a_model_give_the_batch_alerts(
    spark: SparkSession, tmp_path: Path
) -> None:
    city, calls, subs = _city(tmp_path, seed=4)
    # a real model, small and fast, trained on the city's own records and labels
    _, slices = load_engine("compiled")().features(Traffic(calls, None, subs))
    table = number_table_of_slices(slices, pl.read_parquet(city / "labels"))
    params = ModelParams(n_estimators=40, num_leaves=7, min_child_samples=10, threshold_folds=2)
    train_model(table, params=params, cv_folds=2, seed=0).save(tmp_path / "model")
    model = event_scorer(tmp_path / "model")
    # a low watch level and a tight cap: many events where the model alone decides
    policy = PolicyConfig(watch=0.3, daily_suspension_cap=2)
    incoming, out = tmp_path / "incoming", tmp_path / "alerts"
    incoming.mkdir()
    _land(calls, incoming, range(3), of=3)
    query = start_stream(spark, str(incoming), str(out), policy=policy, model=model,
                         subscribers=read_records(spark, str(city), "subscribers"),
                         trigger_seconds=0, files_per_batch=1)  # fmt: skip
    query.awaitTermination()
    assert query.exception() is None
    files = sorted(out.glob("alerts-*.parquet"))
    assert len(files) == 3
    got = pl.read_parquet(files)
    want = score_records(Traffic(calls, None, subs), policy, model=model).alerts
    codes = {r["code"] for reasons in want["reasons"].to_list() for r in reasons}
    assert any(c.startswith("model:") for c in codes), codes  # the model alone raised some
    assert got.equals(want)
    assert _versions(out / "_state") == {"candidates": 2, "peaks": 2}


def test_the_look_back_no_micro_batch_reads_is_removed(spark: SparkSession, tmp_path: Path) -> None:
    city = tmp_path / "city"
    simulate_city(SimulationConfig(subscribers=300, seed=5, days=3), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False).sort("start_time", "call_id")
    subs = pl.read_parquet(city / "subscribers")
    incoming, out = tmp_path / "incoming", tmp_path / "alerts"
    incoming.mkdir()
    # three days as six files of twelve hours, one a micro-batch
    half = ((pl.col("start_time") - calls["start_time"].min()).dt.total_hours() // 12).cast(int)
    for k, rows in enumerate(calls.with_columns(h=half).partition_by("h", maintain_order=True)):
        rows.drop("h").write_parquet(incoming / f"calls-{k}.parquet")
        os.utime(incoming / f"calls-{k}.parquet", (1_700_000_000 + k,) * 2)
    query = start_stream(spark, str(incoming), str(out), trigger_seconds=0, files_per_batch=1,
                         subscribers=read_records(spark, str(city), "subscribers"))  # fmt: skip
    query.awaitTermination()
    assert query.exception() is None
    got = pl.read_parquet(sorted(out.glob("alerts-*.parquet")))
    want = score_records(Traffic(calls, None, subs)).alerts
    assert want.height > 10
    assert got.equals(want)
    # the last micro-batch looks back 48 hours from its first call: the first file's calls are
    # older, and gone from the state; the others are kept
    kept = sorted(p.name for p in (out / "_state" / "history").glob("batch=*"))
    assert kept == [f"batch={k}" for k in range(1, 6)]


def _versions(state: Path) -> dict[str, int]:
    """How many versions of each growing table the state holds."""
    return {t.name: len(list(t.glob("upto=*"))) for t in state.iterdir() if t.name not in
            ("checkpoint", "history", "sms_history")}  # fmt: skip

"""Structured Streaming: files arriving in a folder give the alerts of the whole day in batch.

The day's calls land as five files, two batches of them; the job runs twice (the second run
picks up from its checkpoint, as after a restart) and its alert files together equal batch
scoring of all the calls, the campaign pass's group alerts among them. With SMS arriving in a
folder of their own beside the calls, the alerts equal batch scoring of calls and SMS, the SMS
bursts and their content reasons among them. With the learned scorer, the files taken one a
micro-batch, the alerts equal batch scoring with the same model: each number's highest model
inputs carry from one micro-batch to the next. The state's growing tables are kept as at most
two versions each, whatever the number of micro-batches, and the look-back of a three-day
stream drops the calls no micro-batch reads any more, its alerts still equal batch's. With call
transcripts arriving in a folder of their own, some before their call and some a micro-batch
after it, the alerts equal batch scoring (embedded and on Spark) with the same transcripts.
Transcripts that cannot be used, and one whose call never comes, go to the quarantine with
batch's reasons, at their file and row: joined + quarantined + waiting = arrived.
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
from callwarden.features.engines.spark.scoring import score_records_spark
from callwarden.features.engines.spark.session import read_records
from callwarden.features.engines.spark.stream import start_stream
from callwarden.records.quarantine import read_quarantine
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


def test_arriving_transcripts_give_the_batch_alerts(spark: SparkSession, tmp_path: Path) -> None:
    city, calls, subs = _city(tmp_path, seed=6)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False).sort("sent_time", "sms_id")
    # the day in six parts of four hours, one file of each folder per micro-batch
    t0 = calls["start_time"].min()

    def part(c: str) -> pl.Expr:
        return ((pl.col(c) - t0).dt.total_seconds() // (4 * 3600)).cast(pl.Int32).alias("part")

    calls, sms = calls.with_columns(part("start_time")), sms.with_columns(part("sent_time"))
    alerted = score_records(Traffic(calls, sms, subs)).alerts["msisdn"].unique().to_list()
    answered = calls.filter((pl.col("duration_s") > 0) & pl.col("caller").is_in(alerted))
    picked = answered.sort("start_time").gather_every(7)
    scripts = ["我 是 市 公 安 局 民 警 ， 你 的 账 户 涉 嫌 洗 钱 ， 把 资 金 转 到 安 全 账 户",
               "您好，我是京東客服，您的會員要扣費，請打開屏幕共享按步驟退款",
               "喂，妈，我晚上回家吃饭"]  # fmt: skip
    said = picked.select("call_id", "part", "start_time", "caller").with_columns(
        text=pl.Series([scripts[k % 3] for k in range(picked.height)])
    )
    # a transcript lands a part late where its call is its caller's last record of its part
    # (no event of the caller read it in batch before it lands) and started at most 6 hours
    # before the next part's latest call (the calls remembered for a late transcript)
    ends = pl.concat([calls.select(n="caller", t="start_time", part="part"),
                      calls.select(n="callee", t="start_time", part="part"),
                      sms.select(n="sender", t="sent_time", part="part"),
                      sms.select(n="recipient", t="sent_time", part="part")])  # fmt: skip
    ends = ends.group_by("n", "part").agg(last=pl.col("t").max())
    latest = calls.group_by("part").agg(latest=pl.col("start_time").max())
    said = said.join(ends, left_on=["caller", "part"], right_on=["n", "part"]).join(
        latest.with_columns(pl.col("part") - 1), on="part", how="left"
    )
    late = (pl.col("last") == pl.col("start_time")) & (
        pl.col("start_time") >= pl.col("latest") - pl.duration(hours=6)
    )
    # every fifth other one lands a part early, before its call; one lands three parts late,
    # when its call is no longer remembered: it waits, and is not used
    early = (pl.int_range(pl.len()) % 5 == 1) & (pl.col("part") > 0) & ~late
    lands = pl.when(late).then(pl.col("part") + 1).when(early).then(pl.col("part") - 1)
    said = said.sort("start_time").with_columns(lands=lands.otherwise("part"))
    too_late = said.filter(~late & ~early & (pl.col("part") == 2))["call_id"][0]
    said = said.with_columns(
        lands=pl.when(pl.col("call_id") == too_late).then(5).otherwise("lands")
    )
    junk = pl.DataFrame({"call_id": ["no-such-call", calls["call_id"][0]], "text": ["你好", " "],
                         "lands": [1, 2]}, schema_overrides={"lands": pl.Int32})  # fmt: skip
    landed = pl.concat([said.select("call_id", "text", "lands"), junk]).sort("lands")
    assert said.filter(late).height >= 3 and said.filter(early).height >= 3
    incoming, texts, talk = tmp_path / "incoming", tmp_path / "texts", tmp_path / "talk"
    out = tmp_path / "alerts"
    for folder in (incoming, texts, talk):
        folder.mkdir()

    def land(parts: range) -> None:
        for k in parts:
            for frame, folder, name in ((calls, incoming, "calls"), (sms, texts, "sms")):
                frame.filter(pl.col("part") == k).drop("part").write_parquet(
                    folder / f"{name}-{k}.parquet"
                )
            landed.filter(pl.col("lands") == k).drop("lands").write_parquet(
                talk / f"said-{k}.parquet"
            )
            for folder, name in ((incoming, "calls"), (texts, "sms"), (talk, "said")):
                os.utime(folder / f"{name}-{k}.parquet", (1_700_000_000 + k,) * 2)

    def run() -> None:
        query = start_stream(spark, str(incoming), str(out), trigger_seconds=0,
                             subscribers=read_records(spark, str(city), "subscribers"),
                             files_per_batch=1, sms_source=str(texts),
                             transcripts_source=str(talk))  # fmt: skip
        query.awaitTermination()
        assert query.exception() is None

    land(range(3))
    run()
    land(range(3, 5))
    run()  # (a restart: the state's tables read where the first run left them)
    land(range(5, 6))
    # the last part through the command, on the same state
    done = CliRunner().invoke(app, [
        "score", str(incoming), "--sms", str(texts), "--transcripts", str(talk),
        "--subscribers", str(city / "subscribers"), "--out", str(out), "--engine", "spark",
        "--master", "local[2]", "--stream", "--trigger-seconds", "0",
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert len(list(out.glob("alerts-*.parquet"))) == 6
    got = pl.read_parquet(sorted(out.glob("alerts-*.parquet")))
    used = landed.filter(pl.col("call_id") != too_late).drop("lands")
    traffic = Traffic(calls.drop("part"), sms.drop("part"), subs)
    want = score_records(traffic, transcripts=used).alerts
    codes = want["reasons"].list.eval(pl.element().struct.field("code")).explode()
    assert (codes == "call_content").any() and (codes == "content").any()
    assert not want.equals(score_records(traffic).alerts)  # (the transcripts were read)
    assert got.equals(want)
    on_spark = score_records_spark(
        spark, *(spark.createDataFrame(f.to_arrow()) for f in (traffic.calls, traffic.sms, subs)),
        transcripts=spark.createDataFrame(used.to_arrow()),
    ).alerts  # fmt: skip
    assert got.equals(on_spark)
    # the growing tables: at most two versions each after six micro-batches; the transcript
    # whose call was no longer remembered, the one of no call (once the stream is 6 hours
    # past it) and the one without text are quarantined, none waits: nothing lost
    state = out / "_state"
    assert _versions(state) == {"candidates": 2, "texts": 2, "transcripts": 2}
    kept = pl.read_parquet(sorted((state / "transcripts").glob("upto=*"))[-1] / "*.parquet")
    assert kept.filter(pl.col("caller").is_null()).height == 0
    assert set(kept["call_id"]) == set(used["call_id"]) - {calls["call_id"][0], "no-such-call"}
    quarantined = [row for path in sorted((out / "_quarantine").glob("transcripts-*.jsonl"))
                   for row in read_quarantine(path)]  # fmt: skip
    assert {(q["raw"]["call_id"], q["reason"]) for q in quarantined} == {
        (too_late, "late_transcript"), ("no-such-call", "unknown_call_id"),
        (calls["call_id"][0], "missing_value"),
    }  # fmt: skip
    assert kept.height + len(quarantined) == landed.height
    assert f"transcripts not used -> {out}/_quarantine/" in done.output


def test_unusable_transcripts_are_quarantined_and_the_counts_add_up(
    spark: SparkSession, tmp_path: Path
) -> None:
    city = tmp_path / "city"
    simulate_city(SimulationConfig(subscribers=300, seed=7, days=1), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False).sort("start_time", "call_id")
    subs = pl.read_parquet(city / "subscribers")
    # the day in three parts of eight hours, one file of each folder per micro-batch
    t0 = calls["start_time"].min()
    part = ((pl.col("start_time") - t0).dt.total_seconds() // (8 * 3600)).cast(pl.Int32)
    calls = calls.with_columns(part=part)
    answered = calls.filter(pl.col("duration_s") > 0)
    first, last = answered.filter(pl.col("part") == 0), answered.filter(pl.col("part") == 2)
    unanswered = calls.filter((pl.col("duration_s") == 0) & (pl.col("part") == 0))
    assert first.height > 4 and last.height and unanswered.height
    c = first["call_id"]
    police = "我是市公安局民警，你的账户涉嫌洗钱，把资金转到安全账户配合调查"
    rows = [  # (call_id, text, part it lands in, what becomes of it)
        (c[0], police, 0, "joined"),
        (c[1], "喂，妈，我晚上回家吃饭", 0, "joined"),
        (last["call_id"][0], police, 1, "joined"),  # (a part before its call: it waits)
        (None, "你好", 0, "unknown_call_id"),
        (c[2], " ", 0, "missing_value"),
        (unanswered["call_id"][0], "喂", 0, "unanswered_call"),
        (c[0], "再说一遍", 0, "duplicate_key"),
        ("no-such-call", "你好", 0, "unknown_call_id"),  # (no call in the next 6 hours)
        (c[3], police, 1, "late_transcript"),  # (its call 8+ hours before the latest)
        ("call-yet-to-come", "你好", 2, "waiting"),
    ]
    landed = pl.DataFrame(rows, schema=["call_id", "text", "lands", "fate"], orient="row")
    incoming, talk, out = tmp_path / "incoming", tmp_path / "talk", tmp_path / "alerts"
    for folder in (incoming, talk):
        folder.mkdir()
    for k in range(3):
        day = calls.filter(pl.col("part") == k).drop("part")
        day.write_parquet(incoming / f"calls-{k}.parquet")
        said = landed.filter(pl.col("lands") == k).select("call_id", "text")
        said.write_parquet(talk / f"said-{k}.parquet")
        for path in (incoming / f"calls-{k}.parquet", talk / f"said-{k}.parquet"):
            os.utime(path, (1_700_000_000 + k,) * 2)
    query = start_stream(spark, str(incoming), str(out), trigger_seconds=0, files_per_batch=1,
                         subscribers=read_records(spark, str(city), "subscribers"),
                         transcripts_source=str(talk))  # fmt: skip
    query.awaitTermination()
    assert query.exception() is None
    # each transcript set aside is in the quarantine's format, at its file and row, with the
    # reason batch gives it (or the stream's own, for one whose call is remembered no more)
    quarantined = [row for path in sorted((out / "_quarantine").glob("transcripts-*.jsonl"))
                   for row in read_quarantine(path)]  # fmt: skip
    assert all(set(q) == {"file", "row", "reason", "field", "message", "raw"} for q in quarantined)
    for q in quarantined:
        source = pl.read_parquet(q["file"].removeprefix("file:"))
        assert source.row(q["row"] - 1, named=True) == q["raw"]
    got = sorted((q["raw"]["call_id"] or "", q["raw"]["text"], q["reason"]) for q in quarantined)
    set_aside = landed.filter(~pl.col("fate").is_in(["joined", "waiting"]))
    assert got == sorted((i or "", t, f) for i, t, f in set_aside.select("call_id", "text", "fate")
                         .iter_rows())  # fmt: skip
    never = next(q for q in quarantined if q["raw"]["call_id"] == "no-such-call")
    assert "no call 'no-such-call' arrived within 6 h" in never["message"]
    # the state keeps the joined ones and the one still waiting: nothing lost
    state = out / "_state" / "transcripts"
    kept = pl.read_parquet(sorted(state.glob("upto=*"))[-1] / "*.parquet")
    joined = kept.filter(pl.col("caller").is_not_null())
    assert sorted(joined["call_id"]) == sorted(landed.filter(pl.col("fate") == "joined")["call_id"])
    assert kept.filter(pl.col("caller").is_null())["call_id"].to_list() == ["call-yet-to-come"]
    assert joined.height + len(quarantined) + 1 == landed.height
    # the alerts equal batch's with the same transcripts but the late one (batch would join
    # it), and OUT reads as one dataset of them
    alerts = pl.read_parquet(sorted(out.glob("alerts-*.parquet")))
    used = landed.filter(pl.col("fate") != "late_transcript").select("call_id", "text")
    want = score_records(Traffic(calls.drop("part"), None, subs), transcripts=used).alerts
    assert alerts.equals(want)
    assert spark.read.parquet(str(out)).count() == alerts.height

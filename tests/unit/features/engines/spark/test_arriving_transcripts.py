"""The Spark stream's transcripts, micro-batch by micro-batch, without starting Spark: each one
that arrives is joined to its call, waits for it, or is set aside with batch's reason; one whose
call never comes is set aside once the stream is 6 hours past it, and the counts add up."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

pytest.importorskip("pyspark")

from callwarden.detect.call_content import CallContent
from callwarden.features.engines.spark.content import (
    KEPT_TRANSCRIPTS,
    LATE_TRANSCRIPT,
    arriving_transcripts,
)

T0 = dt.datetime(2026, 7, 8, tzinfo=dt.UTC)
#: the calls as the stream's history holds them, with their micro-batch
CALLS = pl.DataFrame(
    {
        "call_id": ["c1", "c2", "c3", "c4"],
        "caller": ["+8613800000001", "+8613800000001", "+8613800000002", "+8613800000002"],
        "start_time": [T0 + dt.timedelta(hours=h) for h in (1, 1.2, 2, 9)],
        "duration_s": [60, 0, 30, 30],
        "batch": [0, 0, 0, 1],
    },
    schema_overrides={"batch": pl.Int32},
)
#: what arrives in each micro-batch
ARRIVED = [
    pl.DataFrame(
        {
            "call_id": ["c1", "c1", None, "c1", "c2", "c9", "c4"],
            "text": ["我是市公安局民警", "再说一遍", "你好", "  ", "喂", "谁", "早到的"],
        }
    ),
    pl.DataFrame({"call_id": ["c3", "c1", "c10"], "text": ["迟到的", "第三遍", "还在等"]}),
]


def _us(t: dt.datetime) -> int:
    return int(t.timestamp() * 10**6)


def _stream() -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """The transcripts kept after each micro-batch, and those set aside in each."""
    kept = pl.DataFrame(schema=KEPT_TRANSCRIPTS)
    after, rejected = [], []
    for batch_id, said in enumerate(ARRIVED):
        calls = CALLS.filter(pl.col("batch") <= batch_id)
        latest = _us(calls["start_time"].max())  # type: ignore[arg-type]
        file = f"file:/talk/said-{batch_id}.parquet"
        arrived = said.with_columns(file=pl.lit(file), row=pl.int_range(1, pl.len() + 1))
        kept, out = arriving_transcripts(kept, arrived, calls, batch_id, latest)
        after.append(kept)
        rejected.append(out)
    return after, rejected


def test_each_transcript_is_joined_waits_or_is_set_aside_with_a_reason() -> None:
    after, rejected = _stream()
    # the first micro-batch: one joined, one waits for a call that never comes, one for a call
    # of the next micro-batch; the rest set aside with batch's reasons, where they were read
    first = after[0].filter(pl.col("caller").is_not_null())
    assert first["call_id"].to_list() == ["c1"] and first["text"].to_list() == ["我是市公安局民警"]
    waiting = after[0].filter(pl.col("caller").is_null())
    assert waiting["call_id"].to_list() == ["c9", "c4"]
    assert rejected[0].select("row", "reason", "field").rows() == [
        (2, "duplicate_key", "call_id"),
        (3, "unknown_call_id", "call_id"),
        (4, "missing_value", "text"),
        (5, "unanswered_call", "call_id"),
    ]
    assert set(rejected[0]["file"]) == {"file:/talk/said-0.parquet"}
    assert rejected[0]["raw"].to_list()[2] == {"call_id": "c1", "text": "  "}
    # the second: the latest call is 9 h, 7 h past the first micro-batch's: the transcript
    # of no call is set aside; the early one takes its call; one of a call of 7 h before the
    # latest is too late; a third of c1 is a duplicate; one more waits
    joined = after[1].filter(pl.col("caller").is_not_null())
    assert joined["call_id"].to_list() == ["c1", "c4"]
    assert after[1].filter(pl.col("caller").is_null())["call_id"].to_list() == ["c10"]
    got = rejected[1].select("file", "row", "reason").rows()
    assert got == [
        ("file:/talk/said-0.parquet", 6, "unknown_call_id"),  # (c9: no call in 6 h)
        ("file:/talk/said-1.parquet", 1, LATE_TRANSCRIPT),
        ("file:/talk/said-1.parquet", 2, "duplicate_key"),
    ]
    assert "no call 'c9' arrived within 6 h" in rejected[1]["message"][0]
    # nothing lost: joined + set aside + waiting = arrived
    arrived = sum(a.height for a in ARRIVED)
    assert arrived == 10
    assert joined.height + sum(r.height for r in rejected) + 1 == arrived


def test_the_reasons_are_batch_reasons_but_for_the_late_one() -> None:
    _, rejected = _stream()
    said = pl.concat(ARRIVED)
    batch = CallContent.of_records(said, CALLS.drop("batch"))
    want = {(r["raw"]["call_id"], r["raw"]["text"]): r["reason"] for r in batch.rejects.to_dicts()}
    got = {(r["raw"]["call_id"], r["raw"]["text"]): r["reason"]
           for r in pl.concat(rejected).to_dicts()}  # fmt: skip
    # batch joins the late one (it knows every call), and knows c10 has no call
    assert want.pop(("c10", "还在等")) == "unknown_call_id"
    assert got.pop(("c3", "迟到的")) == LATE_TRANSCRIPT
    assert got == want


def test_a_waiting_transcript_waits_while_the_stream_is_within_6_hours() -> None:
    waiting = pl.DataFrame(schema=KEPT_TRANSCRIPTS)
    arrived = pl.DataFrame({"call_id": ["c9"], "text": ["谁"], "file": ["f"], "row": [1]})
    calls = CALLS.filter(pl.col("batch") == 0)
    at = _us(T0 + dt.timedelta(hours=2))
    waiting, _ = arriving_transcripts(waiting, arrived, calls, 0, at)
    empty = arrived.clear()
    for hours, left in ((6, 1), (6.01, 0)):
        kept, out = arriving_transcripts(waiting, empty, calls, 1, at + int(hours * 3600e6))
        assert (kept.height, out.height) == (left, 1 - left)


def test_a_state_kept_before_the_arrival_times_takes_the_latest_call() -> None:
    old = pl.DataFrame({"call_id": ["c9"], "text": ["谁"]})  # (no file, row, arrived_at)
    empty = pl.DataFrame(schema={"call_id": pl.String, "text": pl.String, "file": pl.String,
                                 "row": pl.Int64})  # fmt: skip
    calls = CALLS.filter(pl.col("batch") == 0)
    kept, out = arriving_transcripts(old, empty, calls, 3, _us(T0))
    assert out.height == 0 and kept["arrived_at"].to_list() == [T0]

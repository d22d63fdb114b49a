"""What an SMS says, on Spark: the content feature at the SMS events, as batch scoring fills it.

The feature is batch's and the live scorer's (``detect/sms_content.py``): at each SMS event past
the detectors' gate, the highest scam risk among the texts its sender sent at that time; 0
for calls, for SMS below the gate and for SMS without a text. On Spark:

1. the texts worth reading: SMS with a text from senders who may reach the gate (at least
   ``GATE.sms_1h`` SMS, with a text or not, in two consecutive clock hours: triage's bound);
2. each distinct text classified once, on the executors, by the same function batch scoring
   calls (:func:`~callwarden.detect.sms_content.classify_texts`, the shipped model, loaded once
   per Python worker), over Arrow batches;
3. the risks joined back to the events by sender and send time, the highest kept where a
   sender sent several texts at the same microsecond, and set to 0 below the gate.

The driver reads the texts of the few events that reached the policy (:func:`driver_content`)
to write the content reason beside the SMS burst's, as batch does. Call transcripts are joined
to their calls on the driver (:func:`call_content`): the transcripts and the calls they name
are collected there, far fewer than the calls, and joined as batch scoring joins them. The
streaming job joins transcripts as they arrive, as the live scorer does
(:func:`arriving_transcripts`), and keeps them (:data:`KEPT_TRANSCRIPTS`).
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from callwarden.detect.call_content import (
    CALL_RISK,
    CALL_SCAM,
    CALL_SCAMS,
    KEEP_CALLS_S,
    WINDOW_US,
    CallContent,
)
from callwarden.detect.sms_content import CONTENT_FEATURE, CONTENT_SCAM, SmsContent, classify_texts
from callwarden.features.engines.spark.triage import _max_two_hours  # (the same bound)
from callwarden.features.gate import GATE

__all__ = [
    "DRIVER_TEXTS", "KEPT_TRANSCRIPTS", "arriving_transcripts", "call_content", "driver_content",
    "driver_texts", "kept_call_content", "sms_texts", "with_call_content", "with_content_risk",
]  # fmt: skip

_RISK = "_content_risk"


def sms_texts(sms: DataFrame | None) -> DataFrame | None:
    """``msisdn``, ``time``, ``content`` of the SMS with a text whose sender may reach the
    gate; None without SMS or texts."""
    if sms is None or "content" not in sms.columns:
        return None
    texts = sms.where(F.col("content").isNotNull() & (F.col("content") != ""))
    # (every SMS counts towards the gate, with a text or without)
    busy = _max_two_hours(sms.select("sender", "sent_time"), "sender", "sent_time")
    senders = busy.where(F.col("peak") >= GATE.sms_1h).select(F.col("msisdn").alias("sender"))
    return texts.join(senders, "sender", "left_semi").select(
        F.col("sender").alias("msisdn"), F.col("sent_time").alias("time"), "content"
    )


def _risk_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts = batch.column(0)
        risk = [found[0] for found in classify_texts(texts.to_pylist())]
        yield pa.RecordBatch.from_arrays(
            [texts, pa.array(risk, pa.float64())], names=["content", _RISK]
        )


def with_content_risk(features: DataFrame, texts: DataFrame | None) -> DataFrame:
    """``features`` (``spark_features``) with :data:`CONTENT_FEATURE` beside them."""
    if texts is None:
        return features.withColumn(CONTENT_FEATURE, F.lit(0.0))
    schema = StructType(
        [StructField("content", StringType()), StructField(_RISK, DoubleType(), nullable=False)]
    )
    risks = texts.select("content").distinct().mapInArrow(_risk_batches, schema)
    per_event = (
        texts.join(risks, "content")
        .groupBy("msisdn", "time")
        .agg(F.max(_RISK).alias(_RISK))
        .withColumn("kind", F.lit("sms"))
    )
    gated = (F.col("kind") == "sms") & (F.col("sms_out_1h") >= GATE.sms_1h)
    risk = F.when(gated, F.coalesce(F.col(_RISK), F.lit(0.0))).otherwise(F.lit(0.0))
    joined = features.join(per_event, ["msisdn", "kind", "time"], "left")
    return joined.withColumn(CONTENT_FEATURE, risk).select(*features.columns, CONTENT_FEATURE)


#: the driver's texts of kept SMS events (:func:`driver_texts`)
DRIVER_TEXTS: dict[str, pl.DataType] = {
    "sender": pl.String(), "sent_time": pl.Datetime("us", "UTC"), "content": pl.String(),
}  # fmt: skip


def driver_content(kept: pl.DataFrame, texts: DataFrame | None) -> SmsContent | None:
    """The texts of the kept events (``features_to_polars`` of the alert candidates) whose
    content reads as a scam, on the driver, for their content reasons; None without texts."""
    found = driver_texts(kept, texts)
    return None if found is None else SmsContent.of_sms(found if found.height else None)


def driver_texts(kept: pl.DataFrame, texts: DataFrame | None) -> pl.DataFrame | None:
    """The SMS (:data:`DRIVER_TEXTS`) of the kept events whose content reads as a scam,
    collected on the driver; None without texts."""
    if texts is None or CONTENT_FEATURE not in kept.columns:
        return None
    keys = kept.filter((pl.col("kind") == "sms") & (pl.col(CONTENT_FEATURE) >= CONTENT_SCAM))
    keys = keys.select("msisdn", pl.col("time").cast(pl.Datetime("us", "UTC"))).unique()
    if keys.height == 0:
        return pl.DataFrame(schema=DRIVER_TEXTS)
    wanted = texts.sparkSession.createDataFrame(keys.to_arrow())
    found = pl.from_arrow(texts.join(wanted, ["msisdn", "time"], "left_semi").toArrow())
    assert isinstance(found, pl.DataFrame)  # noqa: S101  (a table converts to a frame)
    frame = found.rename({"msisdn": "sender", "time": "sent_time"})
    return frame.select(pl.col(c).cast(t) for c, t in DRIVER_TEXTS.items())


def call_content(transcripts: DataFrame, calls: DataFrame) -> CallContent:
    """Call transcripts (``call_id``, ``text``) joined to their calls on the driver, as
    batch scoring joins them (``detect/call_content.py``): the unusable ones counted."""
    said = transcripts.select("call_id", "text")
    named = calls.select("call_id", "caller", "start_time", "duration_s").join(
        said.select("call_id").distinct(), "call_id", "left_semi"
    )
    frames = []
    for frame in (said, named):
        got = pl.from_arrow(frame.toArrow())
        assert isinstance(got, pl.DataFrame)  # noqa: S101  (a table converts to a frame)
        frames.append(got)
    return CallContent.of_records(frames[0], frames[1])


#: the streaming job's transcripts (:func:`arriving_transcripts`): each joined to its call
#: (``caller``, ``start_time``, ``duration_s``), or waiting for it (those null)
KEPT_TRANSCRIPTS: dict[str, pl.DataType] = {
    "call_id": pl.String(), "text": pl.String(), "caller": pl.String(),
    "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int64(),
}  # fmt: skip
_CALL = ("caller", "start_time", "duration_s")


def arriving_transcripts(
    kept: pl.DataFrame, arrived: pl.DataFrame, calls: pl.DataFrame, batch_id: int
) -> pl.DataFrame:
    """The transcripts kept (:data:`KEPT_TRANSCRIPTS`) after micro-batch ``batch_id``, joined
    to their calls as the live scorer joins them (``CallContent.add_transcripts``): one that
    arrives (``arrived``: ``call_id``, ``text``) takes its call from this micro-batch, or from
    an earlier one if the call started at most ``KEEP_CALLS_S`` before the latest call (so
    far); else it waits for its call, and takes it when the call arrives. ``calls``: the calls
    named (``call_id``, ``caller``, ``start_time``, ``duration_s``, ``batch``: their
    micro-batch) and the latest call (``latest``) of the micro-batches up to this one. As in
    batch, a transcript without text, one of an unanswered call and a second one of a call
    are not used (the first one is)."""
    kept = kept.select(pl.col(c).cast(t) for c, t in KEPT_TRANSCRIPTS.items())
    joined = kept.filter(pl.col("caller").is_not_null())
    arrived = arrived.select(pl.col("call_id").cast(pl.String), pl.col("text").cast(pl.String))
    arrived = arrived.filter(pl.col("text").str.strip_chars().str.len_chars() > 0)
    calls = calls.select(
        "call_id", *(pl.col(c).cast(KEPT_TRANSCRIPTS[c]) for c in _CALL), "batch",
        pl.col("latest").cast(KEPT_TRANSCRIPTS["start_time"]),
    )  # fmt: skip
    now = calls.filter(pl.col("batch") == batch_id).drop("batch", "latest")
    keep_us = KEEP_CALLS_S * 10**6
    recent = pl.col("start_time") >= pl.col("latest") - pl.duration(microseconds=keep_us)
    remembered = calls.filter((pl.col("batch") == batch_id) | recent).drop("batch", "latest")
    waiting = kept.filter(pl.col("caller").is_null()).select("call_id", "text")
    named = pl.concat([  # (in the order they arrived: the first of a call is used)
        waiting.join(now, on="call_id", how="left", maintain_order="left"),
        arrived.join(remembered, on="call_id", how="left", maintain_order="left"),
    ])  # fmt: skip
    used = ~pl.col("call_id").is_in(joined["call_id"].implode())
    found = named.filter(pl.col("caller").is_not_null() & used)
    found = found.unique("call_id", keep="first", maintain_order=True)
    found = found.filter(pl.col("duration_s").fill_null(0) > 0)
    still = named.filter(pl.col("caller").is_null() & used)
    still = still.filter(~pl.col("call_id").is_in(found["call_id"].implode()))
    return pl.concat([joined, found, still]).select(list(KEPT_TRANSCRIPTS))


def kept_call_content(kept: pl.DataFrame, since_us: int | None = None) -> CallContent:
    """The joined transcripts of :data:`KEPT_TRANSCRIPTS` (those of calls that started from
    ``since_us`` on, if given) as batch scoring's :class:`CallContent`."""
    joined = kept.filter(pl.col("caller").is_not_null())
    if since_us is not None:
        joined = joined.filter(pl.col("start_time").dt.epoch("us") >= since_us)
    return CallContent.of_records(joined.select("call_id", "text"), joined.drop("text"))


def with_call_content(features: DataFrame, said: CallContent | None) -> DataFrame:
    """``features`` with the call events' transcript features (``call_content_risk``,
    ``call_content_calls``: ``detect/call_content.py``) beside them, as batch fills them: the
    joined transcripts are read on the driver (each distinct text once; far fewer than the
    calls) and joined to the call events of their callers within the last 24 hours. Without
    transcripts the features are left out (the ``call_content`` detector scores 0, as in
    batch)."""
    if said is None or not said:
        return features
    read = said.calls_read()
    spark = features.sparkSession
    calls = spark.createDataFrame(read.to_arrow()).select(
        F.col("caller").alias("msisdn"), F.col("us").alias("_us"), F.col("fraud").alias("_fraud")
    )
    events = features.where(F.col("kind") == "call").select("msisdn", "time").distinct()
    at = F.unix_micros(F.col("time"))
    per_event = (
        events.join(calls, "msisdn")
        .where((F.col("_us") <= at) & (F.col("_us") > at - F.lit(WINDOW_US)))
        .groupBy("msisdn", "time")
        .agg(
            F.max("_fraud").alias(CALL_RISK),
            F.sum(F.when(F.col("_fraud") >= CALL_SCAM, 1.0).otherwise(0.0)).alias(CALL_SCAMS),
        )
        .withColumn("kind", F.lit("call"))
    )
    joined = features.join(per_event, ["msisdn", "kind", "time"], "left")
    return joined.select(
        *features.columns,
        F.coalesce(F.col(CALL_RISK), F.lit(0.0)).alias(CALL_RISK),
        F.coalesce(F.col(CALL_SCAMS), F.lit(0.0)).alias(CALL_SCAMS),
    )

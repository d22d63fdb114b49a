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
(:func:`arriving_transcripts`), keeps them (:data:`KEPT_TRANSCRIPTS`), and sets aside, with
their reasons, those batch would not use and those whose call does not come in time
(:data:`REJECTED_TRANSCRIPTS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

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
    REJECT_REASONS,
    WINDOW_US,
    CallContent,
)
from callwarden.detect.sms_content import CONTENT_FEATURE, CONTENT_SCAM, SmsContent, classify_texts
from callwarden.features.engines.spark.triage import _max_two_hours  # (the same bound)
from callwarden.features.gate import GATE

__all__ = [
    "DRIVER_TEXTS", "KEPT_TRANSCRIPTS", "LATE_TRANSCRIPT", "REJECTED_TRANSCRIPTS",
    "arriving_transcripts", "call_content", "driver_content", "driver_texts", "kept_call_content",
    "sms_texts", "with_call_content", "with_content_risk",
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
#: (``caller``, ``start_time``, ``duration_s``), or waiting for it (those null); where it came
#: from (``file``, its 1-based ``row`` there) and the latest call so far when it arrived
#: (``arrived_at``: it waits for its call until the latest call is :data:`KEEP_CALLS_S` later)
KEPT_TRANSCRIPTS: dict[str, pl.DataType] = {
    "call_id": pl.String(), "text": pl.String(), "caller": pl.String(),
    "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int64(), "file": pl.String(),
    "row": pl.Int64(), "arrived_at": pl.Datetime("us", "UTC"),
}  # fmt: skip
_CALL = ("caller", "start_time", "duration_s")
#: a transcript whose call started more than :data:`KEEP_CALLS_S` before the latest call when
#: it arrived: the stream no longer remembers the call (batch scoring would join it)
LATE_TRANSCRIPT: Final = "late_transcript"
_HORIZON = f"{KEEP_CALLS_S // 3600} h"
#: why the stream set a transcript aside: the quarantine's reason and message (batch's reasons,
#: ``detect/call_content.py``, and the stream's own two)
_WHY: Final = {
    "no_call_id": (REJECT_REASONS["unknown_call_id"], "a transcript without call_id: no call "
                   "to join it to"),
    "empty_text": (REJECT_REASONS["empty_text"], "the transcript of call {id!r} has no text"),
    "unanswered": (REJECT_REASONS["unanswered"], "call {id!r} was not answered (duration 0): "
                   "a transcript of it is not used"),
    "duplicate": (REJECT_REASONS["duplicate"], "call {id!r} has a transcript already (the "
                  "first one is used)"),
    "late": (LATE_TRANSCRIPT, f"call {{id!r}} started more than {_HORIZON} before the latest "
             "call when its transcript arrived: too late to be joined"),
    "expired": (REJECT_REASONS["unknown_call_id"], f"no call {{id!r}} arrived within {_HORIZON} "
                "of its transcript, nor was among the calls kept when it arrived: the "
                "transcript is not used"),
}  # fmt: skip
#: the quarantine's rows (``records/quarantine.py``), ``file`` first as it writes them
_RAW = pl.Struct({"call_id": pl.String(), "text": pl.String()})
REJECTED_TRANSCRIPTS: dict[str, pl.DataType] = {
    "file": pl.String(), "row": pl.Int64(), "reason": pl.String(), "field": pl.String(),
    "message": pl.String(), "raw": _RAW,
}  # fmt: skip


def _as_kept(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the columns of :data:`KEPT_TRANSCRIPTS` (those it lacks null: a state
    written before they were kept)."""
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in KEPT_TRANSCRIPTS.items()
    )


def arriving_transcripts(
    kept: pl.DataFrame,
    arrived: pl.DataFrame,
    calls: pl.DataFrame,
    batch_id: int,
    latest_us: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The transcripts kept (:data:`KEPT_TRANSCRIPTS`) after micro-batch ``batch_id``, and
    those set aside there (:data:`REJECTED_TRANSCRIPTS`), joined to their calls as the live
    scorer joins them (``CallContent.add_transcripts``), and rejected as batch rejects them.

    One that arrives (``arrived``: ``call_id``, ``text``, ``file``, ``row``) takes its call
    from this micro-batch, or from an earlier one if the call started at most
    :data:`KEEP_CALLS_S` before the latest call (``latest_us``, µs; None before any call);
    else it waits for its call, and takes it when the call arrives, until the latest call is
    :data:`KEEP_CALLS_S` past the latest call when it arrived: then it is set aside as a
    transcript of no call (``unknown_call_id``). ``calls``: the calls named (``call_id``,
    ``caller``, ``start_time``, ``duration_s``, ``batch``: their micro-batch), of the
    micro-batches up to this one. As in batch, one without a call id (``unknown_call_id``) or
    without text (``missing_value``: set aside when it arrives, its call come or not), one of
    an unanswered call (``unanswered_call``) and a second one of a call (``duplicate_key``:
    the first one is used) are set aside; and one whose call is remembered no more
    (:data:`LATE_TRANSCRIPT`), which batch would join. Each transcript that arrives is kept
    or set aside, once: kept before + arrived = kept after + set aside.
    """
    kept = _as_kept(kept)
    joined = kept.filter(pl.col("caller").is_not_null())
    at = pl.lit(latest_us, pl.Int64).cast(KEPT_TRANSCRIPTS["arrived_at"])
    waiting = kept.filter(pl.col("caller").is_null()).select(
        "call_id", "text", "file", "row", pl.col("arrived_at").fill_null(at)
    )
    arrived = arrived.select(
        pl.col("call_id").cast(pl.String), pl.col("text").cast(pl.String),
        pl.col("file").cast(pl.String), pl.col("row").cast(pl.Int64), arrived_at=at,
    )  # fmt: skip
    # (the first record of a call, as batch joins it)
    calls = calls.sort("batch", maintain_order=True).unique("call_id", keep="first",
                                                           maintain_order=True)  # fmt: skip
    calls = calls.select(
        "call_id", *(pl.col(c).cast(KEPT_TRANSCRIPTS[c]) for c in _CALL),
        now=pl.col("batch") == batch_id,
    )  # fmt: skip
    recent = pl.lit(False)
    if latest_us is not None:
        since = latest_us - KEEP_CALLS_S * 10**6
        recent = pl.col("start_time").dt.epoch("us") >= since
    named = pl.concat([  # (in the order they arrived: the first of a call is used)
        waiting.join(calls.filter("now"), on="call_id", how="left", maintain_order="left"),
        arrived.join(calls, on="call_id", how="left", maintain_order="left"),
    ])  # fmt: skip
    named = named.with_columns(
        recent=pl.col("now").fill_null(False) | recent.fill_null(False),
        seq=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    found = pl.col("caller").is_not_null()
    answered = pl.col("duration_s").fill_null(0) > 0
    again = pl.col("call_id").is_in(joined["call_id"].implode())
    late = found & answered & ~again & ~pl.col("recent")
    expired = pl.lit(False)
    if latest_us is not None:
        expired = pl.col("arrived_at").dt.epoch("us") < latest_us - KEEP_CALLS_S * 10**6
    why = (
        pl.when(pl.col("call_id").is_null()).then(pl.lit("no_call_id"))
        .when(pl.col("text").fill_null("").str.strip_chars() == "").then(pl.lit("empty_text"))
        .when(found & ~answered).then(pl.lit("unanswered"))
        .when(found & again).then(pl.lit("duplicate"))
        .when(late).then(pl.lit("late"))
        .when(~found & expired).then(pl.lit("expired"))
    )  # fmt: skip
    named = named.with_columns(why=why)
    # a second usable one of the same call in this micro-batch: a duplicate too
    usable = named.filter(pl.col("why").is_null() & found)
    first = usable.unique("call_id", keep="first", maintain_order=True)["seq"].implode()
    named = named.with_columns(
        why=pl.when(pl.col("why").is_null() & found & ~pl.col("seq").is_in(first))
        .then(pl.lit("duplicate"))
        .otherwise("why")
    )
    now_kept = named.filter(pl.col("why").is_null())
    kept_now = pl.concat([joined, _as_kept(now_kept.filter(found)),
                          _as_kept(now_kept.filter(~found))])  # fmt: skip
    return kept_now, _rejected(named.filter(pl.col("why").is_not_null()))


def _rejected(named: pl.DataFrame) -> pl.DataFrame:
    """The quarantine's rows (:data:`REJECTED_TRANSCRIPTS`) of the transcripts set aside
    (``why``: a key of :data:`_WHY`)."""
    rows = [
        {
            "file": file, "row": row, "reason": _WHY[why][0],
            "field": "text" if why == "empty_text" else "call_id",
            "message": _WHY[why][1].format(id=call_id),
            "raw": {"call_id": call_id, "text": text},
        }
        for call_id, text, file, row, why in named.select(
            "call_id", "text", "file", "row", "why"
        ).iter_rows()
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=REJECTED_TRANSCRIPTS)


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

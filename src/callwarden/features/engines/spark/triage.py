"""Triage on Spark: the numbers that may pass the detectors' gate, found with group-bys.

The same gate (:data:`~callwarden.features.gate.GATE`) and the same bounds as the compiled engine's
``triage.py``: an hour's calls never exceed the calls of the two clock hours it spans, an owner's
age is known to within a year, and so on. Features are then computed only for these numbers; the
others cannot alert. The conformance suite checks that the alerts stay equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from callwarden.features.formulas import invalid_flags
from callwarden.features.gate import GATE, Gate
from callwarden.features.spec import SPOOFED_FLAGS

__all__ = ["invalid_numbers", "spark_candidates"]

HOUR_MS = 3_600_000


def _max_two_hours(frame: DataFrame, who: str, time: str) -> DataFrame:
    """Per number: the most records in two consecutive clock hours, and the total."""
    per_hour = frame.groupBy(
        F.col(who).alias("msisdn"), F.floor(F.unix_millis(time) / HOUR_MS).alias("hour")
    ).count()
    by_number = Window.partitionBy("msisdn").orderBy("hour")
    before = F.lag("count").over(by_number)
    pair = F.col("count") + F.when(
        F.lag("hour").over(by_number) == F.col("hour") - 1, before
    ).otherwise(0)
    return (
        per_hour.withColumn("pair", pair)
        .groupBy("msisdn")
        .agg(F.max("pair").alias("peak"), F.sum("count").alias("total"))
    )


def _invalid_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        numbers = batch.column(0)
        flags = pa.array(invalid_flags(numbers.to_pylist()), pa.float64())
        yield pa.RecordBatch.from_arrays([numbers, flags], names=["msisdn", "is_invalid_number"])


def invalid_numbers(frame: DataFrame) -> DataFrame:
    """Each distinct ``msisdn`` of ``frame`` with its ``is_invalid_number``: the embedded
    engine's own function (the numbering plan's metadata), run over Arrow batches."""
    schema = StructType(
        [
            StructField("msisdn", StringType()),
            StructField("is_invalid_number", DoubleType(), nullable=False),
        ]
    )
    return frame.select("msisdn").distinct().mapInArrow(_invalid_batches, schema)


def spark_candidates(
    calls: DataFrame,
    sms: DataFrame | None,
    subscribers: DataFrame | None,
    gate: Gate = GATE,
) -> DataFrame:
    """Numbers (``msisdn``) that may pass the gate somewhere in the input.

    ``calls`` must carry the crossing signals (``spark_crossing_signals``) when a known-fraud
    list is used.
    """
    out = _max_two_hours(calls, "caller", "start_time")
    unusual: Column = F.lit(False)
    new_sim: Column = F.lit(False)
    if subscribers is not None:
        # as epoch microseconds: PySpark would turn timestamps into the local zone's datetimes
        span = calls.agg(F.min(F.unix_micros("start_time")), F.max(F.unix_micros("start_time")))
        got = span.first()
        if got is not None and got[0] is not None:
            first = datetime.fromtimestamp(got[0] / 1e6, tz=UTC)
            last = datetime.fromtimestamp(got[1] / 1e6, tz=UTC)
            subs = subscribers.select("msisdn", "owner_birth_year", "activated_on")
            out = out.join(subs, "msisdn", "left_outer")
            birth = F.col("owner_birth_year")
            # a year of slack each side: the age feature counts years of 365.2425 days
            unusual = (birth <= last.year - gate.unusual_age_over) | (
                birth >= first.year - gate.unusual_age_under - 1
            )
            fresh_after = (first - timedelta(days=gate.new_sim_days + 1)).date()
            new_sim = (F.col("activated_on") >= F.lit(fresh_after)) & (
                F.col("total") >= gate.new_sim_calls_24h
            )
    foreign = ~F.col("msisdn").startswith("+86")
    false = F.lit(False)
    chosen = out.where(
        (F.col("peak") >= gate.busy_calls_1h)
        | ((F.col("peak") >= gate.unusual_calls_1h) & (F.coalesce(unusual, false) | foreign))
        | F.coalesce(new_sim, false)
    ).select("msisdn")
    parts = [chosen]
    few = out.where(F.col("peak") >= gate.invalid_calls_1h)
    parts.append(invalid_numbers(few).where(F.col("is_invalid_number") > 0).select("msisdn"))
    if "caller_flag" in calls.columns:  # (absent in older files: no flags)
        spoofed = _max_two_hours(
            calls.where(F.col("caller_flag").isin(*SPOOFED_FLAGS)), "caller", "start_time"
        )
        parts.append(spoofed.where(F.col("peak") >= gate.spoofed_calls_1h).select("msisdn"))
    devices = (
        calls.where(F.col("caller_imei").isNotNull())
        .groupBy("caller_imei")
        .agg(F.countDistinct("caller").alias("n"))
        .where(F.col("n") >= gate.sims_per_device)
    )
    parts.append(
        calls.join(devices, "caller_imei", "left_semi").select(F.col("caller").alias("msisdn"))
    )
    if "_known_peer" in calls.columns:
        ring = calls.groupBy("caller").agg(
            F.sum("_known_peer").alias("peer"), F.sum("_shared_victim").alias("victim")
        )
        parts.append(
            ring.where(
                (F.col("peer") >= gate.known_signals_24h)
                | (F.col("victim") >= gate.known_signals_24h)
            ).select(F.col("caller").alias("msisdn"))
        )
    if sms is not None:
        texts = _max_two_hours(sms, "sender", "sent_time")
        parts.append(texts.where(F.col("peak") >= gate.sms_1h).select("msisdn"))
    result = parts[0]
    for part in parts[1:]:
        result = result.unionByName(part)
    return result.distinct()

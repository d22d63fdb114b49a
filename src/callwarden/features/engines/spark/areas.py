"""Where the callees live, on Spark: the area features at the call events, as batch fills them.

The features are batch's and the live scorer's (``detect/callee_areas.py``): at a call event,
where the callees of the caller's own calls of the last quarter hour or hour live. On Spark:

1. the areas and their shares from the subscribers' ``region`` (one row per area, on the
   driver), and each subscriber's area code, joined to the callees of the own calls;
2. the call events with at least ``LOOK_CALLS_1H`` own calls in the hour (the relay detectors
   score 0 elsewhere) joined to their caller's own calls of the hour up to them (a range
   join), each event's calls collected into one list;
3. the features of each event computed over Arrow batches by the very function batch scoring
   calls (:func:`~callwarden.detect.callee_areas.cue_at`), and joined back (0, the area -1,
   at the other events).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from callwarden.detect.callee_areas import (
    AREA,
    AREA_FEATURES,
    LOOK_CALLS_1H,
    WINDOWS_US,
    Areas,
    cue_at,
)
from callwarden.features.spec import SPOOFED_FLAGS

__all__ = ["spark_areas", "with_callee_areas"]

_AT = "_at_us"
_CALLS = "_calls"


def spark_areas(subscribers: DataFrame | None) -> tuple[Areas, DataFrame | None]:
    """The areas (names and shares) and each subscriber's area code (``callee``, ``area``),
    as ``Areas.homes`` reads them; None without regions."""
    if subscribers is None or "region" not in subscribers.columns:
        return Areas((), ()), None
    homes = (
        subscribers.select(F.col("msisdn").cast(StringType()), F.col("region").cast(StringType()))
        .where(F.col("msisdn").isNotNull() & (F.coalesce(F.col("region"), F.lit("")) != ""))
        .groupBy("msisdn")
        .agg(F.min("region").alias("region"))
    )
    counts = {str(r[0]): int(r[1]) for r in homes.groupBy("region").count().collect()}
    areas = Areas.of_counts(counts)
    if not areas.names:
        return areas, None
    codes = homes.sparkSession.createDataFrame(
        [(name, k) for k, name in enumerate(areas.names)], "region string, area int"
    )
    return areas, homes.join(F.broadcast(codes), "region").select(
        F.col("msisdn").alias("callee"), "area"
    )


def _batches(weights: Sequence[float]) -> object:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = batch.to_pylist()
            found = []
            for row in rows:
                calls = sorted((c["us"], c["callee"], c["area"]) for c in row[_CALLS])
                found.append(cue_at([c[0] for c in calls], [c[1] for c in calls],
                                    [c[2] for c in calls], row[_AT], weights))  # fmt: skip
            columns = [
                pa.array([r["msisdn"] for r in rows], pa.string()),
                pa.array([r[_AT] for r in rows], pa.int64()),
            ]
            columns += [pa.array([float(f[j]) for f in found], pa.float64())
                        for j in range(len(AREA_FEATURES))]  # fmt: skip
            yield pa.RecordBatch.from_arrays(columns, names=["msisdn", _AT, *AREA_FEATURES])

    return run


def with_callee_areas(
    features: DataFrame, calls: DataFrame, areas: Areas, homes: DataFrame | None
) -> DataFrame:
    """``features`` (``spark_features``) with the :data:`AREA_FEATURES` beside them, from the
    areas and the subscribers' area codes (:func:`spark_areas`)."""
    defaults = {name: F.lit(-1.0 if name == AREA else 0.0) for name in AREA_FEATURES}
    if homes is None:
        return features.withColumns(defaults)
    own = calls
    if "caller_flag" in calls.columns:  # a spoofed presentation is not the number's own call
        own = own.where(~F.coalesce(F.col("caller_flag").isin(*SPOOFED_FLAGS), F.lit(False)))
    own = (
        own.where(F.col("caller").isNotNull() & F.col("callee").isNotNull())
        .select(
            F.col("caller").cast(StringType()).alias("msisdn"),
            F.col("callee").cast(StringType()).alias("callee"),
            F.unix_micros("start_time").alias("us"),
        )
        .join(homes, "callee", "left")
        .withColumn("area", F.coalesce(F.col("area"), F.lit(-1)).cast(LongType()))
    )
    events = (
        features.where((F.col("kind") == "call") & (F.col("out_calls_1h") >= LOOK_CALLS_1H))
        .select("msisdn", F.unix_micros("time").alias(_AT))
        .distinct()
    )
    hour = F.lit(WINDOWS_US[-1])
    per_event = (
        events.join(own, "msisdn")
        .where((F.col("us") <= F.col(_AT)) & (F.col("us") > F.col(_AT) - hour))
        .groupBy("msisdn", _AT)
        .agg(F.collect_list(F.struct("us", "callee", "area")).alias(_CALLS))
    )
    schema = StructType(
        [StructField("msisdn", StringType()), StructField(_AT, LongType())]
        + [StructField(name, DoubleType()) for name in AREA_FEATURES]
    )
    found = per_event.mapInArrow(_batches(areas.weights), schema)  # type: ignore[arg-type]
    joined = features.withColumn(_AT, F.unix_micros("time")).join(
        found.withColumn("kind", F.lit("call")), ["msisdn", "kind", _AT], "left"
    )
    return joined.select(
        *features.columns,
        *(F.coalesce(F.col(name), default).alias(name) for name, default in defaults.items()),
    )

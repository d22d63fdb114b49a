"""Scoring as a Structured Streaming job: a directory of arriving Parquet files, alerts out.

For operators whose records land on HDFS or S3 as files: Spark's file source picks up each new
file, and every micro-batch runs the batch job of :mod:`.scoring` on the new calls together
with the calls of the lookback before them (twice the longest window: a 24 h feature at an
event sums signals that themselves look back 24 h). Only the new calls' events are scored.
The policy's memory (decisions so far, suspensions per day) is the set of alert candidates
kept so far, replayed through the same ``DecisionState``, with the campaign pass's groups
(``detect/campaign_steps.py``) over the new calls and those of twice its window before them,
on the driver.

Everything the job remembers is in files under ``state`` (by default ``OUT/_state``): Spark's
checkpoint (which input files are done), the lookback of calls and the kept candidates, each
written per micro-batch id, so a re-run batch overwrites its own output and a restarted job
goes on where it stopped. Alerts go to ``OUT/alerts-<batch>.parquet`` (the canonical schema;
``OUT`` reads as one Parquet dataset, ``_state`` being hidden).

Files must arrive in event-time order (each file's calls later than earlier files'), as a
switch writes them; a late file's calls are scored with the lookback there is, and decisions
already made are not revisited.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.streaming.query import StreamingQuery

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.callee_areas import Areas
from callwarden.detect.scoring import score_events
from callwarden.features.engines.base import DEFAULT_TIMEZONE
from callwarden.features.engines.spark.features import spark_features
from callwarden.features.engines.spark.records import SparkRecords, with_record_features
from callwarden.features.engines.spark.scoring import (
    alert_candidates,
    allowed_numbers,
    campaign_records,
    features_to_polars,
    served_among,
    write_alerts_to,
)
from callwarden.features.spec import WINDOWS
from callwarden.network import ServedNumbers
from callwarden.records.schema import CALLS

__all__ = ["LOOKBACK_MS", "StreamJob", "start_stream"]

#: calls kept before each micro-batch's first call
LOOKBACK_MS = 2 * max(WINDOWS.values())


@dataclass
class StreamJob:
    """One micro-batch's work, called by Spark with each batch of new calls."""

    spark: SparkSession
    out: str
    state: str
    subscribers: DataFrame | None
    policy: PolicyConfig
    timezone: str
    known: DataFrame | None
    allowed: pl.DataFrame | None = None
    #: prefixes the operator serves, besides the subscribers
    served: ServedNumbers | None = None
    #: the areas the subscribers live in (the relay detectors' reasons)
    areas: Areas | None = None

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        history = f"{self.state}/history"
        batch.select(*CALLS.columns).write.mode("overwrite").parquet(f"{history}/batch={batch_id}")
        new = self.spark.read.parquet(f"{history}/batch={batch_id}")
        first = new.agg(F.min("start_time")).first()
        if first is None or first[0] is None:
            return
        since = F.lit(first[0]) - F.expr(f"INTERVAL {LOOKBACK_MS // 1000} SECONDS")
        calls = (
            self.spark.read.parquet(history)
            .where((F.col("batch") <= batch_id) & (F.col("start_time") >= since))
            .select(*CALLS.columns)
        )
        features = spark_features(
            calls, None, self.subscribers, self.timezone, self.known, triage=True
        )
        # what the records say (calls only here: where the callees live), as batch fills it
        records = SparkRecords.of(calls, None, self.subscribers)
        features, self.areas = with_record_features(features, records), records.areas
        fresh = features.join(new.select(F.col("call_id").alias("rid")), "rid", "left_semi")
        kept = alert_candidates(fresh, self.policy, self.timezone)
        kept.write.mode("overwrite").parquet(f"{self.state}/candidates/batch={batch_id}")
        kept_so_far = features_to_polars(
            self.spark.read.parquet(f"{self.state}/candidates").where(F.col("batch") <= batch_id)
        )
        # the campaign pass reads the calls of twice its window (or the look-back, if longer)
        # before the new calls: its groups at each checkpoint up to the latest call, collected
        # on the driver as Spark batch collects them; the replays with and without the new
        # files read from the same start, so only what the new files change is written
        back_s = max(LOOKBACK_MS // 1000, 2 * self.policy.campaigns.window_s)
        seen = (
            self.spark.read.parquet(history)
            .where(F.col("start_time") >= F.lit(first[0]) - F.expr(f"INTERVAL {back_s} SECONDS"))
            .select(*CALLS.columns, "batch")
        )
        alerts = self._alerts(kept_so_far, seen.where(F.col("batch") <= batch_id))
        before = self._alerts(
            kept_so_far.filter(pl.col("batch") < batch_id), seen.where(F.col("batch") < batch_id)
        )
        new_alerts = alerts.join(before.select("msisdn", "decision"), on=["msisdn", "decision"],
                                 how="anti")  # fmt: skip
        write_alerts_to(self.spark, new_alerts, f"{self.out}/alerts-{batch_id:06d}.parquet")

    def _alerts(self, kept: pl.DataFrame, calls: DataFrame) -> pl.DataFrame:
        """Replay the kept candidates through the policy (in record order, as batch does),
        with the campaign pass's groups over ``calls`` at its checkpoints."""
        if self.allowed is None:
            self.allowed = allowed_numbers(self.subscribers)
        frame = kept.drop("batch").with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64))
        campaigns = campaign_records(calls, None, self.subscribers, self.policy, self.timezone)
        # the numbers that may be decided on: the kept events', and a campaign group's lines
        deciding = frame["msisdn"]
        if campaigns is not None and campaigns.calls is not None:
            deciding = pl.concat([deciding, campaigns.calls["caller"].cast(pl.String)]).unique()
        on_net = served_among(deciding, self.subscribers, self.served)
        return score_events(
            frame,
            self.allowed,
            self.policy,
            timezone=self.timezone,
            served=on_net,
            campaigns=campaigns,
            areas=self.areas,
        ).alerts


def start_stream(
    spark: SparkSession,
    source: str,
    out: str,
    *,
    subscribers: DataFrame | None = None,
    policy: PolicyConfig | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    known: DataFrame | None = None,
    state: str | None = None,
    trigger_seconds: float = 10.0,
    files_per_batch: int | None = None,
    served: ServedNumbers | None = None,
) -> StreamingQuery:
    """Start scoring the calls arriving in ``source`` (a folder of canonical Parquet files).

    ``trigger_seconds`` 0 processes the files there now and stops (``query.awaitTermination()``
    returns); otherwise a micro-batch starts that often. Returns the running query.
    """
    state = state or f"{out}/_state"
    schema = from_arrow_schema(CALLS.schema)
    reader = spark.readStream.schema(schema).option("pathGlobFilter", "*.parquet")
    if files_per_batch:
        reader = reader.option("maxFilesPerTrigger", files_per_batch)
    job = StreamJob(
        spark, out, state, subscribers, policy or PolicyConfig(), timezone, known, served=served
    )
    writer = (
        reader.parquet(source)
        .writeStream.foreachBatch(job)
        .option("checkpointLocation", f"{state}/checkpoint")
    )
    if trigger_seconds > 0:
        writer = writer.trigger(processingTime=f"{trigger_seconds} seconds")
    else:
        writer = writer.trigger(availableNow=True)
    return writer.start()

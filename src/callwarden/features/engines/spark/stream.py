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
checkpoint (which input files are done), the lookback of calls written per micro-batch id
(``history``), and the tables that grow with the job (the kept candidates, texts, peaks and
transcripts), each kept as one cumulative version per micro-batch (:class:`_Table`): a
micro-batch reads the version before it and writes its own, and the versions older than the
one it read are removed, so a micro-batch reads one version of each whatever the number of
micro-batches before it. A re-run micro-batch (the job stopped before Spark committed it)
reads the same version and overwrites its own output, and a restarted job goes on where it
stopped. Alerts go to ``OUT/alerts-<batch>.parquet`` (the canonical schema; ``OUT`` reads as
one Parquet dataset, ``_state`` being hidden).

SMS records may arrive too, as files in a folder of their own (``sms_source``): both folders
are read by one query, each micro-batch taking the new files of either, and the SMS are kept
and looked back on as the calls are; what the kept SMS events said (their content reasons) is
kept with them, so a replay reads the texts of events older than the lookback as well.

With the learned scorer (``model``), every number's new events get features (no triage), and
each micro-batch keeps every number's highest model inputs so far (``_state/peaks``): the next
one reads them as earlier events, so an event's inputs are its number's highest so far, as in
batch.

Call transcripts may arrive too, as files in a folder of their own (``transcripts_source``),
read by the same query, and are joined to their calls as the live scorer joins them
(``detect/call_content.py``; :func:`.content.arriving_transcripts`): a transcript takes its
call from its own micro-batch or an earlier one whose call started at most 6 hours before the
latest call, else waits for its call (``_state/transcripts`` keeps the joined and the waiting
ones). A transcript counts for the events of its micro-batch and later ones: the alerts equal
batch's when no event of the caller after the call comes in a micro-batch before its
transcript. Nothing is lost: those batch would not use (no call id, no text, an unanswered
call, a second one of a call), one whose call is remembered no more, and one still waiting
when the latest call is 6 hours past the latest call when it arrived (no call of that id
came) are written, with their file, row and reason, to
``OUT/_quarantine/transcripts-<batch>.jsonl`` (the quarantine's format); joined + waiting +
quarantined = arrived.

Files must arrive in event-time order (each file's records later than earlier files'), as a
switch writes them; a late file's records are scored with the lookback there is, and decisions
already made are not revisited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.streaming.query import StreamingQuery
from pyspark.sql.types import DoubleType, StructType

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.call_content import CALL_RISK, CALL_SCAMS, WINDOW_US, CallContent
from callwarden.detect.callee_areas import Areas
from callwarden.detect.campaign_steps import collected_traffic
from callwarden.detect.scoring import score_events
from callwarden.detect.sms_content import SmsContent
from callwarden.features.engines.base import DEFAULT_TIMEZONE, Traffic
from callwarden.features.engines.spark.content import (
    DRIVER_TEXTS,
    KEPT_TRANSCRIPTS,
    arriving_transcripts,
    driver_texts,
    kept_call_content,
)
from callwarden.features.engines.spark.features import spark_features
from callwarden.features.engines.spark.records import SparkRecords, with_record_features
from callwarden.features.engines.spark.scoring import (
    alert_candidates,
    allowed_numbers,
    features_to_polars,
    model_alerts,
    peaks_of,
    served_among,
    write_alerts_to,
)
from callwarden.features.engines.spark.session import write_file
from callwarden.features.spec import WINDOWS
from callwarden.network import ServedNumbers
from callwarden.records.schema import CALLS, SMS, TRANSCRIPTS, RecordSpec

if TYPE_CHECKING:
    from callwarden.detect.model.events import EventModel

__all__ = ["LOOKBACK_MS", "TRANSCRIPTS_QUARANTINE", "StreamJob", "start_stream"]

#: records kept before each micro-batch's first record
LOOKBACK_MS = 2 * max(WINDOWS.values())
#: the column that tells which folder a row of the stream came from
_RECORD = "_record"
#: a transcript's file and its 0-based row there (the file source's hidden metadata)
_FILE, _ROW = "_file", "_row"
#: the folder under ``OUT`` of the transcripts set aside (hidden from a reader of the alerts)
TRANSCRIPTS_QUARANTINE = "_quarantine"
#: each record's time column
_TIME = {"calls": "start_time", "sms": "sent_time"}
#: each record's spec and the state's folder of its history
_KEPT = {"calls": (CALLS, "history"), "sms": (SMS, "sms_history")}


def _collect(frame: DataFrame) -> pl.DataFrame:
    got = pl.from_arrow(frame.toArrow())
    assert isinstance(got, pl.DataFrame)  # noqa: S101  (a table converts to a frame)
    return got


def _spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A frame made on the driver, as one Spark partition (one file written)."""
    table = frame.to_arrow()
    return spark.createDataFrame(table, schema=from_arrow_schema(table.schema)).coalesce(1)


def _listing(spark: SparkSession, where: str, prefix: str) -> tuple[Any, list[int]]:
    """The ids of the folders ``WHERE/<prefix><id>`` (through Hadoop's file system: local,
    HDFS, S3), and a function that removes one by its id."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # noqa: S101  (on the driver)
    path = jvm.org.apache.hadoop.fs.Path(where)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def remove(one: int) -> None:
        fs.delete(jvm.org.apache.hadoop.fs.Path(f"{where}/{prefix}{one}"), True)

    if not fs.exists(path):
        return remove, []
    names = [status.getPath().getName() for status in fs.listStatus(path)]
    return remove, sorted(int(n[len(prefix) :]) for n in names if n.startswith(prefix))


@dataclass
class _Table:
    """A table of the job's state that grows with it, as one cumulative version per
    micro-batch: ``WHERE/upto=<batch id>`` holds it as of that micro-batch.

    A micro-batch reads the latest version before its own (:meth:`base`), writes its own
    (:meth:`write`), then removes the versions older than its base. Spark runs a micro-batch
    only once the one before it is committed, and runs again the one it had not committed
    (same id, same files) after a restart: that one finds the same base, so at most two
    versions are kept, and one written in part is never read.
    """

    spark: SparkSession
    where: str

    def _versions(self) -> tuple[Any, list[int]]:
        return _listing(self.spark, self.where, "upto=")

    def base(self, batch_id: int) -> int | None:
        """The latest version before micro-batch ``batch_id``; None before the first."""
        earlier = [v for v in self._versions()[1] if v < batch_id]
        return earlier[-1] if earlier else None

    def read(self, version: int) -> DataFrame:
        return self.spark.read.parquet(f"{self.where}/upto={version}")

    def write(self, frame: DataFrame, batch_id: int, base: int | None) -> None:
        """``frame`` as the version of ``batch_id``; then the versions before ``base`` go."""
        frame.write.mode("overwrite").parquet(f"{self.where}/upto={batch_id}")
        remove, versions = self._versions()
        for old in versions:
            if base is not None and old < base:
                remove(old)


def _schema(spec: RecordSpec, *, batch: bool = False) -> StructType:
    """A record's Spark schema (every field nullable, as the file source reads it), with the
    ``batch`` partition column of the state's history when asked."""
    fields = [f.with_nullable(True) for f in spec.schema]
    if batch:
        fields.append(pa.field("batch", pa.int32()))
    return from_arrow_schema(pa.schema(fields))


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

    #: whether SMS arrive beside the calls (``sms_source``)
    with_sms: bool = False
    #: the learned scorer, if any: every number's events get features (no triage), and each
    #: number's highest model inputs so far are kept in the state (``_state/peaks``)
    model: EventModel | None = None
    #: whether call transcripts arrive beside the calls (``transcripts_source``)
    with_transcripts: bool = False
    #: the calls' columns the campaign pass reads, and the subscribers' columns it reads,
    #: collected once (``_campaign_columns``)
    _read: tuple[list[str], pl.DataFrame | None] | None = None

    def _kept(self, batch: DataFrame, record: str, batch_id: int) -> DataFrame:
        """The batch's new ``record`` rows, written to the state's history and read back."""
        spec, folder = _KEPT[record]
        rows = batch.where(F.col(_RECORD) == record) if _RECORD in batch.columns else batch
        where = f"{self.state}/{folder}"
        rows.select(*spec.columns).write.mode("overwrite").parquet(f"{where}/batch={batch_id}")
        return self.spark.read.schema(_schema(spec)).parquet(f"{where}/batch={batch_id}")

    def _history(self, record: str, batch_id: int, since: Column | None = None) -> DataFrame:
        """The ``record`` rows of the batches up to ``batch_id`` (from ``since`` on)."""
        spec, folder = _KEPT[record]
        where = f"{self.state}/{folder}"
        rows = self.spark.read.schema(_schema(spec, batch=True)).parquet(where)
        rows = rows.where(F.col("batch") <= batch_id)
        return rows if since is None else rows.where(F.col(_TIME[record]) >= since)

    def _table(self, name: str) -> _Table:
        return _Table(self.spark, f"{self.state}/{name}")

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        new = self._kept(batch, "calls", batch_id)
        new_sms = self._kept(batch, "sms", batch_id) if self.with_sms else None
        transcripts = self._transcripts(batch, batch_id)
        starts = [new.agg(F.min(F.unix_micros("start_time"))).first()]
        if new_sms is not None:
            starts.append(new_sms.agg(F.min(F.unix_micros("sent_time"))).first())
        known = [row[0] for row in starts if row is not None and row[0] is not None]
        if not known:
            return
        first = int(min(known))

        def back(seconds: int) -> Column:  # (the time that long before the first new record)
            return F.timestamp_micros(F.lit(first - seconds * 10**6))

        since = back(LOOKBACK_MS // 1000)
        calls = self._history("calls", batch_id, since).select(*CALLS.columns)
        sms = None
        if new_sms is not None:
            sms = self._history("sms", batch_id, since).select(*SMS.columns)
        features = spark_features(
            calls, sms, self.subscribers, self.timezone, self.known, triage=self.model is None
        )
        # what the records say (the SMS, the calls' transcripts of the last day before the
        # new records, where the callees live), as batch fills it
        said = None if transcripts is None else kept_call_content(transcripts)
        recent = None if transcripts is None else kept_call_content(transcripts, first - WINDOW_US)
        records = SparkRecords.of(calls, sms, self.subscribers, recent)
        features, self.areas = with_record_features(features, records), records.areas
        if said is not None and CALL_RISK not in features.columns:  # (none of the last day)
            features = features.withColumns({c: F.lit(0.0).cast(DoubleType())
                                              for c in (CALL_RISK, CALL_SCAMS)})  # fmt: skip
        ids = new.select(F.col("call_id").alias("rid"))
        if new_sms is not None:
            ids = ids.unionByName(new_sms.select(F.col("sms_id").alias("rid")))
        fresh = features.join(ids, "rid", "left_semi")
        earlier = None
        if self.model is not None:  # (the new events are read twice: kept once)
            fresh = fresh.persist()
            earlier = self._peaks(fresh, batch_id)
        kept = alert_candidates(fresh, self.policy, self.timezone, model=self.model,
                                peaks_before=earlier)  # fmt: skip
        kept_so_far = self._candidates(kept, batch_id)
        if self.model is not None:
            fresh.unpersist()
        content = self._texts(kept_so_far, records.texts, batch_id)
        # the campaign pass reads the calls of twice its window (or the look-back, if longer)
        # before the new calls: its groups at each checkpoint up to the latest call, collected
        # on the driver as Spark batch collects them; the replays with and without the new
        # files read from the same start, so only what the new files change is written
        since = back(max(LOOKBACK_MS // 1000, 2 * self.policy.campaigns.window_s))
        # (collected once for both replays, each taking the batches it reads)
        seen, seen_sms = None, None
        if self.policy.campaigns.enabled:
            wanted = self._campaign_columns(calls)
            seen = _collect(self._history("calls", batch_id, since).select(*wanted, "batch"))
            if new_sms is not None:  # (the SMS times: the first record of a span may be one)
                seen_sms = _collect(
                    self._history("sms", batch_id, since).select("sent_time", "batch")
                )
        alerts = self._alerts(kept_so_far, self._campaigns(seen, seen_sms, batch_id), content, said)
        before = self._alerts(
            kept_so_far.filter(pl.col("batch") < batch_id),
            self._campaigns(seen, seen_sms, batch_id - 1),
            content,
            said,
        )
        new_alerts = alerts.join(before.select("msisdn", "decision"), on=["msisdn", "decision"],
                                 how="anti")  # fmt: skip
        write_alerts_to(self.spark, new_alerts, f"{self.out}/alerts-{batch_id:06d}.parquet")
        for record in ("calls", "sms") if new_sms is not None else ("calls",):
            self._forget(record, batch_id, since)

    def _forget(self, record: str, batch_id: int, since: Column) -> None:
        """Remove the look-back's earlier micro-batches whose ``record`` rows all came before
        ``since`` (this micro-batch's farthest look-back): files arrive in event-time order,
        so no later micro-batch reads them, and a re-run of this one reads from ``since``."""
        where = f"{self.state}/{_KEPT[record][1]}"
        remove, batches = _listing(self.spark, where, "batch=")
        rows = self._history(record, batch_id - 1)
        last = rows.groupBy("batch").agg(F.max(_TIME[record]).alias("last"))
        still = {int(row[0]) for row in last.where(F.col("last") >= since).collect()}
        for old in batches:
            if old < batch_id and old not in still:
                remove(old)

    def _candidates(self, kept: DataFrame, batch_id: int) -> pl.DataFrame:
        """The alert candidates so far (with their ``batch``): this batch's ``kept`` with the
        earlier ones kept in the state, written there as one table."""
        table = self._table("candidates")
        base = table.base(batch_id)
        kept = kept.withColumn("batch", F.lit(batch_id))
        if base is not None:
            kept = table.read(base).unionByName(kept, allowMissingColumns=True)
        table.write(kept.repartition(1), batch_id, base)
        return features_to_polars(table.read(batch_id))

    def _transcripts(self, batch: DataFrame, batch_id: int) -> pl.DataFrame | None:
        """The transcripts kept after this micro-batch (:data:`.content.KEPT_TRANSCRIPTS`):
        those of the earlier ones, with this one's joined to their calls or waiting; those
        set aside go to :meth:`transcripts_quarantine`."""
        if not self.with_transcripts:
            return None
        table = self._table("transcripts")
        base = table.base(batch_id)
        kept = pl.DataFrame(schema=KEPT_TRANSCRIPTS)
        if base is not None:
            kept = _collect(table.read(base))
        rows = batch.where(F.col(_RECORD) == "transcripts")
        arrived = _collect(rows.select(
            "call_id", "text", F.col(_FILE).alias("file"), (F.col(_ROW) + 1).alias("row")
        ))  # fmt: skip
        wanted = pl.concat([kept.filter(pl.col("caller").is_null())["call_id"].cast(pl.String),
                            arrived["call_id"].cast(pl.String)]).drop_nulls().unique()  # fmt: skip
        columns = ["call_id", "caller", "start_time", "duration_s", "batch"]
        calls = pl.DataFrame(
            schema={c: KEPT_TRANSCRIPTS[c] for c in columns[:-1]} | {"batch": pl.Int32()}
        )
        latest_us = None
        if wanted.len():
            history = self._history("calls", batch_id)
            asked = self.spark.createDataFrame(wanted.to_frame().to_arrow())
            named = history.join(asked, "call_id", "left_semi").select(*columns)
            # (one job: the latest call so far on every row, and on one row without calls)
            latest = history.agg(F.max(F.unix_micros("start_time")).alias("_latest"))
            got = _collect(latest.join(named, F.lit(True), "left"))
            latest_us = got["_latest"][0]
            calls = got.filter(pl.col("call_id").is_not_null()).select(columns)
        kept_now, rejected = arriving_transcripts(kept, arrived, calls, batch_id, latest_us)
        table.write(_spark(self.spark, kept_now), batch_id, base)
        if rejected.height:
            data = io.BytesIO()
            rejected.sort("file", "row", nulls_last=True, maintain_order=True).write_ndjson(data)
            write_file(self.spark, self.transcripts_quarantine(batch_id), data.getvalue())
        return kept_now

    def transcripts_quarantine(self, batch_id: int) -> str:
        """Where micro-batch ``batch_id`` writes the transcripts it set aside (if any): one
        JSON Lines file in the quarantine's format (``records/quarantine.py``), under ``OUT``
        but hidden from a reader of its alerts (as ``_state``)."""
        return f"{self.out}/{TRANSCRIPTS_QUARANTINE}/transcripts-{batch_id:06d}.jsonl"

    def _peaks(self, fresh: DataFrame, batch_id: int) -> DataFrame | None:
        """Each number's highest model inputs before this batch (kept in the state), and
        with this batch's written there for the next ones."""
        assert self.model is not None  # noqa: S101  (asked for with a model only)
        table = self._table("peaks")
        base = table.base(batch_id)
        peaks = peaks_of(fresh, self.model.model.feature_names)
        if base is None:
            table.write(peaks, batch_id, base)
            return None
        kept = table.read(base)
        highest = [F.max(c).alias(c) for c in kept.columns if c != "msisdn"]
        both = kept.unionByName(peaks)
        table.write(both.groupBy("msisdn").agg(*highest) if highest else both.distinct(),
                    batch_id, base)  # fmt: skip
        return kept if highest else None

    def _texts(
        self, kept: pl.DataFrame, texts: DataFrame | None, batch_id: int
    ) -> SmsContent | None:
        """What the kept SMS events that read as a scam said (their content reasons): this
        batch's, read from the SMS looked back on, with the earlier batches' kept in the
        state."""
        if not self.with_sms:
            return None
        table = self._table("texts")
        base = table.base(batch_id)
        found = driver_texts(kept.filter(pl.col("batch") == batch_id), texts)
        frames = [] if found is None else [found]
        if base is not None:
            frames.insert(0, _collect(table.read(base)))
        frame = pl.concat(
            [f.select(pl.col(c).cast(t) for c, t in DRIVER_TEXTS.items()) for f in frames]
        ) if frames else pl.DataFrame(schema=DRIVER_TEXTS)  # fmt: skip
        # (written whatever it holds: a re-run batch overwrites its own texts)
        table.write(_spark(self.spark, frame), batch_id, base)
        return SmsContent.of_sms(frame if frame.height else None)

    def _campaign_columns(self, calls: DataFrame) -> list[str]:
        """The calls' columns the campaign pass reads (``collected_traffic``: asked of it
        over no rows), and the subscribers' it reads, collected once for the job (they do
        not change while it runs)."""
        if self._read is None:
            probe = collected_traffic(calls.limit(0), None, self.subscribers, self.timezone)
            assert probe.calls is not None  # noqa: S101  (collected from a frame)
            self._read = (probe.calls.columns, probe.subscribers)
        return self._read[0]

    def _campaigns(
        self, calls: pl.DataFrame | None, sms: pl.DataFrame | None, upto: int
    ) -> Traffic | None:
        """The records the campaign pass reads (as ``campaign_records`` collects them) of the
        batches up to ``upto``, from the calls and SMS times collected with their batch."""
        if calls is None or self._read is None:
            return None
        return Traffic(
            calls.filter(pl.col("batch") <= upto).drop("batch"),
            None if sms is None else sms.filter(pl.col("batch") <= upto).drop("batch"),
            self._read[1],
            timezone=self.timezone,
        )

    def _alerts(
        self,
        kept: pl.DataFrame,
        campaigns: Traffic | None,
        content: SmsContent | None = None,
        said: CallContent | None = None,
    ) -> pl.DataFrame:
        """Replay the kept candidates through the policy (in record order, as batch does),
        with the campaign pass's groups over ``campaigns`` (:meth:`_campaigns`) at its
        checkpoints; ``content``: what the kept SMS events said, ``said`` the transcripts."""
        if self.allowed is None:
            self.allowed = allowed_numbers(self.subscribers)
        frame = kept.drop("batch").with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64))
        # the numbers that may be decided on: the kept events', and a campaign group's lines
        deciding = frame["msisdn"]
        if campaigns is not None and campaigns.calls is not None:
            deciding = pl.concat([deciding, campaigns.calls["caller"].cast(pl.String)]).unique()
        on_net = served_among(deciding, self.subscribers, self.served)
        if self.model is not None:
            return model_alerts(
                frame, self.model, self.allowed, self.policy, self.timezone, on_net,
                campaigns, content, said, self.areas,
            ).alerts  # fmt: skip
        return score_events(
            frame,
            self.allowed,
            self.policy,
            timezone=self.timezone,
            served=on_net,
            campaigns=campaigns,
            content=content,
            call_content=said,
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
    sms_source: str | None = None,
    model: EventModel | None = None,
    transcripts_source: str | None = None,
) -> StreamingQuery:
    """Start scoring the calls arriving in ``source`` (a folder of canonical Parquet files),
    and the SMS arriving in ``sms_source`` and the call transcripts in ``transcripts_source``
    if given (each a folder of its own).

    ``trigger_seconds`` 0 processes the files there now and stops (``query.awaitTermination()``
    returns); otherwise a micro-batch starts that often. ``files_per_batch`` caps the new
    files of each folder a micro-batch takes. ``model``: the learned scorer beside the
    detectors, as batch scoring with it. Returns the running query. A state written
    without an SMS or transcripts folder does not take one later (Spark's checkpoint holds
    the query's sources): start such a job on a new ``state``.
    """
    state = state or f"{out}/_state"

    def arriving(spec: RecordSpec, folder: str) -> DataFrame:
        reader = spark.readStream.schema(from_arrow_schema(spec.schema))
        reader = reader.option("pathGlobFilter", "*.parquet")
        if files_per_batch:
            reader = reader.option("maxFilesPerTrigger", files_per_batch)
        return reader.parquet(folder)

    records = arriving(CALLS, source)
    others = {"sms": (SMS, sms_source), "transcripts": (TRANSCRIPTS, transcripts_source)}
    if sms_source is not None or transcripts_source is not None:
        # one query over the folders: each row says which it came from
        records = records.withColumn(_RECORD, F.lit("calls"))
        for name, (spec, folder) in others.items():
            if folder is None:
                continue
            rows = arriving(spec, folder).withColumn(_RECORD, F.lit(name))
            if name == "transcripts":  # (where each came from, for the quarantine)
                rows = rows.withColumns({_FILE: F.col("_metadata.file_path"),
                                         _ROW: F.col("_metadata.row_index")})  # fmt: skip
            records = records.unionByName(rows, allowMissingColumns=True)
    job = StreamJob(
        spark, out, state, subscribers, policy or PolicyConfig(), timezone, known, served=served,
        with_sms=sms_source is not None, model=model,
        with_transcripts=transcripts_source is not None,
    )  # fmt: skip
    writer = records.writeStream.foreachBatch(job).option(
        "checkpointLocation", f"{state}/checkpoint"
    )
    if trigger_seconds > 0:
        writer = writer.trigger(processingTime=f"{trigger_seconds} seconds")
    else:
        writer = writer.trigger(availableNow=True)
    return writer.start()

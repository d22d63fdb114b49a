"""The Spark engine: the spec's signals and windows as Spark window expressions, on a cluster.

Needs ``pip install 'callwarden[spark]'`` and a Java runtime (:mod:`.session` checks for both
and says what is missing). :mod:`.features` computes the features, :mod:`.triage` the numbers
that may pass the gate, :mod:`.scoring` the detectors and policy at scale, :mod:`.stream`
the same over files as they arrive. Nothing outside this package imports its modules but the
registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from callwarden.features.engines.base import Engine, EventFeatures, Traffic
from callwarden.features.engines.spark.session import (
    read_records,
    require_spark,
    spark_session,
    write_file,
)
from callwarden.features.gate import passes_gate
from callwarden.features.spec import FEATURES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

    from callwarden.decide.policy import PolicyConfig
    from callwarden.detect.call_content import CallContent
    from callwarden.detect.model.events import EventModel
    from callwarden.detect.scoring import ScoreResult
    from callwarden.network import ServedNumbers

__all__ = ["SparkEngine"]


class SparkEngine(Engine):
    """The batch verb on Spark (``spark``: a session, by default a local one). At scale,
    :mod:`.scoring` keeps the features on the cluster; :meth:`features` brings them to the
    driver, for inputs that fit there."""

    name = "spark"

    def __init__(self, spark: SparkSession | None = None) -> None:
        self.spark = spark if spark is not None else spark_session("local[2]")

    @classmethod
    def check(cls) -> None:
        require_spark()

    @classmethod
    def start(cls, master: str, conf: dict[str, str] | None = None) -> SparkEngine:
        """The engine on a new session with ``master`` (``local[*]``, ``spark://...``)."""
        return cls(spark_session(master, conf=conf))

    def read(self, location: str, record: str) -> DataFrame:
        """Canonical records (``calls``, ``sms``, ``subscribers``) from a file, folder or URI."""
        return read_records(self.spark, location, record)

    def known(self, numbers: pl.Series) -> DataFrame:
        """Known fraud numbers as a frame of ``msisdn``."""
        return self.spark.createDataFrame([(n,) for n in numbers.to_list()], "msisdn string")

    def score(
        self,
        calls: DataFrame,
        sms: DataFrame | None,
        subscribers: DataFrame | None,
        policy: PolicyConfig,
        *,
        timezone: str,
        known: DataFrame | None = None,
        served: ServedNumbers | None = None,
        model: EventModel | None = None,
        transcripts: DataFrame | CallContent | None = None,
    ) -> ScoreResult:
        """Alerts of records on the cluster (:func:`.scoring.score_records_spark`)."""
        from callwarden.features.engines.spark.scoring import score_records_spark  # noqa: PLC0415

        return score_records_spark(
            self.spark, calls, sms, subscribers, policy, timezone=timezone, known=known,
            served=served, model=model, transcripts=transcripts,
        )  # fmt: skip

    def call_content(self, transcripts: DataFrame, calls: DataFrame) -> CallContent:
        """Call transcripts joined to their calls on the driver, the unusable ones counted
        and kept (:func:`.content.call_content`)."""
        from callwarden.features.engines.spark.content import call_content  # noqa: PLC0415

        return call_content(transcripts, calls)

    def write_file(self, location: str, data: bytes) -> None:
        """``data`` as the file ``location``, local or a Hadoop URI, replacing one there."""
        write_file(self.spark, location, data)

    def write_alerts(self, alerts: pl.DataFrame, location: str) -> None:
        """Alerts to a local file or, through Spark, to a Hadoop URI."""
        from callwarden.features.engines.spark.scoring import write_alerts_to  # noqa: PLC0415

        write_alerts_to(self.spark, alerts, location)

    def stream(self, source: str, out: str, **options: Any) -> StreamingQuery:
        """Score calls as they arrive in ``source``, and SMS in ``sms_source`` if given
        (:func:`.stream.start_stream`)."""
        from callwarden.features.engines.spark.stream import start_stream  # noqa: PLC0415

        return start_stream(self.spark, source, out, **options)

    def frame(self, records: pl.DataFrame | None) -> DataFrame | None:
        """A polars frame on Spark (through Arrow)."""
        return None if records is None else self.spark.createDataFrame(records.to_arrow())

    def features(
        self,
        traffic: Traffic,
        *,
        gated: bool = False,
        triage: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[int, Iterator[EventFeatures]]:
        from callwarden.features.engines.spark.features import spark_features  # noqa: PLC0415
        from callwarden.features.engines.spark.scoring import features_to_polars  # noqa: PLC0415

        if progress is not None:
            progress("features")
        known = traffic.known
        listed = None
        if known is not None:
            listed = self.spark.createDataFrame([(n,) for n in known.to_list()], "msisdn string")
        on_spark = spark_features(
            self.spark.createDataFrame(traffic.calls.to_arrow()), self.frame(traffic.sms),
            self.frame(traffic.subscribers), traffic.timezone, listed, triage=gated and triage,
        )  # fmt: skip
        got = features_to_polars(on_spark)
        evaluated = got.height
        if gated:
            got = got.filter(pl.Series(passes_gate({n: got[n].to_numpy() for n in FEATURES})))
        numbers = got["msisdn"].unique(maintain_order=True)
        code = got.select(pl.col("msisdn").replace_strict(numbers, np.arange(numbers.len())))
        got = got.with_columns(_num=code.to_series()).sort("_num", "seq")
        part = EventFeatures(
            num=got["_num"].to_numpy(),
            decode=lambda codes: numbers.gather(pl.Series(codes)),
            is_sms=(got["kind"] == "sms").to_numpy(),
            seq=got["seq"].to_numpy(),
            time_us=got["time"].dt.epoch("us").to_numpy(),
            values={n: got[n].to_numpy() for n in FEATURES},
            evaluated=evaluated,
        )
        return 1, iter((part,))

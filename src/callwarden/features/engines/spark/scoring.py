"""Scoring on Spark: the same detectors and policy as batch scoring, over Spark features.

1. Features come from the Spark engine (:mod:`.features`).
2. The registered detectors run unchanged, vectorised over Arrow batches (``mapInArrow``):
   each batch keeps only the events whose combined risk reaches ``watch``.
3. The policy is sequential (decisions rise per number; the suspension cap counts per day
   across numbers), so it runs where the sequence is: on the driver, stepping the same
   :class:`~callwarden.decide.policy.DecisionState` in record order through
   :func:`~callwarden.detect.scoring.score_events`. Before that, Spark drops every event that
   cannot change the state, per number: one whose level is not above every earlier
   non-suspend level of the number, unless it is the number's first suspend-level event of
   its local day (a capped suspension becomes review, so a later restrict can still rise,
   and the cap starts afresh each day). What reaches the driver is a few rows per alerted
   number, whatever the size of the input; the alerts equal the embedded engine's.
4. Whether the operator serves a number (restrict and suspend, else intercept) is asked of the
   subscribers only for the numbers that reached the driver (:func:`served_among`), so the
   subscriber table never has to fit there. Interception takes no suspension from the daily
   cap, and the events kept in step 3 are a superset of what it needs too. An event whose
   score comes from a number being impersonated (``INTERCEPT_ONLY_DETECTORS``) at a restrict
   or suspend level is intercept whoever serves the number: step 3 counts it at the intercept
   level, above the others, so it is kept when the number has not been there before.

With a learned model (``--model``), every number gets features (no triage), and a window per
number adds the model's inputs: each behavioural feature at its highest so far in record order,
missing values passed over (``_peak_<j>`` columns; static features as they are), the rows
batch scoring gives the model (``detect/model/events.py``). The executors score the model beside
the detectors and keep an event when the combined risk (``PolicyConfig.combine_model``) can
change a decision; the driver explains a model-only alert with the model's reasons, as batch
does. The model ships to the executors in the task closure (LightGBM's own text format inside).
Streaming on Spark keeps each number's highest inputs so far with its state
(:func:`peaks_of`), so a micro-batch's events read the events of earlier batches as batch reads
the day's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

from callwarden.decide.policy import INTERCEPT_LEVEL, LEVEL, PolicyConfig
from callwarden.decide.served import Served, resolve_served
from callwarden.detect.alerts_io import alerts_from_rows, write_alerts
from callwarden.detect.arrays import FeatureArrays
from callwarden.detect.call_content import CallContent
from callwarden.detect.campaign_steps import BatchCampaigns, collected_traffic
from callwarden.detect.scoring import (
    EventScorer,
    ScoreResult,
    detector_scores,
    impersonated,
    score_events,
)
from callwarden.errors import ConfigError
from callwarden.features.engines.base import DEFAULT_TIMEZONE, Traffic
from callwarden.features.engines.spark.content import driver_content
from callwarden.features.engines.spark.features import ORDER, spark_features
from callwarden.features.engines.spark.records import SparkRecords, with_record_features
from callwarden.features.engines.spark.session import is_uri
from callwarden.features.spec import FEATURES
from callwarden.network import ServedNumbers
from callwarden.records.schema import ALERTS, DECISIONS

if TYPE_CHECKING:
    from pyspark import Accumulator

    from callwarden.detect.callee_areas import Areas
    from callwarden.detect.model.events import EventModel
    from callwarden.detect.sms_content import SmsContent

__all__ = [
    "alert_candidates",
    "allowed_numbers",
    "campaign_records",
    "features_to_polars",
    "model_alerts",
    "peaks_of",
    "score_records_spark",
    "served_among",
    "write_alerts_to",
]

SUSPEND = LEVEL["suspend"]
_ACTING_ORDER = tuple(c for c in ORDER if c != "kind")


def _float_frame(batch: pa.RecordBatch) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches([batch]))
    assert isinstance(frame, pl.DataFrame)  # noqa: S101  (a Table converts to a DataFrame)
    # Spark has no NaN for "unknown": unknown static figures arrive as nulls.
    return frame.with_columns(
        pl.col(name).cast(pl.Float64).fill_null(float("nan"))
        for name in frame.columns
        if name in FEATURES or name.startswith(_PEAK)
    )


_PEAK = "_peak_"


def _peak_columns(
    features: DataFrame, names: list[str], before: DataFrame | None = None
) -> DataFrame:
    """``features`` with the model's inputs beside them: ``_peak_<j>`` for the model's ``j``-th
    feature, a behavioural one at its highest so far for the number in record order (missing
    values, NaN or null, passed over; null until there is one), a static one as it is.
    ``before``: each number's highest values of its events before these (``msisdn`` and
    ``_peak_<j>`` of the behavioural ones: :func:`peaks_of`), which count as earlier events."""
    so_far = (
        Window.partitionBy("msisdn")
        .orderBy(*_ACTING_ORDER)
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    if before is not None:
        earlier = {c: f"_before{c}" for c in before.columns if c.startswith(_PEAK)}
        features = features.join(before.withColumnsRenamed(earlier), "msisdn", "left")
    columns = {}
    for j, name in enumerate(names):
        if FEATURES[name].static:
            columns[f"{_PEAK}{j}"] = F.col(name).cast(DoubleType())
        else:
            columns[f"{_PEAK}{j}"] = F.max(_known(name)).over(so_far)
            if before is not None:  # (greatest passes over nulls)
                columns[f"{_PEAK}{j}"] = F.greatest(
                    columns[f"{_PEAK}{j}"], F.col(f"_before{_PEAK}{j}")
                )
    peaked = features.withColumns(columns)
    return peaked if before is None else peaked.drop(*[f"_before{c}" for c in earlier])


def _known(name: str) -> Column:
    """A feature as a double, NaN made null (Spark's max ranks NaN above every number; a
    missing value is passed over)."""
    column = F.col(name).cast(DoubleType())
    return F.when(F.isnan(column), F.lit(None)).otherwise(column)


def peaks_of(features: DataFrame, names: list[str]) -> DataFrame:
    """Each number's highest value of each behavioural model input over ``features`` (missing
    values passed over): ``msisdn`` and ``_peak_<j>``, what :func:`_peak_columns` reads as
    ``before`` for later events."""
    highest = [
        F.max(_known(name)).alias(f"{_PEAK}{j}")
        for j, name in enumerate(names)
        if not FEATURES[name].static
    ]
    if not highest:
        return features.select("msisdn").distinct()
    return features.groupBy("msisdn").agg(*highest)


def _model_rows(frame: pl.DataFrame, width: int) -> np.ndarray:
    """The model's inputs (``_peak_<j>``) of a polars frame, as a float matrix."""
    if width == 0:
        return np.empty((frame.height, 0))
    columns = [frame[f"{_PEAK}{j}"].cast(pl.Float64).fill_null(float("nan")) for j in range(width)]
    return np.column_stack([c.to_numpy() for c in columns])


def _risk_batches(
    policy: PolicyConfig, counter: Accumulator[int] | None, model: EventModel | None = None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The detectors (and the model) over each Arrow batch: rows at or above ``watch``, with
    risk and level."""
    width = len(model.model.feature_names) if model is not None else 0

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if counter is not None:
                counter.add(batch.num_rows)
            if batch.num_rows == 0:
                continue
            frame = _float_frame(batch)
            scores = detector_scores(frame)
            risk = np.max(np.vstack(list(scores.values())), axis=0)
            if model is not None:
                risk = policy.combine_model(risk, model.scores(_model_rows(frame, width)))
            level = np.asarray(
                np.sum([risk >= getattr(policy, d) for d in DECISIONS], axis=0), np.int32
            )
            spoofed = impersonated(scores, risk, np.arange(risk.shape[0]))
            if spoofed is not None:  # intercept, whoever serves the number (no cap)
                level[spoofed & (level >= LEVEL["restrict"])] = INTERCEPT_LEVEL
            keep = np.flatnonzero(risk >= policy.watch)
            if keep.shape[0] == 0:
                continue
            chosen = batch.take(pa.array(keep))
            yield pa.RecordBatch.from_arrays(
                [*chosen.columns, pa.array(risk[keep]), pa.array(level[keep])],
                names=[*chosen.schema.names, "risk", "level"],
            )

    return run


def alert_candidates(
    features: DataFrame,
    policy: PolicyConfig,
    timezone: str = DEFAULT_TIMEZONE,
    counter: Accumulator[int] | None = None,
    model: EventModel | None = None,
    peaks_before: DataFrame | None = None,
) -> DataFrame:
    """The events that can change a number's decision (see the module notes), as a frame;
    with ``model``, with the model's inputs (``_peak_<j>``) beside the features
    (``peaks_before``: the numbers' highest inputs of earlier events, :func:`peaks_of`)."""
    if model is not None:
        features = _peak_columns(features, model.model.feature_names, peaks_before)
    schema = StructType(
        [
            *features.schema.fields,
            StructField("risk", DoubleType(), nullable=False),
            StructField("level", IntegerType(), nullable=False),
        ]
    )
    scored = features.mapInArrow(_risk_batches(policy, counter, model), schema)
    level = F.col("level")
    before = (
        Window.partitionBy("msisdn")
        .orderBy(*_ACTING_ORDER)
        .rowsBetween(Window.unboundedPreceding, -1)
    )
    earlier_low = F.coalesce(F.max(F.when(level != SUSPEND, level)).over(before), F.lit(0))
    day = F.to_date(F.from_utc_timestamp(F.col("time"), timezone))
    first_of_day = Window.partitionBy("msisdn", day, level == SUSPEND).orderBy(*_ACTING_ORDER)
    keep = ((level != SUSPEND) & (level > F.col("_earlier_low"))) | (
        (level == SUSPEND) & (F.col("_nth_of_day") == 1)
    )
    marked = scored.withColumns(
        {"_earlier_low": earlier_low, "_nth_of_day": F.row_number().over(first_of_day)}
    )
    return marked.where(keep).drop("risk", "level", "_earlier_low", "_nth_of_day")


def features_to_polars(frame: DataFrame) -> pl.DataFrame:
    """A Spark features frame as the embedded engine's: record order, ``seq``, NaN for unknown."""
    table = frame.toArrow()
    got = pl.from_arrow(table)
    assert isinstance(got, pl.DataFrame)  # noqa: S101
    got = got.sort(*_ACTING_ORDER)
    return got.with_columns(
        pl.col("time").cast(pl.Datetime("us", "UTC")),
        *(pl.col(name).cast(pl.Float64).fill_null(float("nan")) for name in FEATURES),
    ).with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64))


def allowed_numbers(subscribers: DataFrame | None) -> pl.DataFrame | None:
    """The allow-listed subscribers (``msisdn``, ``whitelisted``), small enough for the driver."""
    if subscribers is None:
        return None
    listed = subscribers.where(F.col("whitelisted")).select("msisdn", "whitelisted")
    got = pl.from_arrow(listed.toArrow())
    assert isinstance(got, pl.DataFrame)  # noqa: S101
    return got.with_columns(pl.col("whitelisted").cast(pl.Boolean))


def served_among(
    numbers: pl.Series, subscribers: DataFrame | None, served: ServedNumbers | None = None
) -> Served:
    """What the operator serves, as the embedded engine's ``served_numbers`` answers it, for
    ``numbers`` (the few that reached the driver): which of them the subscriber table holds,
    then the same combination with the ``served`` prefixes."""
    if subscribers is None:
        return resolve_served(None, served)
    spark = subscribers.sparkSession
    wanted = [str(n) for n in numbers.drop_nulls().unique().to_list()]
    table: list[str] = []
    if wanted:
        asked = spark.createDataFrame([(n,) for n in wanted], "msisdn string")
        own = subscribers.select("msisdn").join(asked, "msisdn", "left_semi")
        table = [str(row[0]) for row in own.collect()]
    if not table and subscribers.isEmpty():
        return resolve_served(None, served)  # (an empty table counts as none, as embedded)
    return resolve_served(table, served)


def write_alerts_to(spark: SparkSession, alerts: pl.DataFrame, location: str) -> None:
    """Alerts to a local file (Parquet, or CSV by its name) or, through Spark, to a Hadoop URI."""
    if not is_uri(location):
        write_alerts(alerts, Path(location))
        return
    if location.lower().endswith(".csv"):
        raise ConfigError(f"{location}: alerts go to a Hadoop location as Parquet only")
    table = alerts.to_arrow().cast(ALERTS.schema)
    spark.createDataFrame(table).coalesce(1).write.mode("overwrite").parquet(location)


def score_records_spark(
    spark: SparkSession,
    calls: DataFrame,
    sms: DataFrame | None,
    subscribers: DataFrame | None,
    policy: PolicyConfig | None = None,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    known: DataFrame | None = None,
    triage: bool = True,
    served: ServedNumbers | None = None,
    model: EventModel | None = None,
    transcripts: DataFrame | CallContent | None = None,
) -> ScoreResult:
    """Score canonical records on Spark into alerts, equal to the embedded engine's
    (``model``: with the learned scorer, as ``score_records(..., model=...)``; ``transcripts``:
    call transcripts, joined to their calls on the driver, :func:`.content.call_content`).

    ``known`` is a frame with an ``msisdn`` column of known fraud numbers; ``served`` prefixes
    the operator serves besides the subscribers. ``events`` of the
    result counts the outgoing calls and SMS scored; ``candidates`` the events that reached
    the policy on the driver. ``triage=False`` computes every number's features (the same
    alerts, more work).
    """
    policy = policy or PolicyConfig()
    counter = spark.sparkContext.accumulator(0)
    triage = triage and model is None  # (a model can flag any number)
    features = spark_features(calls, sms, subscribers, timezone, known, triage=triage)
    # what the records say (the SMS, the calls' transcripts, where the callees live), as
    # batch fills it
    records = SparkRecords.of(calls, sms, subscribers, transcripts)
    features = with_record_features(features, records)
    kept = features_to_polars(alert_candidates(features, policy, timezone, counter, model))
    content = driver_content(kept, records.texts)
    transcripts, areas = records.said, records.areas
    campaigns = campaign_records(calls, sms, subscribers, policy, timezone)
    # the numbers that may be decided on: the kept events', and a campaign group's lines
    deciding = kept["msisdn"]
    if campaigns is not None:
        deciding = pl.concat([deciding, campaigns.calls["caller"].cast(pl.String)]).unique()
    on_net = served_among(deciding, subscribers, served)
    if model is None:
        result = score_events(
            kept, allowed_numbers(subscribers), policy, timezone=timezone, served=on_net,
            campaigns=campaigns, content=content, call_content=transcripts, areas=areas,
        )  # fmt: skip
    else:
        result = model_alerts(kept, model, allowed_numbers(subscribers), policy, timezone,
                                   on_net, campaigns, content, transcripts, areas)  # fmt: skip
    result.events = int(counter.value)
    return result


def model_alerts(
    kept: pl.DataFrame,
    model: EventModel,
    allowed: pl.DataFrame | None,
    policy: PolicyConfig,
    timezone: str,
    served: Served,
    campaigns: Traffic | None = None,
    content: SmsContent | None = None,
    said: CallContent | None = None,
    areas: Areas | None = None,
) -> ScoreResult:
    """The policy on the driver over the kept events, the model's score combined with the
    detectors' as the executors combined it, and a model-only alert explained by the model;
    the campaign pass's groups at its checkpoints (``campaigns``: its records); ``content``:
    the kept SMS events' texts, ``said`` the call transcripts, for their content reasons."""
    width = len(model.model.feature_names)
    X = _model_rows(kept, width)
    features = kept.drop([f"{_PEAK}{j}" for j in range(width)])
    arrays = FeatureArrays.of(features)
    scores = detector_scores(arrays)
    rules = np.max(np.vstack(list(scores.values())), axis=0) if features.height else np.zeros(0)
    combined = policy.combine_model(rules, model.scores(X))
    idx = np.flatnonzero(combined >= policy.watch)  # (kept is in record order)
    listed = set(allowed["msisdn"].to_list()) if allowed is not None else set()
    scorer = EventScorer(policy, listed, timezone=timezone, served=served)
    scorer.content = content
    scorer.call_content = said
    scorer.areas = areas
    rows: list[dict[str, object]] = []
    if campaigns is None:
        rows = scorer.step(arrays, idx, scores, combined, lambda i: model.reasons(X[i]))
    else:
        groups = BatchCampaigns(campaigns, policy, scorer)
        times = features["time"].cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
        for part, checkpoint in groups.segments(times[idx]):
            rows += scorer.step(arrays, idx[part], scores, combined, lambda i: model.reasons(X[i]))
            rows += groups.at(checkpoint)
    return ScoreResult(alerts_from_rows(rows), candidates=scorer.candidates,
                       detector_hits=scorer.hits)  # fmt: skip


def campaign_records(
    calls: DataFrame,
    sms: DataFrame | None,
    subscribers: DataFrame | None,
    policy: PolicyConfig,
    timezone: str,
) -> Traffic | None:
    """The records the campaign pass reads on the driver (``detect/campaign_steps.py``)."""
    if not policy.campaigns.enabled:
        return None
    return collected_traffic(calls, sms, subscribers, timezone)

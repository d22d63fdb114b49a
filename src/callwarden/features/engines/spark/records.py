"""The record features on Spark: each reader of records' features beside the engine's, as batch
fills them (``detect/record_features.py``).

Every reader of :data:`~callwarden.detect.record_features.FILLERS` has its step here, in the
same order: what the SMS say (``content.py``), what the calls said (``content.py``), where the
callees live (``areas.py``). A reader without its step stops Spark scoring with its name, so
one cannot be added to batch and the stream alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame

from callwarden.detect.call_content import CallContent
from callwarden.detect.callee_areas import Areas, CalleeAreas
from callwarden.detect.record_features import FILLERS
from callwarden.detect.sms_content import SmsContent
from callwarden.features.engines.spark.areas import spark_areas, with_callee_areas
from callwarden.features.engines.spark.content import (
    call_content,
    sms_texts,
    with_call_content,
    with_content_risk,
)

__all__ = ["STEPS", "SparkRecords", "with_record_features"]


@dataclass(frozen=True)
class SparkRecords:
    """What the record features read on Spark, each prepared once: the SMS with a text whose
    sender may reach the gate (``texts``), the call transcripts joined to their calls on the
    driver (``said``), the areas and each subscriber's area code (``homes``)."""

    calls: DataFrame
    texts: DataFrame | None
    said: CallContent | None
    areas: Areas
    homes: DataFrame | None

    @staticmethod
    def of(
        calls: DataFrame,
        sms: DataFrame | None,
        subscribers: DataFrame | None,
        transcripts: DataFrame | CallContent | None = None,
    ) -> SparkRecords:
        """Canonical records (``transcripts``: ``call_id``, ``text``, or those joined)."""
        if transcripts is not None and not isinstance(transcripts, CallContent):
            transcripts = call_content(transcripts, calls)
        areas, homes = spark_areas(subscribers)
        return SparkRecords(calls, sms_texts(sms), transcripts, areas, homes)


#: each reader's step: ``features`` with its features beside them
STEPS: dict[type, Callable[[DataFrame, SparkRecords], DataFrame]] = {
    SmsContent: lambda features, r: with_content_risk(features, r.texts),
    CallContent: lambda features, r: with_call_content(features, r.said),
    CalleeAreas: lambda features, r: with_callee_areas(features, r.calls, r.areas, r.homes),
}


def with_record_features(features: DataFrame, records: SparkRecords) -> DataFrame:
    """``features`` (``spark_features``) with every reader's record features beside them."""
    for filler in FILLERS:
        step = STEPS.get(filler)
        if step is None:
            raise NotImplementedError(f"{filler.__name__}: no Spark step for its record features")
        features = step(features, records)
    return features

"""The learned scorer on call records: per-number features from the event-time engine.

Training uses one row per number: the highest value each behavioural feature reached over the
number's events (static features as they are). Scoring in event time uses the same thing *as of*
each event: the running maximum over the number's events so far, which at the last event equals
the training row. So the model sees at time t only what was known at t, in batch and stream
alike.

>>> from callwarden.simulate import SimulationConfig, simulate_city  # doctest: +SKIP
>>> table = number_table(features, labels)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.detect.model.artifact import TrainedModel, load_model
from callwarden.detect.model.explain import reasons_from_contributions
from callwarden.detect.model.table import FeatureTable
from callwarden.detect.reasons import Reason
from callwarden.features.spec import FEATURES

__all__ = ["FEATURE_LABELS", "HONEST_LABELS", "event_scorer", "number_table", "running_max"]

HONEST_LABELS = ("normal", "legit_heavy")
#: zh / en names of the engine's features, for the model's reasons
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    f.name: (f.label_zh, f.label_en) for f in FEATURES.values()
}
_BEHAVIOURAL = [f.name for f in FEATURES.values() if not f.static]
_STATIC = [f.name for f in FEATURES.values() if f.static]


def running_max(features: pl.DataFrame) -> pl.DataFrame:
    """Each behavioural feature's highest value so far for its number (rows in record order)."""
    return features.with_columns(pl.col(_BEHAVIOURAL).cum_max().over("msisdn"))


def number_table(features: pl.DataFrame, labels: pl.DataFrame | None) -> FeatureTable:
    """One row per acting number: features at their peak, and ``fraud`` (1/0) from labels."""
    per_number = features.group_by("msisdn", maintain_order=True).agg(
        [pl.col(c).max() for c in _BEHAVIOURAL] + [pl.col(c).last() for c in _STATIC]
    )
    label_column = None
    if labels is not None:
        per_number = per_number.join(
            labels.select("msisdn", "label"), on="msisdn", how="left"
        ).with_columns(
            fraud=(~pl.col("label").fill_null("normal").is_in(HONEST_LABELS)).cast(pl.Int8)
        )
        per_number = per_number.drop("label")
        label_column = "fraud"
    return FeatureTable.from_frame(
        per_number,
        id_column="msisdn",
        label_column=label_column,
        features=list(FEATURES),
        source="<features computed from call records>",
    )


ModelScorer = Callable[[pl.DataFrame], tuple[np.ndarray, Callable[[int], list[Reason]]]]


def event_scorer(model_dir: Path) -> ModelScorer:
    """Load a model directory and return a scorer for event feature frames.

    Raises :class:`~callwarden.detect.model.artifact.ModelError` for a missing or incomplete
    directory, and names the features it lacks when the model was trained on another table.
    """
    model: TrainedModel = load_model(model_dir)
    missing = [n for n in model.feature_names if n not in FEATURES]
    if missing:
        from callwarden.detect.model.artifact import ModelError  # noqa: PLC0415

        raise ModelError(
            f"{model_dir}: this model was trained on other features ({', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}); train one on call records with "
            "`callwarden model train RECORDS_DIR`"
        )

    def score(features: pl.DataFrame) -> tuple[np.ndarray, Callable[[int], list[Reason]]]:
        X = running_max(features).select(model.feature_names).to_numpy().astype(np.float64)
        scores = model.predict(X) if X.shape[0] else np.zeros(0)

        def explain(i: int) -> list[Reason]:
            row = X[i : i + 1]
            return reasons_from_contributions(
                model.contributions(row),
                row,
                model.feature_names,
                model.feature_stats,
                model.feature_labels or FEATURE_LABELS,
            )[0]

        return scores, explain

    return score

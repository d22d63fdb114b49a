"""The learned scorer on call records: per-number features from the event-time engine.

Training uses one row per number: the highest value each behavioural feature reached over the
number's events (static features as they are). Scoring in event time uses the same thing *as of*
each event: the running maximum over the number's events so far, which at the last event equals
the training row. So the model sees at time t only what was known at t, in batch and stream
alike.

>>> total, slices = load_engine("compiled")().features(traffic)  # doctest: +SKIP
>>> table = number_table_of_slices(slices, labels)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numba
import numpy as np
import polars as pl

from callwarden.detect.model.artifact import ModelError, TrainedModel, load_model
from callwarden.detect.model.explain import reasons_from_contributions
from callwarden.detect.model.table import FeatureTable
from callwarden.detect.reasons import Reason
from callwarden.features.engines.base import EventFeatures
from callwarden.features.spec import FEATURES

__all__ = [
    "FEATURE_LABELS",
    "HONEST_LABELS",
    "EventModel",
    "event_scorer",
    "number_table_of_slices",
    "peak_inputs",
]

HONEST_LABELS = ("normal", "legit_heavy")
#: zh / en names of the engine's features, for the model's reasons
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    f.name: (f.label_zh, f.label_en) for f in FEATURES.values()
}


@numba.njit(cache=True, nogil=True)
def _running_max_into(groups: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:
    """``out[i]``: the highest of ``values`` over ``i``'s group up to ``i`` (groups next to
    each other), NaN passed over (as ``np.fmax``, and polars' ``cum_max``): NaN until the
    group has a value."""
    best = np.nan
    for i in range(values.shape[0]):
        if i == 0 or groups[i] != groups[i - 1]:
            best = np.nan
        v = values[i]
        if not np.isnan(v) and (np.isnan(best) or v > best):
            best = v
        out[i] = best


def number_table_of_slices(
    slices: Iterable[EventFeatures], labels: pl.DataFrame | None
) -> FeatureTable:
    """One row per acting number from a feature engine's parts (``Engine.features``: whole
    numbers, a number's events together): every behavioural feature at its peak over the
    number's events (its last running maximum), static ones at its last event, numbers in
    the order of their first event; and ``fraud`` (1/0) from ``labels`` (honest labels are 0)."""
    parts, firsts = [], []
    for piece in slices:
        if piece.height == 0:
            continue
        X = peak_inputs(piece.values, piece.num, list(FEATURES))
        last = np.r_[np.flatnonzero(piece.num[1:] != piece.num[:-1]), piece.height - 1]
        first = np.r_[0, last[:-1] + 1]
        parts.append(
            pl.DataFrame(
                {"msisdn": piece.numbers(last), **{n: X[last, j] for j, n in enumerate(FEATURES)}}
            )
        )
        firsts.append(piece.seq[first])
    if not parts:
        empty = pl.DataFrame(schema={"msisdn": pl.String} | dict.fromkeys(FEATURES, pl.Float64))
        return _table(empty, labels)
    per_number = pl.concat(parts)[np.argsort(np.concatenate(firsts), kind="stable")]
    return _table(per_number, labels)


def _table(per_number: pl.DataFrame, labels: pl.DataFrame | None) -> FeatureTable:
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


def peak_inputs(values: dict[str, np.ndarray], groups: np.ndarray, names: list[str]) -> np.ndarray:
    """The rows the model reads at each event: the columns ``names`` of ``values`` (events
    of each number next to each other, in record order; ``groups`` the number of each), each
    behavioural feature as its highest value so far for the number (missing values passed
    over), static ones as they are.

    >>> peak_inputs({"out_calls_1h": np.array([3.0, 1.0, 2.0])}, np.array([7, 7, 8]),
    ...             ["out_calls_1h"]).ravel().tolist()
    [3.0, 3.0, 2.0]
    """
    X = np.empty((groups.shape[0], len(names)), np.float64)
    for j, name in enumerate(names):
        if FEATURES[name].static:
            X[:, j] = values[name]
        else:
            _running_max_into(groups, values[name].astype(np.float64, copy=False), X[:, j])
    return X


class EventModel:
    """A trained model at every event: what batch scoring with ``--model`` calls.

    The model reads each number's features at their peak so far (:func:`peak_inputs`), as it
    was trained on their peak over the day (:func:`number_table_of_slices`).
    """

    def __init__(self, model: TrainedModel) -> None:
        self.model = model

    def inputs(self, values: dict[str, np.ndarray], groups: np.ndarray) -> np.ndarray:
        """The model's rows at these events (see :func:`peak_inputs`)."""
        return peak_inputs(values, groups, self.model.feature_names)

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Calibrated risk in [0, 1] of each row."""
        return self.model.predict(X) if X.shape[0] else np.zeros(0)

    def reasons(self, row: np.ndarray) -> list[Reason]:
        """The features that raised one row's score most, in zh and en."""
        row = row.reshape(1, -1)
        return reasons_from_contributions(
            self.model.contributions(row),
            row,
            self.model.feature_names,
            self.model.feature_stats,
            self.model.feature_labels or FEATURE_LABELS,
        )[0]


def event_scorer(model_dir: Path) -> EventModel:
    """Load a model directory for scoring call records at every event.

    Raises :class:`~callwarden.detect.model.artifact.ModelError` for a missing or incomplete
    directory, and names the features it lacks when the model was trained on another table.
    """
    model: TrainedModel = load_model(model_dir)
    missing = [n for n in model.feature_names if n not in FEATURES]
    if missing:
        raise ModelError(
            f"{model_dir}: this model was trained on other features ({', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}); train one on call records with "
            "`callwarden model train RECORDS_DIR`"
        )
    return EventModel(model)

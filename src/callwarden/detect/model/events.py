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

from callwarden.decide.policy import PolicyConfig
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
    "RunningPeaks",
    "event_scorer",
    "held_out_review_cut",
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


class RunningPeaks:
    """The live form of :func:`peak_inputs`: each number's running maximum kept between
    record batches, so that a stream fed batch after batch gives the model the rows batch
    scoring gives it.

    >>> peaks = RunningPeaks(["out_calls_1h", "owner_age"])
    >>> first = peaks.update(["+1", "+2"], {"out_calls_1h": np.array([3.0, 1.0]),
    ...                                     "owner_age": np.array([30.0, 40.0])})
    >>> peaks.update(["+1"], {"out_calls_1h": np.array([2.0]),
    ...                       "owner_age": np.array([31.0])}).tolist()
    [[3.0, 31.0]]
    """

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.behavioural = np.array([not FEATURES[n].static for n in self.names], bool)
        self.rows: dict[str, int] = {}
        self.best = np.full((1024, len(self.names)), np.nan)

    def update(self, numbers: list[str], values: dict[str, np.ndarray]) -> np.ndarray:
        """The model's rows at these events (in record order, ``numbers`` the acting number
        of each), the running maxima carried on from earlier batches."""
        n = len(numbers)
        if n == 0:
            return np.empty((0, len(self.names)), np.float64)
        rows = self.rows
        for m in numbers:
            if m not in rows:
                rows[m] = len(rows)
        where = np.fromiter((rows[m] for m in numbers), np.int64, n)
        if len(rows) > self.best.shape[0]:
            grown = np.full((max(len(rows), 2 * self.best.shape[0]), len(self.names)), np.nan)
            grown[: self.best.shape[0]] = self.best
            self.best = grown
        # each number's earlier peak first, then its events in record order, numbers together
        seen = np.unique(where)
        groups = np.r_[seen, where]
        order = np.argsort(groups, kind="stable")
        X = np.empty((n, len(self.names)), np.float64)
        prior = self.best[seen]
        for j, name in enumerate(self.names):
            column = values[name].astype(np.float64, copy=False)
            if not self.behavioural[j]:
                X[:, j] = column
                continue
            both = np.r_[prior[:, j], column][order]
            out = np.empty_like(both)
            _running_max_into(groups[order], both, out)
            peaked = np.empty_like(out)
            peaked[order] = out
            X[:, j] = peaked[seen.shape[0] :]
        last = np.empty(len(rows), np.int64)
        last[where] = np.arange(n)  # (the last assignment wins: each number's last event)
        self.best[seen] = X[last[seen]]
        return X


def held_out_review_cut(
    model: TrainedModel, slices: Iterable[EventFeatures], labels: pl.DataFrame
) -> dict[str, float | int]:
    """The score the model alone must reach to put a number at ``review``, chosen on a city
    the model was not trained on: above every honest number's highest score over its events
    there (``normal`` and ``legit_heavy``, and numbers without a label), so that on that city
    the model alone raises no honest number above ``watch``. ``inf`` when an honest number
    reaches the top score (the cut is then above 1): the model alone never goes above
    ``watch``.
    """
    names = model.feature_names
    ids: list[str] = []
    highest: list[np.ndarray] = []
    for piece in slices:
        if piece.height == 0:
            continue
        s = model.predict(peak_inputs(piece.values, piece.num, names))
        first = np.r_[0, np.flatnonzero(piece.num[1:] != piece.num[:-1]) + 1]
        highest.append(np.maximum.reduceat(s, first))
        ids += piece.numbers(first)
    top = pl.DataFrame({"msisdn": ids, "top": np.concatenate(highest) if highest else []})
    truth = top.join(labels.select("msisdn", "label"), on="msisdn", how="left")
    honest = truth["label"].fill_null("normal").is_in(HONEST_LABELS).to_numpy()
    scores = truth["top"].to_numpy()
    worst = float(scores[honest].max()) if honest.any() else 0.0
    cut = float(np.nextafter(worst, np.inf))  # (above 1 when an honest number reached 1)
    fraud = scores[~honest]
    return {
        "review_cut": cut,
        "honest_numbers": int(honest.sum()),
        "fraud_numbers": int(fraud.shape[0]),
        "fraud_at_cut": int((fraud >= cut).sum()),
    }


class EventModel:
    """A trained model at every event: what batch scoring with ``--model`` calls.

    The model reads each number's features at their peak so far (:func:`peak_inputs`), as it
    was trained on their peak over the day (:func:`number_table_of_slices`).

    Where the model was given a review cut chosen on a held-out city (``metrics.json``
    ``model_alone.review_cut``, :func:`held_out_review_cut`), its calibrated score is mapped,
    keeping the order, so that the cut lands on ``review`` (the policy's, ``review``): below the
    cut the model alone stays under ``review``, at or above it the model alone earns ``review``
    (never more: ``model_alone_ceiling``). Without one, the calibrated score is used as it is.
    """

    def __init__(self, model: TrainedModel, review: float | None = None) -> None:
        self.model = model
        self.review = PolicyConfig().review if review is None else review
        cut = (model.metrics.get("model_alone") or {}).get("review_cut")
        self.cut = None if cut is None else float(cut)

    def inputs(self, values: dict[str, np.ndarray], groups: np.ndarray) -> np.ndarray:
        """The model's rows at these events (see :func:`peak_inputs`)."""
        return peak_inputs(values, groups, self.model.feature_names)

    def running(self) -> RunningPeaks:
        """A live state of the model's rows, for records that arrive in batches."""
        return RunningPeaks(self.model.feature_names)

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Risk in [0, 1] of each row: the calibrated score, mapped to the review cut where
        the model has one."""
        s = self.model.predict(X) if X.shape[0] else np.zeros(0)
        if self.cut is None:
            return s
        r, t = self.review, self.cut
        below = s * (np.nextafter(r, 0.0) / t)
        above = r + (s - t) * ((1.0 - r) / (1.0 - t)) if t < 1.0 else np.full_like(s, r)
        return np.where(s >= t, above, below)

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


def event_scorer(model_dir: Path, review: float | None = None) -> EventModel:
    """Load a model directory for scoring call records at every event (``review``: the
    policy's review level, where the model's review cut lands; the shipped policy's if None).

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
    return EventModel(model, review)

"""Training the call-record model on rows taken at events, as scoring reads them.

Scoring reads a number at every one of its events, each behavioural feature at its highest so
far (:func:`~callwarden.detect.model.events.peak_inputs`), and the policy keeps the highest
decision the number ever reached. A model trained on one row per number, the day's-end peaks,
never saw a row from early in a number's day: honest features (answered share, call-backs,
inbound calls, gaps between calls) have not risen yet there, and an honest heavy caller's
first hour reads like the fraud it learned. On another city that shows as honest numbers
whose *highest* score over the day is at the top (docs/model.md, "Across cities").

So the training rows here are the rows scoring reads:

1. **Rows at events.** For each number, the model's inputs as they stood at up to
   ``per_number`` of its events, spread evenly over its day (the first and the last always;
   every event when it has no more). Each row carries the number's label.
2. **Each number weighs one.** A row's weight is one over its number's rows, so a heavy caller
   with hundreds of events counts as much as a number with two, as in the per-number table.
3. **Cross-validation by number.** Folds split numbers, never one number's rows (they would
   score each other). A held-out number's score is the highest over its rows, which is what
   the policy keeps; the fold's figures, the isotonic calibration and the F1-best threshold
   are all on these per-number highest scores. The calibration is monotone, so a number's
   highest calibrated score is the calibration of its highest raw score.
4. **The final model** on every row with the same weights, parameters and trees.

>>> rows = event_rows(slices, labels)  # doctest: +SKIP
>>> model = train_at_events(rows, cv_folds=3)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from callwarden.detect.model.artifact import TrainedModel
from callwarden.detect.model.calibration import IsotonicCalibrator
from callwarden.detect.model.events import HONEST_LABELS, peak_inputs
from callwarden.detect.model.metrics import best_f1_threshold, fold_metrics, summarize
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.table import FeatureTable
from callwarden.detect.model.train import (
    cross_validate,
    described,
    lightgbm_feature_names,
    packaged,
)
from callwarden.errors import ConfigError, InputFileError
from callwarden.features.engines.base import EventFeatures
from callwarden.features.spec import FEATURES

__all__ = ["DEFAULT_PER_NUMBER", "EventRows", "event_rows", "train_at_events"]

#: events per number a model is trained on (more only add rows of a heavy caller's day)
DEFAULT_PER_NUMBER = 32
_SOURCE = "<features at events, computed from call records>"


@dataclass
class EventRows:
    """The training rows of :func:`train_at_events`.

    ``table``: one row per sampled event (id ``<number>@<k>``, ``k`` the event's place among
    the number's events), the number's 0/1 label; ``number``: each row's number (an index
    into ``numbers``); ``weight``: one over the number's rows; ``numbers`` and ``y``: the
    numbers in the order of their first event, and their labels.
    """

    table: FeatureTable
    number: np.ndarray
    weight: np.ndarray
    numbers: list[str]
    y: np.ndarray
    per_number: int


def _sampled(first: np.ndarray, ends: np.ndarray, per_number: int) -> np.ndarray:
    """Positions of up to ``per_number`` events of each number, spread evenly, first and
    last included.

    >>> _sampled(np.array([0, 3]), np.array([3, 13]), 4).tolist()
    [0, 1, 2, 3, 6, 9, 12]
    """
    picks = []
    for start, end in zip(first.tolist(), ends.tolist(), strict=True):
        n = end - start
        if n <= per_number:
            picks.append(np.arange(start, end))
        else:
            at = np.round(np.linspace(0, n - 1, per_number)).astype(np.int64)
            picks.append(start + np.unique(at))
    return np.concatenate(picks) if picks else np.zeros(0, np.int64)


def event_rows(
    slices: Iterable[EventFeatures],
    labels: pl.DataFrame,
    *,
    per_number: int = DEFAULT_PER_NUMBER,
) -> EventRows:
    """The model's inputs at up to ``per_number`` events of every acting number (a feature
    engine's parts, ``Engine.features``), labelled from ``labels`` (honest labels, and
    numbers without one, are 0)."""
    if per_number < 1:
        raise ConfigError(f"per_number must be 1 or more, not {per_number}")
    names = list(FEATURES)
    ids: list[str] = []
    blocks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    offset = 0  # numbers of the earlier parts
    for piece in slices:
        if piece.height == 0:
            continue
        X = peak_inputs(piece.values, piece.num, names)
        first = np.r_[0, np.flatnonzero(piece.num[1:] != piece.num[:-1]) + 1]
        ends = np.r_[first[1:], piece.height]
        at = _sampled(first, ends, per_number)
        owner = np.searchsorted(first, at, side="right") - 1
        place = at - first[owner]
        numbers = piece.numbers(first)
        ids += [f"{numbers[o]}@{k}" for o, k in zip(owner.tolist(), place.tolist(), strict=True)]
        blocks.append(X[at])
        owners.append(offset + owner)
        firsts.append(piece.seq[first])
        offset += first.shape[0]
        del X
    if not blocks:
        raise InputFileError(_SOURCE, "no acting numbers to train on")
    order = np.argsort(np.concatenate(firsts), kind="stable")  # numbers by first event
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    number = rank[np.concatenate(owners)]
    rows = np.argsort(number, kind="stable")  # rows of each number together, in its order
    number = number[rows]
    X_all = np.vstack(blocks)[rows]
    row_ids = [ids[i] for i in rows.tolist()]
    numbers = [row_ids[i].rsplit("@", 1)[0] for i in np.r_[0, np.flatnonzero(np.diff(number)) + 1]]
    honest = (
        pl.DataFrame({"msisdn": numbers})
        .join(labels.select("msisdn", "label"), on="msisdn", how="left")
        .select(pl.col("label").fill_null("normal").is_in(HONEST_LABELS))
        .to_series()
        .to_numpy()
    )
    y = (~honest).astype(np.int8)
    counts = np.bincount(number, minlength=len(numbers))
    frame = pl.DataFrame(
        {"msisdn": row_ids, **{n: X_all[:, j] for j, n in enumerate(names)}, "fraud": y[number]}
    )
    table = FeatureTable.from_frame(
        frame, id_column="msisdn", label_column="fraud", features=names, source=_SOURCE
    )
    return EventRows(table, number, 1.0 / counts[number], numbers, y, per_number)


def _booster(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, params: ModelParams, seed: int, names: list[str]
) -> lgb.Booster:
    data = lgb.Dataset(X, label=y, weight=w, feature_name=names, params={"verbose": -1})
    return lgb.train(params.lightgbm(seed), data, num_boost_round=params.n_estimators)


def _highest(scores: np.ndarray, number: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Each of ``wanted``'s numbers' highest score over its rows."""
    slot = np.full(int(number.max()) + 1 if number.size else 0, -1, np.int64)
    slot[wanted] = np.arange(wanted.shape[0])
    out = np.full(wanted.shape[0], -np.inf)
    np.maximum.at(out, slot[number], scores)
    return out


def train_at_events(
    rows: EventRows,
    *,
    params: ModelParams | None = None,
    cv_folds: int = 5,
    seed: int = 0,
    feature_labels: dict[str, tuple[str, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Cross-validate by number, calibrate on the numbers' highest scores, and train the final
    model on every row (see the module notes)."""
    params = params or ModelParams()
    say = progress or (lambda _line: None)
    _check(rows, cv_folds, params)
    X = rows.table.X.to_numpy().astype(np.float64)
    y_rows = np.asarray(rows.table.y, np.int8)
    names = lightgbm_feature_names(rows.table.feature_names)

    def fit_predict(n_train: np.ndarray, _y: np.ndarray, n_test: np.ndarray) -> np.ndarray:
        train = np.isin(rows.number, n_train[:, 0].astype(np.int64))
        wanted = n_test[:, 0].astype(np.int64)
        test = np.isin(rows.number, wanted)
        booster = _booster(X[train], y_rows[train], rows.weight[train], params, seed, names)
        raw = np.asarray(booster.predict(X[test]), np.float64)
        return _highest(raw, rows.number[test], wanted)

    by_number = np.arange(len(rows.numbers), dtype=np.float64).reshape(-1, 1)
    folds, oof = cross_validate(
        by_number, rows.y, fit_predict, folds=cv_folds,
        threshold_folds=params.threshold_folds, seed=seed, progress=say,
    )  # fmt: skip
    say("calibrating on the numbers' highest out-of-fold scores")
    calibrator = IsotonicCalibrator.fit(oof, rows.y)
    calibrated = calibrator.apply(oof)
    threshold = best_f1_threshold(rows.y, calibrated)
    say(f"training the final model on all {len(y_rows)} rows")
    booster = _booster(X, y_rows, rows.weight, params, seed, names)
    metrics: dict[str, Any] = {
        "format": "callwarden-model/1",
        **described(rows.table, rows.y, seed, params),
        "training_rows": {
            "method": "at events: each number's inputs as scoring reads them (behavioural "
            "features at their highest so far) at up to per_number of its events, spread "
            "evenly over its day, first and last included; each number weighs one",
            "per_number": rows.per_number,
            "numbers": len(rows.numbers),
            "rows": len(y_rows),
        },
        "cv": {
            "folds_count": cv_folds,
            "seed": seed,
            "splitter": "sklearn StratifiedKFold(shuffle=True, random_state=seed) over numbers",
            "scores": "each held-out number's highest raw score over its rows",
            "threshold_method": (
                f"Each fold's threshold is the F1-best one on {params.threshold_folds}-fold "
                "inner out-of-fold scores of that fold's training numbers; the held-out "
                "numbers are not used to choose it."
            ),
            "folds": folds,
            "mean": summarize(folds),
        },
        "threshold": {
            "value": threshold,
            "method": "F1-best on the numbers' highest calibrated out-of-fold scores",
            "oof_at_threshold": fold_metrics(rows.y, calibrated, threshold=threshold),
            "note": "figures at this threshold are in-sample for the threshold (optimistic); "
            "the per-fold figures above are the honest estimate",
        },
        "calibration": {
            "method": "isotonic",
            "fitted_on": "each number's highest out-of-fold raw score",
        },
    }
    return packaged(
        rows.table, X, y_rows, [booster], calibrator, threshold, metrics, feature_labels
    )


def _check(rows: EventRows, cv_folds: int, params: ModelParams) -> None:
    if cv_folds < 2:
        raise ConfigError(f"cross-validation needs 2 or more folds, not {cv_folds}")
    positives, negatives = int(rows.y.sum()), int((rows.y == 0).sum())
    need = cv_folds * params.threshold_folds
    if min(positives, negatives) < need:
        raise InputFileError(
            _SOURCE,
            f"{cv_folds}-fold cross-validation with {params.threshold_folds} inner folds needs "
            f"at least {need} fraud and {need} normal numbers; the records have {positives} "
            f"fraud and {negatives} normal (use fewer folds or more labelled numbers)",
        )

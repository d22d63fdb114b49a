"""Training: honest cross-validation, isotonic calibration, a threshold, the final model.

1. Stratified k-fold cross-validation (shuffled with the seed). In each fold a model is trained
   on the other folds and scores the held-out fold; those out-of-fold (OOF) scores give the
   reported AUC and PR-AUC. F1, precision and recall (of the fraud class), accuracy and the
   macro (two-class mean) figures need a threshold: each fold's threshold is the fraud-class
   F1-best one on *inner* OOF scores of its own training rows (``threshold_folds`` inner
   folds), so the held-out fold never helps choose it. The macro figures are only reported,
   never optimised: the threshold rule is the product's decision rule.
2. An isotonic calibrator is fitted on all OOF scores; the decision threshold of the model is
   the F1-best one on the calibrated OOF scores.
3. The final model is trained on every row with the same parameters and number of trees (no
   early stopping: there is no evaluation set to stop on).

>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(0)
>>> signal = rng.normal(size=200)
>>> frame = pl.DataFrame({"id": [f"n{i}" for i in range(200)],
...                       "calls": signal + rng.normal(size=200),
...                       "noise": rng.normal(size=200), "y": (signal > 0.5).astype(int)})
>>> table = FeatureTable.from_frame(frame, id_column="id", label_column="y")
>>> model = train_model(table, params=ModelParams(n_estimators=20), cv_folds=3)
>>> model.metrics["cv"]["mean"]["auc"]["mean"] > 0.7
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import StratifiedKFold

import callwarden
from callwarden.detect.model.artifact import TrainedModel
from callwarden.detect.model.calibration import IsotonicCalibrator
from callwarden.detect.model.metrics import best_f1_threshold, fold_metrics, summarize
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.table import FeatureTable, training_data_sha256
from callwarden.errors import ConfigError, InputFileError

__all__ = ["FitPredict", "cross_validate", "lightgbm_fit_predict", "train_model"]

#: Train on (X, y), return scores for the rows of a second X: the one thing CV needs of a model.
FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

_JSON_UNSAFE = re.compile(r'[\s\[\]{}":,]')


def train_model(
    table: FeatureTable,
    *,
    params: ModelParams | None = None,
    cv_folds: int = 5,
    seed: int = 0,
    feature_labels: dict[str, tuple[str, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Cross-validate, calibrate and train a LightGBM scorer on a labelled feature table.

    ``feature_labels`` maps a feature name to its (zh, en) human name, used in reasons.
    ``progress`` is called with a short line as each step starts (for a CLI's status line).
    See the module docstring for an example.
    """
    params = params or ModelParams()
    say = progress or (lambda _line: None)
    y = _check_trainable(table, cv_folds, params)
    X = table.X.to_numpy().astype(np.float64)
    names = list(table.feature_names)
    lgb_names = lightgbm_feature_names(names)
    fit_predict = lightgbm_fit_predict(params, seed, lgb_names)

    folds, oof = cross_validate(
        X,
        y,
        fit_predict,
        folds=cv_folds,
        threshold_folds=params.threshold_folds,
        seed=seed,
        progress=say,
    )
    say("calibrating on the out-of-fold scores")
    calibrator = IsotonicCalibrator.fit(oof, y)
    calibrated = calibrator.apply(oof)
    threshold = best_f1_threshold(y, calibrated)
    at_threshold = fold_metrics(y, calibrated, threshold=threshold)

    say(f"training the final model on all {len(y)} rows")
    booster = _train_booster(X, y, params, seed, lgb_names)

    metrics: dict[str, Any] = {
        "format": "callwarden-model/1",
        **described(table, y, seed, params),
        "cv": {
            "folds_count": cv_folds,
            "seed": seed,
            "splitter": "sklearn StratifiedKFold(shuffle=True, random_state=seed)",
            "scores": "raw LightGBM probabilities of each fold model on its held-out fold",
            "threshold_method": (
                f"Each fold's threshold is the F1-best one on {params.threshold_folds}-fold "
                "inner out-of-fold scores of that fold's training rows; the held-out fold is "
                "not used to choose it."
            ),
            "folds": folds,
            "mean": summarize(folds),
        },
        "threshold": {
            "value": threshold,
            "method": "F1-best on the calibrated out-of-fold scores of all rows",
            "oof_at_threshold": at_threshold,
            "note": "figures at this threshold are in-sample for the threshold (optimistic); "
            "the per-fold figures above are the honest estimate",
        },
        "calibration": {"method": "isotonic", "fitted_on": "out-of-fold raw scores"},
    }
    return packaged(table, X, y, [booster], calibrator, threshold, metrics, feature_labels)


def described(table: FeatureTable, y: np.ndarray, seed: int, params: ModelParams) -> dict[str, Any]:
    """What every model's ``metrics.json`` says of its making: versions, rows, features and
    parameters (the protocol's own figures follow it)."""
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "callwarden_version": callwarden.__version__,
        "lightgbm_version": lgb.__version__,
        "source": table.source,
        "rows": len(y),
        "positives": int(y.sum()),
        "negatives": int((y == 0).sum()),
        "positive_share": round(float(y.mean()), 4),
        "features": len(table.feature_names),
        "dropped_columns": list(table.dropped_columns),
        "seed": seed,
        "params": params.model_dump(),
        "lightgbm_params": params.lightgbm(seed),
    }


def packaged(
    table: FeatureTable,
    X: np.ndarray,
    y: np.ndarray,
    boosters: Sequence[lgb.Booster],
    calibrator: IsotonicCalibrator,
    threshold: float,
    metrics: dict[str, Any],
    feature_labels: dict[str, tuple[str, str]] | None,
) -> TrainedModel:
    """The trained model of ``boosters`` (one, or an ensemble's seeds) with what it is read
    by: feature names and labels, each feature's figures (all rows and the normal ones)."""
    names = list(table.feature_names)
    normal = X[y == 0]
    return TrainedModel(
        booster=boosters[0],
        more_boosters=list(boosters[1:]),
        feature_names=names,
        feature_labels=dict(feature_labels or {}),
        feature_stats={name: _stats(X[:, i], normal[:, i]) for i, name in enumerate(names)},
        calibrator=calibrator,
        threshold=threshold,
        metrics=metrics,
        training_sha256=training_data_sha256(table),
        id_column=table.id_column,
        label_column=table.label_column or "label",
    )


def cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    fit_predict: FitPredict,
    *,
    folds: int = 5,
    threshold_folds: int = 3,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Per-fold metrics and out-of-fold scores of any ``fit_predict``, thresholds chosen inside.

    The same splits for the same ``y`` and ``seed``, whatever the model: the benchmark runs a
    logistic-regression baseline through this very function to compare like with like.

    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(60, 1))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> folds, oof = cross_validate(X, y, lambda Xa, ya, Xb: Xb[:, 0], folds=3)
    >>> [f["auc"] for f in folds], oof.shape
    ([1.0, 1.0, 1.0], (60,))
    """
    say = progress or (lambda _line: None)
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.full(len(y), np.nan)
    results: list[dict[str, Any]] = []
    for k, (train, test) in enumerate(outer.split(X, y), start=1):
        say(f"fold {k}/{folds}: choosing the threshold on inner folds of the training rows")
        inner_scores = np.full(len(train), np.nan)
        inner = StratifiedKFold(n_splits=threshold_folds, shuffle=True, random_state=seed + k)
        for inner_train, inner_test in inner.split(X[train], y[train]):
            inner_scores[inner_test] = fit_predict(
                X[train][inner_train], y[train][inner_train], X[train][inner_test]
            )
        threshold = best_f1_threshold(y[train], inner_scores)
        say(f"fold {k}/{folds}: training on {len(train)} rows, scoring {len(test)} held out")
        oof[test] = fit_predict(X[train], y[train], X[test])
        results.append({"fold": k, **fold_metrics(y[test], oof[test], threshold=threshold)})
    return results, oof


def lightgbm_fit_predict(
    params: ModelParams, seed: int, feature_names: Sequence[str] | None = None
) -> FitPredict:
    """A :data:`FitPredict` that trains LightGBM with ``params`` and returns probabilities.

    >>> fp = lightgbm_fit_predict(ModelParams(n_estimators=5), seed=0)
    >>> X = np.arange(200.0).reshape(-1, 1)
    >>> low, high = fp(X, (X[:, 0] >= 100).astype(int), np.array([[0.0], [199.0]]))
    >>> bool(low < 0.5 < high)
    True
    """

    def fit_predict(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        booster = _train_booster(X_train, y_train, params, seed, feature_names)
        return np.asarray(booster.predict(X_test), dtype=np.float64)

    return fit_predict


def lightgbm_feature_names(names: Sequence[str]) -> list[str]:
    """Feature names as LightGBM accepts them (it refuses JSON punctuation and spaces).

    features.json keeps the real names; columns are matched by position, so this only
    affects how ``model.txt`` reads.

    >>> lightgbm_feature_names(["calls_1h", "calls: 24h", "calls:_24h"])
    ['calls_1h', 'calls__24h', 'calls__24h_3']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        safe = _JSON_UNSAFE.sub("_", name) or f"feature_{i}"
        if safe in seen:
            safe = f"{safe}_{i}"
        seen.add(safe)
        out.append(safe)
    return out


def _train_booster(
    X: np.ndarray,
    y: np.ndarray,
    params: ModelParams,
    seed: int,
    feature_names: Sequence[str] | None,
) -> lgb.Booster:
    data = lgb.Dataset(
        X,
        label=y,
        feature_name=list(feature_names) if feature_names is not None else "auto",
        params={"verbose": -1},
    )
    return lgb.train(params.lightgbm(seed), data, num_boost_round=params.n_estimators)


def _check_trainable(table: FeatureTable, cv_folds: int, params: ModelParams) -> np.ndarray:
    if table.y is None:
        raise InputFileError(table.source, "training needs a label column; none was given")
    if cv_folds < 2:
        raise ConfigError(f"cross-validation needs 2 or more folds, not {cv_folds}")
    y = np.asarray(table.y).astype(np.int8)
    positives, negatives = int(y.sum()), int((y == 0).sum())
    # Every inner fold of every outer fold needs both classes.
    need = cv_folds * params.threshold_folds
    if min(positives, negatives) < need:
        raise InputFileError(
            table.source,
            f"{cv_folds}-fold cross-validation with {params.threshold_folds} inner folds needs "
            f"at least {need} fraud and {need} normal numbers; the table has {positives} fraud "
            f"and {negatives} normal (use fewer folds or more labelled numbers)",
        )
    return y


def _stats(values: np.ndarray, normal: np.ndarray) -> dict[str, float | None]:
    """Median of all training rows and quantiles of the normal ones, to put values in context."""

    def q(column: np.ndarray, p: float) -> float | None:
        finite = column[~np.isnan(column)]
        return float(np.quantile(finite, p)) if finite.size else None

    return {
        "median": q(values, 0.5),
        "normal_p10": q(normal, 0.10),
        "normal_p25": q(normal, 0.25),
        "normal_median": q(normal, 0.5),
        "normal_p75": q(normal, 0.75),
        "normal_p90": q(normal, 0.90),
        "missing_share": round(float(np.isnan(values).mean()), 4),
    }

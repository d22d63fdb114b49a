"""File-order evaluation: train on the earlier rows, choose on the later ones.

Cross-validation shuffles the rows, so a fold's test numbers sit among its training numbers in
time. Data sets published with a file-order split (the Sichuan set's test fifth is its last
1,222 rows) test on numbers that come *later*; a CV figure is optimistic for them. This
module gives that protocol inside a training file:

* :func:`split_file_order` cuts a table into its first ``train_rows`` rows and the rest;
* :func:`evaluate_candidate` trains one candidate (parameters, derived features, monotone
  constraints) on the earlier rows and scores the later *validation* rows, reporting the
  figures at two thresholds: the one chosen on inner folds of the training rows only (an
  honest figure for the validation rows) and the fraud-class F1-best one on the validation
  rows (the threshold a selection would carry forward; in-sample for the threshold);
* :func:`choose_on_validation` runs several candidates and picks one by its validation
  figures;
* :func:`cross_validate_candidate` runs the same candidate through stratified k-fold CV (each
  fold's threshold chosen on inner folds of its training rows), so a change chosen on the
  validation rows can be checked on shuffled folds too.

A candidate may average LightGBM over several seeds (``seeds``) and blend it with other
learners (``blend``: ``"logistic"``, a logistic regression on quantile-normalised,
median-imputed features with missing-value indicators; ``"extra_trees"``, scikit-learn's
ExtraTrees on features with missing values set to -1): the blended score is the plain mean of
the members' probabilities, with no weights to tune.

Everything chosen with :func:`choose_on_validation` (features, class weights, threshold) is
chosen on the validation rows only; a test part must then be scored once, with nothing changed.

>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(0)
>>> signal = rng.normal(size=300)
>>> frame = pl.DataFrame({"id": [f"n{i}" for i in range(300)],
...                       "calls": signal + rng.normal(size=300),
...                       "y": (signal > 0.5).astype(int)})
>>> table = FeatureTable.from_frame(frame, id_column="id", label_column="y")
>>> result = evaluate_candidate(table, Candidate("plain", ModelParams(n_estimators=20)),
...                             train_rows=200)
>>> result["validation_rows"], result["at_train_threshold"]["auc"] > 0.6
(100, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

from callwarden.detect.model.metrics import best_f1_threshold, fold_metrics
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.table import FeatureTable
from callwarden.detect.model.train import cross_validate

__all__ = [
    "BLEND_MEMBERS",
    "Candidate",
    "Derived",
    "choose_on_validation",
    "cross_validate_candidate",
    "difference",
    "evaluate_candidate",
    "missing",
    "ratio",
    "score_test_once",
    "split_file_order",
    "with_derived",
]

#: A derived feature: its name and an expression over the table's own columns.
Derived = tuple[str, pl.Expr]
#: Learners a candidate may blend with LightGBM (the mean of their probabilities).
BLEND_MEMBERS = ("logistic", "extra_trees")


def ratio(name: str, numerator: str, denominator: str) -> Derived:
    """``numerator / denominator`` as a feature; a zero or missing denominator gives missing.

    >>> frame = pl.DataFrame({"a": [1.0, 2.0], "b": [2.0, 0.0]})
    >>> frame.select(ratio("r", "a", "b")[1])["r"].to_list()
    [0.5, None]
    """
    denominator_expr = pl.col(denominator)
    expr = (
        pl.when(denominator_expr.is_null() | (denominator_expr == 0))
        .then(None)
        .otherwise(pl.col(numerator) / denominator_expr)
    )
    return name, expr.alias(name)


def difference(name: str, minuend: str, subtrahend: str) -> Derived:
    """``minuend - subtrahend`` as a feature (missing where either is).

    >>> frame = pl.DataFrame({"a": [3.0, None], "b": [1.0, 1.0]})
    >>> frame.select(difference("d", "a", "b")[1])["d"].to_list()
    [2.0, None]
    """
    return name, (pl.col(minuend) - pl.col(subtrahend)).alias(name)


def missing(name: str, columns: Sequence[str]) -> Derived:
    """How many of ``columns`` are missing in the row (0 to ``len(columns)``).

    With one column it is that column's missing-value indicator.

    >>> frame = pl.DataFrame({"a": [1.0, None], "b": [None, None]})
    >>> frame.select(missing("m", ["a", "b"])[1])["m"].to_list()
    [1.0, 2.0]
    """
    expr = pl.sum_horizontal([pl.col(c).is_null().cast(pl.Float64) for c in columns])
    return name, expr.alias(name)


@dataclass(frozen=True)
class Candidate:
    """One configuration to try: parameters, extra features, monotone constraints by name.

    ``monotone`` maps a feature name to +1 (risk may only rise with it) or -1 (only fall).
    ``seeds`` averages LightGBM over that many seeds (``seed``, ``seed + 1``, ...);
    ``blend`` names learners of :data:`BLEND_MEMBERS` whose probabilities are averaged with
    LightGBM's.
    """

    name: str
    params: ModelParams = field(default_factory=ModelParams)
    derived: tuple[Derived, ...] = ()
    monotone: Mapping[str, int] = field(default_factory=dict)
    seeds: int = 1
    blend: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {self.seeds}")
        unknown = sorted(set(self.blend) - set(BLEND_MEMBERS))
        if unknown:
            raise ValueError(
                f"unknown blend members: {', '.join(unknown)} (known: {', '.join(BLEND_MEMBERS)})"
            )


def with_derived(table: FeatureTable, derived: Sequence[Derived]) -> FeatureTable:
    """The table with derived features appended (same ids, labels and source)."""
    if not derived:
        return table
    X = table.X.with_columns([expr for _, expr in derived]).cast(pl.Float64)
    return FeatureTable(
        ids=table.ids,
        X=X,
        y=table.y,
        feature_names=list(X.columns),
        source=table.source,
        dropped_columns=table.dropped_columns,
        id_column=table.id_column,
        label_column=table.label_column,
    )


def split_file_order(table: FeatureTable, train_rows: int) -> tuple[FeatureTable, FeatureTable]:
    """The first ``train_rows`` rows and the rest, in file order (no shuffling)."""
    if not 0 < train_rows < len(table):
        raise ValueError(f"train_rows must be between 1 and {len(table) - 1}, got {train_rows}")

    def part(start: int, stop: int) -> FeatureTable:
        return FeatureTable(
            ids=table.ids[start:stop],
            X=table.X.slice(start, stop - start),
            y=None if table.y is None else table.y[start:stop],
            feature_names=table.feature_names,
            source=f"{table.source} rows {start + 1}-{stop}",
            id_column=table.id_column,
            label_column=table.label_column,
        )

    return part(0, train_rows), part(train_rows, len(table))


def evaluate_candidate(
    table: FeatureTable, candidate: Candidate, *, train_rows: int, seed: int = 0
) -> dict[str, Any]:
    """Train ``candidate`` on the first ``train_rows`` rows, score the later rows.

    See the module docstring for the two thresholds reported.
    """
    started = time.perf_counter()
    full = with_derived(table, candidate.derived)
    train, validation = split_file_order(full, train_rows)
    if train.y is None or validation.y is None:
        raise ValueError("file-order evaluation needs a labelled table")
    fit = _fit_predict(candidate, full.feature_names, seed)
    X_train, y_train = train.X.to_numpy().astype(np.float64), train.y
    inner = np.zeros(len(train))
    splits = StratifiedKFold(candidate.params.threshold_folds, shuffle=True, random_state=seed)
    for fit_rows, held in splits.split(X_train, y_train):
        inner[held] = fit(X_train[fit_rows], y_train[fit_rows], X_train[held])
    train_threshold = best_f1_threshold(y_train, inner)
    scores = fit(X_train, y_train, validation.X.to_numpy().astype(np.float64))
    validation_threshold = best_f1_threshold(validation.y, scores)
    return {
        "candidate": candidate.name,
        "features": len(full.feature_names),
        "derived": [name for name, _ in candidate.derived],
        "monotone": dict(candidate.monotone),
        "seeds": candidate.seeds,
        "blend": list(candidate.blend),
        "params": candidate.params.model_dump(),
        "train_rows": len(train),
        "validation_rows": len(validation),
        "validation_fraud": int(validation.y.sum()),
        "at_train_threshold": fold_metrics(validation.y, scores, threshold=train_threshold),
        "at_validation_threshold": fold_metrics(
            validation.y, scores, threshold=validation_threshold
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


def choose_on_validation(
    table: FeatureTable,
    candidates: Sequence[Candidate],
    *,
    train_rows: int,
    seed: int = 0,
    key: str = "f1",
    progress: Callable[[str], None] | None = None,
) -> tuple[Candidate, list[dict[str, Any]]]:
    """Evaluate every candidate; the chosen one has the best validation ``key`` at its own
    validation-chosen threshold (ties: the earlier candidate, i.e. the simpler one first).
    """
    if not candidates:
        raise ValueError("no candidates to choose from")
    say = progress or (lambda _line: None)
    results = []
    for candidate in candidates:
        say(f"file order: {candidate.name}")
        results.append(evaluate_candidate(table, candidate, train_rows=train_rows, seed=seed))
    values = [r["at_validation_threshold"][key] for r in results]
    best = int(np.argmax(values))
    return candidates[best], results


def cross_validate_candidate(
    table: FeatureTable, candidate: Candidate, *, folds: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """Per-fold metrics of ``candidate`` in stratified ``folds``-fold CV over all rows.

    The folds and the threshold rule are :func:`~callwarden.detect.model.train.cross_validate`'s
    (each fold's fraud-class F1-best threshold chosen on inner folds of its training rows), so
    the figures sit beside ``train_model``'s own CV.
    """
    full = with_derived(table, candidate.derived)
    if full.y is None:
        raise ValueError("cross-validation needs a labelled table")
    fit = _fit_predict(candidate, full.feature_names, seed)
    results, _ = cross_validate(
        full.X.to_numpy().astype(np.float64),
        full.y,
        fit,
        folds=folds,
        threshold_folds=candidate.params.threshold_folds,
        seed=seed,
    )
    return results


def score_test_once(
    table: FeatureTable,
    candidate: Candidate,
    test: FeatureTable,
    *,
    train_rows: int,
    seed: int = 0,
) -> dict[str, Any]:
    """The chosen candidate, trained on the first ``train_rows`` rows with the threshold chosen
    on the validation rows, scoring a labelled test table that came after both.

    Call it once, after the choice: every figure that chose something came from the
    validation rows.
    """
    full = with_derived(table, candidate.derived)
    later = with_derived(test, candidate.derived)
    if later.feature_names != full.feature_names:
        raise ValueError("the test table must have the training table's feature columns")
    train, validation = split_file_order(full, train_rows)
    if train.y is None or validation.y is None or later.y is None:
        raise ValueError("file-order evaluation needs labelled tables")
    fit = _fit_predict(candidate, full.feature_names, seed)
    X_train = train.X.to_numpy().astype(np.float64)
    threshold = best_f1_threshold(
        validation.y, fit(X_train, train.y, validation.X.to_numpy().astype(np.float64))
    )
    scores = fit(X_train, train.y, later.X.to_numpy().astype(np.float64))
    return fold_metrics(later.y, scores, threshold=threshold)


def _fit_predict(
    candidate: Candidate, names: Sequence[str], seed: int
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    unknown = sorted(set(candidate.monotone) - set(names))
    if unknown:
        raise ValueError(f"monotone constraints name unknown features: {', '.join(unknown)}")
    params = candidate.params.lightgbm(seed)
    if candidate.monotone:
        params["monotone_constraints"] = [int(candidate.monotone.get(n, 0)) for n in names]
        params["monotone_constraints_method"] = "intermediate"

    rounds = candidate.params.n_estimators
    threads = candidate.params.num_threads

    def fit(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        members = []
        for k in range(candidate.seeds):
            seeded = {**params, **_seeded(seed + k)}
            data = lgb.Dataset(X_train, label=y_train, params={"verbose": -1})
            booster = lgb.train(seeded, data, num_boost_round=rounds)
            members.append(np.asarray(booster.predict(X_test), dtype=np.float64))
        lightgbm = np.mean(members, axis=0)
        others = [_BLEND[name](X_train, y_train, X_test, seed, threads) for name in candidate.blend]
        return np.asarray(np.mean([lightgbm, *others], axis=0), dtype=np.float64)

    return fit


def _seeded(seed: int) -> dict[str, int]:
    return {
        "seed": seed,
        "bagging_seed": seed,
        "feature_fraction_seed": seed,
        "data_random_seed": seed,
    }


def _logistic(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, seed: int, threads: int
) -> np.ndarray:
    """Logistic regression on median-imputed, quantile-normalised features (with indicators
    of the missing values): a smooth, additive view beside the trees'."""
    del seed, threads  # deterministic, one thread
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        QuantileTransformer(
            n_quantiles=min(200, len(X_train)), output_distribution="normal", random_state=0
        ),
        LogisticRegression(C=0.3, max_iter=3000),
    )
    model.fit(X_train, y_train)
    return np.asarray(model.predict_proba(X_test)[:, 1], dtype=np.float64)


def _extra_trees(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, seed: int, threads: int
) -> np.ndarray:
    """ExtraTrees (500 trees, leaves of at least 2, 30% of the features per split); missing
    values become -1, below every count and share in these tables."""
    model = ExtraTreesClassifier(
        n_estimators=500,
        min_samples_leaf=2,
        max_features=0.3,
        n_jobs=threads,
        random_state=seed,
    )
    model.fit(np.nan_to_num(X_train, nan=-1.0), y_train)
    return np.asarray(model.predict_proba(np.nan_to_num(X_test, nan=-1.0))[:, 1], dtype=np.float64)


_BLEND: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, int, int], np.ndarray]] = {
    "logistic": _logistic,
    "extra_trees": _extra_trees,
}

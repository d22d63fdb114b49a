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
  figures. Everything chosen this way (features, class weights, threshold) is chosen on the
  validation rows only; a test part must then be scored once, with nothing changed.

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
from sklearn.model_selection import StratifiedKFold

from callwarden.detect.model.metrics import best_f1_threshold, fold_metrics
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.table import FeatureTable

__all__ = [
    "Candidate",
    "Derived",
    "choose_on_validation",
    "evaluate_candidate",
    "ratio",
    "score_test_once",
    "split_file_order",
    "with_derived",
]

#: A derived feature: its name and an expression over the table's own columns.
Derived = tuple[str, pl.Expr]


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


@dataclass(frozen=True)
class Candidate:
    """One configuration to try: parameters, extra features, monotone constraints by name.

    ``monotone`` maps a feature name to +1 (risk may only rise with it) or -1 (only fall).
    """

    name: str
    params: ModelParams = field(default_factory=ModelParams)
    derived: tuple[Derived, ...] = ()
    monotone: Mapping[str, int] = field(default_factory=dict)


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

    def fit(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        data = lgb.Dataset(X_train, label=y_train, params={"verbose": -1})
        booster = lgb.train(params, data, num_boost_round=candidate.params.n_estimators)
        return np.asarray(booster.predict(X_test), dtype=np.float64)

    return fit

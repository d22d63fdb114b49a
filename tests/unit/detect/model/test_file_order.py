"""File-order evaluation: earlier rows train, later rows validate, nothing shuffled."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from callwarden.detect.model import FeatureTable, ModelParams
from callwarden.detect.model.file_order import (
    Candidate,
    choose_on_validation,
    cross_validate_candidate,
    difference,
    evaluate_candidate,
    missing,
    ratio,
    score_test_once,
    split_file_order,
    with_derived,
)
from callwarden.detect.model.sichuan import SICHUAN_COLUMNS, SICHUAN_DERIVED

SMALL = ModelParams(n_estimators=15, num_threads=1)


def _table(n: int = 240) -> FeatureTable:
    rng = np.random.default_rng(1)
    calls = rng.integers(1, 200, size=n).astype(float)
    distinct = np.floor(calls * rng.uniform(0.1, 1.0, size=n))
    y = (distinct / calls > 0.7).astype(int)
    frame = pl.DataFrame(
        {
            "id": [f"n{i:04d}" for i in range(n)],
            "calls": calls,
            "distinct": distinct,
            "noise": rng.normal(size=n),
            "y": y,
        }
    )
    return FeatureTable.from_frame(frame, id_column="id", label_column="y")


def test_split_keeps_file_order() -> None:
    table = _table()
    train, validation = split_file_order(table, 180)
    assert train.ids == table.ids[:180]
    assert validation.ids == table.ids[180:]
    assert validation.y is not None and table.y is not None
    assert validation.y.tolist() == table.y[180:].tolist()
    with pytest.raises(ValueError, match="train_rows"):
        split_file_order(table, len(table))


def test_ratio_feature_lets_the_model_see_the_signal() -> None:
    table = _table()
    derived = (ratio("distinct_share", "distinct", "calls"),)
    assert with_derived(table, derived).feature_names[-1] == "distinct_share"
    plain = evaluate_candidate(table, Candidate("plain", SMALL), train_rows=180)
    shared = evaluate_candidate(table, Candidate("ratio", SMALL, derived=derived), train_rows=180)
    assert shared["validation_rows"] == 60
    assert shared["at_train_threshold"]["f1"] > plain["at_train_threshold"]["f1"]
    chosen, results = choose_on_validation(
        table,
        [Candidate("plain", SMALL), Candidate("ratio", SMALL, derived=derived)],
        train_rows=180,
    )
    assert chosen.name == "ratio"
    assert [r["candidate"] for r in results] == ["plain", "ratio"]


def test_monotone_constraints_name_real_features() -> None:
    table = _table()
    result = evaluate_candidate(
        table, Candidate("mono", SMALL, monotone={"distinct": 1}), train_rows=180
    )
    assert result["monotone"] == {"distinct": 1}
    with pytest.raises(ValueError, match="unknown features: nope"):
        evaluate_candidate(table, Candidate("bad", SMALL, monotone={"nope": 1}), train_rows=180)


def test_test_part_is_scored_with_the_validation_threshold() -> None:
    table = _table(300)
    rows = list(range(240))
    head = FeatureTable(
        ids=[table.ids[i] for i in rows],
        X=table.X.slice(0, 240),
        y=None if table.y is None else table.y[:240],
        feature_names=table.feature_names,
    )
    tail = FeatureTable(
        ids=table.ids[240:],
        X=table.X.slice(240, 60),
        y=None if table.y is None else table.y[240:],
        feature_names=table.feature_names,
    )
    derived = (ratio("distinct_share", "distinct", "calls"),)
    metrics = score_test_once(
        head, Candidate("ratio", SMALL, derived=derived), tail, train_rows=180
    )
    assert metrics["rows"] == 60
    assert metrics["f1"] > 0.8


def test_seeds_and_blends_are_averaged_and_recorded() -> None:
    table = _table()
    derived = (ratio("distinct_share", "distinct", "calls"),)
    one = evaluate_candidate(table, Candidate("one", SMALL, derived=derived), train_rows=180)
    again = evaluate_candidate(
        table, Candidate("one", SMALL, derived=derived, seeds=1), train_rows=180
    )
    assert again["at_train_threshold"] == one["at_train_threshold"]
    blended = evaluate_candidate(
        table,
        Candidate("all", SMALL, derived=derived, seeds=2, blend=("logistic", "extra_trees")),
        train_rows=180,
    )
    assert blended["seeds"] == 2
    assert blended["blend"] == ["logistic", "extra_trees"]
    assert blended["at_train_threshold"]["auc"] > 0.9
    with pytest.raises(ValueError, match="unknown blend members: svm"):
        Candidate("bad", SMALL, blend=("svm",))
    with pytest.raises(ValueError, match="seeds"):
        Candidate("bad", SMALL, seeds=0)


def test_cross_validation_of_a_candidate_uses_the_product_folds() -> None:
    table = _table()
    derived = (ratio("distinct_share", "distinct", "calls"),)
    folds = cross_validate_candidate(
        table, Candidate("ratio", SMALL, derived=derived, blend=("logistic",)), folds=3
    )
    assert [f["fold"] for f in folds] == [1, 2, 3]
    assert sum(f["rows"] for f in folds) == len(table)
    assert min(f["auc"] for f in folds) > 0.9


def test_difference_and_missing_features() -> None:
    frame = pl.DataFrame({"a": [3.0, None, 1.0], "b": [1.0, 2.0, None]})
    out = frame.select(
        difference("d", "a", "b")[1], missing("m", ["a", "b"])[1], missing("ma", ["a"])[1]
    )
    assert out["d"].to_list() == [2.0, None, None]
    assert out["m"].to_list() == [0.0, 1.0, 1.0]
    assert out["ma"].to_list() == [0.0, 1.0, 0.0]


def test_sichuan_features_cover_the_published_columns() -> None:
    assert len(SICHUAN_COLUMNS) == 55
    names = [name for name, _ in SICHUAN_DERIVED]
    assert len(names) == len(set(names)) == 30
    frame = pl.DataFrame({c: [2.0, None] for c in SICHUAN_COLUMNS}).with_columns(
        pl.lit(0.0).alias("month_ids")
    )
    out = frame.with_columns([expr for _, expr in SICHUAN_DERIVED])
    assert out["distinct_callee_share"].to_list() == [1.0, None]
    assert out["calls_per_month"].to_list() == [None, None]  # no month of service: missing
    assert out["missing_columns"].to_list() == [0.0, 54.0]
    assert out["no_calls"].to_list() == [0.0, 1.0]

"""Training: honest cross-validation, calibration, determinism, and the real Sichuan data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from callwarden.detect.model import (
    FeatureTable,
    ModelParams,
    TrainedModel,
    best_f1_threshold,
    cross_validate,
    cv_report,
    load_feature_table,
    score_table,
    train_model,
)
from callwarden.detect.model.metrics import METRICS
from callwarden.errors import ConfigError, InputFileError

ROOT = Path(__file__).resolve().parents[4]
SICHUAN = ROOT.parent / "shared" / "datasets" / "sichuan" / "train.csv"


def test_cv_metrics_for_every_fold_and_their_mean(model: TrainedModel) -> None:
    cv = model.metrics["cv"]
    assert cv["folds_count"] == 3
    assert [f["fold"] for f in cv["folds"]] == [1, 2, 3]
    assert sum(f["rows"] for f in cv["folds"]) == model.metrics["rows"] == 300
    for fold in cv["folds"]:
        for name in (*METRICS, "threshold"):
            assert isinstance(fold[name], float), (fold["fold"], name)
    for name in METRICS:
        assert set(cv["mean"][name]) == {"mean", "std"}
    # The synthetic signal is learnable; a broken pipeline would sit near 0.5.
    assert cv["mean"]["auc"]["mean"] > 0.85
    assert "inner out-of-fold" in cv["threshold_method"]
    assert "held-out fold is not used" in cv["threshold_method"]


def test_fold_thresholds_are_chosen_without_the_held_out_rows(
    make_table: Callable[..., FeatureTable],
) -> None:
    table = make_table(rows=240)
    assert table.y is not None
    # Column 0 carries the row number so the spy can see which rows each call touches.
    X = np.column_stack([np.arange(len(table)), table.X.to_numpy()])
    calls: list[tuple[set[int], set[int]]] = []

    def spy(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        calls.append(({int(r) for r in X_train[:, 0]}, {int(r) for r in X_test[:, 0]}))
        return X_test[:, 1] + 0.01 * X_test[:, 2]  # out_calls, a little distinct callees

    folds, oof = cross_validate(X, table.y, spy, folds=4, threshold_folds=3, seed=5)
    # Per outer fold: 3 inner calls (threshold), then 1 outer call (held-out scores).
    assert len(calls) == 4 * 4
    for k in range(4):
        inner, outer = calls[4 * k : 4 * k + 3], calls[4 * k + 3]
        held_out = outer[1]
        for train_rows, test_rows in inner:
            assert not held_out & (train_rows | test_rows)
        inner_rows = sorted(set().union(*(t for _, t in inner)))
        assert inner_rows == sorted(outer[0])
        # The stored threshold is the F1-best one on the inner scores, not on the held-out fold.
        rows = np.array(inner_rows)
        inner_scores = X[rows, 1] + 0.01 * X[rows, 2]
        assert folds[k]["threshold"] == best_f1_threshold(table.y[rows], inner_scores)
    thresholds = {f["threshold"] for f in folds}
    assert len(thresholds) > 1, "each fold chooses its own threshold"
    assert not np.isnan(oof).any()


def test_calibration_is_monotone_and_in_unit_interval(
    model: TrainedModel, table: FeatureTable
) -> None:
    x, y = np.array(model.calibrator.x), np.array(model.calibrator.y)
    assert (np.diff(x) >= 0).all()
    assert (np.diff(y) >= 0).all()
    assert 0 <= y.min() <= y.max() <= 1
    X = table.X.to_numpy()
    raw = model.raw_scores(X)
    calibrated = model.predict(X)[np.argsort(raw, kind="stable")]
    assert (np.diff(calibrated) >= 0).all()


def test_stored_threshold_is_f1_best_on_calibrated_oof(model: TrainedModel) -> None:
    section = model.metrics["threshold"]
    assert section["value"] == model.threshold
    assert "calibrated out-of-fold" in section["method"]
    assert 0 < model.threshold <= 1
    assert section["oof_at_threshold"]["f1"] > 0.7


def test_same_seed_gives_the_same_model_and_another_seed_other_folds(
    table: FeatureTable, fast: ModelParams, tmp_path: Path
) -> None:
    a = train_model(table, params=fast, cv_folds=3, seed=0)
    b = train_model(table, params=fast, cv_folds=3, seed=0)
    c = train_model(table, params=fast, cv_folds=3, seed=1)
    assert a.metrics["cv"]["folds"] == b.metrics["cv"]["folds"]
    assert a.calibrator == b.calibrator
    assert a.threshold == b.threshold
    assert a.booster.model_to_string() == b.booster.model_to_string()
    assert score_table(a, table).equals(score_table(b, table))
    assert a.metrics["cv"]["folds"] != c.metrics["cv"]["folds"]


def test_metrics_record_counts_params_and_versions(model: TrainedModel) -> None:
    m = model.metrics
    assert (m["rows"], m["positives"] + m["negatives"]) == (300, 300)
    assert 0 < m["positive_share"] < 1
    assert m["params"]["n_estimators"] == 40
    assert m["lightgbm_params"]["deterministic"] is True
    assert m["lightgbm_version"]
    assert m["created_at"].endswith("+00:00")


def test_cv_report_shows_every_fold_and_the_mean(model: TrainedModel) -> None:
    report = cv_report(model)
    lines = report.splitlines()
    assert lines[0].startswith("| fold | rows | fraud | threshold | AUC")
    assert [line.split("|")[1].strip() for line in lines[2:5]] == ["1", "2", "3"]
    assert "mean ± std" in lines[5]
    assert "inner out-of-fold" in report


def test_training_needs_labels_and_enough_of_each_class(
    make_table: Callable[..., FeatureTable], fast: ModelParams
) -> None:
    table = make_table(rows=30)
    unlabelled = FeatureTable(
        ids=table.ids, X=table.X, y=None, feature_names=table.feature_names, source="s.csv"
    )
    with pytest.raises(InputFileError, match="training needs a label column"):
        train_model(unlabelled, params=fast)
    assert table.y is not None
    few = table.y.copy()
    few[:] = 0
    few[:3] = 1
    scarce = FeatureTable(
        ids=table.ids, X=table.X, y=few, feature_names=table.feature_names, source="s.csv"
    )
    with pytest.raises(InputFileError, match=r"at least 10 fraud .* has 3 fraud"):
        train_model(scarce, params=fast, cv_folds=5)
    with pytest.raises(ConfigError, match="2 or more folds"):
        train_model(table, params=fast, cv_folds=1)


def test_sichuan_real_data_auc_above_0_9() -> None:
    if not SICHUAN.exists():
        pytest.skip(f"the Sichuan data set is not here ({SICHUAN}); it lives outside the repo")
    table = load_feature_table(SICHUAN, id_column="phone_no_m", label_column="label")
    assert (len(table), len(table.feature_names)) == (4884, 55)
    params = ModelParams(n_estimators=100, learning_rate=0.1, threshold_folds=2)
    model = train_model(table, params=params, cv_folds=2, seed=0)
    auc = model.metrics["cv"]["mean"]["auc"]["mean"]
    assert auc > 0.9, cv_report(model)
    assert model.metrics["cv"]["mean"]["f1"]["mean"] > 0.8

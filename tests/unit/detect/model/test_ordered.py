"""`model train` by the file-order protocol: fit early, choose trees and threshold late, refit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from callwarden.cli.commands.model import app
from callwarden.detect.model import (
    FeatureTable,
    ModelParams,
    best_f1_threshold,
    cv_report,
    fold_metrics,
    load_model,
    score_table,
)
from callwarden.detect.model.ordered import choose_tree_count, nested_halves, train_file_order
from callwarden.detect.model.train import _train_booster
from callwarden.errors import ConfigError, InputFileError

from .conftest import synthetic_frame, synthetic_table

SMALL = ModelParams(n_estimators=60, num_leaves=7, min_child_samples=10, threshold_folds=2)


@pytest.fixture(scope="module")
def ordered_table() -> FeatureTable:
    return synthetic_table(rows=400, seed=3)


def _X(table: FeatureTable) -> np.ndarray:
    return table.X.to_numpy().astype(np.float64)


def test_threshold_and_calibration_come_from_the_later_rows(ordered_table: FeatureTable) -> None:
    model = train_file_order(ordered_table, params=SMALL, seeds=3, refit=False, cv_folds=0)
    fo = model.metrics["file_order"]
    assert (fo["train_rows"], fo["validation_rows"]) == (300, 100)
    assert model.metrics["protocol"] == "file-order"
    assert len(model.boosters) == 3
    # Shipped unrefitted, the model's scores of the later rows are the ones the threshold
    # was chosen on: it is their F1-best threshold, and the recorded figures are theirs.
    assert ordered_table.y is not None
    y_val = ordered_table.y[300:]
    later = model.predict(_X(ordered_table)[300:])
    assert model.threshold == best_f1_threshold(y_val, later)
    assert fo["at_threshold"] == fold_metrics(y_val, later, threshold=model.threshold)
    assert model.metrics["threshold"]["value"] == model.threshold
    assert model.booster.num_trees() == fo["trees"] <= SMALL.n_estimators


def test_refit_trains_on_every_row_with_the_same_choices(ordered_table: FeatureTable) -> None:
    early = train_file_order(ordered_table, params=SMALL, seeds=2, refit=False, cv_folds=0)
    final = train_file_order(ordered_table, params=SMALL, seeds=2, refit=True, cv_folds=0)
    assert final.threshold == early.threshold
    assert final.calibrator == early.calibrator
    assert final.metrics["file_order"]["trees"] == early.metrics["file_order"]["trees"]
    assert final.booster.num_trees() == early.booster.num_trees()
    assert final.booster.model_to_string() != early.booster.model_to_string()
    assert ordered_table.y is not None
    refitted = [
        _train_booster(_X(ordered_table), ordered_table.y, SMALL.model_copy(
            update={"n_estimators": final.metrics["file_order"]["trees"]}), s, None
        ).predict(_X(ordered_table), raw_score=True)
        for s in (0, 1)
    ]  # fmt: skip
    mean = np.mean(refitted, axis=0)
    assert np.allclose(final.raw_scores(_X(ordered_table)), 1 / (1 + np.exp(-mean)))


def test_tree_count_is_the_lowest_log_loss_on_the_rows_given(ordered_table: FeatureTable) -> None:
    assert ordered_table.y is not None
    X, y = _X(ordered_table), ordered_table.y
    boosters = [_train_booster(X[:300], y[:300], SMALL, s, None) for s in (0, 1)]
    trees, losses = choose_tree_count(boosters, X[300:], y[300:], 60)
    assert sorted(losses) == [10, 20, 30, 40, 50, 60]
    for count, loss in losses.items():
        raw = np.mean(
            [b.predict(X[300:], raw_score=True, num_iteration=count) for b in boosters], 0
        )
        p = 1 / (1 + np.exp(-raw))
        direct = -np.mean(y[300:] * np.log(p) + (1 - y[300:]) * np.log(1 - p))
        assert loss == pytest.approx(direct, abs=1e-6)
    assert losses[trees] == min(losses.values())


def test_nested_halves_choose_on_one_half_and_score_the_other() -> None:
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    s = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.6, 0.7, 0.65])
    out = nested_halves(y, s)
    # The earlier half chooses 0.8: on the later half 0.6 and 0.65 are missed.
    assert out["chosen_on_earlier_half"]["threshold"] == 0.8
    assert out["chosen_on_earlier_half"]["true_positives"] == 0
    assert out["chosen_on_later_half"]["threshold"] == 0.6
    assert out["chosen_on_later_half"]["f1"] == 1.0
    assert out["pooled"]["true_positives"] == 2
    assert out["pooled"]["false_negatives"] == 2


def test_cross_validation_reports_the_same_ensemble(ordered_table: FeatureTable) -> None:
    model = train_file_order(ordered_table, params=SMALL, seeds=2, cv_folds=2)
    cv = model.metrics["cv"]
    assert len(cv["folds"]) == 2
    assert "2 seed(s)" in cv["scores"]
    report = cv_report(model)
    assert "File order: fitted on rows 1-300, validated on rows 301-400" in report
    assert "mean ± std" in report


def test_bad_settings_and_one_class_later_rows_are_refused(ordered_table: FeatureTable) -> None:
    with pytest.raises(ConfigError, match="validation share"):
        train_file_order(ordered_table, params=SMALL, validation_share=1.0, cv_folds=0)
    with pytest.raises(ConfigError, match="seeds"):
        train_file_order(ordered_table, params=SMALL, seeds=0, cv_folds=0)
    frame = synthetic_frame(rows=200, seed=1)
    frame = frame.with_columns(
        is_fraud=np.r_[frame["is_fraud"].to_numpy()[:150], np.zeros(50, dtype=np.int64)]
    )
    table = FeatureTable.from_frame(frame, id_column="msisdn", label_column="is_fraud")
    with pytest.raises(InputFileError, match="later"):
        train_file_order(table, params=SMALL, cv_folds=0)


def test_cli_trains_a_table_by_file_order_into_an_ensemble(tmp_path: Path) -> None:
    data = tmp_path / "table.csv"
    synthetic_frame(rows=300, seed=5).write_csv(data)
    out = tmp_path / "m"
    common = ["train", str(data), "--id-column", "msisdn", "--label-column", "is_fraud"]
    done = CliRunner().invoke(app, [*common, "--out", str(out), "--seeds", "2", "--cv", "0"])
    assert done.exit_code == 0, done.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["protocol"] == "file-order"
    assert metrics["file_order"]["seeds"] == [0, 1]
    assert (out / "model_2.txt").is_file()
    model = load_model(out)
    table = FeatureTable.from_frame(
        synthetic_frame(rows=300, seed=5), id_column="msisdn", label_column="is_fraud"
    )
    assert score_table(model, table, top_reasons=0).height == 300
    # The shuffled protocol is still there, and an ensemble is refused with it.
    cv = tmp_path / "cv"
    done = CliRunner().invoke(app, [*common, "--out", str(cv), "--protocol", "cv", "--cv", "2"])
    assert done.exit_code == 0, done.output
    assert "file_order" not in json.loads((cv / "metrics.json").read_text(encoding="utf-8"))
    assert not (cv / "model_2.txt").exists()
    done = CliRunner().invoke(app, [*common, "--out", str(cv), "--protocol", "cv", "--seeds", "3"])
    assert done.exit_code != 0

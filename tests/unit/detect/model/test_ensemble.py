"""A model directory that holds several LightGBM seeds: saved, loaded and scored as one model."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from callwarden.detect.model import (
    FeatureTable,
    ModelError,
    ModelParams,
    TrainedModel,
    load_model,
    score_table,
)
from callwarden.detect.model.train import _train_booster

SMALL = ModelParams(n_estimators=40, num_leaves=7, min_child_samples=10, num_threads=1)


@pytest.fixture(scope="module")
def ensemble(model: TrainedModel, table: FeatureTable) -> TrainedModel:
    assert table.y is not None
    X = table.X.to_numpy().astype(np.float64)
    more = [_train_booster(X, table.y, SMALL, seed, None) for seed in (1, 2)]
    return dataclasses.replace(model, more_boosters=more)


def _X(table: FeatureTable) -> np.ndarray:
    return table.X.to_numpy().astype(np.float64)


def test_the_score_is_the_logistic_of_the_mean_log_odds(
    ensemble: TrainedModel, table: FeatureTable
) -> None:
    X = _X(table)
    raw = np.mean([b.predict(X, raw_score=True) for b in ensemble.boosters], axis=0)
    assert np.allclose(ensemble.raw_scores(X), 1 / (1 + np.exp(-raw)))
    # Differs from its first member alone: the other seeds count.
    assert not np.allclose(ensemble.raw_scores(X), ensemble.booster.predict(X))
    # Contributions (mean over members) still add up to the log-odds.
    assert np.allclose(ensemble.contributions(X).sum(axis=1), raw)


def test_ensemble_directory_round_trip(
    ensemble: TrainedModel, table: FeatureTable, tmp_path: Path
) -> None:
    saved = ensemble.save(tmp_path / "m")
    assert {"model.txt", "model_2.txt", "model_3.txt"} <= {p.name for p in saved.iterdir()}
    features = json.loads((saved / "features.json").read_text(encoding="utf-8"))
    assert features["format"] == "callwarden-model/2"
    assert features["boosters"] == ["model.txt", "model_2.txt", "model_3.txt"]
    loaded = load_model(saved)
    assert len(loaded.boosters) == 3
    assert score_table(loaded, table).equals(score_table(ensemble, table))


def test_a_single_model_saved_over_an_ensemble_leaves_no_stale_member(
    ensemble: TrainedModel, model: TrainedModel, table: FeatureTable, tmp_path: Path
) -> None:
    ensemble.save(tmp_path / "m")
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("model_*.txt"))
    features = json.loads((tmp_path / "m" / "features.json").read_text(encoding="utf-8"))
    assert features["format"] == "callwarden-model/1"
    assert "boosters" not in features
    assert score_table(load_model(tmp_path / "m"), table).equals(score_table(model, table))


def test_a_missing_or_foreign_member_is_named(ensemble: TrainedModel, tmp_path: Path) -> None:
    saved = ensemble.save(tmp_path / "m")
    broken = tmp_path / "broken"
    shutil.copytree(saved, broken)
    (broken / "model_3.txt").unlink()
    with pytest.raises(ModelError, match=r"missing model_3\.txt"):
        load_model(broken)
    features = json.loads((saved / "features.json").read_text(encoding="utf-8"))
    features["boosters"] = ["model.txt", "../elsewhere.txt"]
    (broken / "features.json").write_text(json.dumps(features), encoding="utf-8")
    with pytest.raises(ModelError, match="'boosters'"):
        load_model(broken)


def test_an_ensemble_pickles_with_every_member(ensemble: TrainedModel, table: FeatureTable) -> None:
    # Spark ships the model to its executors in the task closure.
    copy = pickle.loads(pickle.dumps(ensemble))  # noqa: S301 - our own object
    assert np.array_equal(copy.predict(_X(table)), ensemble.predict(_X(table)))

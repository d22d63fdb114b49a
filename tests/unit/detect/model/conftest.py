"""Small synthetic feature tables with a signal the model can learn, and a model trained on one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from callwarden.detect.model import FeatureTable, ModelParams, TrainedModel, train_model

#: Few, small trees: the whole suite trains in seconds on two cores.
FAST = ModelParams(n_estimators=40, num_leaves=7, min_child_samples=10, threshold_folds=2)
LABELS = {
    "out_calls": ("主叫次数", "outbound calls"),
    "uniq_callees": ("不同被叫数", "distinct callees"),
}


def synthetic_frame(rows: int = 300, seed: int = 0) -> pl.DataFrame:
    """Fraud numbers call more, to more distinct people, and answer less; one column is noise."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(rows) < 0.35
    out_calls = rng.poisson(np.where(fraud, 60, 25)).astype(float)
    uniq = np.minimum(out_calls, rng.poisson(np.where(fraud, 40, 10))).astype(float)
    answered = np.clip(rng.normal(np.where(fraud, 0.4, 0.7), 0.15), 0, 1)
    answered[rng.random(rows) < 0.1] = np.nan  # missing values are allowed
    return pl.DataFrame(
        {
            "msisdn": [f"+86138{i:08d}" for i in range(rows)],
            "out_calls": out_calls,
            "uniq_callees": uniq,
            "answered_share": answered,
            "noise": rng.normal(size=rows),
            "is_fraud": fraud.astype(int),
        }
    )


def synthetic_table(rows: int = 300, seed: int = 0) -> FeatureTable:
    return FeatureTable.from_frame(
        synthetic_frame(rows, seed), id_column="msisdn", label_column="is_fraud", source="synthetic"
    )


@pytest.fixture(scope="module")
def table() -> FeatureTable:
    return synthetic_table()


@pytest.fixture(scope="module")
def model(table: FeatureTable) -> TrainedModel:
    return train_model(table, params=FAST, cv_folds=3, seed=0, feature_labels=LABELS)


@pytest.fixture
def fast() -> ModelParams:
    return FAST


@pytest.fixture
def make_frame() -> Callable[..., pl.DataFrame]:
    return synthetic_frame


@pytest.fixture
def make_table() -> Callable[..., FeatureTable]:
    return synthetic_table

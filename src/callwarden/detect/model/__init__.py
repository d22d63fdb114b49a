"""The learned scorer: LightGBM on per-number features, calibrated, with reasons.

Train on a labelled feature table (``train_file_order``: the file-order protocol, the later rows
choose; ``train_model``: cross-validation), save the model as a directory of text files, score new
tables with calibrated risk, a 0/1 decision and per-number reasons (docs/model.md).

>>> table = load_feature_table(Path("features.csv"), id_column="msisdn",  # doctest: +SKIP
...                            label_column="label")
>>> model = train_model(table, cv_folds=5, seed=0)  # doctest: +SKIP
>>> print(cv_report(model))  # doctest: +SKIP
>>> model.save(Path("models/v1"))  # doctest: +SKIP
>>> scores = score_table(load_model(Path("models/v1")), table)  # doctest: +SKIP
"""

from __future__ import annotations

# First: it must run before lightgbm is imported (see the module).
from callwarden.detect.model import _openmp  # noqa: F401
from callwarden.detect.model.artifact import MODEL_FILES, ModelError, TrainedModel, load_model
from callwarden.detect.model.calibration import IsotonicCalibrator
from callwarden.detect.model.metrics import best_f1_threshold, cv_report, fold_metrics
from callwarden.detect.model.ordered import train_file_order
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.score import SCORE_COLUMNS, score_table, write_scores_csv
from callwarden.detect.model.table import (
    FeatureTable,
    NonNumeric,
    load_feature_table,
    training_data_sha256,
)
from callwarden.detect.model.train import cross_validate, lightgbm_fit_predict, train_model

__all__ = [
    "MODEL_FILES",
    "SCORE_COLUMNS",
    "FeatureTable",
    "IsotonicCalibrator",
    "ModelError",
    "ModelParams",
    "NonNumeric",
    "TrainedModel",
    "best_f1_threshold",
    "cross_validate",
    "cv_report",
    "fold_metrics",
    "lightgbm_fit_predict",
    "load_feature_table",
    "load_model",
    "score_table",
    "train_file_order",
    "train_model",
    "training_data_sha256",
    "write_scores_csv",
]

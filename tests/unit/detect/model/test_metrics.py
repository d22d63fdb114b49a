"""Fold metrics: fraud-class and macro figures agree with scikit-learn's definitions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from callwarden.detect.model.metrics import METRICS, fold_metrics, summarize

LABELS = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
SCORES = np.array([0.05, 0.1, 0.2, 0.3, 0.55, 0.7, 0.4, 0.6, 0.8, 0.9])


def _sklearn(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = (scores >= threshold).astype(int)
    # zero_division=0: a class nobody is predicted as has precision 0, as in fold_metrics.
    p1, r1, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", zero_division=0
    )
    pm, rm, fm, _ = precision_recall_fscore_support(
        labels, predicted, average="macro", labels=[0, 1], zero_division=0
    )
    return {
        "precision": float(p1),
        "recall": float(r1),
        "f1": float(f1),
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision_macro": float(pm),
        "recall_macro": float(rm),
        "f1_macro": float(fm),
    }


@pytest.mark.parametrize(
    "threshold",
    [
        0.5,  # some of each: 3 of 4 fraud caught, 2 normal numbers flagged
        0.0,  # everything flagged: the normal class is never predicted
        0.95,  # nothing flagged: the fraud class is never predicted
    ],
)
def test_fraud_class_and_macro_metrics_equal_sklearns(threshold: float) -> None:
    ours = fold_metrics(LABELS, SCORES, threshold=threshold)
    theirs = _sklearn(LABELS, SCORES, threshold)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, abs=5e-5), name


def test_nothing_flagged_scores_the_fraud_class_zero_and_the_normal_class_in_full() -> None:
    m = fold_metrics(LABELS, SCORES, threshold=0.95)
    assert (m["true_positives"], m["false_positives"]) == (0, 0)
    assert (m["f1"], m["precision"], m["recall"]) == (0.0, 0.0, 0.0)
    # Normal class: precision 6/10, recall 1, F1 0.75; halved by the empty fraud class.
    assert (m["accuracy"], m["precision_macro"], m["recall_macro"]) == (0.6, 0.3, 0.5)
    assert m["f1_macro"] == 0.375


def test_a_fold_where_nothing_is_flagged_still_averages_into_the_summary() -> None:
    folds = [
        fold_metrics(LABELS, SCORES, threshold=0.5),
        fold_metrics(LABELS, SCORES, threshold=0.95),
    ]
    expected = [_sklearn(LABELS, SCORES, t)["f1_macro"] for t in (0.5, 0.95)]
    summary = summarize(folds)
    assert set(summary) == set(METRICS)
    assert summary["f1_macro"]["mean"] == pytest.approx(np.mean(expected), abs=1e-4)
    assert summary["f1_macro"]["std"] == pytest.approx(np.std(expected), abs=1e-4)

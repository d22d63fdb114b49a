"""Classification metrics of the learned scorer, and the F1-best threshold.

``f1``, ``precision`` and ``recall`` are those of the fraud class (label 1): what an operator
acting on the flags sees. ``f1_macro``, ``precision_macro`` and ``recall_macro`` average the
fraud and the normal class (scikit-learn's ``average="macro"``), because that is how the
published Sichuan results are reported; with a third of the numbers fraud, a macro figure is
several points above the fraud-class one, so only like may be compared with like.

>>> y = [0, 0, 1, 1]
>>> s = [0.1, 0.4, 0.35, 0.8]
>>> best_f1_threshold(y, s)
0.35
>>> m = fold_metrics(y, s, threshold=0.35)
>>> m["auc"], m["f1"], m["precision"], m["recall"]
(0.75, 0.8, 0.6667, 1.0)
>>> m["accuracy"], m["f1_macro"], m["precision_macro"], m["recall_macro"]
(0.75, 0.7333, 0.8333, 0.75)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

if TYPE_CHECKING:
    from callwarden.detect.model.artifact import TrainedModel

__all__ = ["METRICS", "best_f1_threshold", "cv_report", "fold_metrics", "summarize"]

#: The metrics reported for each fold and as mean and standard deviation over folds:
#: fraud-class F1, precision and recall, then accuracy and the two-class (macro) averages.
METRICS: tuple[str, ...] = (
    "auc",
    "pr_auc",
    "f1",
    "precision",
    "recall",
    "accuracy",
    "f1_macro",
    "precision_macro",
    "recall_macro",
)

#: Column headings of :func:`cv_report`, one per entry of :data:`METRICS`.
_HEADINGS: dict[str, str] = {
    "auc": "AUC",
    "pr_auc": "PR-AUC",
    "f1": "F1",
    "precision": "precision",
    "recall": "recall",
    "accuracy": "accuracy",
    "f1_macro": "macro F1",
    "precision_macro": "macro precision",
    "recall_macro": "macro recall",
}

_DIGITS = 4


def best_f1_threshold(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> float:
    """The score threshold (flag when ``score >= threshold``) that maximises F1 on these rows.

    Ties go to the highest threshold, which flags the fewest numbers.

    >>> best_f1_threshold([0, 1, 1], [0.2, 0.5, 0.9])
    0.5
    """
    y = np.asarray(labels)
    s = np.asarray(scores, dtype=float)
    if y.sum() == 0:
        raise ValueError("the F1-best threshold needs at least one positive label")
    precision, recall, thresholds = precision_recall_curve(y, s)
    # The last precision/recall pair (recall 0) has no threshold.
    p, r = precision[:-1], recall[:-1]
    f1 = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0)
    best = np.flatnonzero(f1 == f1.max())
    return float(thresholds[best].max())


def fold_metrics(
    labels: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    *,
    threshold: float,
) -> dict[str, Any]:
    """AUC, PR-AUC (average precision) and the metrics of the flags at ``threshold``.

    ``f1``, ``precision`` and ``recall`` are the fraud class's; ``accuracy`` and the
    ``*_macro`` figures (the unweighted mean of the fraud and the normal class) are there to
    compare with results published that way. A class with nothing flagged as it (or no rows)
    has precision (or recall) 0, as scikit-learn's ``zero_division=0``.

    >>> m = fold_metrics([0, 1], [0.2, 0.9], threshold=0.5)
    >>> m["pr_auc"], m["f1_macro"]
    (1.0, 1.0)
    >>> fold_metrics([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4], threshold=0.9)["f1_macro"]
    0.4286
    """
    y = np.asarray(labels).astype(int)
    s = np.asarray(scores, dtype=float)
    flagged = s >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    fn = int(np.sum(~flagged & (y == 1)))
    tn = int(np.sum(~flagged & (y == 0)))
    precision, recall, f1 = _class_scores(tp, fp, fn)
    # The normal class's figures are the fraud class's with the roles swapped.
    precision_0, recall_0, f1_0 = _class_scores(tn, fn, fp)
    two_classes = 0 < y.sum() < y.size
    return {
        "rows": int(y.size),
        "positives": int(y.sum()),
        "threshold": float(threshold),
        "auc": _round(roc_auc_score(y, s)) if two_classes else None,
        "pr_auc": _round(average_precision_score(y, s)) if two_classes else None,
        "f1": _round(f1),
        "precision": _round(precision),
        "recall": _round(recall),
        "accuracy": _round((tp + tn) / y.size) if y.size else 0.0,
        "f1_macro": _round((f1 + f1_0) / 2),
        "precision_macro": _round((precision + precision_0) / 2),
        "recall_macro": _round((recall + recall_0) / 2),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
    }


def summarize(folds: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and (population) standard deviation of each metric over the folds.

    >>> summarize([{"auc": 0.9, "pr_auc": 0.8, "f1": 0.7, "precision": 0.6, "recall": 0.8},
    ...            {"auc": 0.8, "pr_auc": 0.8, "f1": 0.7, "precision": 0.6, "recall": 0.8}])["auc"]
    {'mean': 0.85, 'std': 0.05}
    """
    out: dict[str, dict[str, float]] = {}
    for name in METRICS:
        values = [float(f[name]) for f in folds if f.get(name) is not None]
        if values:
            out[name] = {"mean": _round(np.mean(values)), "std": _round(np.std(values))}
    return out


def cv_report(model: TrainedModel) -> str:
    """The model's cross-validation metrics as a Markdown table, one row per fold; for a model
    trained by the file-order protocol, its validation figures first.

    F1, precision and recall are the fraud class's; the macro columns average both classes.

    >>> print(cv_report(model))  # doctest: +SKIP
    | fold | rows | fraud | threshold | AUC | PR-AUC | F1 | precision | recall | accuracy | ...
    ...
    """
    lines = _file_order_lines(model.metrics.get("file_order"))
    cv = model.metrics["cv"]
    if cv.get("folds"):
        lines += _cv_lines(model, cv)
    lines += [
        "F1, precision and recall: the fraud class; macro: the mean of the fraud and the "
        "normal class.",
        f"Decision threshold on the calibrated score: {model.threshold:.4f} "
        f"({model.metrics['threshold']['method']}).",
    ]
    return "\n".join(lines)


def _cv_lines(model: TrainedModel, cv: dict[str, Any]) -> list[str]:
    headings = ["fold", "rows", "fraud", "threshold", *(_HEADINGS[name] for name in METRICS)]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for i, fold in enumerate(cv["folds"], start=1):
        cells = [str(i), str(fold["rows"]), str(fold["positives"]), f"{fold['threshold']:.4f}"]
        cells += [_cell(fold.get(name)) for name in METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    mean = cv["mean"]
    cells = ["mean ± std", str(model.metrics["rows"]), str(model.metrics["positives"]), ""]
    cells += [
        f"{mean[name]['mean']:.4f} ± {mean[name]['std']:.4f}" if name in mean else "-"
        for name in METRICS
    ]
    lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"{cv['folds_count']}-fold stratified cross-validation (seed {cv['seed']}). "
        f"{cv['threshold_method']}",
    ]
    return lines


def _file_order_lines(file_order: dict[str, Any] | None) -> list[str]:
    """The file-order protocol's figures on the validation rows (none for other models)."""
    if not file_order:
        return []
    at = file_order["at_threshold"]
    pooled = file_order["nested_halves"]["pooled"]
    last = file_order["train_rows"] + file_order["validation_rows"]
    return [
        f"File order: fitted on rows 1-{file_order['train_rows']}, validated on rows "
        f"{file_order['train_rows'] + 1}-{last} ({file_order['validation_positives']} fraud); "
        f"{len(file_order['seeds'])} seed(s), {file_order['trees']} trees; "
        f"{file_order['shipped']}.",
        f"Validation rows at the threshold chosen on them: AUC {_cell(at['auc'])}, "
        f"F1 {at['f1']:.4f}, macro F1 {at['f1_macro']:.4f} (in-sample for the threshold).",
        f"Threshold chosen on one half of them, scored on the other (both ways, pooled): "
        f"F1 {pooled['f1']:.4f}, macro F1 {pooled['f1_macro']:.4f}.",
        "",
    ]


def _class_scores(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of one class from its true and false positives and misses."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _round(value: float | np.floating[Any]) -> float:
    v = float(value)
    return v if math.isnan(v) else round(v, _DIGITS)

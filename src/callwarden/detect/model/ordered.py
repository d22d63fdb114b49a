"""Training on a per-number table by the file-order protocol: fit early, choose late.

A table whose rows come in file order (the Sichuan set's published test part is its *last*
rows) is scored later on numbers that come after it. Cross-validation shuffles the rows and
is optimistic for those; :func:`train_file_order` follows the protocol of docs/model.md:

1. **Split.** The earlier rows (the first ``1 - validation_share``) fit; the later rows
   (the last ``validation_share``) validate. Nothing is shuffled.
2. **Ensemble.** ``seeds`` LightGBM models (seeds ``seed``, ``seed + 1``, ...) with the same
   parameters; their score is the logistic of their mean log-odds. One seed alone moves the
   figures on later rows by about 0.01 (docs/model.md); the mean of several does not.
3. **Trees.** With ``choose_trees``, the number of trees (up to ``n_estimators``, in steps of
   :data:`TREE_STEP`) with the lowest log loss of the ensemble on the validation rows.
4. **Calibration and threshold.** An isotonic calibrator fitted on the ensemble's raw scores
   of the validation rows, and the fraud-class F1-best threshold on their calibrated scores.
5. **Refit.** With ``refit``, the ensemble is trained again on every row with the same
   seeds and trees; the calibrator and threshold carry over. Without it, the model of step 2
   is shipped.

``metrics.json`` records the protocol, the validation figures at the threshold (in-sample for
the threshold: it was chosen there), a nested estimate that is not (the threshold chosen on
one half of the validation rows, in file order, and applied to the other, both ways), and,
with ``cv_folds``, stratified k-fold CV of the same configuration, as ``train_model`` reports
it (each fold's threshold on inner folds of its training rows).

>>> import numpy as np, polars as pl
>>> from callwarden.detect.model.table import FeatureTable
>>> rng = np.random.default_rng(0)
>>> signal = rng.normal(size=400)
>>> frame = pl.DataFrame({"id": [f"n{i}" for i in range(400)],
...                       "calls": signal + rng.normal(size=400),
...                       "y": (signal > 0.5).astype(int)})
>>> table = FeatureTable.from_frame(frame, id_column="id", label_column="y")
>>> model = train_file_order(table, params=ModelParams(n_estimators=30), seeds=2, cv_folds=0)
>>> model.metrics["protocol"], len(model.boosters), model.metrics["file_order"]["train_rows"]
('file-order', 2, 300)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np

from callwarden.detect.model.artifact import TrainedModel, ensemble_probability
from callwarden.detect.model.calibration import IsotonicCalibrator
from callwarden.detect.model.metrics import best_f1_threshold, fold_metrics, summarize
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.table import FeatureTable
from callwarden.detect.model.train import (
    _check_trainable,
    _train_booster,
    cross_validate,
    described,
    lightgbm_feature_names,
    packaged,
)
from callwarden.errors import ConfigError, InputFileError

__all__ = ["TREE_STEP", "choose_tree_count", "nested_halves", "train_file_order"]

#: Tree counts considered when the trees are chosen on the validation rows: 10, 20, 30, ...
TREE_STEP = 10


def train_file_order(
    table: FeatureTable,
    *,
    params: ModelParams | None = None,
    seeds: int = 5,
    validation_share: float = 0.25,
    choose_trees: bool = True,
    refit: bool = True,
    cv_folds: int = 5,
    seed: int = 0,
    feature_labels: dict[str, tuple[str, str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Train, choose trees, calibration and threshold on the later rows, refit (see above).

    ``cv_folds`` 0 leaves out the cross-validation report.
    """
    params = params or ModelParams()
    say = progress or (lambda _line: None)
    if seeds < 1:
        raise ConfigError(f"an ensemble needs 1 or more seeds, not {seeds}")
    if not 0 < validation_share < 1:
        raise ConfigError(f"the validation share must be between 0 and 1, not {validation_share}")
    y = _check_trainable(table, cv_folds, params) if cv_folds else _labels(table)
    X = table.X.to_numpy().astype(np.float64)
    cut = len(y) - round(validation_share * len(y))
    _check_split(table, y, cut)
    names = list(table.feature_names)
    lgb_names = lightgbm_feature_names(names)
    members = [seed + k for k in range(seeds)]

    say(f"training {seeds} seed(s) on rows 1-{cut}, validating on rows {cut + 1}-{len(y)}")
    early = [_train_booster(X[:cut], y[:cut], params, s, lgb_names) for s in members]
    y_val = y[cut:]
    trees, losses = choose_tree_count(early, X[cut:], y_val, params.n_estimators)
    if not choose_trees:
        trees = params.n_estimators
    raw_val = _probability(early, X[cut:], trees)
    calibrator = IsotonicCalibrator.fit(raw_val, y_val)
    calibrated = calibrator.apply(raw_val)
    threshold = best_f1_threshold(y_val, calibrated)
    chosen = params.model_copy(update={"n_estimators": trees})

    if refit:
        say(f"training {seeds} seed(s) on all {len(y)} rows with {trees} trees")
        final = [_train_booster(X, y, chosen, s, lgb_names) for s in members]
    else:
        final = [_trim(b, trees) for b in early]

    cv: dict[str, Any] = {"folds_count": 0, "note": "not run (cv_folds=0)"}
    if cv_folds:
        cv = _cross_validation(X, y, chosen, members, lgb_names, cv_folds, seed, say)

    file_order = {
        "what": "fit on the earlier rows, validate on the later rows (file order, nothing "
        "shuffled); trees, calibration and threshold chosen on the validation rows",
        "validation_share": validation_share,
        "train_rows": cut,
        "validation_rows": len(y_val),
        "validation_positives": int(y_val.sum()),
        "seeds": members,
        "trees": trees,
        "trees_method": (
            f"lowest log loss of the ensemble on the validation rows, 1-{params.n_estimators} "
            f"trees in steps of {TREE_STEP}"
            if choose_trees
            else "n_estimators (not chosen)"
        ),
        "validation_log_loss": {str(k): v for k, v in losses.items()},
        "at_threshold": fold_metrics(y_val, calibrated, threshold=threshold),
        "at_threshold_note": "the threshold was chosen on these rows: in-sample for it",
        "nested_halves": nested_halves(y_val, raw_val),
        "refit": refit,
        "shipped": (
            f"{seeds} seed(s) refitted on all {len(y)} rows with {trees} trees"
            if refit
            else f"the {seeds} seed(s) fitted on rows 1-{cut}, cut at {trees} trees"
        ),
    }
    metrics: dict[str, Any] = {
        "format": "callwarden-model/2" if seeds > 1 else "callwarden-model/1",
        "protocol": "file-order",
        **described(table, y, seed, params),
        "lightgbm_params": chosen.lightgbm(seed),
        "file_order": file_order,
        "cv": cv,
        "threshold": {
            "value": threshold,
            "method": "F1-best (fraud class) on the calibrated scores of the validation rows",
            "validation_at_threshold": file_order["at_threshold"],
            "note": "chosen on the validation rows (the protocol); the nested_halves figures "
            "under file_order are the estimate that did not choose it",
        },
        "calibration": {
            "method": "isotonic",
            "fitted_on": "raw scores of the validation rows (model fitted on the earlier rows)",
        },
    }
    return packaged(table, X, y, final, calibrator, threshold, metrics, feature_labels)


def choose_tree_count(
    boosters: Sequence[lgb.Booster], X: np.ndarray, y: np.ndarray, most: int
) -> tuple[int, dict[int, float]]:
    """The tree count (a multiple of :data:`TREE_STEP`, or ``most``) at which the boosters'
    mean log-odds has the lowest log loss on ``X``, ``y``; and the loss at every count tried.

    Ties go to the fewer trees.
    """
    counts = sorted({*range(TREE_STEP, most, TREE_STEP), most})
    raw = np.zeros((len(boosters), X.shape[0]))
    losses: dict[int, float] = {}
    done = 0
    for count in counts:
        for i, booster in enumerate(boosters):
            raw[i] += booster.predict(
                X, raw_score=True, start_iteration=done, num_iteration=count - done
            )
        done = count
        p = np.clip(1.0 / (1.0 + np.exp(-raw.mean(axis=0))), 1e-15, 1 - 1e-15)
        losses[count] = round(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))), 6)
    best = min(losses.values())
    return min(k for k, v in losses.items() if v == best), losses


def nested_halves(y: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """The threshold chosen on one half of the rows (in order) and applied to the other, both
    ways: figures on rows that did not choose their threshold. ``pooled`` counts both halves'
    flags together."""
    half = len(y) // 2
    parts = {"earlier_half": slice(0, half), "later_half": slice(half, None)}
    out: dict[str, Any] = {}
    for chooser, scored in (("earlier_half", "later_half"), ("later_half", "earlier_half")):
        a, b = parts[chooser], parts[scored]
        threshold = best_f1_threshold(y[a], scores[a])
        out[f"chosen_on_{chooser}"] = fold_metrics(y[b], scores[b], threshold=threshold)
    counts = [out[k] for k in ("chosen_on_earlier_half", "chosen_on_later_half")]
    tp, fp, fn, tn = (
        sum(c[k] for c in counts)
        for k in ("true_positives", "false_positives", "false_negatives", "true_negatives")
    )
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    f1_normal = 2 * tn / (2 * tn + fn + fp) if tn else 0.0
    out["pooled"] = {
        "f1": round(f1, 4),
        "f1_macro": round((f1 + f1_normal) / 2, 4),
        "accuracy": round((tp + tn) / len(y), 4),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
    }
    return out


def _probability(boosters: Sequence[lgb.Booster], X: np.ndarray, trees: int) -> np.ndarray:
    raw = np.mean([b.predict(X, raw_score=True, num_iteration=trees) for b in boosters], axis=0)
    return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)


def _trim(booster: lgb.Booster, trees: int) -> lgb.Booster:
    """The booster's first ``trees`` trees as a booster of its own (saved and loaded whole)."""
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=trees))


def _cross_validation(
    X: np.ndarray,
    y: np.ndarray,
    params: ModelParams,
    members: list[int],
    lgb_names: list[str],
    folds: int,
    seed: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    def fit_predict(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        boosters = [_train_booster(X_train, y_train, params, s, lgb_names) for s in members]
        return ensemble_probability(boosters, X_test)

    results, _ = cross_validate(
        X, y, fit_predict, folds=folds, threshold_folds=params.threshold_folds, seed=seed,
        progress=say,
    )  # fmt: skip
    return {
        "folds_count": folds,
        "seed": seed,
        "splitter": "sklearn StratifiedKFold(shuffle=True, random_state=seed)",
        "scores": f"the ensemble ({len(members)} seed(s), {params.n_estimators} trees) of each "
        "fold on its held-out fold",
        "threshold_method": (
            f"Each fold's threshold is the F1-best one on {params.threshold_folds}-fold inner "
            "out-of-fold scores of that fold's training rows; the held-out fold is not used "
            "to choose it. A report beside the file-order figures: nothing is chosen on it."
        ),
        "folds": results,
        "mean": summarize(results),
    }


def _labels(table: FeatureTable) -> np.ndarray:
    if table.y is None:
        raise InputFileError(table.source, "training needs a label column; none was given")
    return np.asarray(table.y).astype(np.int8)


def _check_split(table: FeatureTable, y: np.ndarray, cut: int) -> None:
    for name, part in (("earlier", y[:cut]), ("later (validation)", y[cut:])):
        if part.size == 0 or part.min() == part.max():
            raise InputFileError(
                table.source,
                f"the file-order protocol needs fraud and normal numbers among the {name} rows "
                f"({part.size} rows, {int(part.sum())} fraud); give a longer table or another "
                "validation share",
            )

"""Learned scorer on the real Sichuan fraud-number data: 5-fold CV, against a plain baseline.

    .venv/bin/python benchmarks/bench_sichuan.py [--folds 5] [--seed 0] [--also-balanced]

Reads ../shared/datasets/sichuan/train.csv (4,884 numbers, 55 numeric features, 1,587 fraud)
through the public API, runs ``train_model`` with default parameters (stratified k-fold CV,
each fold's threshold chosen on inner folds of its own training rows), and runs a
standardised logistic regression through the very same ``cross_validate`` (same folds, same
threshold rule). Prints a table and writes benchmarks/results/sichuan.json.

The published figures are on a different split: the last fifth (1,222 numbers) of the full
6,106, which is not in our file. Ours are the mean ± std over folds of the 4,884 available.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# callwarden.detect.model before lightgbm: it sets OpenMP's wait policy first.
from callwarden.detect.model import (
    FeatureTable,
    ModelParams,
    cross_validate,
    cv_report,
    fold_metrics,
    load_feature_table,
    score_table,
    train_model,
)
from callwarden.detect.model.metrics import METRICS, summarize

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "sichuan" / "train.csv"
PUBLISHED = {
    "GDFGAT (PLOS ONE 2025)": {"f1": 0.9208, "auc": 0.9453, "precision": 0.9351, "recall": 0.9097},
    "CNN on call images (CSSE 2023)": {"f1": 0.8998, "auc": 0.9293},
}
PROTOCOL_NOTE = (
    "Published figures: one held-out test fifth (the last 1,222 of 6,106 numbers, file order). "
    "Ours: stratified 5-fold cross-validation on the 4,884 numbers available (the other "
    "four fifths); each fold's threshold chosen on inner folds of its own training rows. "
    "Not the same numbers, so close figures are comparable in size, not a ranking."
)


def _logistic_fit_predict(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> Any:
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(max_iter=5000),
    )
    model.fit(X_train, y_train)
    return model.predict_proba(X_test)[:, 1]


def _file_order_holdout(table: FeatureTable, params: ModelParams, seed: int) -> dict[str, Any]:
    """Train on the first 60% of the full 6,106 (file order), test on the rest of our file.

    Closest we can get to the published protocol: a later, untouched block of numbers, with
    the threshold (and calibration) chosen on the training rows only.
    """
    assert table.y is not None
    cut = round(0.6 * 6106)

    def part(rows: slice) -> FeatureTable:
        assert table.y is not None
        return FeatureTable(
            ids=table.ids[rows],
            X=table.X[rows],
            y=table.y[rows],
            feature_names=table.feature_names,
            source=f"{table.source} rows {rows.start or 0}-{rows.stop or len(table)}",
        )

    started = time.perf_counter()
    train, test = part(slice(0, cut)), part(slice(cut, None))
    model = train_model(train, params=params, cv_folds=5, seed=seed)
    scores = score_table(model, test, top_reasons=0)["score"].to_numpy()
    assert test.y is not None
    metrics = fold_metrics(test.y, scores, threshold=model.threshold)
    return {
        "train_rows": len(train),
        "test_rows": len(test),
        "test_fraud": int(test.y.sum()),
        "metrics": metrics,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _summary(folds: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    return {"mean": summarize(folds), "folds": folds, "seconds": round(seconds, 1)}


def _line(name: str, result: dict[str, Any]) -> str:
    mean = result["mean"]
    cells = [f"{mean[m]['mean']:.4f} ± {mean[m]['std']:.4f}" for m in METRICS]
    return f"| {name} | " + " | ".join(cells) + f" | {result['seconds']:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--also-balanced", action="store_true", help="also run balance_classes=True"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "sichuan.json"
    )
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: the Sichuan data set is not at {DATA} (it lives outside the repository)")
        return

    load_at_start = [round(v, 1) for v in os.getloadavg()]
    table = load_feature_table(DATA, id_column="phone_no_m", label_column="label")
    assert table.y is not None
    params = ModelParams()

    started = time.perf_counter()
    model = train_model(table, params=params, cv_folds=args.folds, seed=args.seed)
    lgbm = _summary(model.metrics["cv"]["folds"], time.perf_counter() - started)
    print(cv_report(model), end="\n\n")

    runs: dict[str, dict[str, Any]] = {"lightgbm (callwarden default)": lgbm}
    if args.also_balanced:
        started = time.perf_counter()
        balanced = train_model(
            table, params=ModelParams(balance_classes=True), cv_folds=args.folds, seed=args.seed
        )
        runs["lightgbm, balance_classes=True"] = _summary(
            balanced.metrics["cv"]["folds"], time.perf_counter() - started
        )

    X = table.X.to_numpy()
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        folds, _ = cross_validate(
            X,
            table.y,
            _logistic_fit_predict,
            folds=args.folds,
            threshold_folds=params.threshold_folds,
            seed=args.seed,
        )
    runs["logistic regression (standardised)"] = _summary(folds, time.perf_counter() - started)
    convergence = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    holdout = _file_order_holdout(table, params, args.seed)

    header = "| model | " + " | ".join(("AUC", "PR-AUC", "F1", "precision", "recall"))
    print(header + " | seconds |")
    print("|---" * 7 + "|")
    for name, result in runs.items():
        print(_line(name, result))
    held = holdout["metrics"]
    print(
        f"| lightgbm, file-order hold-out ({holdout['test_rows']} later numbers) | "
        + " | ".join(f"{held[name]:.4f}" for name in METRICS)
        + f" | {holdout['seconds']:.1f} |"
    )
    for name, figures in PUBLISHED.items():
        print(
            f"| {name}, published | "
            + " | ".join(f"{figures[n]:.4f}" if n in figures else "-" for n in METRICS)
            + " | |"
        )
    print("\n" + PROTOCOL_NOTE)

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, LightGBM {model.metrics['lightgbm_version']}",
        "when": time.strftime("%Y-%m-%d"),
        # Seconds are wall time; other work on the machine slows them (metrics do not change).
        "load_average_at_start": load_at_start,
        "data": {
            "file": "../shared/datasets/sichuan/train.csv",
            "rows": len(table),
            "fraud": int(table.y.sum()),
            "features": len(table.feature_names),
        },
        "protocol": {
            "folds": args.folds,
            "seed": args.seed,
            "threshold": model.metrics["cv"]["threshold_method"],
            "params": params.model_dump(),
        },
        "runs": runs,
        "file_order_holdout": {
            "what": "train_model on rows 1-3664 of the file (60% of the full 6,106, file "
            "order), score rows 3665-4884 at the model's own threshold",
            **holdout,
        },
        "logistic_convergence_warnings": convergence,
        "published": PUBLISHED,
        "note": PROTOCOL_NOTE,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""A trained scorer and its directory format: plain text and JSON, no pickle.

A model directory holds five files:

- ``model.txt``: the LightGBM model in its own text format (an ensemble of several LightGBM
  seeds adds ``model_2.txt``, ``model_3.txt``, ..., listed in ``features.json``; its score
  is the mean of the members' log-odds);
- ``calibration.json``: the isotonic calibrator's knots (raw score -> probability);
- ``features.json``: the ordered feature names, their optional zh/en labels, and per-feature
  training statistics (median; 10/25/50/75/90th percentiles among normal numbers) that reasons
  compare a value with;
- ``metrics.json``: cross-validation metrics per fold and mean ± std, the decision threshold
  and how it was chosen, row counts, class balance, parameters, versions, creation time;
- ``training_data.sha256``: the SHA-256 of the training table (ids, features, labels).

>>> try:
...     load_model(Path("no/such/model"))
... except ModelError as exc:
...     print(exc)
no/such/model: no model directory here; train one first (callwarden model train)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from callwarden.detect.model.calibration import IsotonicCalibrator
from callwarden.errors import ConfigError

__all__ = ["MODEL_FILES", "ModelError", "TrainedModel", "ensemble_probability", "load_model"]

FORMAT = "callwarden-model/1"
#: An ensemble: ``features.json`` lists its member files in ``boosters``. A reader of format 1
#: alone refuses it rather than scoring with its first member only.
ENSEMBLE_FORMAT = "callwarden-model/2"
MODEL_FILES: tuple[str, ...] = (
    "model.txt",
    "calibration.json",
    "features.json",
    "metrics.json",
    "training_data.sha256",
)


class ModelError(ConfigError):
    """A model directory is missing, incomplete or does not fit the data given to it."""


@dataclass
class TrainedModel:
    """A LightGBM booster with its calibrator, threshold, feature facts and CV metrics.

    ``more_boosters`` makes it an ensemble (LightGBM trained with other seeds): the raw score
    is then the logistic of the mean of every member's log-odds, and a feature's contribution
    the mean of its contributions, so contributions still add up to the raw log-odds.
    """

    booster: lgb.Booster
    feature_names: list[str]
    feature_labels: dict[str, tuple[str, str]]
    feature_stats: dict[str, dict[str, float | None]]
    calibrator: IsotonicCalibrator
    threshold: float
    metrics: dict[str, Any]
    training_sha256: str
    id_column: str = "id"
    label_column: str = "label"
    more_boosters: list[lgb.Booster] = field(default_factory=list)

    @property
    def boosters(self) -> list[lgb.Booster]:
        """Every member: ``booster`` first, then ``more_boosters``."""
        return [self.booster, *self.more_boosters]

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """LightGBM's uncalibrated probabilities for feature rows in ``feature_names`` order
        (for an ensemble, the logistic of the members' mean log-odds)."""
        self._check_width(X)
        if not self.more_boosters:
            return np.asarray(self.booster.predict(X), dtype=np.float64)
        return ensemble_probability(self.boosters, X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated risk in [0, 1] for feature rows in ``feature_names`` order."""
        return self.calibrator.apply(self.raw_scores(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contributions to the raw log-odds (SHAP values); last column: the base."""
        self._check_width(X)
        parts = [np.asarray(b.predict(X, pred_contrib=True), np.float64) for b in self.boosters]
        return parts[0] if len(parts) == 1 else np.asarray(np.mean(parts, axis=0), np.float64)

    def save(self, directory: Path) -> Path:
        """Write the model directory (created if needed; the five files are replaced).

        >>> model.save(Path("models/sichuan"))  # doctest: +SKIP
        PosixPath('models/sichuan')
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("model_*.txt"):  # members of an earlier ensemble here
            stale.unlink()
        for name, member in zip(self.booster_files(), self.boosters, strict=True):
            member.save_model(str(directory / name))
        _write_json(directory / "calibration.json", self.calibrator.to_dict())
        _write_json(directory / "features.json", self._features_document())
        metrics = {**self.metrics, "training_data_sha256": self.training_sha256}
        _write_json(directory / "metrics.json", metrics)
        (directory / "training_data.sha256").write_text(
            f"{self.training_sha256}  training data (ids, features, labels)\n", encoding="utf-8"
        )
        return directory

    def booster_files(self) -> list[str]:
        """The members' file names: ``model.txt``, then ``model_2.txt``, ``model_3.txt``, ..."""
        return ["model.txt", *(f"model_{i}.txt" for i in range(2, len(self.boosters) + 1))]

    def _features_document(self) -> dict[str, Any]:
        lgb_names = self.booster.feature_name()
        features = []
        for name, lgb_name in zip(self.feature_names, lgb_names, strict=True):
            label = self.feature_labels.get(name)
            features.append(
                {
                    "name": name,
                    "lightgbm_name": lgb_name,
                    "label_zh": label[0] if label else None,
                    "label_en": label[1] if label else None,
                    "stats": self.feature_stats.get(name, {}),
                }
            )
        document: dict[str, Any] = {
            "format": ENSEMBLE_FORMAT if self.more_boosters else FORMAT,
            "id_column": self.id_column,
            "label_column": self.label_column,
            "features": features,
        }
        if self.more_boosters:
            document["boosters"] = self.booster_files()
            document["combine"] = "logistic of the mean of the members' log-odds"
        return document

    def _check_width(self, X: np.ndarray) -> None:
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise ModelError(
                f"the model expects {len(self.feature_names)} feature columns, "
                f"got an array of shape {X.shape}"
            )


def load_model(directory: Path) -> TrainedModel:
    """Read a model directory written by :meth:`TrainedModel.save`.

    Raises :class:`ModelError` naming the directory and what is missing or wrong.

    >>> model = load_model(Path("models/sichuan"))  # doctest: +SKIP
    >>> model.threshold  # doctest: +SKIP
    0.43
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(
            f"{directory}: no model directory here; train one first (callwarden model train)"
        )
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelError(
            f"{directory}: not a complete model directory; missing {', '.join(missing)} "
            "(retrain, or copy the whole directory)"
        )
    features = _read_json(directory / "features.json")
    metrics = _read_json(directory / "metrics.json")
    if features.get("format") not in (FORMAT, ENSEMBLE_FORMAT):
        raise ModelError(
            f"{directory / 'features.json'}: unknown model format {features.get('format')!r}; "
            f"this callwarden reads {FORMAT!r} and {ENSEMBLE_FORMAT!r}"
        )
    files = _booster_files(directory, features)
    try:
        calibrator = IsotonicCalibrator.from_dict(_read_json(directory / "calibration.json"))
        entries = features["features"]
        names = [str(e["name"]) for e in entries]
        labels = {
            str(e["name"]): (str(e["label_zh"]), str(e["label_en"]))
            for e in entries
            if e.get("label_zh") and e.get("label_en")
        }
        stats = {str(e["name"]): dict(e.get("stats") or {}) for e in entries}
        threshold = float(metrics["threshold"]["value"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{directory}: a model file is malformed: {exc}") from None
    boosters = []
    for name in files:
        try:
            booster = lgb.Booster(model_file=str(directory / name))
        except lgb.basic.LightGBMError as exc:
            raise ModelError(f"{directory / name}: not a LightGBM text model: {exc}") from None
        if booster.num_feature() != len(names):
            raise ModelError(
                f"{directory}: {name} has {booster.num_feature()} features but features.json "
                f"lists {len(names)}; the directory mixes two models"
            )
        boosters.append(booster)
    sha = (directory / "training_data.sha256").read_text(encoding="utf-8").split()
    return TrainedModel(
        booster=boosters[0],
        more_boosters=boosters[1:],
        feature_names=names,
        feature_labels=labels,
        feature_stats=stats,
        calibrator=calibrator,
        threshold=threshold,
        metrics=metrics,
        training_sha256=sha[0] if sha else "",
        id_column=str(features.get("id_column") or "id"),
        label_column=str(features.get("label_column") or "label"),
    )


def ensemble_probability(boosters: list[lgb.Booster], X: np.ndarray) -> np.ndarray:
    """The logistic of the mean of the boosters' log-odds for the rows of ``X``."""
    raw = np.mean([np.asarray(b.predict(X, raw_score=True), np.float64) for b in boosters], axis=0)
    return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)


def _booster_files(directory: Path, features: dict[str, Any]) -> list[str]:
    """The member files a model directory names (``model.txt`` alone for format 1)."""
    if features.get("format") == FORMAT:
        return ["model.txt"]
    files = features.get("boosters")
    if (
        not isinstance(files, list)
        or not files
        or files[0] != "model.txt"
        or any(not isinstance(name, str) or Path(name).name != name for name in files)
    ):
        raise ModelError(
            f"{directory / 'features.json'}: an ensemble lists its members' file names in "
            "'boosters', model.txt first"
        )
    missing = [name for name in files if not (directory / name).is_file()]
    if missing:
        raise ModelError(
            f"{directory}: not a complete model directory; missing {', '.join(missing)} "
            "(retrain, or copy the whole directory)"
        )
    return [str(name) for name in files]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object")
    return data

"""Isotonic calibration: raw LightGBM scores -> probabilities, stored as plain numbers.

The calibrator is fitted on out-of-fold scores (numbers each fold model never saw), so a
calibrated score of 0.8 means: of the training numbers that scored like this, about 80% were
fraud. It is a non-decreasing piecewise-linear map given by its knots ``x`` -> ``y``, clipped
at both ends; that is exactly what scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``
computes, so applying it needs only numpy and it saves as JSON (no pickle).

>>> cal = IsotonicCalibrator.fit([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])
>>> cal.apply([0.0, 0.25, 0.9]).tolist()
[0.0, 0.5, 1.0]
>>> IsotonicCalibrator.from_dict(cal.to_dict()) == cal
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression

__all__ = ["IsotonicCalibrator"]


@dataclass(frozen=True)
class IsotonicCalibrator:
    """A non-decreasing map from raw score to probability, by linear interpolation of knots."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        y = np.asarray(self.y, dtype=float)
        if x.size == 0 or x.shape != y.shape:
            raise ValueError("calibration needs one or more knots, as many x as y")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError("calibration knots must be finite numbers")
        if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
            raise ValueError("calibration knots must be non-decreasing in x and y")
        if y.min() < 0 or y.max() > 1:
            raise ValueError("calibrated probabilities must lie in [0, 1]")

    @classmethod
    def fit(
        cls, scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray
    ) -> IsotonicCalibrator:
        """Fit on out-of-fold raw scores and their 0/1 labels.

        >>> IsotonicCalibrator.fit([0.2, 0.6], [0, 1]).y
        (0.0, 1.0)
        """
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        iso.fit(np.asarray(scores, dtype=float), np.asarray(labels, dtype=float))
        return cls(
            x=tuple(float(v) for v in iso.X_thresholds_),
            y=tuple(float(v) for v in iso.y_thresholds_),
        )

    def apply(self, scores: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated probabilities in [0, 1] for raw scores.

        >>> IsotonicCalibrator(x=(0.0, 1.0), y=(0.2, 0.6)).apply([0.5]).tolist()
        [0.4]
        """
        out = np.interp(np.asarray(scores, dtype=float), self.x, self.y)
        return np.asarray(np.clip(out, 0.0, 1.0), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """The plain-number form written to ``calibration.json``.

        >>> IsotonicCalibrator(x=(0.0,), y=(0.5,)).to_dict()["method"]
        'isotonic'
        """
        return {
            "method": "isotonic",
            "fitted_on": "out-of-fold raw scores of the cross-validation",
            "interpolation": "linear between knots, clipped to the first and last knot",
            "x": list(self.x),
            "y": list(self.y),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IsotonicCalibrator:
        """Read the form :meth:`to_dict` writes; ``ValueError`` when it is not one.

        >>> IsotonicCalibrator.from_dict({"method": "platt"})
        Traceback (most recent call last):
        ...
        ValueError: unknown calibration method 'platt'; expected 'isotonic'
        """
        if data.get("method") != "isotonic":
            raise ValueError(
                f"unknown calibration method {data.get('method')!r}; expected 'isotonic'"
            )
        try:
            return cls(x=tuple(float(v) for v in data["x"]), y=tuple(float(v) for v in data["y"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"calibration knots 'x' and 'y' are missing or not numbers: {exc}"
            ) from None

"""The detector contract, and the registry every detector joins.

A detector reads features (a mapping of feature name to numpy array, one entry per event: a
whole day in batch, one event in the stream) and returns a score in [0, 1] per event. For the
events that raise an alert it also explains itself with a :class:`Reason` in zh-CN and English.
Adding a detector is one module in ``detect/rules/`` that subclasses :class:`Detector` and calls
:func:`register`; the conformance suite then tests it automatically.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from callwarden.detect.reasons import Reason
from callwarden.registry import Registry

__all__ = ["DETECTORS", "Detector", "Features", "bounded", "ramp", "register"]

Features = Mapping[str, np.ndarray]


def ramp(x: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
    """0 at or below ``lo``, 1 at or above ``hi``, linear between.

    >>> ramp(np.array([0.0, 5.0, 10.0, 20.0]), 0, 10).tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    # minimum/maximum rather than clip: the same values, less overhead on the stream's small
    # arrays (NaN stays NaN either way)
    return np.minimum(np.maximum((np.asarray(x, dtype=np.float64) - lo) / (hi - lo), 0.0), 1.0)


def bounded(x: np.ndarray) -> np.ndarray:
    """Scores bounded to [0, 1], NaN (an unknown figure) as 0.

    >>> bounded(np.array([np.nan, -0.5, 0.25, 2.0, np.inf])).tolist()
    [0.0, 0.0, 0.25, 1.0, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(np.maximum(np.where(np.isnan(x), 0.0, x), 0.0), 1.0)


class Detector(ABC):
    """One explainable rule: a score per event and a reason for the flagged ones."""

    #: registry name and reason code
    name: ClassVar[str]
    #: the labels (fraud types) this detector is meant to find
    targets: ClassVar[tuple[str, ...]]
    #: the features it reads (the conformance suite checks they exist)
    features: ClassVar[tuple[str, ...]]
    #: events of this kind are scored ("call" or "sms")
    kind: ClassVar[str] = "call"

    def score(self, f: Features) -> np.ndarray:
        """Scores in [0, 1], one per event (unknown figures score 0)."""
        return bounded(self.raw_score(f))

    @abstractmethod
    def raw_score(self, f: Features) -> np.ndarray:
        """The rule itself; :meth:`score` bounds it to [0, 1]."""

    @abstractmethod
    def explain(self, f: Mapping[str, float]) -> Reason:
        """Why one event scored as it did, with the figures a person can check."""


DETECTORS: Registry[Detector] = Registry("detector")


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: instantiate and register a detector under its name."""
    DETECTORS.register(cls.name, cls())
    return cls


def age_text(age: float) -> tuple[str, str]:
    """'; 机主 78 岁' / '; owner aged 78' when the owner's age is known."""
    if math.isnan(age) or age <= 0:  # NaN: company line or unknown owner
        return "", ""
    return f"; 机主 {int(age)} 岁", f"; owner aged {int(age)}"

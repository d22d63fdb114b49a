"""Behavioural features per number in event time: one spec, several engines."""

from __future__ import annotations

from callwarden.features.spec import FEATURE_NAMES, FEATURES, Feature

__all__ = ["FEATURES", "FEATURE_NAMES", "Feature"]

"""Detection: feature-based detectors, a learned scorer, and the reasons they give."""

from __future__ import annotations

from callwarden.detect.reasons import Reason

__all__ = ["Reason"]

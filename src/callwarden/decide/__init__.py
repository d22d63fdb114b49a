"""Decide: graduated decisions from scores, with allow lists and caps."""

from __future__ import annotations

from callwarden.decide.policy import DecisionState, PolicyConfig

__all__ = ["DecisionState", "PolicyConfig"]

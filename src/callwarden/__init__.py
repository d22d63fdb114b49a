"""callwarden: protect phone users from fraud and nuisance calls.

Find the numbers that scam and harass from call records, suspend them with reasons a person
can read, and give honest owners a fast, fair way back.
"""

from __future__ import annotations

from callwarden.errors import CallwardenError
from callwarden.numbers import NumberKind, classify, mask, normalise

__all__ = ["CallwardenError", "NumberKind", "__version__", "classify", "mask", "normalise"]

__version__ = "0.1.0"

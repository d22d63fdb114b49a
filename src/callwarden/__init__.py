"""callwarden: protect phone users from fraud and nuisance calls.

Find the numbers that scam and harass from call records, suspend them with reasons a person
can read, and give honest owners a fast, fair way back.

The re-exports are imported on first use: importing a subpackage (the CLI's start, say) does
not pay for the numbering library and Polars that :mod:`callwarden.numbers` needs.

>>> from callwarden import normalise
>>> normalise("13812345678")
'+8613812345678'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callwarden.errors import CallwardenError
    from callwarden.numbers import NumberKind, classify, mask, normalise

__all__ = ["CallwardenError", "NumberKind", "__version__", "classify", "mask", "normalise"]

__version__ = "0.1.0"

_HOME = {
    "CallwardenError": "callwarden.errors",
    "NumberKind": "callwarden.numbers",
    "classify": "callwarden.numbers",
    "mask": "callwarden.numbers",
    "normalise": "callwarden.numbers",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'callwarden' has no attribute {name!r}")

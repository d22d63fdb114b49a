"""Number reputation marks (号码标记): categories, decaying scores, reporter weight, provenance.

Each name below is imported from its module when first asked for: the categories alone (the
content reasons of batch scoring read them) need none of the case database's models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callwarden.reputation.book import SCORING, marks_of, on_alert, on_case, report
    from callwarden.reputation.categories import Category, Source, category_of_reason
    from callwarden.reputation.models import Mark, MarkEvent, Reporter
    from callwarden.reputation.scoring import Scoring

#: where each name of the package lives
_MODULES = {
    "SCORING": "book",
    "marks_of": "book",
    "on_alert": "book",
    "on_case": "book",
    "report": "book",
    "Category": "categories",
    "Source": "categories",
    "category_of_reason": "categories",
    "Mark": "models",
    "MarkEvent": "models",
    "Reporter": "models",
    "Scoring": "scoring",
}

__all__ = [
    "SCORING",
    "Category",
    "Mark",
    "MarkEvent",
    "Reporter",
    "Scoring",
    "Source",
    "category_of_reason",
    "marks_of",
    "on_alert",
    "on_case",
    "report",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

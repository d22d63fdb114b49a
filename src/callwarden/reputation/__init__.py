"""Number reputation marks (号码标记): categories, decaying scores, reporter weight, provenance."""

from callwarden.reputation.book import SCORING, marks_of, on_alert, on_case, report
from callwarden.reputation.categories import Category, Source, category_of_reason
from callwarden.reputation.models import Mark, MarkEvent, Reporter
from callwarden.reputation.scoring import Scoring

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

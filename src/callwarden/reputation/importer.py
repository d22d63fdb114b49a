"""``msisdn,category[,source]`` lists in: each row a report, or quarantined with its reason.

A header row (``msisdn,...``) is allowed and not counted. Counts add up:
``read == accepted + quarantined``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from callwarden.errors import InputFileError
from callwarden.numbers import try_normalise
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source

__all__ = ["ImportCounts", "Quarantined", "import_rows", "read_rows"]

_CATEGORIES = ", ".join(c.value for c in Category)
_SOURCES = ", ".join(s.value for s in Source)


@dataclass(frozen=True)
class Quarantined:
    """A row that was not taken in, and why."""

    line: int
    row: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ImportCounts:
    read: int
    accepted: int
    quarantined: int


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's rows with their line numbers, without a header row."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line, row in enumerate(csv.reader(fh), start=1):
                if not any(cell.strip() for cell in row):
                    continue
                if line == 1 and row and row[0].strip().lower() == "msisdn":
                    continue
                yield line, row
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(path, f"cannot read the marks list ({exc})") from None


def _check(row: list[str], default: Source) -> tuple[str, Category, Source] | str:
    """The row as a report, or why it cannot be one."""
    if len(row) not in (2, 3):
        return f"{len(row)} columns; give msisdn,category[,source]"
    msisdn, reason = try_normalise(row[0])
    if msisdn is None:
        return f"msisdn: {reason}"
    try:
        category = Category(row[1].strip())
    except ValueError:
        return f"category: {row[1].strip()!r} is not one of {_CATEGORIES}"
    source = default
    if len(row) == 3 and row[2].strip():
        try:
            source = Source(row[2].strip())
        except ValueError:
            return f"source: {row[2].strip()!r} is not one of {_SOURCES}"
    return msisdn, category, source


def import_rows(
    s: Session,
    rows: Iterable[tuple[int, list[str]]],
    now: datetime,
    *,
    source: Source = Source.IMPORTED_LIST,
    note: str | None = None,
) -> tuple[ImportCounts, list[Quarantined]]:
    """Report every good row in ``s``; the counts and the quarantined rows."""
    read, accepted, bad = 0, 0, []
    for line, row in rows:
        read += 1
        checked = _check(row, source)
        if isinstance(checked, str):
            bad.append(Quarantined(line, tuple(row), checked))
            continue
        msisdn, category, src = checked
        report(s, msisdn, category, src, now, note=note)
        accepted += 1
    return ImportCounts(read, accepted, len(bad)), bad

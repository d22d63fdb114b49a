"""Every number's marks in memory, compact: what the decision path reads instead of the database.

One row per (number, category): the number's digits as a sorted ``int64`` key, the category
as a ``uint8`` code, and the evidence as a ``float32``. Evidence decays by the same factor for
every mark (:mod:`callwarden.reputation.scoring`), so it is kept as of one reference moment
(``at``) and no per-row time is needed: a row takes 13 bytes, 10M numbers about 130 to 200 MB.

Changes since the arrays were built sit in a small overlay (number -> its marks now) that is
read first; :meth:`MarkTable.compacted` folds it into new arrays when it grows.

>>> from datetime import UTC, datetime
>>> at = datetime(2026, 12, 1, tzinfo=UTC)
>>> t = MarkTable.from_rows([(8613812345678, "fraud", 1.0, at)], at)
>>> [(c.value, round(s, 2)) for c, s in t.lookup(8613812345678, at)]
[('fraud', 0.63)]
>>> t.put(8613812345678, [])  # withdrawn
>>> t.lookup(8613812345678, at)
[]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from callwarden.reputation.book import SCORING
from callwarden.reputation.categories import Category
from callwarden.reputation.scoring import Scoring

__all__ = ["CATEGORIES", "MarkTable", "Row"]

#: a category's code in the table is its index here (the order of the enum)
CATEGORIES: tuple[Category, ...] = tuple(Category)
_CODE = {c.value: i for i, c in enumerate(CATEGORIES)}
#: a number's row: key, category, evidence, the moment that evidence is as of
Row = tuple[int, str, float, datetime]
#: evidence below this is a withdrawn or long-faded mark: not served
_NOTHING = 1e-6


@dataclass
class MarkTable:
    """Marks by number: sorted arrays plus an overlay of recent changes."""

    keys: npt.NDArray[np.int64]
    cats: npt.NDArray[np.uint8]
    evidence: npt.NDArray[np.float32]
    #: the moment every evidence value (arrays and overlay) is as of
    at: datetime
    scoring: Scoring = SCORING
    #: number -> ((category code, evidence as of ``at``), ...); empty: no marks any more
    overlay: dict[int, tuple[tuple[int, float], ...]] = field(default_factory=dict)

    @classmethod
    def empty(cls, at: datetime, scoring: Scoring = SCORING) -> MarkTable:
        return cls(
            np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.float32), at, scoring
        )

    @classmethod
    def from_arrays(
        cls,
        keys: npt.NDArray[np.int64],
        cats: npt.NDArray[np.uint8],
        evidence: npt.NDArray[np.float32],
        at: datetime,
        scoring: Scoring = SCORING,
    ) -> MarkTable:
        """A table from unsorted columns (evidence already as of ``at``)."""
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], cats[order], evidence[order], at, scoring)

    @classmethod
    def from_rows(cls, rows: Iterable[Row], at: datetime, scoring: Scoring = SCORING) -> MarkTable:
        """A table from ``(key, category, evidence, evidence_at)`` rows, in chunks (the
        database's rows stream in without a Python object per mark kept)."""
        chunks: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.float32]]]
        chunks = []
        keys: list[int] = []
        cats: list[int] = []
        ev: list[float] = []

        def flush() -> None:
            chunks.append(
                (np.array(keys, np.int64), np.array(cats, np.uint8), np.array(ev, np.float32))
            )
            keys.clear()
            cats.clear()
            ev.clear()

        for key, category, evidence, evidence_at in rows:
            value = _as_of(evidence, evidence_at, at, scoring)
            if value < _NOTHING or category not in _CODE:
                continue
            keys.append(key)
            cats.append(_CODE[category])
            ev.append(value)
            if len(keys) >= 1_000_000:
                flush()
        flush()
        return cls.from_arrays(
            np.concatenate([c[0] for c in chunks]),
            np.concatenate([c[1] for c in chunks]),
            np.concatenate([c[2] for c in chunks]),
            at,
            scoring,
        )

    def put(self, key: int, marks: Sequence[tuple[str, float, datetime]]) -> None:
        """Number ``key``'s marks are now ``marks`` (category, evidence, as of when): replace
        what the table had for it (an empty list: it has none any more)."""
        self.overlay[key] = tuple(
            (_CODE[c], v)
            for c, e, e_at in marks
            if c in _CODE and (v := _as_of(e, e_at, self.at, self.scoring)) >= _NOTHING
        )

    def lookup(self, key: int, now: datetime) -> list[tuple[Category, float]]:
        """The number's marks with their scores at ``now``, strongest first."""
        rows = self.overlay.get(key)
        if rows is None:
            lo = int(np.searchsorted(self.keys, key, side="left"))
            if lo == len(self.keys) or self.keys[lo] != key:
                return []
            hi = int(np.searchsorted(self.keys, key, side="right"))
            rows = tuple(zip(self.cats[lo:hi].tolist(), self.evidence[lo:hi].tolist(), strict=True))
        if not rows:
            return []
        factor = self.scoring.decay(now - self.at)
        out = [(CATEGORIES[c], 1.0 - math.exp(-e * factor)) for c, e in rows]
        out.sort(key=lambda m: -m[1])
        return out

    def __len__(self) -> int:
        """Marks served (rows in the arrays, less those the overlay replaced, plus its own)."""
        return len(self.keys) + sum(len(v) for v in self.overlay.values()) - self._replaced()

    def _replaced(self) -> int:
        if not self.overlay:
            return 0
        over = np.fromiter(self.overlay.keys(), np.int64, len(self.overlay))
        return int(np.isin(self.keys, over).sum())

    @property
    def nbytes(self) -> int:
        """Memory the arrays take (the overlay is small and not counted)."""
        return int(self.keys.nbytes + self.cats.nbytes + self.evidence.nbytes)

    def numbers(self) -> int:
        """Distinct numbers in the arrays."""
        if not len(self.keys):
            return 0
        return int(np.count_nonzero(np.diff(self.keys)) + 1)

    def compacted(self) -> MarkTable:
        """A new table with the overlay folded into the arrays (the old one stays usable
        while this is built, so readers never wait)."""
        overlay = dict(self.overlay)
        if not overlay:
            return self
        over = np.fromiter(overlay.keys(), np.int64, len(overlay))
        keep = ~np.isin(self.keys, over)
        flat = [(k, c, e) for k, rows in overlay.items() for c, e in rows]
        return MarkTable.from_arrays(
            np.concatenate([self.keys[keep], np.array([r[0] for r in flat], np.int64)]),
            np.concatenate([self.cats[keep], np.array([r[1] for r in flat], np.uint8)]),
            np.concatenate([self.evidence[keep], np.array([r[2] for r in flat], np.float32)]),
            self.at,
            self.scoring,
        )


def _as_of(evidence: float, evidence_at: datetime, at: datetime, scoring: Scoring) -> float:
    """Evidence recorded at ``evidence_at`` brought to ``at`` (forward or back)."""
    elapsed = (at - evidence_at) / scoring.half_life
    return float(max(evidence, 0.0) * 0.5**elapsed)

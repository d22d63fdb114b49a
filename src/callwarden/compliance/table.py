"""The registers in memory, compact: what the pre-dial check reads instead of the database.

One table per business and register: each person's number as a sorted ``int64`` key (its
digits, :func:`callwarden.screen.callers.key_of`) and a few moments as ``uint32`` seconds
since 2000-01-01 UTC (:func:`stamp`). Consents keep three (the latest grant, its expiry, the
latest withdrawal): 20 bytes a person; refusals one (the first refusal): 12 bytes. 10M people
on both registers take about 320 MB.

As in the hotline marks table (:mod:`callwarden.screen.marktable`), changes since the arrays
were built sit in a small overlay read first, folded in by :meth:`PersonTable.compacted`.

>>> t = PersonTable.from_arrays(np.array([8613800000002, 8613800000001]),
...                             np.array([[7], [5]], np.uint32))
>>> t.lookup(8613800000001), t.lookup(8613800000003)
((5,), None)
>>> t.put(8613800000003, (9,)); t.lookup(8613800000003), len(t)
((9,), 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

__all__ = ["EPOCH", "FOREVER", "NEVER", "PersonTable", "moment", "stamp"]

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: "no such moment" for a start (no grant, no withdrawal, no refusal)
NEVER = 0
#: "no such moment" for an end (a consent that does not expire)
FOREVER = 2**32 - 1


def stamp(at: datetime | None, missing: int = NEVER) -> int:
    """A moment as seconds since :data:`EPOCH`, within ``1 .. FOREVER - 1``; ``missing`` for None.

    >>> stamp(datetime(2000, 1, 1, 0, 1, tzinfo=UTC)), stamp(None, FOREVER) == FOREVER
    (60, True)
    """
    if at is None:
        return missing
    seconds = int((at - EPOCH).total_seconds())
    return min(max(seconds, 1), FOREVER - 1)


def moment(value: int) -> datetime | None:
    """The datetime of a stamp (None for :data:`NEVER` and :data:`FOREVER`)."""
    if value in (NEVER, FOREVER):
        return None
    return EPOCH + timedelta(seconds=value)


@dataclass
class PersonTable:
    """One register of one business: people's moments by number key, plus an overlay."""

    keys: npt.NDArray[np.int64]
    #: shape (people, width): the moments of each person
    values: npt.NDArray[np.uint32]
    overlay: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def empty(cls, width: int) -> PersonTable:
        return cls(np.empty(0, np.int64), np.empty((0, width), np.uint32))

    @classmethod
    def from_arrays(
        cls, keys: npt.NDArray[np.int64], values: npt.NDArray[np.uint32]
    ) -> PersonTable:
        """A table from unsorted columns, one row per person (merged already)."""
        order = np.argsort(keys, kind="stable")
        return cls(
            np.ascontiguousarray(keys[order], np.int64),
            np.ascontiguousarray(values[order], np.uint32),
        )

    @property
    def width(self) -> int:
        return int(self.values.shape[1])

    def lookup(self, key: int) -> tuple[int, ...] | None:
        """The person's moments, or None when the register has no row for them."""
        found = self.overlay.get(key)
        if found is not None:
            return found
        i = int(np.searchsorted(self.keys, key))
        if i == len(self.keys) or self.keys[i] != key:
            return None
        return tuple(self.values[i].tolist())

    def put(self, key: int, values: tuple[int, ...]) -> None:
        """The person's moments are now ``values`` (merged by the caller)."""
        self.overlay[key] = values

    def __len__(self) -> int:
        """People on the register."""
        if not self.overlay:
            return len(self.keys)
        over = np.fromiter(self.overlay.keys(), np.int64, len(self.overlay))
        return len(self.keys) + len(over) - int(np.isin(over, self.keys).sum())

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.values.nbytes)

    def compacted(self) -> PersonTable:
        """A new table with the overlay folded in (the old one stays usable meanwhile)."""
        overlay = dict(self.overlay)
        if not overlay:
            return self
        over = np.fromiter(overlay.keys(), np.int64, len(overlay))
        keep = ~np.isin(self.keys, over)
        added = np.array(list(overlay.values()), np.uint32).reshape(len(overlay), self.width)
        return PersonTable.from_arrays(
            np.concatenate([self.keys[keep], over]), np.concatenate([self.values[keep], added])
        )

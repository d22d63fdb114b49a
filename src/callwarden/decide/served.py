"""Which numbers the operator serves, for the policy: the subscriber table and the prefixes.

Restriction and suspension are for the operator's own subscribers; for any other number the
policy decides ``intercept`` instead (``network.py`` says whom it is reported to). Two inputs
say what is served, and they combine so that neither can take a subscriber away from the
operator:

- with neither, the default prefixes (China Mobile's own ranges: ``network.ServedNumbers()``);
- with a subscriber table (``--subscribers``), every number in it, and no default prefixes
  (the table is the operator's own list: a China Mobile number missing from it belongs to
  another operator's city or is not in service, and is not the operator's to suspend);
- with a prefix CSV (``--served``), the numbers of those prefixes;
- with both, a number in either (a subscriber ported in from another range is still one; a
  number of the operator's ranges activated after the table was drawn is still its own).

>>> served = resolve_served(["+8617012345678"], None)
>>> served.serves("+8617012345678"), served.serves("+8613812345678")
(True, False)
>>> both = resolve_served(["+8617012345678"], ServedNumbers(prefixes=("+86138",)))
>>> both.serves("+8617012345678"), both.serves("+8613812345678"), both.serves("+8613012345678")
(True, True, False)
>>> resolve_served(None, None).serves("+8613812345678")
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from callwarden.network import ServedNumbers

__all__ = ["AnyOf", "Served", "resolve_served"]


class Served(Protocol):
    """Whether the operator serves a number (so may restrict or suspend it)."""

    def serves(self, e164: str) -> bool: ...


@dataclass(frozen=True)
class AnyOf:
    """Served when any of the parts serves the number."""

    parts: tuple[ServedNumbers, ...]

    def serves(self, e164: str) -> bool:
        return any(p.serves(e164) for p in self.parts)


def resolve_served(
    subscriber_numbers: Iterable[str] | pl.Series | None, prefixes: ServedNumbers | None
) -> ServedNumbers | AnyOf:
    """The served numbers from a subscriber table's numbers and a prefix configuration (see
    the module notes for how they combine)."""
    if subscriber_numbers is None:
        return prefixes if prefixes is not None else ServedNumbers()
    table = ServedNumbers.from_numbers(subscriber_numbers)
    return table if prefixes is None else AnyOf((table, prefixes))

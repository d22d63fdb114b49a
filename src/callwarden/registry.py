"""A small typed registry: built-in and third-party components register under a name.

Detectors, feature engines, notifiers and simulator actors each get one registry; adding one
is a new module that calls :meth:`Registry.register`.

>>> shapes: Registry[int] = Registry("shape")
>>> _ = shapes.register("square", 4)
>>> shapes.get("square"), shapes.names()
(4, ['square'])
>>> shapes.get("circle")
Traceback (most recent call last):
...
callwarden.errors.ConfigError: unknown shape 'circle'; known: square
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from callwarden.errors import ConfigError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> component, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ConfigError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self._items) or "(none)"
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

"""Real-time detection: records from a broker (or a file) through the batch definitions, live."""

from __future__ import annotations

from callwarden.stream.engine import StreamEngine, StreamStats

__all__ = ["StreamEngine", "StreamStats"]

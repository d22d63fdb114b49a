"""A sliding-window limit per client for the public self-service endpoints.

Per-number limits (codes per number) live in the database, so they hold across processes; this
one only blunts a single client hammering one process.

>>> lim = SlidingWindow(limit=2, seconds=60)
>>> [lim.allow("a", now=t) for t in (0, 1, 2, 61.5)]
[True, True, False, True]
"""

from __future__ import annotations

import time
from collections import deque
from threading import Lock

__all__ = ["SlidingWindow"]


class SlidingWindow:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle clients rather than grow without bound
                self._hits = {k: v for k, v in self._hits.items() if v}
            return True

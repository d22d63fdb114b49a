"""The decision log: every decision written to ``screen_decisions``, in batches.

The decision path only appends to an in-memory queue; a writer thread inserts what is queued
every ``interval`` seconds (or sooner once ``batch`` rows wait), in one transaction. A decision
is durable at most ``interval`` plus one insert after it was made; :meth:`DecisionLog.close`
(on shutdown) writes what is left. If the database refuses a batch, the writer keeps it and
tries again, so a short outage loses nothing while the process lives.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sqlalchemy import insert

from callwarden.cases.db import Database
from callwarden.screen.models import ScreenDecision

__all__ = ["DecisionLog"]

log = logging.getLogger("callwarden.screen")


class DecisionLog:
    """Batched, durable-within-an-interval writes of decisions."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.5,
        batch: int = 2000,
        table: type[Any] = ScreenDecision,
    ) -> None:
        self.db = db
        #: the mapped class whose table the rows go to (the outbound checks log uses it too)
        self.table = table
        self._insert = insert(table.__table__)
        self.interval = interval
        self.batch = batch
        self._rows: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self.written = 0

    def append(self, row: dict[str, Any]) -> None:
        """Queue one decision (a ``screen_decisions`` row as a dict)."""
        self._rows.append(row)
        if len(self._rows) >= self.batch:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            name = f"{self.table.__tablename__}-log"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is queued now; the rows written."""
        with self._idle:  # one writer at a time (the thread, or close/flush from outside)
            rows = [self._rows.popleft() for _ in range(len(self._rows))]
            if not rows:
                return 0
            try:
                with self.db.sessions.begin() as s:  # Core's executemany: not the ORM's
                    s.connection().execute(self._insert, rows)  # bulk path (a third cheaper)
            except Exception:  # kept and retried: the log must not lose decisions
                log.exception("decision log: %d rows not written; retrying", len(rows))
                self._rows.extendleft(reversed(rows))
                return 0
            self.written += len(rows)
            return len(rows)

    def pending(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        """Stop the writer and write what is left."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

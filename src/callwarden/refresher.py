"""Keeping an in-memory state current from the database: a thread that calls ``refresh``.

The services that answer from memory (hotline screening, the pre-dial check) load their state
at start and then follow the database: every ``poll`` seconds, or, on PostgreSQL with a
``channel``, as soon as a ``NOTIFY`` on it arrives (``LISTEN``), with a slow poll behind it
(every ten ``poll`` intervals) in case a notice is lost. A refresh that fails (a database
hiccup) is logged and the last state stays in use; the thread lives on.

>>> import threading
>>> from callwarden.cases.db import open_database
>>> seen = threading.Event()
>>> r = Refresher(open_database("sqlite://"), seen.set, poll=0.01, name="doc")
>>> r.start()
>>> seen.wait(10)
True
>>> r.stop()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from callwarden.cases.db import Database

__all__ = ["Refresher"]


class Refresher:
    """A daemon thread calling ``refresh`` whenever the database may have changed."""

    def __init__(
        self,
        db: Database,
        refresh: Callable[[], object],
        *,
        poll: float,
        name: str,
        channel: str | None = None,
        log: logging.Logger | None = None,
        label: str = "refresh",
    ) -> None:
        self.db = db
        self.refresh = refresh
        self.poll = poll
        self.name = name
        #: the ``NOTIFY`` channel to listen on (PostgreSQL only; else polled)
        self.channel = channel
        self.log = log or logging.getLogger("callwarden")
        #: how a failure is introduced in the log (``screening``, ``outbound``)
        self.label = label
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listen = self.channel is not None and self.db.dialect == "postgresql"
        target = self._listen if listen else self._poll
        self._thread = threading.Thread(target=target, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _poll(self) -> None:
        while not self._stop.wait(self.poll):
            self._safely()

    def _listen(self) -> None:
        """LISTEN for the channel's NOTIFY; poll slowly behind it in case a notice is lost."""
        import psycopg  # noqa: PLC0415  (PostgreSQL only)

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self._safely()  # what changed while not listening
                    quiet = 0.0
                    while not self._stop.is_set():
                        woke = any(True for _ in conn.notifies(timeout=1.0, stop_after=1))
                        quiet = 0.0 if woke else quiet + 1.0
                        if woke or quiet >= self.poll * 10:
                            quiet = 0.0
                            self._safely()
            except psycopg.Error:
                self.log.exception("%s: lost the LISTEN connection; reconnecting", self.label)
                self._stop.wait(self.poll)
                self._safely()

    def _safely(self) -> None:
        try:
            self.refresh()
        except Exception:  # the refresher must outlive a database hiccup
            self.log.exception("%s: refresh failed; the last state stays in use", self.label)

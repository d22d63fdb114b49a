"""Background threads yield the CPU to the records: their work may wait, the records must not.

>>> import threading
>>> t = threading.Thread(target=lowest_priority)
>>> t.start(); t.join()
"""

from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["lowest_priority"]


def lowest_priority() -> None:
    """The calling thread behind every other for the CPU (on Linux a thread has its own nice
    value): background work may take longer, the records must not."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)

"""Checkpoints written off the consumer's loop: a forked child pickles and writes the state.

Pickling a day's state (hundreds of MB, GBs for a large operator) holds the interpreter for a
tenth of a second to seconds, and every record behind it waits: at 50k records/s that is the
99th-percentile latency. So, like a database's background save, the consumer forks; the child
sees the state as it was at that instant (copy-on-write pages), pickles it, writes it
atomically and exits, while the parent goes on scoring at once. The consumer acknowledges the
messages the checkpoint holds only after the child has exited with success; a child that
fails (or is killed with the parent) leaves the previous checkpoint, and the messages come
again after a restart. Where ``os.fork`` does not exist, the state is pickled in the loop and
written by a thread.

>>> import tempfile, asyncio
>>> path = Path(tempfile.mkdtemp()) / "state.pickle"
>>> writer = Snapshot.start({"answer": 42}, path)
>>> asyncio.run(writer.wait())
>>> pickle.loads(path.read_bytes())
{'answer': 42}
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from callwarden.errors import CallwardenError

__all__ = ["CheckpointError", "Snapshot", "write_atomically"]

#: a child that has not written the checkpoint by then is stuck: it is killed, and it failed
CHILD_TIMEOUT_S = 600.0


class CheckpointError(CallwardenError):
    """A checkpoint could not be written (the previous one stands)."""


def write_atomically(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class Snapshot:
    """One checkpoint being written in the background: :meth:`done` polls, :meth:`wait`
    waits (and raises :class:`CheckpointError` if it failed)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def start(state: Any, path: Path) -> Snapshot:
        """Begin writing ``state`` (its value now) to ``path``."""
        return _Forked(state, path) if hasattr(os, "fork") else _Threaded(state, path)

    def done(self) -> bool:
        raise NotImplementedError

    async def wait(self) -> None:
        raise NotImplementedError


class _Forked(Snapshot):
    def __init__(self, state: Any, path: Path) -> None:
        super().__init__(path)
        with warnings.catch_warnings():
            # (3.12+ warns when a process with threads forks: the child runs no thread pool,
            # it pickles numpy arrays and texts, writes a file and exits)
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: the write and nothing else, then out without clean-up
            code = 1
            try:
                # behind the consumer (and the broker, on a small machine) for the CPU: the
                # write may take longer, the records must not
                os.nice(19)
                write_atomically(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), path)
                code = 0
            except BaseException:
                traceback.print_exc(file=sys.stderr)
            finally:
                os._exit(code)
        self.pid = pid
        self.started = time.monotonic()
        self.status: int | None = None

    def done(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
            elif time.monotonic() - self.started > CHILD_TIMEOUT_S:
                os.kill(self.pid, 9)
                self.status = os.waitpid(self.pid, 0)[1]
        return self.status is not None

    async def wait(self) -> None:
        while not self.done():
            await asyncio.sleep(0.002)
        assert self.status is not None  # noqa: S101  (done() set it)
        code = os.waitstatus_to_exitcode(self.status)
        if code != 0:
            raise CheckpointError(
                f"{self.path}: the checkpoint writer exited with {code}; the previous "
                "checkpoint stands (see the error above)"
            )


class _Threaded(Snapshot):
    def __init__(self, state: Any, path: Path) -> None:
        super().__init__(path)
        data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        self.task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(write_atomically, data, path)
        )

    def done(self) -> bool:
        return self.task.done()

    async def wait(self) -> None:
        try:
            await self.task
        except OSError as exc:
            raise CheckpointError(f"{self.path}: {exc}") from exc

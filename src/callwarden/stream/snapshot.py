"""Checkpoints written off the consumer's loop: pickled without copying, written by a child.

Pickling a day's state (hundreds of MB, GBs for a large operator) into one bytes object holds
the interpreter for a tenth of a second to seconds, and every record behind it waits: at 50k
records/s that is the 99th-percentile latency. So a checkpoint is taken in two steps:

1. In the consumer, the state is pickled with protocol 5 and out-of-band buffers: the numpy
   arrays are not copied, only referred to, and everything else (dictionaries, the reorder
   buffer, which polars serialises here, where its thread pool lives) is a few MB at most.
2. The consumer forks (like a database's background save). The child sees the arrays as they
   were at that instant (copy-on-write pages), writes the pickle and the arrays to a file
   atomically, at the lowest CPU priority, and exits; the parent goes on scoring at once.

The child runs no library code that needs threads (a forked child has none: polars would wait
for its pool forever). The consumer acknowledges the messages a checkpoint holds only after
the child has exited with success; a child that fails leaves the previous checkpoint. Where
``os.fork`` does not exist, the arrays are copied and a thread writes them.

File: ``CWSNAP1\\n``, the pickle's length, the number of arrays and each one's length (little
endian uint64), the pickle, the arrays. :func:`read_state` also reads a plain pickle.

>>> import tempfile, asyncio, numpy as np
>>> path = Path(tempfile.mkdtemp()) / "state.ckpt"
>>> writer = Snapshot.start({"sums": np.arange(4.0), "day": "2026-07-08"}, path)
>>> asyncio.run(writer.wait())
>>> state = read_state(path)
>>> state["sums"].tolist(), state["day"], state["sums"].flags.writeable
([0.0, 1.0, 2.0, 3.0], '2026-07-08', True)
"""

from __future__ import annotations

import asyncio
import os
import pickle
import struct
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from callwarden.errors import CallwardenError

__all__ = ["CheckpointError", "Snapshot", "read_state", "write_state"]

#: a child that has not written the checkpoint by then is stuck: it is killed, and it failed
CHILD_TIMEOUT_S = 600.0
MAGIC = b"CWSNAP1\n"
_U64 = struct.Struct("<Q")


class CheckpointError(CallwardenError):
    """A checkpoint could not be written (the previous one stands)."""


def _write_parts(path: Path, parts: list[bytes | memoryview]) -> None:
    """Write the parts to ``path`` so that a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        for part in parts:
            fh.write(part)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _pickled(state: Any) -> list[bytes | memoryview]:
    """The file's parts: header, pickle, then the arrays as views (not copies)."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(state, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    header = MAGIC + _U64.pack(len(data)) + _U64.pack(len(views))
    header += b"".join(_U64.pack(v.nbytes) for v in views)
    return [header, data, *views]


def write_state(state: Any, path: Path) -> None:
    """Write ``state`` now, in this process (what :class:`Snapshot` does in the background)."""
    _write_parts(path, _pickled(state))


def read_state(path: Path) -> Any:
    """A state written by :func:`write_state` or :class:`Snapshot` (or a plain pickle); its
    arrays are writable."""
    raw = bytearray(path.read_bytes())
    if not raw.startswith(MAGIC):
        return pickle.loads(raw)  # noqa: S301  (our own checkpoint file)
    at = len(MAGIC)
    size, count = _U64.unpack_from(raw, at)[0], _U64.unpack_from(raw, at + 8)[0]
    at += 16
    lengths = [_U64.unpack_from(raw, at + 8 * k)[0] for k in range(count)]
    at += 8 * count
    view = memoryview(raw)
    data = view[at : at + size]
    at += size
    buffers = []
    for n in lengths:
        buffers.append(view[at : at + n])
        at += n
    return pickle.loads(data, buffers=buffers)  # noqa: S301  (our own checkpoint file)


class Snapshot:
    """One checkpoint being written in the background: :meth:`done` polls, :meth:`wait`
    waits (and raises :class:`CheckpointError` if it failed)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def start(state: Any, path: Path) -> Snapshot:
        """Begin writing ``state`` (its value now) to ``path``."""
        parts = _pickled(state)
        return _Forked(parts, path) if hasattr(os, "fork") else _Threaded(parts, path)

    def done(self) -> bool:
        raise NotImplementedError

    async def wait(self) -> None:
        raise NotImplementedError


class _Forked(Snapshot):
    def __init__(self, parts: list[bytes | memoryview], path: Path) -> None:
        super().__init__(path)
        with warnings.catch_warnings():
            # (3.12+ warns when a process with threads forks: the child only writes bytes
            # that are already there, with no library that needs a thread)
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: the write and nothing else, then out without clean-up
            code = 1
            try:
                # behind the consumer (and the broker, on a small machine) for the CPU: the
                # write may take longer, the records must not
                os.nice(19)
                _write_parts(path, parts)
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
    def __init__(self, parts: list[bytes | memoryview], path: Path) -> None:
        super().__init__(path)
        copies: list[bytes | memoryview] = [bytes(p) for p in parts]  # the state moves on
        self.task = asyncio.get_running_loop().create_task(
            asyncio.to_thread(_write_parts, path, copies)
        )

    def done(self) -> bool:
        return self.task.done()

    async def wait(self) -> None:
        try:
            await self.task
        except OSError as exc:
            raise CheckpointError(f"{self.path}: {exc}") from exc

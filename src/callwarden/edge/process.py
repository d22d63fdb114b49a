"""A program of the SIP path run in the foreground as a child process: started, stopped with
SIGTERM (killed when it does not end in time), and usable as a context manager.

Kamailio (:class:`callwarden.edge.proxy.EdgeProxy`) and the SIPp peers
(:class:`callwarden.edge.sipp.Peer`) are both one.

>>> class Sleeper(ChildProcess):
...     def start(self) -> None:
...         self._launch(["sleep", "30"])
>>> with Sleeper() as s:
...     s.running
True
>>> s.running
False
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from callwarden.errors import EdgeError

__all__ = ["ChildProcess"]


class ChildProcess:
    """Base of a program run as a child: subclasses define :meth:`start` with :meth:`_launch`."""

    #: seconds a SIGTERM is given before the process is killed
    stop_wait_s: float = 10.0
    _process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        raise NotImplementedError

    def _launch(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdout: IO[Any] | int | None = subprocess.DEVNULL,
        stderr: IO[Any] | int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        self._process = subprocess.Popen(  # noqa: S603  (fixed programs, arguments are ours)
            list(args), cwd=cwd, env=env, stdout=stdout, stderr=stderr
        )
        return self._process

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise EdgeError(f"{type(self).__name__}: not running")
        return self._process.pid

    def exited(self) -> int | None:
        """The exit code when the process has ended, else None."""
        return self._process.poll() if self._process is not None else None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it has not ended within :attr:`stop_wait_s`."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(self.stop_wait_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

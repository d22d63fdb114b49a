"""Rich progress bars, status lines and tables shared by the commands."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import polars as pl
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

# Wide enough for the evaluation tables when output goes to a file or CI log.
console = Console(width=None if sys.stdout.isatty() else 140)


@contextmanager
def steps(title: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar fed by ``(step, done, total)`` callbacks; hidden when not a terminal."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(title, total=None, step="")

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None, step=step)

        yield update


def frame_table(frame: pl.DataFrame, title: str) -> Table:
    """Render a small polars frame as a Rich table (numbers right-aligned)."""
    table = Table(title=title, title_justify="left")
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    return table


def _duration(seconds: float) -> str:
    """``1h02m``, ``3m05s`` or ``42s``.

    >>> _duration(3725), _duration(185), _duration(4.2)
    ('1h02m', '3m05s', '4s')
    """
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class Status:
    """Where long work stands, on stderr: a live Rich line on a terminal (count, rate, ETA when
    the total is known, and the caller's detail), else a plain line every ``every`` seconds, so
    a log shows that the work goes on.

    >>> import io
    >>> out = Console(file=io.StringIO(), width=200)
    >>> with Status("replay", unit="records", total=10, every=0, console=out) as status:
    ...     status.update(5, "to callwarden.records")
    >>> "replay: 5 of 10 records" in out.file.getvalue()
    True
    """

    def __init__(
        self,
        title: str,
        *,
        unit: str = "records",
        total: int | None = None,
        every: float = 10.0,
        console: Console | None = None,
    ) -> None:
        self.title, self.unit, self.total, self.every = title, unit, total, every
        self.console = console or Console(stderr=True)
        self.started = self.last_line = time.monotonic()
        self.live: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Status:
        if self.console.is_terminal:
            columns: list[ProgressColumn] = [
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
            ]
            if self.total:
                columns += [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            columns += [TextColumn("{task.fields[detail]}"), TimeElapsedColumn()]
            self.live = Progress(*columns, console=self.console, transient=True)
            self.live.start()
            self.task = self.live.add_task(self.title, total=self.total, detail="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def line(self, done: int, detail: str = "") -> str:
        """The plain status line: count, rate, ETA (with a total) and the detail."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = done / elapsed
        count = f"{done:,} of {self.total:,}" if self.total else f"{done:,}"
        text = f"{self.title}: {count} {self.unit}, {rate:,.0f}/s"
        if self.total and rate > 0 and done < self.total:
            text += f", ETA {_duration((self.total - done) / rate)}"
        return text + (f"; {detail}" if detail else "")

    def update(self, done: int, detail: str = "") -> None:
        """Show ``done`` (and the detail); off a terminal, a line when one is due."""
        if self.live is not None and self.task is not None:
            rate = done / max(time.monotonic() - self.started, 1e-9)
            shown = f"{rate:,.0f} {self.unit}/s" + (f"  {detail}" if detail else "")
            self.live.update(self.task, completed=done, detail=shown)
            return
        now = time.monotonic()
        if now - self.last_line >= self.every:
            self.last_line = now
            self.console.print(self.line(done, detail), highlight=False, soft_wrap=True)

"""Rich progress bars and tables shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import polars as pl
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
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

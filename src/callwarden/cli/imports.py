"""How every import command ends: the rows set aside written beside the file, then one line
that adds up, ``read = accepted + quarantined``.

>>> from dataclasses import dataclass
>>> @dataclass
... class Counts:
...     read: int = 3
...     accepted: int = 2
...     quarantined: int = 1
>>> summary_line(Counts())
'read 3 = accepted 2 + quarantined 1'
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import polars as pl

from callwarden.cli.progress import console

__all__ = ["report_import", "summary_line"]


class ImportCounted(Protocol):
    """What an import counted (the importers' own count classes are these)."""

    @property
    def read(self) -> int: ...
    @property
    def accepted(self) -> int: ...
    @property
    def quarantined(self) -> int: ...


class SetAside(Protocol):
    """One row not taken in: its line in the file, its cells and why."""

    @property
    def line(self) -> int: ...
    @property
    def row(self) -> Sequence[str]: ...
    @property
    def reason(self) -> str: ...


def summary_line(counts: ImportCounted) -> str:
    return (
        f"read {counts.read:,} = accepted {counts.accepted:,} + quarantined {counts.quarantined:,}"
    )


def report_import(
    counts: ImportCounted,
    set_aside: Sequence[SetAside] | pl.DataFrame,
    source: Path,
    out: Path | None = None,
) -> None:
    """Write the rows set aside to ``out`` (default: SOURCE.rejected.csv beside the file), say
    where, and print the summary line.

    Rows as :class:`SetAside` become ``line,row,reason`` (the row's cells joined by commas);
    a frame is written as it is.
    """
    if len(set_aside):
        out = out or source.with_name(source.stem + ".rejected.csv")
        if isinstance(set_aside, pl.DataFrame):
            set_aside.write_csv(out)
        else:
            with out.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["line", "row", "reason"])
                writer.writerows([q.line, ",".join(q.row), q.reason] for q in set_aside)
        console.print(f"{counts.quarantined:,} rows quarantined -> {out}", highlight=False)
    console.print(summary_line(counts), highlight=False)

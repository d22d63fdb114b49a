"""Quarantine: where every rejected input row goes, with the one reason it was rejected.

Nothing is lost: a row that ingest does not accept is written here as one JSON object per line,

``{"file": ..., "row": N, "reason": code, "field": ..., "message": ..., "raw": {...}}``

where ``row`` locates it in the source (the line number for CSV, counting the header as line 1
as a spreadsheet does, and for JSON Lines; the 1-based row index for Parquet), ``reason`` is a
:class:`Reason` code, ``message`` says what is wrong in words and ``raw`` holds the row's original
text by source column (``{"_line": ...}`` for a line that could not be split into columns).

>>> Reason.BAD_NUMBER.value
'bad_number'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import polars as pl

__all__ = [
    "REJECT_COLUMNS", "QuarantineWriter", "Reason", "empty_rejects", "quarantine_lines",
    "read_quarantine",
]  # fmt: skip


class Reason(StrEnum):
    """Why a row was rejected: one short machine code per row (the first problem found)."""

    MISSING_VALUE = "missing_value"  # a required field is null or blank
    BAD_NUMBER = "bad_number"  # not a phone number (or an empty opaque identifier)
    UNPARSABLE_TIME = "unparsable_time"
    BAD_DATE = "bad_date"
    BAD_INTEGER = "bad_integer"  # not a whole number
    BAD_FLOAT = "bad_float"  # not a finite decimal number
    NEGATIVE_VALUE = "negative_value"
    OUT_OF_RANGE = "out_of_range"  # too large for its column, or an implausible year or time
    BAD_CHOICE = "bad_choice"  # not one of the allowed values of an enumerated column
    BAD_BOOL = "bad_bool"
    DUPLICATE_KEY = "duplicate_key"  # the key was already seen earlier in the same source
    MALFORMED_ROW = "malformed_row"  # a CSV line with the wrong number of fields
    INVALID_JSON = "invalid_json"  # a JSON Lines line that is not one JSON object
    UNKNOWN_DIRECTION = "unknown_direction"  # a direction code the mapping does not list
    FIELD_TOO_LONG = "field_too_long"  # longer than its column's limit (RecordSpec.max_chars)
    NESTED_VALUE = "nested_value"  # a JSON list or object where one value belongs
    # bytes that are not UTF-8 (a binary Parquet column), or an unpaired surrogate escape
    BAD_TEXT = "bad_text"


#: columns of a rejects frame, in the order they are written (``file`` is added when writing)
REJECT_COLUMNS: tuple[str, ...] = ("row", "reason", "field", "message", "raw")


def empty_rejects() -> pl.DataFrame:
    """A rejects frame with no rows (``raw`` holds the original text by source column).

    >>> empty_rejects().columns
    ['row', 'reason', 'field', 'message', 'raw']
    """
    return pl.DataFrame(
        schema={
            "row": pl.Int64,
            "reason": pl.String,
            "field": pl.String,
            "message": pl.String,
            "raw": pl.Struct({"_line": pl.String}),
        }
    )


class QuarantineWriter:
    """Appends rejected rows to one JSON Lines file, opened on the first rejected row.

    Writing is vectorised (polars writes the whole rejects frame of a chunk at once), keeps
    Chinese text readable (UTF-8, not ``\\u`` escapes), and counts what it wrote so ingest can
    check that read = accepted + quarantined.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "q.jsonl"
    >>> rows = pl.DataFrame({"row": [2], "reason": ["bad_number"], "field": ["caller"],
    ...     "message": ["caller: 'x' is not a phone number"], "raw": [{"caller": "x"}]})
    >>> with QuarantineWriter(path) as q:
    ...     q.write("calls.csv", rows)
    1
    >>> next(read_quarantine(path))["raw"]
    {'caller': 'x'}
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._fh: IO[bytes] | None = None

    def write(self, file: str, rejects: pl.DataFrame) -> int:
        """Write one chunk's rejected rows, sorted by row; return how many were written."""
        if rejects.height == 0:
            return 0
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("wb")
        self._fh.write(quarantine_lines(file, rejects))
        self.count += rejects.height
        return rejects.height

    def close(self) -> None:
        """Flush and close the file (a no-op when nothing was quarantined)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> QuarantineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def quarantine_lines(file: str, rejects: pl.DataFrame) -> bytes:
    """The JSON Lines of rejected rows from ``file`` (sorted by row), as
    :class:`QuarantineWriter` writes them: for writers that are not a local file (Spark's
    Hadoop file system)."""
    frame = rejects.sort("row").select(pl.lit(file).alias("file"), *REJECT_COLUMNS)
    return frame.write_ndjson().encode()


def read_quarantine(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the quarantined rows of a quarantine file, one dict per row, in file order."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)

"""Load canonical records for a job, with clear errors for the wrong file or an empty one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from callwarden.errors import InputFileError
from callwarden.records.ingest import read_canonical
from callwarden.records.schema import RECORDS

__all__ = ["load_records"]


def _files(path: Path, record: str) -> list[Path]:
    if path.is_dir() and (path / record).is_dir():
        path = path / record
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*.parquet") if not p.name.startswith((".", "_")))
    raise InputFileError(path, "no such file or folder")


def load_records(path: Path, record: str, *, allow_empty: bool = False) -> pl.DataFrame:
    """Read canonical ``record`` rows from a Parquet file or folder, checking the columns.

    Raises :class:`InputFileError` naming the file when it is not Parquet, lacks a required
    column, or (unless ``allow_empty``) holds no rows.
    """
    spec = RECORDS[record]
    files = _files(path, record)
    if not files:
        raise InputFileError(path, f"no Parquet files with {record} in it")
    for file in files:
        try:
            names = set(pq.read_schema(file).names)
        except Exception as exc:  # pyarrow raises several types for "not Parquet"
            raise InputFileError(
                file, f"not a Parquet file of {record} ({exc}); convert it with `callwarden ingest`"
            ) from None
        missing = [c for c in spec.required if c not in names]
        if missing:
            raise InputFileError(
                file,
                f"missing column(s) {', '.join(missing)} for {record}; found "
                f"{', '.join(sorted(names)) or 'none'}. "
                "Map them with `callwarden ingest --mapping`",
            )
    frame = read_canonical(path, record).collect()
    if frame.height == 0 and not allow_empty:
        raise InputFileError(path, f"holds no {record} rows")
    return frame

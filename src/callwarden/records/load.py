"""Load canonical records for a job, with clear errors for the wrong file or an empty one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from callwarden.errors import InputFileError
from callwarden.records.ingest import canonical_files, read_canonical
from callwarden.records.schema import RECORDS, FieldKind

__all__ = ["check_record_files", "load_known_numbers", "load_records"]


def check_record_files(path: Path, record: str, *, need_key: bool = False) -> list[Path]:
    """The Parquet files of ``record`` under ``path``, each checked for the required columns.

    Raises :class:`InputFileError` naming the file when it is not Parquet or lacks a column
    (with ``need_key``, also the record's id column: engines that do not derive ids need it).
    """
    spec = RECORDS[record]
    files = canonical_files(path, record)
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
        if need_key and spec.key and spec.key not in names:
            missing.append(spec.key)
        if missing:
            raise InputFileError(
                file,
                f"missing column(s) {', '.join(missing)} for {record}; found "
                f"{', '.join(sorted(names)) or 'none'}. "
                "Map them with `callwarden ingest --mapping`",
            )
    return files


def load_records(path: Path, record: str, *, allow_empty: bool = False) -> pl.DataFrame:
    """Read canonical ``record`` rows from a Parquet file or folder, checking the columns.

    Raises :class:`InputFileError` naming the file when it is not Parquet, lacks a required
    column, or (unless ``allow_empty``) holds no rows.
    """
    files = check_record_files(path, record)
    frame = read_canonical(path, record).collect()
    _check_present(files, frame, record)
    # One chunk per column, a column at a time (not two whole frames at once): the engines
    # add whole columns (codes, signals), and a frame whose columns are chunked differently
    # is copied whole by its next filter or gather.
    frame = pl.DataFrame([frame.drop_in_place(c).rechunk() for c in list(frame.columns)])
    if frame.height == 0 and not allow_empty:
        raise InputFileError(path, f"holds no {record} rows")
    return frame


def _check_present(files: list[Path], frame: pl.DataFrame, record: str) -> None:
    """Raise :class:`InputFileError` naming the file and row of the first row without one of
    the record's numbers or its time (a call with no caller cannot be scored; ``callwarden
    ingest`` quarantines such rows with their reason). Free when there is none: a column's
    null count is known without reading it."""
    spec = RECORDS[record]
    needed = [
        c for c in spec.required if spec.kinds.get(c) in (FieldKind.NUMBER, FieldKind.TIMESTAMP)
    ]
    counts = frame.select(pl.col(needed).null_count()).row(0) if needed else ()
    for column, missing in zip(needed, counts, strict=True):
        if not missing:
            continue
        at = int(frame[column].is_null().arg_true()[0])
        for file in files:  # (read in this order: the rows of each file one after another)
            rows = pq.read_metadata(file).num_rows
            if at < rows:
                break
            at -= rows
        raise InputFileError(
            file,
            f"{missing} {record} row(s) with no {column} (the first at row {at + 1}); every "
            f"{record} row needs {', '.join(needed)}. `callwarden ingest {file} --mapping "
            f"{record} --out DIR` keeps the others and quarantines these with their reason",
        )


_HONEST = ("normal", "legit_heavy")


def load_known_numbers(path: Path) -> pl.Series:
    """Known fraud numbers from a Parquet or CSV file (or folder) with an ``msisdn`` column.

    A file with a ``label`` column (labels, confirmed case outcomes) contributes only the rows
    whose label is a fraud type; alerts contribute every number they hold.
    """
    if not path.exists():
        raise InputFileError(path, "no such file or folder")
    files = canonical_files(path, "labels") if path.is_dir() else [path]
    frames = []
    for file in files:
        try:
            frame = pl.read_csv(file) if file.suffix.lower() == ".csv" else pl.read_parquet(file)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputFileError(file, f"cannot be read as a list of numbers ({exc})") from None
        if "msisdn" not in frame.columns:
            raise InputFileError(
                file, f"no msisdn column; found {', '.join(frame.columns) or 'none'}"
            )
        if "label" in frame.columns:
            frame = frame.filter(~pl.col("label").is_in(_HONEST))
        frames.append(frame.select(pl.col("msisdn").cast(pl.String)))
    if not frames:
        raise InputFileError(path, "no Parquet or CSV files in it")
    return pl.concat(frames)["msisdn"].drop_nulls().unique().sort()

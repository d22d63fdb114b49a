"""Streaming readers: CSV, Parquet (a file or a folder of them) and JSON Lines, in chunks.

A reader yields :class:`RawChunk` objects: a polars frame of the source columns as they are in
the file (text for CSV and JSON Lines, typed values for Parquet) with the row number of each row
in the :data:`ROW` column, plus the rows that could not even be split into columns (a CSV line
with the wrong number of fields, a line that is not a JSON object), already as quarantine
entries. Memory holds one chunk at a time, so files larger than memory work.

Row numbers are what a person would look for: the line number for CSV (the header is line 1,
as a spreadsheet shows it; a quoted value spanning lines counts as one) and for JSON Lines, the
1-based row index for Parquet.

Problems with the whole file (missing, empty, not in the format its name says, lacking the
columns the mapping needs) raise :class:`~callwarden.errors.InputFileError`.

>>> detect_format(Path("calls.csv.gz")), detect_format(Path("calls.ndjson"))
('csv', 'jsonl')
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from polars.exceptions import PanicException

from callwarden.errors import InputFileError
from callwarden.records.arrow_types import Coerced, check_types, coerce_batch
from callwarden.records.json_values import (
    Invalid,
    as_text,
    kind_of,
    maybe_nested,
    maybe_surrogate,
    parse_line,
    scalar_problem,
)
from callwarden.records.quarantine import Reason, empty_rejects

__all__ = [
    "ROW",
    "CsvReader",
    "JsonlReader",
    "ParquetReader",
    "RawChunk",
    "SourceReader",
    "detect_format",
    "open_source",
]

#: name of the row-number column added to every chunk
ROW = "__row__"
_BAD, _SAID = "__bad_text__", "__bad_text_said__"
_SAMPLE_BYTES = 1 << 20  # enough to sniff the header, check the encoding and estimate row size
_MIN_BLOCK = 1 << 20  # pyarrow needs every row to fit in one block
_MAX_BLOCK = 1 << 30
_PEEK_LINES = 1000  # JSON Lines: lines read up front to learn the keys
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_MAGIC = (
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\x1f\x8b", "gzip-compressed: name it with .gz at the end (calls.csv.gz)"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?): export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel or Office file: export it as CSV"),
    (b"SQLite format 3", "an SQLite database"),
)


@dataclass(frozen=True)
class RawChunk:
    """Rows read from one file: parsed rows in ``frame``, unsplittable ones in ``rejects``."""

    file: str
    file_index: int
    frame: pl.DataFrame
    rejects: pl.DataFrame

    @property
    def read(self) -> int:
        """How many source rows this chunk accounts for."""
        return self.frame.height + self.rejects.height


def detect_format(path: Path) -> str:
    """``csv``, ``parquet`` or ``jsonl`` from the name (a folder is Parquet); ``.gz`` is fine."""
    if path.is_dir():
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputFileError(
            path,
            f"cannot tell the format from the name ({''.join(path.suffixes) or 'no extension'}):"
            " name it .csv, .tsv, .parquet or .jsonl, or give the format explicitly",
        )
    return fmt


def open_source(
    path: Path, fmt: str | None = None, *, delimiter: str | None = None, encoding: str = "utf-8"
) -> SourceReader:
    """Open a source for chunked reading, checking what can be checked without reading it all.

    >>> open_source(Path("no/such/calls.csv"))
    Traceback (most recent call last):
    ...
    callwarden.errors.InputFileError: no/such/calls.csv: no such file or folder
    """
    if not path.exists():
        raise InputFileError(path, "no such file or folder")
    fmt = fmt or detect_format(path)
    if fmt == "parquet":
        return ParquetReader(path)
    if path.is_dir():
        raise InputFileError(
            path, f"is a folder: only Parquet can be read from a folder, not {fmt}"
        )
    if fmt == "csv":
        return CsvReader(path, delimiter=delimiter, encoding=encoding)
    if fmt == "jsonl":
        return JsonlReader(path, encoding=encoding)
    raise InputFileError(path, f"unknown format {fmt!r} (csv, parquet or jsonl)")


class SourceReader(ABC):
    """What ingest needs from a source, whatever its format."""

    path: Path

    @property
    @abstractmethod
    def columns(self) -> list[str]:
        """The source's column names (of its first file, for a folder)."""

    @abstractmethod
    def estimated_rows(self) -> int:
        """Rows in the source: exact for Parquet, estimated from the size for text formats."""

    @abstractmethod
    def chunks(self, chunk_rows: int, columns: Sequence[str]) -> Iterator[RawChunk]:
        """Yield chunks of at most ``chunk_rows`` rows holding the ``columns`` present."""

    def check_columns(self, required: Sequence[str], mapping: str = "the mapping") -> None:
        """Raise :class:`InputFileError` unless every ``required`` column is present."""
        _check_columns(self.path, self.columns, required, mapping)


def _check_columns(path: Path, found: Sequence[str], required: Sequence[str], mapping: str) -> None:
    missing = [c for c in required if c not in found]
    if not missing:
        return
    shown = ", ".join(found[:30]) + (f" and {len(found) - 30} more" if len(found) > 30 else "")
    if len(missing) == len(required):
        problem = f"none of the columns {mapping} needs ({', '.join(required)}) is in the file"
    else:
        problem = f"missing column(s) {', '.join(missing)} needed by {mapping}"
    raise InputFileError(
        path, f"{problem}; the file has: {shown or 'no columns'}. Is it the right mapping?"
    )


#: a line rejected while reading: row number, reason, field (if one), message, the line's text
_Bad = tuple[int, Reason, str | None, str, str]


def _rejects(bad: Sequence[_Bad]) -> pl.DataFrame:
    if not bad:
        return empty_rejects()
    return pl.DataFrame(
        {
            "row": pl.Series([b[0] for b in bad], dtype=pl.Int64),
            "reason": [b[1].value for b in bad],
            "field": pl.Series([b[2] for b in bad], dtype=pl.String),
            "message": [b[3] for b in bad],
            "raw": pl.Series([{"_line": b[4]} for b in bad], dtype=pl.Struct({"_line": pl.String})),
        }
    )


def _with_rows(frame: pl.DataFrame, rows: np.ndarray[Any, Any]) -> pl.DataFrame:
    return frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))


class CsvReader(SourceReader):
    """CSV or TSV, every column read as text so that validation sees the original."""

    def __init__(
        self, path: Path, *, delimiter: str | None = None, encoding: str = "utf-8"
    ) -> None:
        self.path = path
        self.encoding = encoding
        self._gzip = path.suffix.lower() == ".gz"
        size = path.stat().st_size
        if size == 0:
            raise InputFileError(path, "is empty (0 bytes)")
        with self._open() as fh:
            sample = fh.read(_SAMPLE_BYTES)
        self._check_text(sample)
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        text = text.removeprefix("\ufeff")
        lines = text.splitlines()
        header_line = lines[0] if lines else ""
        if not header_line.strip():
            raise InputFileError(path, "has no header line (the first line is blank)")
        if delimiter is None:
            delimiter = (
                "\t" if ".tsv" in [s.lower() for s in path.suffixes] else _sniff(header_line)
            )
        self.delimiter = delimiter
        self._header = next(csv.reader([header_line], delimiter=delimiter))
        dupes = sorted({c for c in self._header if self._header.count(c) > 1})
        if dupes:
            raise InputFileError(
                path, f"column name(s) {', '.join(dupes)} appear twice in the header"
            )
        whole_file_sampled = len(sample) < _SAMPLE_BYTES
        if whole_file_sampled and not any(line.strip() for line in lines[1:]):
            raise InputFileError(path, "has a header but no rows")
        self._row_bytes = max(len(sample) / max(len(lines), 1), 1.0)
        self._size = size

    def _open(self) -> IO[bytes]:
        return _open_binary(self.path, self._gzip)

    def _check_text(self, sample: bytes) -> None:
        for magic, what in _MAGIC:
            if sample.startswith(magic):
                raise InputFileError(self.path, f"is not a CSV text file: it is {what}")
        if b"\x00" in sample:
            raise InputFileError(self.path, "is not a CSV text file: it holds binary data")
        try:
            codecs.getincrementaldecoder(self.encoding)().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            hint = ' (Chinese exports are often GBK: set encoding = "gb18030" in the mapping)'
            raise InputFileError(
                self.path,
                f"is not {self.encoding} text: byte {sample[exc.start]:#04x} at offset {exc.start}"
                + (hint if self.encoding.lower().replace("-", "") == "utf8" else ""),
            ) from None

    @property
    def columns(self) -> list[str]:
        return list(self._header)

    def estimated_rows(self) -> int:
        if self._gzip:
            return 0  # the compressed size says little about the row count
        return max(int(self._size / self._row_bytes) - 1, 0)

    def chunks(self, chunk_rows: int, columns: Sequence[str]) -> Iterator[RawChunk]:
        wanted = [c for c in self._header if c in set(columns)]
        invalid: list[tuple[int, str, str]] = []  # (row number, message, line text)

        def on_invalid(row: Any) -> str:
            invalid.append(
                (
                    row.number,
                    f"row has {row.actual_columns} fields, header has {row.expected_columns}",
                    row.text,
                )
            )
            return "skip"

        block = int(min(max(chunk_rows * self._row_bytes * 1.2, _MIN_BLOCK), _MAX_BLOCK))
        stream = pa.input_stream(str(self.path), compression="gzip" if self._gzip else None)
        try:
            reader = pacsv.open_csv(
                stream,
                # One thread: pyarrow only numbers invalid rows when it parses in order.
                read_options=pacsv.ReadOptions(
                    block_size=block, use_threads=False, encoding=self.encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(self._header, pa.string()),
                    include_columns=wanted,
                    strings_can_be_null=False,
                ),
            )
            yield from self._chunks(reader, chunk_rows, invalid, wanted)
        except pa.ArrowInvalid as exc:
            raise InputFileError(self.path, f"cannot be read as CSV: {exc}") from None
        finally:
            stream.close()

    def _chunks(
        self,
        reader: pacsv.CSVStreamingReader,
        chunk_rows: int,
        invalid: list[tuple[int, str, str]],
        wanted_columns: list[str],
    ) -> Iterator[RawChunk]:
        done = 0  # valid rows so far
        emitted = 0  # invalid rows handed out (and dropped from ``invalid``): all before `done`
        path = str(self.path)
        for batch in reader:
            if batch.num_rows == 0:
                continue
            invalid.sort()
            # Where the k-th valid row sits among all rows: k plus the invalid rows before it,
            # that is the ones handed out already plus those pending that sort before it.
            bad_index = np.array([n - 2 for n, _, _ in invalid], dtype=np.int64)
            valid_before = bad_index - emitted - np.arange(len(bad_index))
            k = np.arange(done, done + batch.num_rows, dtype=np.int64)
            rows = k + emitted + np.searchsorted(valid_before, k, side="right") + 2
            done += batch.num_rows
            last_row = int(rows[-1])
            pending = [r for r in invalid if r[0] < last_row]
            del invalid[: len(pending)]
            emitted += len(pending)
            frame = _with_rows(_to_polars(batch), rows)
            for start in range(0, frame.height, chunk_rows):
                rejects = _invalid_rows(pending) if start == 0 else empty_rejects()
                yield RawChunk(path, 0, frame.slice(start, chunk_rows), rejects)
        invalid.sort()
        if invalid or done == 0:
            if done == 0 and not invalid:
                raise InputFileError(self.path, "has a header but no rows")
            yield RawChunk(path, 0, _empty_frame(wanted_columns), _invalid_rows(invalid))


def _invalid_rows(rows: list[tuple[int, str, str]]) -> pl.DataFrame:
    return _rejects(
        [(row, Reason.MALFORMED_ROW, None, message, text) for row, message, text in rows]
    )


def _empty_frame(columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(schema={**dict.fromkeys(columns, pl.String), ROW: pl.Int64})


def _to_polars(batch: pa.RecordBatch) -> pl.DataFrame:
    frame = pl.from_arrow(pa.Table.from_batches([batch]))
    assert isinstance(frame, pl.DataFrame)  # noqa: S101 (a table always converts to a frame)
    return frame


def _open_binary(path: Path, compressed: bool) -> IO[bytes]:
    if compressed:
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # GzipFile is IO[bytes]
    return path.open("rb")


def _sniff(header: str) -> str:
    """The delimiter of a header line: comma unless another candidate clearly dominates."""
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


class ParquetReader(SourceReader):
    """A Parquet file, or a folder of them (hive ``day=...`` folders are fine), typed as stored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self.files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in (".parquet", ".pq")
                and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not self.files:
                raise InputFileError(path, "is a folder with no .parquet files in it")
        else:
            if path.stat().st_size == 0:
                raise InputFileError(path, "is empty (0 bytes)")
            self.files = [path]
        self._first = self._open(self.files[0])
        self._rows = sum(self._open(f).metadata.num_rows for f in self.files)
        if self._rows == 0:
            raise InputFileError(path, "has no rows")

    @staticmethod
    def _open(file: Path) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(file)
        except (pa.ArrowException, OSError) as exc:
            raise InputFileError(file, f"is not a readable Parquet file ({exc})") from None

    @property
    def columns(self) -> list[str]:
        return list(self._first.schema_arrow.names)

    def estimated_rows(self) -> int:
        return int(self._rows)

    def chunks(self, chunk_rows: int, columns: Sequence[str]) -> Iterator[RawChunk]:
        required = [c for c in columns if c in self.columns]
        for index, file in enumerate(self.files):
            handle = self._first if index == 0 else self._open(file)
            present = handle.schema_arrow.names
            # Every file of a folder must have what the first one has; optional columns that
            # none has are simply absent.
            _check_columns(file, present, required, "the mapping (as the first file has them)")
            read = [c for c in columns if c in present]
            check_types(file, handle.schema_arrow, read)
            offset = 1
            try:
                for batch in handle.iter_batches(batch_size=chunk_rows, columns=read):
                    rows = np.arange(offset, offset + batch.num_rows, dtype=np.int64)
                    offset += batch.num_rows
                    yield _typed_chunk(str(file), index, coerce_batch(batch), rows)
            except (pa.ArrowException, OSError) as exc:
                raise InputFileError(file, f"cannot be read past row {offset - 1}: {exc}") from None


def _typed_chunk(file: str, index: int, coerced: Coerced, rows: np.ndarray[Any, Any]) -> RawChunk:
    """A chunk of Parquet rows; those holding bytes that are not UTF-8 go to ``rejects``."""
    frame = _with_rows(_to_polars(coerced.batch), rows)
    if not coerced.bad_text:
        return RawChunk(file, index, frame, empty_rejects())
    # Each bad row's first bad column, in column order, names the field and the value.
    masks = [(name, pl.lit(pl.Series(mask))) for name, mask in coerced.bad_text.items()]
    said = [
        pl.lit(f"{name} '") + pl.col(name).str.slice(0, 60) + "' is not UTF-8 text"
        for name, _ in masks
    ]
    marked = frame.with_columns(
        pl.coalesce(pl.when(mask).then(pl.lit(name)) for name, mask in masks).alias(_BAD),
        pl.coalesce(
            pl.when(mask).then(text) for (_, mask), text in zip(masks, said, strict=True)
        ).alias(_SAID),
    )
    sources = [c for c in frame.columns if c != ROW]
    rejects = marked.filter(pl.col(_BAD).is_not_null()).select(
        pl.col(ROW).alias("row"),
        pl.lit(Reason.BAD_TEXT.value).alias("reason"),
        pl.col(_BAD).alias("field"),
        pl.col(_SAID).alias("message"),
        pl.struct(pl.col(c).cast(pl.String) for c in sources).alias("raw"),
    )
    good = marked.filter(pl.col(_BAD).is_null()).drop(_BAD, _SAID)
    return RawChunk(file, index, good, rejects)


class JsonlReader(SourceReader):
    """JSON Lines: one object per line; a missing key is a null, a bad line is quarantined."""

    def __init__(self, path: Path, *, encoding: str = "utf-8") -> None:
        self.path = path
        self.encoding = encoding
        self._gzip = path.suffix.lower() == ".gz"
        self._size = path.stat().st_size
        if self._size == 0:
            raise InputFileError(path, "is empty (0 bytes)")
        keys: dict[str, None] = {}
        seen = objects = 0
        sampled = 0
        with self._open() as fh:
            for raw in fh:
                line = raw.decode(encoding, errors="replace").strip()
                if not line:
                    continue
                if seen == 0 and line.startswith("["):
                    raise InputFileError(
                        path,
                        "is a JSON array, not JSON Lines (one object per line): "
                        "convert it, e.g. with jq -c '.[]'",
                    )
                seen += 1
                sampled += len(raw)
                value = parse_line(line)
                if isinstance(value, dict):
                    objects += 1
                    keys.update(dict.fromkeys(value))
                if seen >= _PEEK_LINES:
                    break
        if seen == 0:
            raise InputFileError(path, "has no rows (only blank lines)")
        if objects == 0:
            raise InputFileError(
                path, f"is not JSON Lines: none of its first {seen} lines is a JSON object"
            )
        self._keys = list(keys)
        self._row_bytes = max(sampled / seen, 1.0)

    def _open(self) -> IO[bytes]:
        return _open_binary(self.path, self._gzip)

    @property
    def columns(self) -> list[str]:
        return list(self._keys)

    def estimated_rows(self) -> int:
        return 0 if self._gzip else int(self._size / self._row_bytes)

    def chunks(self, chunk_rows: int, columns: Sequence[str]) -> Iterator[RawChunk]:
        names = list(dict.fromkeys(columns))
        lines: list[bytes] = []
        numbers: list[int] = []
        with self._open() as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.strip()
                if not line:
                    continue
                lines.append(line)
                numbers.append(number)
                if len(lines) >= chunk_rows:
                    yield self._chunk(names, lines, numbers)
                    lines, numbers = [], []
        if lines:
            yield self._chunk(names, lines, numbers)

    def _chunk(self, names: list[str], lines: list[bytes], numbers: list[int]) -> RawChunk:
        path = str(self.path)
        rows = np.array(numbers, dtype=np.int64)
        data = b"\n".join(lines)
        if self.encoding.lower().replace("-", "") == "utf8" and not maybe_surrogate(data):
            # Fast path: polars parses the whole chunk at once and writes every value as text,
            # like as_text. Any bad line fails the chunk, which is then parsed line by line; so
            # does a value that may be a list or an object (see maybe_nested).
            try:
                frame = pl.read_ndjson(io.BytesIO(data), schema=dict.fromkeys(names, pl.String()))
            except (pl.exceptions.PolarsError, PanicException):
                pass
            else:
                if frame.height == len(lines) and not maybe_nested(frame):
                    return RawChunk(path, 0, _with_rows(frame, rows), empty_rejects())
        values: dict[str, list[str | None]] = {c: [] for c in names}
        good: list[int] = []
        bad: list[_Bad] = []
        for number, raw in zip(numbers, lines, strict=True):
            try:
                line = raw.decode(self.encoding)
            except UnicodeDecodeError:
                text = raw.decode(self.encoding, errors="replace")
                message = f"line is not {self.encoding} text"
                bad.append((number, Reason.INVALID_JSON, None, message, text))
                continue
            obj = parse_line(line)
            if not isinstance(obj, dict):
                what = obj.message if isinstance(obj, Invalid) else kind_of(line)
                message = f"line is not a JSON object ({what})"
                bad.append((number, Reason.INVALID_JSON, None, message, line))
                continue
            problem = scalar_problem(obj, names)
            if problem is not None:
                bad.append((number, *problem, line))
                continue
            good.append(number)
            for c in names:
                values[c].append(as_text(obj.get(c)))
        frame = pl.DataFrame({c: pl.Series(values[c], dtype=pl.String) for c in names})
        frame = _with_rows(frame, np.array(good, dtype=np.int64))
        return RawChunk(path, 0, frame, _rejects(bad))

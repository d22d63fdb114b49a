"""Reading the texts to train on or classify (TSV, CSV or Parquet with a ``text`` column), and
writing the predictions. A file that cannot be used is an
:class:`~callwarden.errors.InputFileError` naming the file and, where there is one, the row.

Canonical records that hold text are read as they are: ``transcripts`` (``call_id``,
``text``) and ``sms`` (``sms_id``, ``content``), as a Parquet file or a folder of them
(``data/transcripts``, as ``callwarden ingest`` writes it).

Rows are counted as a spreadsheet shows them: the header is row 1, the first text row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from callwarden.errors import InputFileError

__all__ = ["TextTable", "read_labelled", "read_texts"]

TEXT = "text"
LABEL = "label"
ID = "id"
#: where a file has no ``text`` column: the text column of SMS records
CONTENT = "content"
#: where a file has no ``id`` column: the keys of transcripts and SMS records, in this order
RECORD_IDS = ("call_id", "sms_id")


@dataclass(frozen=True)
class TextTable:
    """The columns callwarden reads from a text file, in file order (``None`` where absent).

    ``id_name`` is the column the ids came from (``id``, ``call_id`` or ``sms_id``).
    """

    texts: list[str]
    ids: list[str] | None
    labels: list[str] | None
    id_name: str = ID


def _decoded(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(path, "it is empty; give a header line with a 'text' column")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            path, f"row {row} is not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from exc


def _tsv(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    """Tab-separated, no quoting: a text may hold quotes; extra tabs belong to the last column."""
    lines = text.split("\n")
    header = [h.strip() for h in lines[0].rstrip("\r").split("\t")]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")  # noqa: PLW2901
        if not line and number == len(lines):
            break  # the file's final line break
        fields = line.split("\t", len(header) - 1)
        if len(fields) < len(header):
            raise InputFileError(
                path, f"row {number} has {len(fields)} tab-separated fields, the header "
                f"{len(header)}; a TSV needs one tab between columns"
            )  # fmt: skip
        rows.append(fields)
    return header, rows


def _csv(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        rows = []
        for fields in reader:
            if len(fields) != len(header) and fields:
                raise InputFileError(
                    path, f"row {reader.line_num} has {len(fields)} fields, the header "
                    f"{len(header)}; quote texts that hold commas"
                )  # fmt: skip
            rows.append(fields or [""] * len(header))
    except csv.Error as exc:
        raise InputFileError(path, f"row {reader.line_num}: {exc}") from exc
    return header, rows


def _parquet(path: Path) -> tuple[list[str], list[list[str]]]:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    if path.is_dir():  # a records folder: its Parquet parts (day partitions too), in name order
        parts = sorted(p for p in path.rglob("*.parquet") if p.is_file())
        if not parts:
            raise InputFileError(path, "a folder without Parquet files; give a file or a "
                                 "records folder such as data/transcripts")  # fmt: skip
        header, rows = _parquet(parts[0])
        for part in parts[1:]:
            more_header, more = _parquet(part)
            if more_header != header:
                raise InputFileError(part, f"columns {more_header}, not {header} as in {parts[0]}")
            rows += more
        return header, rows
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(path, f"not a readable Parquet file ({exc})") from exc
    header = table.column_names
    columns = []
    for name in header:
        try:
            columns.append(table.column(name).cast(pa.string()).to_pylist())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputFileError(path, f"column {name!r} is not text ({exc})") from exc
    return header, [list(row) for row in zip(*columns, strict=True)]


def _table(path: Path, needed: tuple[str, ...]) -> TextTable:
    suffix = path.suffix.lower()
    if suffix == ".parquet" or path.is_dir():
        header, rows = _parquet(path)
    elif suffix == ".csv":
        header, rows = _csv(path, _decoded(path))
    else:  # .tsv, .txt, anything else: the training format
        header, rows = _tsv(path, _decoded(path))
    text_name = TEXT if TEXT in header or LABEL in needed or CONTENT not in header else CONTENT
    missing = [c for c in needed if c not in header and not (c == TEXT and text_name == CONTENT)]
    if missing:
        shown = ", ".join(header[:8]) or "none"
        raise InputFileError(
            path, f"no {' or '.join(repr(m) for m in missing)} column (columns: {shown}); "
            f"the first line must name the columns ({', '.join(needed)})"
        )  # fmt: skip
    if not rows:
        raise InputFileError(path, "it has a header but no rows")

    def column(name: str) -> list[str] | None:
        if name not in header:
            return None
        at = header.index(name)
        return ["" if row[at] is None else row[at] for row in rows]

    id_name = next((c for c in (ID, *RECORD_IDS) if c in header), ID)
    return TextTable(
        texts=column(text_name) or [], ids=column(id_name), labels=column(LABEL), id_name=id_name
    )


def read_texts(path: Path) -> TextTable:
    """The ``text`` column (and ``id``, ``label`` when present) of a TSV, CSV or Parquet file,
    or of a folder of Parquet files; SMS records' ``content`` where there is no ``text``, and
    ``call_id`` or ``sms_id`` where there is no ``id``."""
    return _table(path, (TEXT,))


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Labels and texts to train on (``label`` and ``text`` columns); a row without a label
    is named."""
    table = _table(path, (LABEL, TEXT))
    labels = table.labels or []
    for number, label in enumerate(labels, start=2):
        if not label.strip():
            raise InputFileError(path, f"row {number} has no label")
    return labels, table.texts

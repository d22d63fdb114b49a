"""Complaint files in (CSV or TSV, a 12321 export or a hotline's log): each row filed, or
quarantined with its reason.

Columns are found by their header, in English or as 12321 exports name them (被举报号码, 举报类型,
来电时间, 举报人, 举报编号, 举报内容); columns it does not know are left alone. A file with no
header is read in the order ``msisdn,category[,called_at[,reporter[,external_id[,text]]]]``.
A call time without a zone is the operator's local time (``2026-07-08 14:23``). A row without a
category but with the complainant's words (``text``, 举报内容) takes the category the words
read as (``callwarden.content``: "民警说我的账户涉嫌洗钱" is fraud); where they read as none, the
row is quarantined. Counts add up: ``read == accepted + quarantined``.

>>> columns(["被举报号码", "举报类型", "来电时间", "处理状态"])
{'msisdn': 0, 'category': 1, 'called_at': 2}
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from callwarden.errors import CaseError, InputFileError
from callwarden.reputation.complaints import ComplaintIn, Filer, file_one
from callwarden.reputation.importer import ImportCounts, Quarantined

__all__ = ["ComplaintRows", "columns", "import_complaints", "read_complaints"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "msisdn": (
        "msisdn",
        "number",
        "caller",
        "号码",
        "被举报号码",
        "举报号码",
        "来电号码",
        "主叫号码",
    ),
    "category": ("category", "type", "类别", "类型", "分类", "举报类型", "举报类别"),
    "called_at": ("called_at", "call_time", "time", "来电时间", "呼叫时间", "通话时间", "时间"),
    "reporter": ("reporter", "complainant", "举报人", "举报人号码", "投诉人"),
    "external_id": ("external_id", "id", "ticket", "编号", "举报编号", "工单号"),
    "text": ("text", "content", "description", "内容", "举报内容", "描述"),
}
_ORDER = ("msisdn", "category", "called_at", "reporter", "external_id", "text")
#: rows flushed and let go at a time, so an import of millions holds a bounded session
_BATCH = 1000


def columns(header: list[str]) -> dict[str, int]:
    """Where each known column is in a header row (an empty dict: it is no header)."""
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = cell.strip().lstrip("\ufeff").lower()
        for field, aliases in _ALIASES.items():
            if name in aliases and field not in found:
                found[field] = i
    return found


@dataclass
class ComplaintRows:
    """A file's data rows (line number and cells), and where each field is in them."""

    path: Path
    fields: dict[str, int]
    #: how many cells a row has (the header's); a longer row has cells nobody named
    width: int
    rows: Iterator[tuple[int, list[str]]]


def _delimiter(path: Path, first: str) -> str:
    return "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in first else ","


def read_complaints(path: Path) -> ComplaintRows:
    """Open a complaint file: find its delimiter and columns; the rows come as they are read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the complaints ({exc})") from None
    delimiter = _delimiter(path, first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    fields = columns(header)
    if fields and ("msisdn" not in fields or not {"category", "text"} & set(fields)):
        raise InputFileError(
            path,
            f"the header names no {'msisdn' if 'msisdn' not in fields else 'category'} "
            "column (e.g. msisdn or 被举报号码, category or 举报类型, or the complaint's "
            "text, 举报内容, to read the category from)",
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for line, row in enumerate(csv.reader(fh, delimiter=delimiter), start=1):
                    if (line == 1 and fields) or not any(cell.strip() for cell in row):
                        continue
                    yield line, row
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InputFileError(path, f"cannot read the complaints ({exc})") from None

    if fields:
        return ComplaintRows(path, fields, len(header), rows())
    return ComplaintRows(path, {f: i for i, f in enumerate(_ORDER)}, len(_ORDER), rows())


def _when(text: str, zone: ZoneInfo) -> datetime:
    """A call time as written: ISO 8601, ``/`` or ``-`` between the date's parts; local
    (``zone``) when it names no zone. A date alone is refused: the hour matters."""
    value = text.strip().replace("/", "-")
    if len(value) <= 10:
        raise ValueError(f"{text!r} has no time of day; give a date and time")
    when = datetime.fromisoformat(value)
    return when.replace(tzinfo=zone) if when.tzinfo is None else when


def _complaint(cells: list[str], rows: ComplaintRows, zone: ZoneInfo) -> ComplaintIn | str:
    """The row as a complaint, or why it cannot be one (``field: what is wrong``)."""
    fields, width = rows.fields, rows.width
    if len(cells) > width and not _trailing_empty(cells, width):
        return f"{len(cells)} columns; the file's rows have {width}"
    values: dict[str, Any] = {}
    for field, i in fields.items():
        cell = cells[i].strip() if i < len(cells) else ""
        if cell:
            values[field] = cell
    if "category" not in values and "text" in values:
        from callwarden.content.service import category_of_text  # noqa: PLC0415  # model load

        read = category_of_text(values["text"])
        if read is None:
            return "category: not given, and the text reads as no complaint category"
        values["category"] = read
    if "called_at" in values:
        try:
            values["called_at"] = _when(values["called_at"], zone)
        except ValueError as exc:
            return f"called_at: {exc}"
    try:
        return ComplaintIn.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _trailing_empty(cells: list[str], width: int) -> bool:
    return not any(c.strip() for c in cells[width:])


def import_complaints(
    s: Session,
    rows: ComplaintRows,
    filer: Filer,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[ImportCounts, list[Quarantined]]:
    """File every good row in ``s``; the counts and the quarantined rows."""
    read, accepted, bad = 0, 0, []
    for line, cells in rows.rows:
        read += 1
        checked = _complaint(cells, rows, zone)
        if isinstance(checked, str):
            bad.append(Quarantined(line, tuple(cells), checked))
            continue
        try:
            file_one(s, checked, filer, now, zone)
        except CaseError as exc:  # checked before anything is written: nothing to undo
            reason = str(exc)
            if exc.field and not reason.startswith(exc.field):
                reason = f"{exc.field}: {reason}"
            bad.append(Quarantined(line, tuple(cells), reason))
            continue
        accepted += 1
        if accepted % _BATCH == 0:
            s.flush()
            s.expunge_all()
    return ImportCounts(read, accepted, len(bad)), bad

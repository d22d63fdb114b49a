"""The embedded stream: records from a file (or stdin) through the same engine, no broker.

``callwarden stream --from-file`` reads canonical Parquet (a file or folder) in event-time order,
or JSON Lines of wire-format records (``-`` for stdin, as ``callwarden replay`` would publish
them) in the order they come, and pushes each through :class:`StreamEngine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from callwarden.features.online import replay_order
from callwarden.records.load import load_records
from callwarden.stream.codec import BadRecord, decode
from callwarden.stream.engine import Quarantined, StreamEngine

__all__ = ["jsonl_records", "parquet_records", "run_records"]


def parquet_records(calls: Path, sms: Path | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Canonical Parquet records in event-time order (the order a live stream delivers)."""
    call_frame = load_records(calls, "calls")
    sms_frame = load_records(sms, "sms", allow_empty=True) if sms is not None else None
    for kind, row in replay_order(call_frame, sms_frame):
        yield kind, {k: v for k, v in row.items() if not k.startswith("_")}


def jsonl_records(
    fh: TextIO, bad: list[Quarantined], source: str = "-"
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Wire-format records, one JSON object a line; bad lines are kept in ``bad`` with a reason."""
    for n, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            yield decode(line.encode())
        except BadRecord as exc:
            bad.append(Quarantined("?", {"line": line.rstrip("\n")}, f"{source}:{n}: {exc}"))


def run_records(
    engine: StreamEngine, records: Iterator[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Push every record, then flush; the alerts in the order they were raised."""
    alerts: list[dict[str, Any]] = []
    for kind, record in records:
        alerts += engine.push(kind, record)
    alerts += engine.flush()
    return alerts

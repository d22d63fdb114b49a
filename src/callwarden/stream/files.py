"""The embedded stream: records from a file (or stdin) through the same engine, no broker.

``callwarden stream --from-file`` reads canonical Parquet (a file or folder) in event-time order,
or JSON Lines of wire-format records (``-`` for stdin, as ``callwarden replay`` would publish
them) in the order they come, and pushes them through :class:`StreamEngine` in batches, as a
broker consumer does with each fetch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from callwarden.records.batch import in_record_order, record_batch
from callwarden.records.load import load_records
from callwarden.stream.codec import BadRecord, decode
from callwarden.stream.engine import Quarantined, StreamEngine

__all__ = ["jsonl_records", "parquet_frames", "parquet_records", "run_frames", "run_records"]


def parquet_records(calls: Path, sms: Path | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Canonical Parquet records in event-time order (the order a live stream delivers)."""
    call_frame = load_records(calls, "calls")
    sms_frame = load_records(sms, "sms", allow_empty=True) if sms is not None else None
    for kind, row in in_record_order(call_frame, sms_frame):
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


def parquet_frames(calls: Path, sms: Path | None, chunk: int = 20_000) -> Iterator[pl.DataFrame]:
    """Canonical Parquet as record batches of ``chunk`` records, in event-time order."""
    call_frame = load_records(calls, "calls")
    sms_frame = load_records(sms, "sms", allow_empty=True) if sms is not None else None
    records = record_batch(call_frame, sms_frame)
    for start in range(0, records.height, chunk):
        yield records.slice(start, chunk)


def run_frames(engine: StreamEngine, frames: Iterable[pl.DataFrame]) -> list[dict[str, Any]]:
    """Push every record batch, then flush; the alerts in the order they were raised."""
    alerts: list[dict[str, Any]] = []
    for frame in frames:
        alerts += engine.push_frame(frame)
    alerts += engine.flush()
    return alerts


def run_records(
    engine: StreamEngine, records: Iterator[tuple[str, dict[str, Any]]], chunk: int = 5_000
) -> list[dict[str, Any]]:
    """Push records ``chunk`` at a time, then flush; the alerts in the order they were raised."""
    alerts: list[dict[str, Any]] = []
    batch: list[tuple[str, dict[str, Any]]] = []
    for item in records:
        batch.append(item)
        if len(batch) >= chunk:
            alerts += engine.push_many(batch)
            batch = []
    alerts += engine.push_many(batch)
    alerts += engine.flush()
    return alerts

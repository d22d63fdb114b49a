"""Write and read alerts: Parquet (canonical) or CSV (reasons as JSON text)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from callwarden.errors import InputFileError
from callwarden.records.schema import ALERTS

__all__ = ["alert_id", "alerts_from_rows", "read_alerts", "write_alerts"]


def alert_id(msisdn: str, flagged_at: datetime, decision: str) -> str:
    """Stable id of an alert: the same alert from batch, stream or a retry is one alert.

    >>> alert_id("+8613800000001", datetime(2026, 7, 8, 10, tzinfo=UTC), "suspend")
    '3db6b02beba6b3de9b5031b54de3e7df'
    """
    key = f"{msisdn}|{flagged_at.astimezone(UTC).isoformat()}|{decision}"
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def alerts_from_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Alert rows (dicts with the canonical columns) as an alerts table, empty included."""
    frame = pl.from_arrow(pa.Table.from_pylist(rows, schema=ALERTS.schema))
    assert isinstance(frame, pl.DataFrame)  # noqa: S101  (a Table converts to a DataFrame)
    return frame


def write_alerts(alerts: pl.DataFrame, path: Path) -> None:
    """Parquet unless the name ends in .csv; CSV holds the reasons list as JSON text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        text = alerts.with_columns(
            flagged_at=pl.col("flagged_at").dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ"),
            reasons=pl.col("reasons").map_elements(
                lambda rs: json.dumps(list(rs), ensure_ascii=False), return_dtype=pl.String
            ),
        )
        text.write_csv(path)
    else:
        alerts.write_parquet(path)


def read_alerts(path: Path) -> pl.DataFrame:
    """Alerts written by :func:`write_alerts` (or any file with the canonical columns)."""
    if not path.exists():
        raise InputFileError(path, "no such file")
    try:
        if path.suffix.lower() == ".csv":
            frame = pl.read_csv(path, infer_schema_length=0).with_columns(
                flagged_at=pl.col("flagged_at").str.to_datetime(time_zone="UTC", time_unit="us"),
                score=pl.col("score").cast(pl.Float64),
            )
        else:
            frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputFileError(path, f"cannot be read as alerts ({exc})") from None
    missing = [c for c in ("msisdn", "flagged_at", "score", "decision") if c not in frame.columns]
    if missing:
        raise InputFileError(
            path,
            f"missing alert column(s) {', '.join(missing)}; expected {', '.join(ALERTS.columns)}",
        )
    return frame

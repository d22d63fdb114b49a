"""Write and read alerts: Parquet (canonical, typed) or CSV (for people).

A CSV gives ``flagged_at`` in local time with its offset (``2026-07-08T18:04:00+08:00``,
the settings' time zone) and the reasons as text columns, one reason a line in the cell:
``reason_codes`` (``relay_call (0.82)``: code and weight), ``reasons_zh`` and ``reasons_en``.
Reading a CSV back takes this form and the older one (UTC ``...Z`` times, the reasons list as
JSON in one ``reasons`` column); either way the reasons come back as that JSON text.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from callwarden.errors import InputFileError
from callwarden.records.schema import ALERTS

__all__ = ["alert_id", "alerts_from_rows", "read_alerts", "readable_alerts", "write_alerts"]


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


def write_alerts(alerts: pl.DataFrame, path: Path, *, timezone: str | None = None) -> None:
    """Parquet unless the name ends in .csv; a CSV has local times (``timezone``, by default
    the settings') and the reasons as text columns (see the module's notes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        if timezone is None:
            from callwarden.config import Settings  # noqa: PLC0415  (only for CSV)

            timezone = Settings().timezone
        readable_alerts(alerts, timezone).write_csv(path)
    else:
        alerts.write_parquet(path)


def _lines(reasons: Any, field: str) -> str:
    return "\n".join(str(r.get(field) or "") for r in reasons or [])


def _codes(reasons: Any) -> str:
    out = []
    for r in reasons or []:
        weight = r.get("weight")
        out.append(f"{r.get('code')} ({weight:.2f})" if weight is not None else str(r.get("code")))
    return "\n".join(out)


def readable_alerts(alerts: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """The alerts as a CSV shows them: local time with its offset, reasons as text.

    >>> from callwarden.config import DEFAULT_TIMEZONE
    >>> at = datetime(2026, 7, 8, 10, 4, tzinfo=UTC)
    >>> reasons = [{"code": "relay_call", "weight": 0.82, "text_zh": "中转", "text_en": "relay",
    ...             "evidence": "{}"}]
    >>> row = readable_alerts(alerts_from_rows([{"msisdn": "+8613800000001", "flagged_at": at,
    ...     "score": 0.9, "decision": "restrict", "reasons": reasons}]), DEFAULT_TIMEZONE).row(0)
    >>> row[1], row[4:]
    ('2026-07-08T18:04:00+08:00', ('relay_call (0.82)', '中转', 'relay'))
    """
    reasons = alerts["reasons"].to_list() if "reasons" in alerts.columns else []
    local = pl.col("flagged_at").dt.convert_time_zone(timezone)
    return alerts.select(
        "msisdn",
        flagged_at=local.dt.to_string("%Y-%m-%dT%H:%M:%S%.f%:z"),  # exact: the alert id
        score="score",
        decision="decision",
        reason_codes=pl.Series([_codes(r) for r in reasons], dtype=pl.String),
        reasons_zh=pl.Series([_lines(r, "text_zh") for r in reasons], dtype=pl.String),
        reasons_en=pl.Series([_lines(r, "text_en") for r in reasons], dtype=pl.String),
    )


_WEIGHTED = re.compile(r"^(?P<code>.*) \((?P<weight>[0-9.]+)\)$")


def _reasons_json(codes: str | None, zh: str | None, en: str | None) -> str:
    """The reasons of a readable CSV row, as the JSON text of the older form."""
    code_lines = (codes or "").split("\n") if codes else []
    zh_lines, en_lines = (zh or "").split("\n"), (en or "").split("\n")
    reasons = []
    for i, line in enumerate(code_lines):
        m = _WEIGHTED.match(line)
        reason: dict[str, Any] = {"code": m["code"] if m else line}
        if m:
            reason["weight"] = float(m["weight"])
        reason["text_zh"] = zh_lines[i] if i < len(zh_lines) else ""
        reason["text_en"] = en_lines[i] if i < len(en_lines) else ""
        reasons.append(reason)
    return json.dumps(reasons, ensure_ascii=False)


def _read_csv(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema_length=0)
    if "flagged_at" in frame.columns:
        frame = frame.with_columns(
            flagged_at=pl.col("flagged_at")
            .str.replace(r"Z$", "+00:00")
            .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", time_unit="us")
        )
    if "score" in frame.columns:
        frame = frame.with_columns(score=pl.col("score").cast(pl.Float64))
    if "reasons" not in frame.columns and "reason_codes" in frame.columns:
        texts = [
            _reasons_json(c, z, e)
            for c, z, e in zip(
                frame["reason_codes"],
                frame.get_column("reasons_zh", default=pl.Series([None] * frame.height)),
                frame.get_column("reasons_en", default=pl.Series([None] * frame.height)),
                strict=True,
            )
        ]
        frame = frame.drop("reason_codes", "reasons_zh", "reasons_en", strict=False)
        frame = frame.with_columns(reasons=pl.Series(texts, dtype=pl.String))
    return frame


def read_alerts(path: Path) -> pl.DataFrame:
    """Alerts written by :func:`write_alerts` (or any file with the canonical columns)."""
    if not path.exists():
        raise InputFileError(path, "no such file")
    try:
        frame = _read_csv(path) if path.suffix.lower() == ".csv" else pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputFileError(path, f"cannot be read as alerts ({exc})") from None
    missing = [c for c in ("msisdn", "flagged_at", "score", "decision") if c not in frame.columns]
    if missing:
        raise InputFileError(
            path,
            f"missing alert column(s) {', '.join(missing)}; expected {', '.join(ALERTS.columns)}",
        )
    return frame

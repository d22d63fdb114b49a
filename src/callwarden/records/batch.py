"""The record batch: calls and SMS as one Arrow-friendly frame, one row a record, in record order.

What the live feature engines take (``update``), what the stream's wire carries (stream/codec.py)
and how recorded traffic is replayed through the live path. Record order is
:data:`~callwarden.features.spec.RECORD_ORDER`: calls by ``(start_time, call_id)``, SMS by
``(sent_time, sms_id)``, merged by the millisecond with calls first.

>>> import datetime as dt
>>> t = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> calls = pl.DataFrame({"call_id": ["c1"], "caller": ["+8613800000001"],
...     "callee": ["+8613900000000"], "start_time": [t], "duration_s": [0], "ring_s": [20],
...     "caller_cell": ["C1"], "caller_imei": ["1"]})
>>> sms = pl.DataFrame({"sms_id": ["s1"], "sender": ["+8613800000002"],
...     "recipient": ["+8613900000000"], "sent_time": [t], "length": [70]})
>>> record_batch(calls, sms)["id"].to_list()  # calls first within a millisecond
['c1', 's1']
>>> [kind for kind, _ in in_record_order(calls, sms)]
['call', 'sms']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from callwarden.features.spec import CALL_ORDER, RECORD_CALL, RECORD_SMS, SMS_ORDER

__all__ = ["RECORD_SCHEMA", "batch_of", "in_record_order", "record_batch", "record_of"]

#: the columns of a record batch (calls and SMS, one row each, in processing order)
RECORD_SCHEMA: dict[str, Any] = {
    "kind": pl.Int8,  # 0 call, 1 SMS
    "actor": pl.String,  # caller or sender
    "other": pl.String,  # callee or recipient
    "time": pl.Datetime("us", "UTC"),
    "duration_s": pl.Int64,  # 0 for SMS
    "ring_s": pl.Int64,  # -1 unknown
    "cell": pl.String,
    "imei": pl.String,
    "flag": pl.String,  # the call's caller_flag (records/schema.py NUMBER_FLAGS), null for none
    # not features, carried so that a record can be given back whole (the stream's quarantine)
    "id": pl.String,  # call_id or sms_id
    "length": pl.Int64,  # SMS only
    "content": pl.String,  # SMS only
    "trunk": pl.String,  # the call's ingress trunk, null unknown
}


def record_batch(calls: pl.DataFrame | None, sms: pl.DataFrame | None = None) -> pl.DataFrame:
    """Canonical calls and SMS as one record batch in record order (``RECORD_ORDER``)."""
    parts = []
    if calls is not None and calls.height:
        c = calls.sort(*CALL_ORDER)
        parts.append(
            c.select(
                kind=pl.lit(RECORD_CALL, pl.Int8),
                actor=pl.col("caller").cast(pl.String),
                other=pl.col("callee").cast(pl.String),
                time=pl.col("start_time").cast(RECORD_SCHEMA["time"]),
                duration_s=pl.col("duration_s").fill_null(0).cast(pl.Int64),
                ring_s=pl.col("ring_s").fill_null(-1).cast(pl.Int64),
                cell=pl.col("caller_cell").cast(pl.String),
                imei=pl.col("caller_imei").cast(pl.String),
                flag=_optional(c, "caller_flag"),
                id=pl.col("call_id").cast(pl.String),
                length=pl.lit(None, pl.Int64),
                content=pl.lit(None, pl.String),
                trunk=_optional(c, "trunk"),
            )
        )
    if sms is not None and sms.height:
        s = sms.sort(*SMS_ORDER)
        parts.append(
            s.select(
                kind=pl.lit(RECORD_SMS, pl.Int8),
                actor=pl.col("sender").cast(pl.String),
                other=pl.col("recipient").cast(pl.String),
                time=pl.col("sent_time").cast(RECORD_SCHEMA["time"]),
                duration_s=pl.lit(0, pl.Int64),
                ring_s=pl.lit(-1, pl.Int64),
                cell=pl.lit(None, pl.String),
                imei=pl.lit(None, pl.String),
                flag=pl.lit(None, pl.String),
                id=pl.col("sms_id").cast(pl.String),
                length=pl.col("length").cast(pl.Int64),
                content=(
                    pl.col("content").cast(pl.String)
                    if "content" in s.columns
                    else pl.lit(None, pl.String)
                ),
                trunk=pl.lit(None, pl.String),
            )
        )
    if not parts:
        return pl.DataFrame(schema=RECORD_SCHEMA)
    if len(parts) == 1:
        return parts[0]
    both = pl.concat([p.with_row_index("_i") for p in parts])
    return both.sort(pl.col("time").dt.epoch("ms"), "kind", "_i").drop("_i")


def _optional(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A nullable text column of the calls, all null where the input lacks it (older files)."""
    return pl.col(name).cast(pl.String) if name in frame.columns else pl.lit(None, pl.String)


def batch_of(records: list[tuple[str, dict[str, Any]]]) -> pl.DataFrame:
    """A record batch from canonical records as dictionaries (``("call" | "sms", record)``),
    in the order given (the caller's processing order)."""
    cols: dict[str, list[Any]] = {name: [] for name in RECORD_SCHEMA}
    kind, actor, other, time = cols["kind"], cols["actor"], cols["other"], cols["time"]
    duration, ring, cell, imei = cols["duration_s"], cols["ring_s"], cols["cell"], cols["imei"]
    ids, length, content = cols["id"], cols["length"], cols["content"]
    flag, trunk = cols["flag"], cols["trunk"]
    for k, r in records:
        if k == "call":
            kind.append(RECORD_CALL)
            actor.append(r["caller"])
            other.append(r["callee"])
            time.append(r["start_time"])
            duration.append(r.get("duration_s") or 0)
            ring.append(-1 if r.get("ring_s") is None else r["ring_s"])
            cell.append(r.get("caller_cell"))
            imei.append(r.get("caller_imei"))
            flag.append(r.get("caller_flag"))
            trunk.append(r.get("trunk"))
            ids.append(r.get("call_id"))
            length.append(None)
            content.append(None)
        else:
            kind.append(RECORD_SMS)
            actor.append(r["sender"])
            other.append(r["recipient"])
            time.append(r["sent_time"])
            duration.append(0)
            ring.append(-1)
            cell.append(None)
            imei.append(None)
            flag.append(None)
            trunk.append(None)
            ids.append(r.get("sms_id"))
            length.append(r.get("length"))
            content.append(r.get("content"))
    return pl.DataFrame(cols, schema=RECORD_SCHEMA)


def record_of(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A row of a record batch back to ``(kind, canonical record)``; a call's ``caller_flag``
    and ``trunk`` only when it has them (as calls from files without those columns)."""
    if row["kind"] == RECORD_CALL:
        call = {
            "call_id": row["id"], "caller": row["actor"], "callee": row["other"],
            "start_time": row["time"], "duration_s": row["duration_s"],
            "ring_s": None if row["ring_s"] < 0 else row["ring_s"],
            "caller_cell": row["cell"], "caller_imei": row["imei"],
        }  # fmt: skip
        for key, column in (("caller_flag", "flag"), ("trunk", "trunk")):
            if row.get(column) is not None:
                call[key] = row[column]
        return "call", call
    return "sms", {
        "sms_id": row["id"], "sender": row["actor"], "recipient": row["other"],
        "sent_time": row["time"], "length": row["length"], "content": row["content"],
    }  # fmt: skip


def in_record_order(
    calls: pl.DataFrame, sms: pl.DataFrame | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Canonical records, every column kept, as ``(kind, record)`` in record order."""
    c = calls.sort(*CALL_ORDER).with_columns(
        _t=pl.col(CALL_ORDER[0]).dt.epoch("ms"),
        _k=pl.lit(RECORD_CALL),
        _i=pl.int_range(pl.len()),
    )
    rows = [("call", r) for r in c.iter_rows(named=True)]
    if sms is not None and sms.height:
        s = sms.sort(*SMS_ORDER).with_columns(
            _t=pl.col(SMS_ORDER[0]).dt.epoch("ms"),
            _k=pl.lit(RECORD_SMS),
            _i=pl.int_range(pl.len()),
        )
        rows += [("sms", r) for r in s.iter_rows(named=True)]
        rows.sort(key=lambda kr: (kr[1]["_t"], kr[1]["_k"], kr[1]["_i"]))
    for kind, row in rows:
        for helper in ("_t", "_k", "_i"):
            del row[helper]
        yield kind, row

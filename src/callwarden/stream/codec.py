"""Records and alerts on the wire: canonical records as JSON, or record batches as Arrow.

A message holds one record (a JSON object, times in ISO 8601 UTC), several (JSON Lines, one
object a line: what ``callwarden replay --per-message N`` publishes, so that the broker carries
a few large messages instead of many small ones), or a record batch in the Arrow IPC stream
format (``--wire arrow``: the columns of
:data:`~callwarden.records.batch.RECORD_SCHEMA`, read without a Python object per
record; :func:`encode_arrow`, :func:`decode_arrow`).

A message that is not a valid canonical record is not dropped: :func:`decode` raises
:class:`BadRecord` naming the field, and the consumer sends it to the quarantine subject.

>>> import datetime as dt
>>> rec = {"call_id": "c1", "caller": "+8613800000001", "callee": "+8613900000001",
...        "start_time": dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC), "duration_s": 30,
...        "ring_s": None, "caller_cell": None, "caller_imei": None}
>>> decode(encode("call", rec)) == ("call", rec)
True
>>> decode(b'{"kind": "call", "caller": "13800000001"}')
Traceback (most recent call last):
...
callwarden.stream.codec.BadRecord: call_id: missing
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.errors import CallwardenError
from callwarden.features.spec import RECORD_CALL, RECORD_SMS
from callwarden.records.arrow_text import e164_valid
from callwarden.records.batch import RECORD_SCHEMA, batch_of, record_of

__all__ = [
    "BadRecord",
    "decode",
    "decode_arrow",
    "decode_batch",
    "decode_lines",
    "encode",
    "encode_alert",
    "encode_arrow",
    "encode_lines",
]

_E164 = re.compile(r"\+[1-9][0-9]{4,17}")
_FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    # (field, type, required)
    "call": (
        ("call_id", "str", True),
        ("caller", "number", True),
        ("callee", "number", True),
        ("start_time", "time", True),
        ("duration_s", "int", True),
        ("ring_s", "int", False),
        ("caller_cell", "str", False),
        ("caller_imei", "str", False),
        ("caller_flag", "str", False),
        ("trunk", "str", False),
    ),
    "sms": (
        ("sms_id", "str", True),
        ("sender", "number", True),
        ("recipient", "number", True),
        ("sent_time", "time", True),
        ("length", "int", True),
        ("content", "str", False),
    ),
}


#: fields written only when set, and decoded only when there: records from sources without
#: them (older producers, files without the columns) read back exactly as they were
_WHEN_SET = frozenset({"caller_flag", "trunk"})
#: record-batch columns an Arrow body from an older producer may lack (all null then)
_ARROW_OPTIONAL = ("flag", "trunk")


class BadRecord(CallwardenError):
    """A message that is not a canonical record; the text names the field."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def encode(kind: str, record: dict[str, Any]) -> bytes:
    """One record as a message body."""
    body = {"kind": kind} | {
        f: _plain(record.get(f))
        for f, _, _ in _FIELDS[kind]
        if f not in _WHEN_SET or record.get(f) is not None
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _check(name: str, kind: str, value: Any) -> Any:
    if kind == "time":
        if not isinstance(value, str):
            raise BadRecord(f"{name}: not an ISO 8601 time")
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise BadRecord(f"{name}: not an ISO 8601 time: {value!r}") from None
        if at.tzinfo is None:
            raise BadRecord(f"{name}: has no time zone: {value!r}")
        return at.astimezone(UTC)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BadRecord(f"{name}: not a whole number >= 0: {value!r}")
        return value
    if not isinstance(value, str):
        raise BadRecord(f"{name}: not a string: {value!r}")
    if kind == "number" and not _E164.fullmatch(value):
        raise BadRecord(f"{name}: not an E.164 number: {value!r}")
    return value


def decode(data: bytes) -> tuple[str, dict[str, Any]]:
    """A message body back to ``(kind, record)``; :class:`BadRecord` when it is not one."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRecord("not JSON") from None
    if not isinstance(body, dict):
        raise BadRecord("not a JSON object")
    kind = body.get("kind")
    if kind not in _FIELDS:
        raise BadRecord(f"kind: must be call or sms, not {kind!r}")
    record: dict[str, Any] = {}
    for name, typ, required in _FIELDS[kind]:
        value = body.get(name)
        if value is None:
            if required:
                raise BadRecord(f"{name}: missing")
            if name not in _WHEN_SET:
                record[name] = None
            continue
        record[name] = _check(name, typ, value)
    return kind, record


def encode_lines(records: list[tuple[str, dict[str, Any]]]) -> bytes:
    """Several records as one message body, one JSON object a line.

    >>> import datetime as dt
    >>> rec = {"sms_id": "s1", "sender": "+8613800000001", "recipient": "+8613900000001",
    ...        "sent_time": dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC), "length": 20,
    ...        "content": None}
    >>> records, bad = decode_lines(encode_lines([("sms", rec)]) + b"\\n{}")
    >>> records == [("sms", rec)], bad
    (True, [(b'{}', 'kind: must be call or sms, not None')])
    """
    return b"\n".join(encode(kind, record) for kind, record in records)


def decode_lines(
    data: bytes,
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[bytes, str]]]:
    """A message body of one or more records; bad lines come back with their reason."""
    records: list[tuple[str, dict[str, Any]]] = []
    bad: list[tuple[bytes, str]] = []
    for line in data.split(b"\n") if b"\n" in data else (data,):
        if not line.strip():
            continue
        try:
            records.append(decode(line))
        except BadRecord as exc:
            bad.append((line, str(exc)))
    return records, bad


#: the encoder's own time form; the fast path accepts only this, everything else is decoded
#: line by line (which accepts any ISO 8601 time with a zone)
_CANONICAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]([01]\d|2[0-3]):[0-5]\d$"


def _plain_int(v: Any) -> bool:
    return type(v) is int and v >= 0


def _plain_types(body: dict[str, Any]) -> bool:
    """Every field of the record's kind of the plain type :func:`decode` wants (texts for
    strings, numbers and times; whole numbers >= 0), required ones present: the cheap half of
    the checks, the rest done on columns."""
    fields = _FIELDS.get(body.get("kind"))  # type: ignore[arg-type]
    if fields is None:
        return False
    for name, typ, required in fields:
        v = body.get(name)
        if v is None:
            if required:
                return False
        elif not (_plain_int(v) if typ == "int" else type(v) is str):
            return False
    return True


def decode_batch(lines: list[bytes]) -> tuple[pl.DataFrame, list[tuple[bytes, str]]]:
    """Many wire records at once, as a record batch in the order given, and the bad lines
    with their reasons: exactly what :func:`decode` line by line gives, faster.

    Records in the encoder's own form are checked with one JSON parse and a few column
    operations; any other line is decoded alone by :func:`decode`, which accepts it or names
    the field.
    """
    if not lines:
        return pl.DataFrame(schema=RECORD_SCHEMA), []
    try:
        bodies = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, UnicodeDecodeError):
        bodies = None
    if not isinstance(bodies, list) or len(bodies) != len(lines):
        bodies = [None] * len(lines)  # some line is not JSON (or holds two): line by line
    quick = [isinstance(b, dict) and _plain_types(b) for b in bodies]
    fast = [i for i, ok in enumerate(quick) if ok]
    frame = _columns([bodies[i] for i in fast])
    # numbers by the compiled rule the Arrow path uses too (one rule, and no regex per fetch)
    checks = (
        e164_valid(frame["actor"])
        & e164_valid(frame["other"])
        & frame.select(
            ok=pl.col("_time").str.contains(_CANONICAL_TIME) & pl.col("time").is_not_null()
        )["ok"].to_numpy()
    )
    slow = sorted({i for i, ok in enumerate(quick) if not ok} | {fast[k] for k in
                   np.flatnonzero(~checks)})  # fmt: skip
    if not slow:
        return frame.drop("_time"), []
    records: list[tuple[str, dict[str, Any]]] = []
    bad: list[tuple[bytes, str]] = []
    kept: list[int] = []
    for i in slow:
        try:
            records.append(decode(lines[i]))
            kept.append(i)
        except BadRecord as exc:
            bad.append((lines[i], str(exc)))
    order = [fast[k] for k in np.flatnonzero(checks)] + kept
    both = pl.concat([frame.drop("_time").filter(pl.Series(checks)), batch_of(records)])
    return both[np.argsort(order, kind="stable")], bad


def _columns(bodies: list[dict[str, Any]]) -> pl.DataFrame:
    """Record-batch columns (plus the time as text) from wire bodies that passed the type
    checks."""
    is_call = [b["kind"] == "call" for b in bodies]
    text = [b["start_time"] if c else b["sent_time"] for b, c in zip(bodies, is_call, strict=True)]
    frame = pl.DataFrame(
        {
            "kind": [RECORD_CALL if c else RECORD_SMS for c in is_call],
            "actor": [b["caller"] if c else b["sender"] for b, c in zip(bodies, is_call,
                                                                        strict=True)],
            "other": [b["callee"] if c else b["recipient"] for b, c in zip(bodies, is_call,
                                                                          strict=True)],
            "time": [None] * len(bodies),
            "duration_s": [b["duration_s"] if c else 0 for b, c in zip(bodies, is_call,
                                                                      strict=True)],
            "ring_s": [(-1 if b.get("ring_s") is None else b["ring_s"]) if c else -1
                       for b, c in zip(bodies, is_call, strict=True)],
            "cell": [b.get("caller_cell") if c else None for b, c in zip(bodies, is_call,
                                                                        strict=True)],
            "imei": [b.get("caller_imei") if c else None for b, c in zip(bodies, is_call,
                                                                        strict=True)],
            "flag": [b.get("caller_flag") if c else None for b, c in zip(bodies, is_call,
                                                                        strict=True)],
            "id": [b["call_id"] if c else b["sms_id"] for b, c in zip(bodies, is_call,
                                                                     strict=True)],
            "length": [None if c else b["length"] for b, c in zip(bodies, is_call, strict=True)],
            "content": [None if c else b.get("content") for b, c in zip(bodies, is_call,
                                                                       strict=True)],
            "trunk": [b.get("trunk") if c else None for b, c in zip(bodies, is_call,
                                                                   strict=True)],
        },
        schema=RECORD_SCHEMA,
    )  # fmt: skip
    times = pl.Series("_time", text, dtype=pl.String)
    return frame.with_columns(
        _time=times,
        time=times.str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False
        ),
    )


def encode_alert(alert: dict[str, Any], alert_id: str) -> bytes:
    """An alert row (canonical alerts schema) as a message body, with its idempotent id."""
    body = {"alert_id": alert_id} | {k: _plain(v) for k, v in alert.items()}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def encode_arrow(batch: pl.DataFrame) -> bytes:
    """A record batch (:data:`RECORD_SCHEMA` columns, in processing order) as one message body:
    the Arrow IPC stream format, uncompressed.

    >>> import datetime as dt
    >>> rec = {"call_id": "c1", "caller": "+8613800000001", "callee": "+8613900000001",
    ...        "start_time": dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC), "duration_s": 30,
    ...        "ring_s": None, "caller_cell": None, "caller_imei": None}
    >>> frame, bad = decode_arrow(encode_arrow(batch_of([("call", rec)])))
    >>> record_of(frame.row(0, named=True)) == ("call", rec), bad
    (True, [])
    >>> decode_arrow(b"{}")[1]
    [(b'{}', 'not an Arrow IPC stream of a record batch')]
    """
    table = batch.select(list(RECORD_SCHEMA)).to_arrow(compat_level=pl.CompatLevel.oldest())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


_EMPTY_BATCH = pl.DataFrame(schema=RECORD_SCHEMA)
_ARROW_SCHEMA = _EMPTY_BATCH.to_arrow(compat_level=pl.CompatLevel.oldest()).schema


def decode_arrow(data: bytes | list[bytes]) -> tuple[pl.DataFrame, list[tuple[bytes, str]]]:
    """Arrow message bodies (one, or a fetch's in order) as one record batch, and the bad
    records with their reasons.

    A body that is not an Arrow stream, or lacks a column, or holds one of a type that does not
    cast to the record batch's, is bad as a whole (the body comes back with the reason); a row
    that breaks a field's rule (an E.164 number, a time, an id, counts >= 0) comes back alone,
    as the JSON of its record, with the reason naming the field, as :func:`decode` words it.
    The checks run once over all the bodies' rows, with array operations.
    """
    tables: list[pa.Table] = []
    bad: list[tuple[bytes, str]] = []
    for body in [data] if isinstance(data, bytes) else data:
        try:
            table = pa.ipc.open_stream(body).read_all()
        except (pa.ArrowInvalid, OSError):
            bad.append((body, "not an Arrow IPC stream of a record batch"))
            continue
        if not table.schema.equals(_ARROW_SCHEMA):
            conformed = _conform(table)
            if isinstance(conformed, str):
                bad.append((body, conformed))
                continue
            table = conformed
        tables.append(table)
    if not tables:
        return _EMPTY_BATCH, bad
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    # the checks on Arrow arrays and numpy: polars' per-call cost is more than a small batch's
    kind = _ints(table, "kind", -1)
    ring = _ints(table, "ring_s", -1)  # null: unknown
    duration = _ints(table, "duration_s", -1)
    duration[(duration == -1) & (kind == RECORD_SMS)] = 0  # an SMS has no duration of its own
    filled = bool(table.column("ring_s").null_count or table.column("duration_s").null_count)
    ok = (
        ((kind == RECORD_CALL) | (kind == RECORD_SMS))
        & _e164(table, "actor")
        & _e164(table, "other")
        & _present(table, "time")
        & _present(table, "id")
        & (duration >= 0)
        & (ring >= -1)
        & ((kind == RECORD_CALL) | (_ints(table, "length", -1) >= 0))
    )
    frame = pl.DataFrame({name: pl.Series(name, _column(table, name)) for name in RECORD_SCHEMA})
    if filled:
        frame = frame.with_columns(ring_s=pl.Series(ring), duration_s=pl.Series(duration))
    if ok.all():
        return frame, bad
    keep = pl.Series(ok)
    bad += [_bad_row(row) for row in frame.filter(~keep).iter_rows(named=True)]
    return frame.filter(keep), bad


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _ints(table: pa.Table, name: str, null: int) -> np.ndarray:
    """An integer column as a writable int64 array, nulls as ``null``."""
    col = _column(table, name)
    if col.null_count:
        col = col.fill_null(null)
    return np.array(col.to_numpy(zero_copy_only=False), dtype=np.int64)


def _present(table: pa.Table, name: str) -> np.ndarray:
    col = _column(table, name)
    if not col.null_count:
        return np.ones(len(col), np.bool_)
    return np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)


def _e164(table: pa.Table, name: str) -> np.ndarray:
    return e164_valid(_column(table, name))


def _conform(table: pa.Table) -> pa.Table | str:
    """A table cast to the record batch's columns, or the reason it cannot be."""
    frame = pl.DataFrame(pl.from_arrow(table))
    for name, dtype in RECORD_SCHEMA.items():
        if name not in frame.columns and name in _ARROW_OPTIONAL:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
        if name not in frame.columns:
            return f"column {name}: missing"
        have = frame[name].dtype
        if isinstance(have, pl.Datetime) and have.time_zone is None:
            return f"column {name}: {have} has no time zone"
        if have != dtype:
            try:
                frame = frame.with_columns(frame[name].cast(dtype, strict=True))
            except (pl.exceptions.PolarsError, TypeError):
                return f"column {name}: {have} is not {dtype}"
    return frame.select(list(RECORD_SCHEMA)).to_arrow(compat_level=pl.CompatLevel.oldest())


def _bad_row(row: dict[str, Any]) -> tuple[bytes, str]:
    """A row of a record batch that breaks a rule: its record as JSON, and why."""
    if row["kind"] not in (RECORD_CALL, RECORD_SMS):
        body = json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False).encode()
        return (
            body,
            f"kind: must be {RECORD_CALL} (call) or {RECORD_SMS} (SMS), not {row['kind']!r}",
        )
    kind, record = record_of(row)
    body = encode(kind, record)
    for name, typ, required in _FIELDS[kind]:
        value = record.get(name)
        if value is None:
            if required:
                return body, f"{name}: missing"
            continue
        if typ == "number" and not _E164.fullmatch(value):
            return body, f"{name}: not an E.164 number: {value!r}"
        if typ == "int" and value < 0:
            return body, f"{name}: not a whole number >= 0: {value!r}"
    return body, "ring_s: must be -1 (unknown) or a whole number >= 0"

"""Real-name cases: a number suspended until its owner registers (实名登记停机), as cases.

A campaign suspends numbers by the tens of thousands on a batch day, so opening and ending
these cases is done in bulk (:func:`suspend_many`, :func:`terminate_many`): the same rows a
case opened by :class:`~callwarden.cases.service.CaseService` has (suspension, case, status,
a hash-chained audit trail, the SMS notice), each move checked against the state machine,
written with a few statements rather than a few per number. One case's moves
(``register``, an emergency restore with four eyes) go through ``CaseService.act`` with the
handlers here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import polars as pl
from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.audit import event_hash
from callwarden.cases.context import CaseContext
from callwarden.cases.machine import QUEUE_OF, lookup
from callwarden.cases.models import Case, CaseEvent, NoticeRow, NumberStatus, Suspension
from callwarden.cases.schemas import ActionIn
from callwarden.errors import Conflict, InternalError, Unprocessable

__all__ = [
    "KIND",
    "Opened",
    "Suspend",
    "allocate_ids",
    "copy_frame",
    "copy_rows",
    "fetch_frame",
    "on_register",
    "on_terminate",
    "suspend_many",
    "terminate_many",
    "update_from",
]

KIND = "realname"
_CHUNK = 5_000


@dataclass(frozen=True)
class Suspend:
    """One number to suspend: the reason (stored as the suspension's reason) and the SMS."""

    msisdn: str
    reason_zh: str
    reason_en: str
    notice: str
    language: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Opened:
    msisdn: str
    case_id: int


def _t(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _close(s: Session, case: Case, outcome: str, status_to: str, now: datetime) -> None:
    case.outcome = outcome
    case.closed_at = now
    case.queue = None
    status = s.get(NumberStatus, case.msisdn, with_for_update=True)
    if status is not None and status.open_case_id in (case.id, None):
        status.status = status_to
        status.open_case_id = None
        status.updated_at = now


def on_register(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    """The owner registered: lift the suspension now and tell them (the notice is the caller's:
    it knows the campaign's words)."""
    susp = s.get(Suspension, case.suspension_id) if case.suspension_id else None
    if susp is None:
        raise Conflict(f"case {case.id}: no suspension to lift")
    lifted = susp.lifted_at is None
    if lifted:
        susp.lifted_at = now
        susp.lifted_by = f"{actor.role.value}:{actor.name}"
    _close(s, case, "registered", "active", now)
    return {"suspension_id": susp.id, "lifted": lifted}


def on_terminate(
    svc: CaseContext, s: Session, case: Case, actor: Actor, action: ActionIn, now: datetime
) -> dict[str, Any]:
    """The last phase: the number is cancelled (销户); the refund is the campaign's to record."""
    _close(s, case, "terminated", "terminated", now)
    return {"suspension_id": case.suspension_id}


def need_hardship(action: ActionIn) -> None:
    """An emergency restore (紧急复机) of an unregistered number says why."""
    if not action.reason:
        raise Unprocessable("reason", "an emergency restore needs the hardship that justifies it")


# ------------------------------------------------------------------------------ bulk


def _json_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, JSON)]


def copy_frame(s: Session, table: Table, frame: pl.DataFrame) -> None:
    """Insert a frame's rows into ``table`` (its JSON columns given as JSON text).

    PostgreSQL: one ``COPY ... FROM STDIN`` of the frame written as CSV by Polars, so the rows
    never become Python objects; elsewhere one executemany.
    """
    if frame.height == 0:
        return
    conn = s.connection()
    json_cols = [c for c in _json_columns(table) if c in frame.columns]
    if conn.dialect.name != "postgresql":
        rows = frame.to_dicts()
        for row in rows:
            for c in json_cols:
                row[c] = None if row[c] is None else json.loads(row[c])
        s.execute(insert(table), rows)
        return
    body = frame.write_csv(
        include_header=False,
        null_value="\\N",
        datetime_format="%Y-%m-%dT%H:%M:%S%.6f%z",
    )
    raw: Any = conn.connection.driver_connection
    columns = ", ".join(frame.columns)
    sql = f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        copy.write(body)


def copy_rows(s: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows given as dicts (JSON columns as Python values): see :func:`copy_frame`."""
    if not rows:
        return
    if s.connection().dialect.name != "postgresql":
        s.execute(insert(table), list(rows))
        return
    json_cols = set(_json_columns(table))
    columns = list(rows[0])
    data = {
        c: [
            json.dumps(r[c], ensure_ascii=False) if c in json_cols and r[c] is not None else r[c]
            for r in rows
        ]
        for c in columns
    }
    schema = {c: pl.String for c in columns if c in json_cols}
    copy_frame(s, table, pl.DataFrame(data, schema_overrides=schema, strict=False))


def update_from(
    s: Session,
    table: Table,
    frame: pl.DataFrame,
    keys: Sequence[str],
    fixed: dict[str, Any] | None = None,
    only: dict[str, Sequence[str]] | None = None,
) -> int:
    """Update the rows of ``table`` matched by ``keys`` with ``frame``'s other columns and the
    ``fixed`` values, where each ``only`` column holds one of its values; rows changed.

    PostgreSQL: the frame is copied into a temporary table and joined in one ``UPDATE ...
    FROM``; elsewhere one executemany.
    """
    if frame.height == 0:
        return 0
    fixed, only = fixed or {}, only or {}
    unknown = {*frame.columns, *fixed, *only} - set(table.c.keys())
    if unknown:  # the names go into SQL text below: only the table's own columns
        raise InternalError(f"{table.name} has no column(s) {sorted(unknown)}")
    varying = [c for c in frame.columns if c not in keys]
    conn = s.connection()
    if conn.dialect.name != "postgresql":
        where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
        where += [table.c[c].in_(list(v)) for c, v in only.items()]
        stmt = update(table).where(*where).values({c: bindparam(f"v_{c}") for c in varying} | fixed)
        rows = [
            {f"k_{k}": r[k] for k in keys} | {f"v_{c}": r[c] for c in varying}
            for r in frame.iter_rows(named=True)
        ]
        return int(conn.execute(stmt, rows).rowcount)
    tmp = f"_cw_{table.name}_update"
    cols = ", ".join(frame.columns)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tmp}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {table.name} WITH NO DATA"  # noqa: S608
    )
    tmp_table = Table(tmp, MetaData(), *(Column(c, table.c[c].type) for c in frame.columns))
    copy_frame(s, tmp_table, frame)
    sets = [f"{c} = {tmp}.{c}" for c in varying]
    params: dict[str, Any] = {}
    for i, (c, v) in enumerate(fixed.items()):
        sets.append(f"{c} = :f{i}")
        params[f"f{i}"] = v
    conds = [f"{table.name}.{k} = {tmp}.{k}" for k in keys]
    for i, (c, values) in enumerate(only.items()):
        conds.append(f"{table.name}.{c} = ANY(:o{i})")
        params[f"o{i}"] = list(values)
    sql = f"UPDATE {table.name} SET {', '.join(sets)} FROM {tmp} WHERE {' AND '.join(conds)}"  # noqa: S608  (checked column names)
    return int(conn.execute(text(sql), params).rowcount)


def fetch_frame(s: Session, query: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """A query's rows as a frame: on PostgreSQL through ``COPY (...) TO STDOUT`` read by Polars
    (hundreds of thousands of rows without a Python object each), elsewhere row by row."""
    conn = s.connection()
    if conn.dialect.name != "postgresql":
        return pl.DataFrame(s.execute(query).all(), schema=schema, orient="row")
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    raw: Any = conn.connection.driver_connection
    buf = bytearray()
    with raw.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'UTC'")  # times come out as ...+00
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buf += block
    if not buf:
        return pl.DataFrame(schema=schema)
    text_schema = {k: pl.String for k in schema}
    frame = pl.read_csv(bytes(buf), has_header=False, new_columns=list(schema), schema=text_schema)
    out = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == pl.Datetime("us", "UTC"):
            naive = col.str.replace(r"\+00$", "").str.to_datetime(time_unit="us")
            out.append(naive.dt.replace_time_zone("UTC"))
        elif dtype == pl.Date:
            out.append(col.str.to_date())
        else:
            out.append(col.cast(dtype))
    return frame.select(out)


def allocate_ids(s: Session, table: Table, n: int) -> list[int]:
    """``n`` fresh primary keys of ``table`` (its sequence on PostgreSQL; on SQLite the
    write lock this session holds makes max(id) safe)."""
    if n == 0:
        return []
    if s.connection().dialect.name == "postgresql":
        seq = s.scalar(text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')"))
        rows = s.execute(
            text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"),
            {"seq": seq, "n": n},
        )
        return [int(r[0]) for r in rows]
    top = s.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(top + 1, top + 1 + n))


def _event(
    case_id: int, seq: int, prev: str, at: datetime, actor: Actor, action: str,
    from_state: str | None, to_state: str, payload: dict[str, Any], reason: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A case_events row, hashed exactly as CaseService.event hashes one."""
    fields = {
        "case_id": case_id,
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor.name,
        "role": actor.role.value,
        "action": action,
        "verdict": None,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "payload": payload,
    }
    row = fields | {"at": at, "prev_hash": prev, "hash": event_hash(prev, fields)}
    return row


def _standing(s: Session, numbers: list[str]) -> dict[str, NumberStatus]:
    found: dict[str, NumberStatus] = {}
    for i in range(0, len(numbers), _CHUNK):
        chunk = numbers[i : i + _CHUNK]
        for row in s.scalars(
            select(NumberStatus).where(NumberStatus.msisdn.in_(chunk)).with_for_update()
        ):
            found[row.msisdn] = row
    return found


def suspend_many(
    s: Session, todo: Sequence[Suspend], actor: Actor, now: datetime
) -> tuple[list[Opened], list[str]]:
    """Suspend each number and open its real-name case; (opened, deferred numbers).

    A number already restricted, suspended or with an open case (a fraud review, another
    suspension) is deferred: its own case comes first, and the campaign tries again later.
    """
    if lookup(KIND, "awaiting_registration", "register", None) is None:
        raise InternalError("the state machine has no real-name cases")
    standing = _standing(s, [t.msisdn for t in todo])
    go = [
        t
        for t in todo
        if t.msisdn not in standing
        or (standing[t.msisdn].status == "active" and standing[t.msisdn].open_case_id is None)
    ]
    going = {t.msisdn for t in go}
    deferred = [t.msisdn for t in todo if t.msisdn not in going]
    if not go:
        return [], deferred
    susp_ids = allocate_ids(s, _t(Suspension), len(go))
    case_ids = allocate_ids(s, _t(Case), len(go))
    decided_by = f"{actor.role.value}:{actor.name}"
    suspensions, cases, events, notices, new_status = [], [], [], [], []
    state = "awaiting_registration"
    for t, sid, cid in zip(go, susp_ids, case_ids, strict=True):
        reasons = [
            {
                "code": "realname_unregistered",
                "weight": 1.0,
                "text_zh": t.reason_zh,
                "text_en": t.reason_en,
                "evidence": "{}",
            }
        ]
        suspensions.append(
            {
                "id": sid,
                "msisdn": t.msisdn,
                "level": "suspend",
                "score": 0.0,
                "reasons": reasons,
                "decided_by": decided_by,
                "alert_id": None,
                "started_at": now,
                "lifted_at": None,
                "lifted_by": None,
            }
        )
        opened = _event(cid, 1, "", now, actor, "open", None, state, t.payload)
        suspended = _event(
            cid,
            2,
            opened["hash"],
            now,
            actor,
            "suspend",
            state,
            state,
            {"level": "suspend", "suspension_id": sid, "score": 0.0},
        )
        events += [opened, suspended]
        cases.append(
            {
                "id": cid,
                "kind": KIND,
                "msisdn": t.msisdn,
                "state": state,
                "queue": QUEUE_OF[state],
                "outcome": None,
                "risk_score": 0.0,
                # an unregistered number's emergency restore always needs a second approver
                "high_risk": True,
                "suspension_id": sid,
                "escalated": False,
                "complaints": 0,
                "opened_at": now,
                "updated_at": now,
                "closed_at": None,
                "sla_budget_s": None,
                "sla_used_s": 0,
                "sla_running_since": None,
                "due_at": None,
                "breached": False,
                "audit_seq": 2,
                "audit_head": suspended["hash"],
                "version": 1,
            }
        )
        notices.append(_notice(cid, t.msisdn, "suspended", t.language, t.notice, now))
        if t.msisdn not in standing:
            new_status.append(
                {
                    "msisdn": t.msisdn,
                    "status": "suspended",
                    "risk_score": 0.0,
                    "open_case_id": cid,
                    "updated_at": now,
                    "version": 1,
                }
            )
    copy_rows(s, _t(Suspension), suspensions)
    copy_rows(s, _t(Case), cases)
    copy_rows(s, _t(CaseEvent), events)
    copy_rows(s, _t(NoticeRow), notices)
    copy_rows(s, _t(NumberStatus), new_status)
    known = [(t.msisdn, cid) for t, cid in zip(go, case_ids, strict=True) if t.msisdn in standing]
    for msisdn, cid in known:  # few: numbers that once had a case of their own
        row = standing[msisdn]
        row.status, row.open_case_id, row.updated_at = "suspended", cid, now
    return [Opened(t.msisdn, cid) for t, cid in zip(go, case_ids, strict=True)], deferred


def _notice(
    case_id: int | None, msisdn: str, kind: str, language: str, body: str, now: datetime
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "msisdn": msisdn,
        "kind": kind,
        "language": language,
        "text": body,
        "status": "queued",
        "created_at": now,
        "sent_at": None,
    }


def terminate_many(
    s: Session,
    todo: Sequence[tuple[int, str, str, dict[str, Any]]],
    actor: Actor,
    now: datetime,
) -> list[int]:
    """End the cases ``(case_id, language, notice, payload)`` with ``terminate``; their ids.

    Only cases still awaiting registration are ended (the state machine's rule); the others
    (registered meanwhile, restored in an emergency) are left as they are.
    """
    rule = lookup(KIND, "awaiting_registration", "terminate", None)
    if rule is None or not rule.allows(actor.role):
        raise InternalError("the state machine does not let the campaign terminate")
    by_id = {t[0]: t for t in todo}
    done: list[int] = []
    events, notices, changes = [], [], []
    ids = list(by_id)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rows = s.execute(
            select(Case.id, Case.msisdn, Case.audit_seq, Case.audit_head)
            .where(Case.id.in_(chunk), Case.state == "awaiting_registration")
            .with_for_update()
        ).all()
        for cid, msisdn, seq, head in rows:
            _, language, body, payload = by_id[cid]
            ev = _event(
                cid, seq + 1, head, now, actor, "terminate", "awaiting_registration", "closed",
                payload,
            )  # fmt: skip
            events.append(ev)
            notices.append(_notice(cid, msisdn, "terminated", language, body, now))
            changes.append({"cid": cid, "seq": seq + 1, "head": ev["hash"]})
            done.append(cid)
    if changes:
        update_from(
            s,
            _t(Case),
            pl.DataFrame(changes).rename({"cid": "id", "seq": "audit_seq", "head": "audit_head"}),
            ["id"],
            fixed={
                "state": "closed",
                "queue": None,
                "outcome": "terminated",
                "closed_at": now,
                "updated_at": now,
            },
        )
        s.execute(
            update(Case)
            .where(Case.id.in_(done))
            .values(version=Case.version + 1)
            .execution_options(synchronize_session=False)
        )
    copy_rows(s, _t(CaseEvent), events)
    copy_rows(s, _t(NoticeRow), notices)
    for i in range(0, len(done), _CHUNK):
        s.execute(
            update(NumberStatus)
            .where(NumberStatus.open_case_id.in_(done[i : i + _CHUNK]))
            .values(
                status="terminated",
                open_case_id=None,
                updated_at=now,
                version=NumberStatus.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return done

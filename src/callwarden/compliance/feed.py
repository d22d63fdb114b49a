"""Keeping the registers in memory current from the database, not a query per check.

The consent and refusal tables are append-only, so their ids are the change log: the feed
loads every row once (merged per person, :func:`callwarden.compliance.rules.consent_people`),
remembers the newest id of each table, and each catch-up reads the rows after it and merges
them into the tables' overlays. As in :class:`callwarden.screen.feed.MarkFeed`, PostgreSQL hands
out ids before commit, so an id skipped by a catch-up (a transaction still open) is asked for
again in the next ones for two minutes.

The pre-dial check's frequency counts come from its own log: the allowed checks of the longest
limit's window are read once at start (:meth:`RegisterFeed.recent_dials`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callwarden.cases.db import Database
from callwarden.compliance.models import Check, Consent, Refusal
from callwarden.compliance.rules import consent_people, merge_consent, refusal_people
from callwarden.compliance.table import FOREVER, NEVER, PersonTable, stamp

__all__ = ["RegisterFeed", "Registers", "people_of"]

_PAGE = 50_000
_GAP_SECONDS = 120.0
_MAX_GAPS = 100_000


@dataclass
class Registers:
    """Every business's consent (g, e, w) and refusal (r) tables, by business id."""

    consents: dict[int, PersonTable] = field(default_factory=dict)
    refusals: dict[int, PersonTable] = field(default_factory=dict)

    def consent(self, business: int) -> PersonTable:
        return self.consents.setdefault(business, PersonTable.empty(3))

    def refusal(self, business: int) -> PersonTable:
        return self.refusals.setdefault(business, PersonTable.empty(1))

    def __len__(self) -> int:
        return sum(len(t) for t in self.consents.values()) + sum(
            len(t) for t in self.refusals.values()
        )


@dataclass
class _Cursor:
    last: int = 0
    gaps: dict[int, float] = field(default_factory=dict)

    def seen(self, ids: list[int]) -> None:
        got = set(ids)
        for i in got:
            self.gaps.pop(i, None)
        newest = max(got)
        if newest > self.last:
            now = time.monotonic()
            for missing in range(self.last + 1, newest):
                if missing not in got and len(self.gaps) < _MAX_GAPS:
                    self.gaps.setdefault(missing, now)
            self.last = newest

    def expire(self) -> None:
        cutoff = time.monotonic() - _GAP_SECONDS
        for i in [i for i, t in self.gaps.items() if t < cutoff]:
            del self.gaps[i]


def _stamps(column: str, missing: int) -> pl.Expr:
    seconds = (pl.col(column).dt.epoch("s") - 946_684_800).clip(1, FOREVER - 1)
    return seconds.fill_null(missing).cast(pl.UInt32)


def _frames(s: Session, query: Any, names: list[str]) -> Iterator[pl.DataFrame]:
    result = s.execute(query.execution_options(yield_per=_PAGE))
    for part in result.partitions():
        yield pl.DataFrame([tuple(r) for r in part], schema=_schema(names), orient="row")


class RegisterFeed:
    """Loads the registers once, then the rows added after the last ones seen."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.consents = _Cursor()
        self.refusals = _Cursor()

    def load(self) -> Registers:
        """Every register row, merged per business and person."""
        out = Registers()
        with self.db.reads() as s:
            self.consents.last = s.scalar(select(func.max(Consent.id))) or 0
            self.refusals.last = s.scalar(select(func.max(Refusal.id))) or 0
            consent = _consent_rows(s, select(*_CONSENT).where(Consent.id <= self.consents.last))
            refusal = _refusal_rows(s, select(*_REFUSAL).where(Refusal.id <= self.refusals.last))
        for (business,), part in consent.partition_by("business", as_dict=True).items():
            people = consent_people(part).collect()
            values = people.select("g", "e", "w").to_numpy().astype(np.uint32)
            out.consents[int(business)] = PersonTable.from_arrays(people["key"].to_numpy(), values)
        for (business,), part in refusal.partition_by("business", as_dict=True).items():
            people = refusal_people(part).collect()
            values = people.select("r").to_numpy().astype(np.uint32)
            out.refusals[int(business)] = PersonTable.from_arrays(people["key"].to_numpy(), values)
        return out

    def catch_up(self, registers: Registers) -> int:
        """Merge the rows added since the last catch-up; the rows applied."""
        applied = 0
        with self.db.reads() as s:
            while True:
                rows = _consent_rows(s, _after(select(*_CONSENT), Consent.id, self.consents))
                for r in rows.iter_rows(named=True):
                    table = registers.consent(r["business"])
                    key = r["key"]
                    merged = merge_consent(
                        table.lookup(key), r["granted"] or NEVER, r["expires"], r["withdrawn"]
                    )
                    table.put(key, merged)
                if rows.height:
                    self.consents.seen(rows["id"].to_list())
                applied += rows.height
                if rows.height < _PAGE:
                    break
            self.consents.expire()
            while True:
                rows = _refusal_rows(s, _after(select(*_REFUSAL), Refusal.id, self.refusals))
                for r in rows.iter_rows(named=True):
                    table = registers.refusal(r["business"])
                    old = table.lookup(r["key"])
                    first = r["refused"] if old is None else min(old[0], r["refused"])
                    table.put(r["key"], (first,))
                if rows.height:
                    self.refusals.seen(rows["id"].to_list())
                applied += rows.height
                if rows.height < _PAGE:
                    break
            self.refusals.expire()
        return applied

    def recent_dials(self, since: datetime) -> dict[tuple[int, int], list[int]]:
        """The dials allowed since ``since``: (business, person) -> stamps, oldest first."""
        out: dict[tuple[int, int], list[int]] = defaultdict(list)
        query = (
            select(Check.business_id, Check.callee_key, Check.at)
            .where(Check.allowed.is_(True), Check.at >= since)
            .order_by(Check.at)
        )
        with self.db.reads() as s:
            for business, key, at in s.execute(query.execution_options(yield_per=_PAGE)):
                out[(business, key)].append(stamp(at))
        return dict(out)


_CONSENT = (
    Consent.id,
    Consent.business_id,
    Consent.callee_key,
    Consent.granted_at,
    Consent.expires_at,
    Consent.withdrawn_at,
)
_REFUSAL = (Refusal.id, Refusal.business_id, Refusal.callee_key, Refusal.refused_at)
_CONSENT_NAMES = ["id", "business", "key", "granted_at", "expires_at", "withdrawn_at"]
_REFUSAL_NAMES = ["id", "business", "key", "refused_at"]


def _after(query: Any, column: Any, cursor: _Cursor) -> Any:
    return (
        query.where(or_(column > cursor.last, column.in_(list(cursor.gaps))))
        .order_by(column)
        .limit(_PAGE)
    )


def _schema(names: list[str]) -> dict[str, pl.DataType]:
    return {n: (pl.Datetime("us", "UTC") if n.endswith("_at") else pl.Int64()) for n in names}


def _as_frame(parts: Iterator[pl.DataFrame], names: list[str]) -> pl.DataFrame:
    frames = [p for p in parts if p.height]
    if not frames:
        return pl.DataFrame(schema=_schema(names))
    return pl.concat(frames)


def _consent_rows(s: Session, query: Any) -> pl.DataFrame:
    frame = _as_frame(_frames(s, query, _CONSENT_NAMES), _CONSENT_NAMES)
    return frame.select(
        "id",
        "business",
        "key",
        pl.when(pl.col("granted_at").is_null())
        .then(None)
        .otherwise(_stamps("granted_at", NEVER))
        .alias("granted"),
        _stamps("expires_at", FOREVER).alias("expires"),
        _stamps("withdrawn_at", NEVER).alias("withdrawn"),
    )


def _refusal_rows(s: Session, query: Any) -> pl.DataFrame:
    frame = _as_frame(_frames(s, query, _REFUSAL_NAMES), _REFUSAL_NAMES)
    return frame.select("id", "business", "key", _stamps("refused_at", NEVER).alias("refused"))


def people_of(db: Database, business_id: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One business's registers merged per person (``key, g, e, w`` and ``key, r``), for the
    audit."""
    with db.reads() as s:
        consent = _consent_rows(s, select(*_CONSENT).where(Consent.business_id == business_id))
        refusal = _refusal_rows(s, select(*_REFUSAL).where(Refusal.business_id == business_id))
    return consent_people(consent).collect(), refusal_people(refusal).collect()

"""A campaign group's lines in the case database: the indexed group column against a LIKE scan.

    .venv/bin/python benchmarks/bench_campaign_groups.py [--alerts 200000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--sqlite PATH]

The PostgreSQL database's public schema is dropped and made anew: point it at a scratch one.

A fresh database (migrated by callwarden; the PostgreSQL one's public schema is emptied first)
is filled with ``--alerts`` alerts, one in ten a campaign member (5,000 groups of 4 members
each per 200,000 alerts; each reason names its group and 15 members, as the campaign pass's
do). Then the lines of one group are found both ways, five times each after a warm-up, and the
best and median are printed:

- baseline: the query the group view ran before migration 0016, a LIKE over every alert's
  reasons as text (a full scan, which also matches ids that merely begin with the one asked);
- now: ``cases.groups.numbers_of_group``, the indexed ``alerts.campaign_group`` column, with
  each row's reason read in Python as the view does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, create_engine, insert, select, text
from sqlalchemy.orm import Session

from callwarden.cases.db import open_database
from callwarden.cases.groups import numbers_of_group
from callwarden.cases.models import Alert

GROUPS = 5000


def _rows(n: int) -> list[dict[str, Any]]:
    t0 = datetime(2026, 7, 8, tzinfo=UTC)
    rows = []
    for k in range(n):
        gid = f"campaign-{k % GROUPS:x}" if k % 10 == 0 else None
        evidence = (
            {
                "group_id": gid,
                "members": [f"+86170{k % 10**6:06d}{j:02d}" for j in range(15)],
                "cues": ["shared_callees"],
            }
            if gid
            else {}
        )
        reason = {
            "code": "campaign" if gid else "relay_call",
            "weight": 1.0,
            "text_zh": "与 14 个号码共用同一批被叫, 同一时段外呼",
            "text_en": "shares its callees with 14 numbers, calling in the same hours",
            "evidence": json.dumps(evidence),
        }
        rows.append(
            {
                "alert_id": f"a{k}",
                "msisdn": f"+8613{k:09d}",
                "flagged_at": t0 + timedelta(seconds=k),
                "score": 0.8,
                "decision": "review",
                "reasons": [reason],
                "received_at": t0,
                "campaign_group": gid,
            }
        )
    return rows


def _time(fn: Callable[[Session], list[Any]], s: Session) -> tuple[int, float, float]:
    fn(s)
    times = []
    found = 0
    for _ in range(5):
        t = time.perf_counter()
        found = len(fn(s))
        times.append(time.perf_counter() - t)
    return found, min(times) * 1000, statistics.median(times) * 1000


def run(url: str, alerts: int) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    db = open_database(url)
    rows = _rows(alerts)
    with db.engine.begin() as conn:
        for at in range(0, len(rows), 10_000):
            conn.execute(insert(Alert), rows[at : at + 10_000])
    gid = f"campaign-{4200:x}"  # (alerts 4,200, 9,200, ...: every alert k with k % 5,000 = 4,200)

    def scanned(s: Session) -> list[Any]:
        query = select(Alert.msisdn, Alert.reasons).where(
            cast(Alert.reasons, String).like(f"%{gid}%")
        )
        return list(s.execute(query).all())

    with db.reads() as s:
        for name, fn in [
            ("LIKE over the reasons (before)", scanned),
            ("indexed campaign_group (now)", lambda s: numbers_of_group(s, gid)),
        ]:
            found, best, median = _time(fn, s)
            print(
                f"{db.engine.dialect.name}, {alerts:,} alerts: {name}: {found} rows, "
                f"best {best:.1f} ms, median {median:.1f} ms"
            )
    db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--sqlite", default=str(Path(tempfile.gettempdir()) / "bench_campaign_groups.db")
    )
    args = parser.parse_args()
    for url in (f"sqlite:///{args.sqlite}", args.pg):
        if url.startswith("sqlite"):
            Path(args.sqlite).unlink(missing_ok=True)
        run(url, args.alerts)


if __name__ == "__main__":
    main()

"""Case service on PostgreSQL: the work-queue page and concurrent actions, at a million cases.

    .venv/bin/python benchmarks/bench_cases.py [--cases 1000000] [--threads 32] [--seconds 20]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. A fresh database (migrated by callwarden) is filled with ``--cases`` cases spread over the
   states, queues and SLA deadlines a real queue has (one server-side INSERT ... SELECT).
2. Queue page: 50 rows, filtered (queue, state, kind, breached, open), nearest deadline first,
   through the service's own ``list_cases``; first pages and pages 20 deep, p50/p95/p99 over
   many requests. Baseline: the same page reached with OFFSET instead of the keyset cursor.
3. Concurrent actions: ``--threads`` workers act on random open cases (complaints, comments,
   escalations) through ``CaseService.act`` for ``--seconds``; actions/s, then a check that no
   update was lost (complaint counters and audit chains agree with the actions accepted).
   Baseline: one worker.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, nulls_last, select, text

from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.machine import Role
from callwarden.cases.models import Case
from callwarden.cases.schemas import ActionIn
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError

FILL = """
INSERT INTO cases (kind, msisdn, state, queue, outcome, risk_score, high_risk, escalated,
    complaints, opened_at, updated_at, closed_at, sla_budget_s, sla_used_s, sla_running_since,
    due_at, breached, audit_seq, audit_head, version)
SELECT
    CASE WHEN s.state = 'under_review' AND g % 4 = 1 THEN 'review' ELSE 'suspension' END,
    '+86138' || lpad(g::text, 8, '0'),
    s.state,
    s.queue,
    CASE WHEN s.state = 'closed' THEN 'restored' END,
    0.6 + (g % 40) / 100.0,
    g % 7 = 0,
    g % 50 = 0,
    0,
    now() - (g % 86400) * interval '1 second',
    now(),
    CASE WHEN s.state = 'closed' THEN now() END,
    CASE WHEN s.running THEN 7200 END,
    0,
    CASE WHEN s.running THEN now() - (g % 3600) * interval '1 second' END,
    CASE WHEN s.running THEN now() + ((g::bigint * 7919) % 172800 - 3600) * interval '1 second' END,
    false,
    0,
    '',
    1
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (
    SELECT * FROM (VALUES
        (0, 'awaiting_request', 'customer', false),
        (1, 'awaiting_verification', 'agent', false),
        (2, 'under_review', 'analyst', true),
        (3, 'under_review', 'analyst', true),
        (4, 'awaiting_customer', 'customer', false),
        (5, 'approved', 'technician', true),
        (6, 'closed', NULL, false),
        (7, 'closed', NULL, false),
        (8, 'closed', NULL, false),
        (9, 'awaiting_second_approval', 'analyst', true)
    ) AS v(k, state, queue, running) WHERE v.k = g % 10
) AS s
"""

FILTERS: list[dict[str, Any]] = [
    {"queue": "analyst"},
    {"queue": "technician"},
    {"state": "under_review"},
    {"state": "awaiting_request", "kind": "suspension"},
    {"queue": "analyst", "breached": False},
    {"open_only": True},
]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def summary_ms(xs: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(xs), 2),
        "p95_ms": round(1000 * pct(xs, 95), 2),
        "p99_ms": round(1000 * pct(xs, 99), 2),
    }


def queue_pages(svc: CaseService, rounds: int, depth: int) -> dict[str, Any]:
    who = Actor("bench", Role.supervisor)
    first, deep, offset = [], [], []
    with svc.db.sessions() as s:
        for i in range(rounds):
            flt = queries.CaseFilter(**FILTERS[i % len(FILTERS)])
            t = time.perf_counter()
            page = queries.list_cases(s, who, svc.sla, svc.now(), flt, limit=50)
            first.append(time.perf_counter() - t)
            cursor = page["next"]
            for _ in range(depth - 1):  # walk to page `depth`, time only the last step
                t = time.perf_counter()
                page = queries.list_cases(s, who, svc.sla, svc.now(), flt, limit=50, after=cursor)
                step = time.perf_counter() - t
                cursor = page["next"]
            deep.append(step)
            # baseline: the same deep page by OFFSET
            q = select(Case)
            for k, v in FILTERS[i % len(FILTERS)].items():
                q = (
                    q.where(Case.closed_at.is_(None))
                    if k == "open_only"
                    else q.where(getattr(Case, k) == v)
                )
            q = q.order_by(nulls_last(Case.due_at.asc()), Case.id)
            t = time.perf_counter()
            list(s.scalars(q.offset(50 * (depth - 1)).limit(50)))
            offset.append(time.perf_counter() - t)
    return {
        "first_page": summary_ms(first),
        f"page_{depth}_keyset": summary_ms(deep),
        f"page_{depth}_offset_baseline": summary_ms(offset),
    }


def actions(svc: CaseService, ids: list[int], threads: int, seconds: float) -> dict[str, Any]:
    done: list[tuple[int, str]] = []
    refused = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    kinds = ["complain", "comment", "escalate"]

    def work(seed: int) -> None:
        rng = random.Random(seed)
        me = Actor(f"agent-{seed}", Role.agent)
        while time.perf_counter() < stop:
            case_id, kind = rng.choice(ids), rng.choice(kinds)
            try:
                svc.act(case_id, me, ActionIn(action=kind, reason="bench"))  # type: ignore[arg-type]
            except CaseError:
                with lock:
                    refused[0] += 1
                continue
            with lock:
                done.append((case_id, kind))

    t = time.perf_counter()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    wall = time.perf_counter() - t
    return {
        "threads": threads,
        "accepted": len(done),
        "refused": refused[0],
        "actions_per_s": round(len(done) / wall, 1),
        "done": done,
    }


def check_no_lost_update(svc: CaseService, done: list[tuple[int, str]]) -> dict[str, Any]:
    complaints: dict[int, int] = {}
    events: dict[int, int] = {}
    for case_id, kind in done:
        events[case_id] = events.get(case_id, 0) + 1
        if kind == "complain":
            complaints[case_id] = complaints.get(case_id, 0) + 1
    with svc.db.sessions() as s:
        rows = s.execute(
            select(Case.id, Case.complaints, Case.audit_seq).where(Case.id.in_(list(events)))
        ).all()
        lost = sum(
            1 for cid, c, seq in rows if c != complaints.get(cid, 0) or seq != events.get(cid, 0)
        )
        report = verify(s, list(events))
    return {"cases_touched": len(events), "lost_updates": lost, "audit_ok": report.ok}


def sqlite(args: argparse.Namespace) -> None:
    """The same queue pages and actions on the embedded SQLite file."""
    import tempfile  # noqa: PLC0415

    from sqlalchemy import insert  # noqa: PLC0415

    path = Path(tempfile.mkdtemp()) / "cases.db"
    db = open_database(str(path))
    svc = CaseService(db)
    states = [
        ("awaiting_request", "customer", False),
        ("awaiting_verification", "agent", False),
        ("under_review", "analyst", True),
        ("under_review", "analyst", True),
        ("awaiting_customer", "customer", False),
        ("approved", "technician", True),
        ("closed", None, False),
        ("closed", None, False),
        ("closed", None, False),
        ("awaiting_second_approval", "analyst", True),
    ]
    now = datetime.now(UTC)
    rows = []
    for g in range(1, args.cases + 1):
        state, queue, running = states[g % 10]
        rows.append(
            {
                "kind": "review" if state == "under_review" and g % 4 == 1 else "suspension",
                "msisdn": f"+86138{g:08d}",
                "state": state,
                "queue": queue,
                "risk_score": 0.6 + (g % 40) / 100,
                "high_risk": g % 7 == 0,
                "escalated": g % 50 == 0,
                "complaints": 0,
                "opened_at": now,
                "updated_at": now,
                "closed_at": now if state == "closed" else None,
                "sla_budget_s": 7200 if running else None,
                "sla_used_s": 0,
                "sla_running_since": now if running else None,
                "due_at": now + timedelta(seconds=(g * 7919) % 172800 - 3600) if running else None,
                "breached": False,
                "audit_seq": 0,
                "audit_head": "",
                "version": 1,
            }
        )
    t = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(insert(Case), rows)
    fill = time.perf_counter() - t
    with db.sessions() as s:
        ids = list(s.scalars(select(Case.id).where(Case.closed_at.is_(None)).limit(50_000)))
    result: dict[str, Any] = {
        "database": "sqlite",
        "cases": args.cases,
        "fill_s": round(fill, 1),
        "queue": queue_pages(svc, args.rounds, args.depth),
    }
    for threads in (1, 4):
        run = actions(svc, ids[threads::7], threads, args.seconds)
        run["check"] = check_no_lost_update(svc, run.pop("done"))
        result[f"actions_{threads}_threads"] = run
    print(json.dumps(result, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument(
        "--sqlite", action="store_true", help="the embedded default instead (a SQLite file)"
    )
    args = ap.parse_args()
    if args.sqlite:
        sqlite(args)
        return

    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"callwarden_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    try:
        db = open_database(url, pool_size=args.threads + 4, max_overflow=8)
        svc = CaseService(db)
        t = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text(FILL), {"n": args.cases})
            conn.execute(text("ANALYZE cases"))
        fill_s = time.perf_counter() - t
        with db.sessions() as s:
            total = s.scalar(select(func.count()).select_from(Case))
            ids = list(s.scalars(select(Case.id).where(Case.closed_at.is_(None)).limit(50_000)))
        result: dict[str, Any] = {
            "machine": f"{platform.processor() or platform.machine()}, {platform.node()}",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "cases": total,
            "fill_s": round(fill_s, 1),
            "queue": queue_pages(svc, args.rounds, args.depth),
        }
        halves = {1: ids[::2], args.threads: ids[1::2]}  # untouched cases for each run
        for threads in (1, args.threads):
            run = actions(svc, halves[threads], threads, args.seconds)
            run["check"] = check_no_lost_update(svc, run.pop("done"))
            result[f"actions_{threads}_threads"] = run
        print(json.dumps(result, indent=2))
        db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

"""The console's pages on PostgreSQL at a million cases: p50/p95 per page, beside the API's JSON.

    .venv/bin/python benchmarks/bench_console.py [--cases 1000000] [--rounds 100]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. A fresh database (migrated by callwarden) gets ``--cases`` cases spread over the states and
   SLA deadlines of a real queue (bench_cases.py's INSERT ... SELECT), one alert and one
   suspension per case (alerts over the last 90 days, suspensions of closed cases lifted, and
   their cases closed, when the number was restored), then VACUUM ANALYZE.
2. Each page is requested ``--rounds`` times through the whole ASGI app in process (request
   guard, session cookie, the service's queries, the template, no network): the case queue (all
   open, then per queue), a case, a number, alerts (all, then suspend only), the dashboard (whose
   figures the page reuses for a minute; then with that reuse off, every request counting them
   from the roll-up, :mod:`callwarden.rollup.daily`), and a customer's self-service page. The
   roll-up's first call (the closed days counted and stored) is timed once.
3. Baseline, in the same run: the API's JSON for the same queue page and case (the page's cost
   over the data it shows), and the dashboard's figures counted afresh (``--fresh-rounds``).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import time
import uuid
from typing import Any

from bench_cases import FILL  # the million cases of the queue benchmark
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from callwarden.api import create_app  # noqa: TID251  (the benchmark drives the edge)
from callwarden.cases import overview, queries
from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.rollup import daily
from callwarden.web import console  # noqa: TID251  (the page's minute of reuse, switched off)

ALERTS = """
INSERT INTO alerts (alert_id, msisdn, flagged_at, score, decision, reasons, received_at, case_id)
SELECT md5(c.id::text), c.msisdn, now() - (c.id::bigint * 7776000 / :n) * interval '1 second',
    c.risk_score, CASE WHEN c.kind = 'review' THEN 'review' ELSE 'suspend' END,
    json_build_array(json_build_object('code', (ARRAY['relay_call', 'robocall', 'wangiri',
        'simbox'])[1 + c.id % 4], 'weight', 1.0, 'text_zh', '60 分钟内主叫 42 次',
        'text_en', '42 calls in 60 min', 'evidence', '{}')),
    now(), c.id
FROM cases c
"""
SUSPENSIONS = """
INSERT INTO suspensions (id, msisdn, level, score, reasons, decided_by, alert_id, started_at,
    lifted_at, lifted_by)
SELECT c.id, c.msisdn, 'suspend', c.risk_score, a.reasons, 'policy', a.alert_id, a.flagged_at,
    CASE WHEN c.state = 'closed' THEN LEAST(a.flagged_at + (c.id % 72) * interval '1 hour',
        a.flagged_at + (now() - a.flagged_at) / 2) END,
    CASE WHEN c.state = 'closed' THEN 'tech-1' END
FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.kind = 'suspension'
"""
LINK = "UPDATE cases SET suspension_id = id WHERE kind = 'suspension'"
#: a closed case closed when its number was restored (not all at the moment of the fill)
CLOSED = """
UPDATE cases c SET closed_at = s.lifted_at FROM suspensions s
WHERE s.id = c.id AND c.state = 'closed' AND s.lifted_at IS NOT NULL
"""
STATUS = """
INSERT INTO number_status (msisdn, status, risk_score, open_case_id, updated_at, version)
SELECT msisdn, CASE WHEN closed_at IS NULL THEN 'suspended' ELSE 'active' END, risk_score,
    CASE WHEN closed_at IS NULL THEN id END, now(), 1
FROM cases
"""


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def timed(
    client: TestClient, paths: list[str], rounds: int, headers: dict[str, str]
) -> dict[str, float]:
    client.get(paths[0], headers=headers)  # warm
    xs = []
    for i in range(rounds):
        t = time.perf_counter()
        r = client.get(paths[i % len(paths)], headers=headers)
        xs.append(time.perf_counter() - t)
        assert r.status_code == 200, (paths[i % len(paths)], r.status_code, r.text[:300])
    return {
        "p50_ms": round(1000 * statistics.median(xs), 1),
        "p95_ms": round(1000 * pct(xs, 95), 1),
    }


def main() -> None:  # noqa: PLR0915  (one linear recipe: fill, then time each page)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--fresh-rounds", type=int, default=5, help="rounds of the old count")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"callwarden_bench_console_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    try:
        db = open_database(url)
        t = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text(FILL), {"n": args.cases})
            for sql in (ALERTS, SUSPENSIONS, LINK, CLOSED, STATUS):
                conn.execute(text(sql), {"n": args.cases})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # the steady state autovacuum keeps
        fill_s = time.perf_counter() - t
        svc = CaseService(db)
        token = svc.add_user("bench-supervisor", "supervisor")
        api_token = {"Authorization": f"Bearer {token}"}
        client = TestClient(create_app(svc), follow_redirects=True)
        client.get("/console/login")
        client.post(
            "/console/login",
            data={
                "csrf": client.cookies["cw_csrf"],
                "username": "bench-supervisor",
                "token": token,
            },
        )
        rng = random.Random(7)
        with db.reads() as s:
            open_ids = [
                int(i)
                for (i,) in s.execute(
                    text("SELECT id FROM cases WHERE closed_at IS NULL ORDER BY random() LIMIT 200")
                )
            ]
        numbers = [f"+86138{i:08d}" for i in rng.sample(range(1, args.cases + 1), 200)]
        pages = {
            "case queue (open, nearest deadline first)": ["/console/cases"],
            "case queue by queue": [
                f"/console/cases?queue={q}" for q in ("analyst", "technician", "agent")
            ],
            "case page": [f"/console/cases/{i}" for i in open_ids],
            "number page": [f"/console/numbers/{n}" for n in numbers],
            "alerts (newest first)": ["/console/alerts"],
            "alerts, suspend only, score >= 0.9": [
                "/console/alerts?decision=suspend&min_score=0.9"
            ],
            "dashboard (14 days, 2 ISO weeks)": ["/console/dashboard"],
        }
        results: dict[str, Any] = {}
        # the roll-up's first call counts and stores the closed days (once per database)
        t = time.perf_counter()
        daily.figures(db, svc.now())
        results["dashboard roll-up, first call (closed days counted and stored)"] = {
            "once_ms": round(1000 * (time.perf_counter() - t), 1)
        }
        for label, paths in pages.items():
            results[label] = timed(client, paths, args.rounds, {})
        console.FIGURES_SECONDS = -1  # every request counts its figures (no minute's reuse)
        results["dashboard, figures from the roll-up on every request"] = timed(
            client, ["/console/dashboard"], args.rounds, {}
        )
        console.FIGURES_SECONDS = 60
        # baseline: the dashboard's figures counted afresh, as the page did before the roll-up
        xs = []
        for _ in range(args.fresh_rounds):
            with db.reads() as s:
                t = time.perf_counter()
                overview.figures(s, svc.now())
                xs.append(time.perf_counter() - t)
        results["baseline: dashboard figures counted afresh (overview.figures)"] = {
            "p50_ms": round(1000 * statistics.median(xs), 1),
            "p95_ms": round(1000 * pct(xs, 95), 1),
        }
        # a customer's page: a session on a suspended number, through the real code flow
        msisdn = numbers[0]
        customer = TestClient(create_app(svc), follow_redirects=True)
        customer.get("/self/")
        customer.post("/self/code", data={"csrf": customer.cookies["cw_csrf"], "msisdn": msisdn})
        with db.reads() as s:
            sms = [n["text"] for n in queries.notices(s, limit=1000) if n["msisdn"] == msisdn]
        code = re.findall(r"\b\d{6}\b", sms[-1])[0]
        customer.post(
            "/self/session",
            data={"csrf": customer.cookies["cw_csrf"], "msisdn": msisdn, "code": code},
        )
        results["self-service case page"] = timed(customer, ["/self/case"], args.rounds, {})
        api = TestClient(create_app(svc))
        results["baseline: GET /api/v1/cases?open=true (JSON)"] = timed(
            api, ["/api/v1/cases?open=true&limit=50"], args.rounds, api_token
        )
        results["baseline: GET /api/v1/cases/{id} (JSON)"] = timed(
            api, [f"/api/v1/cases/{i}" for i in open_ids], args.rounds, api_token
        )
        db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(
        json.dumps(
            {
                "cases": args.cases,
                "fill_s": round(fill_s, 1),
                "rounds": args.rounds,
                "python": platform.python_version(),
                "pages": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

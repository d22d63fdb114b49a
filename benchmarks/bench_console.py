"""The console's pages on PostgreSQL at a million cases: p50/p95 per page, beside the API's JSON.

    .venv/bin/python benchmarks/bench_console.py [--cases 1000000] [--rounds 100]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. A fresh database (migrated by callwarden) gets ``--cases`` cases spread over the states and
   SLA deadlines of a real queue (bench_cases.py's INSERT ... SELECT), one alert and one
   suspension per case (alerts over the last 90 days, suspensions of closed cases lifted).
2. Each page is requested ``--rounds`` times through the whole ASGI app in process (request
   guard, session cookie, the service's queries, the template, no network): the case queue (all
   open, then per queue), a case, a number, alerts (all, then suspend only), the dashboard (whose
   figures the page reuses for a minute; they are also timed counted afresh), and a customer's
   self-service page.
3. Baseline, in the same run: the API's JSON for the same queue page and case (the page's cost
   over the data it shows).
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

ALERTS = """
INSERT INTO alerts (alert_id, msisdn, flagged_at, score, decision, reasons, received_at, case_id)
SELECT md5(c.id::text), c.msisdn, now() - (c.id % 7776000) * interval '1 second',
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
    CASE WHEN c.state = 'closed' THEN a.flagged_at + (c.id % 72) * interval '1 hour' END,
    CASE WHEN c.state = 'closed' THEN 'tech-1' END
FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.kind = 'suspension'
"""
LINK = "UPDATE cases SET suspension_id = id WHERE kind = 'suspension'"
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
            for sql in (ALERTS, SUSPENSIONS, LINK, STATUS):
                conn.execute(text(sql))
            conn.execute(text("ANALYZE"))
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
        for label, paths in pages.items():
            results[label] = timed(client, paths, args.rounds, {})
        # the dashboard's figures counted afresh (the page reuses them for a minute)
        xs = []
        for _ in range(max(5, args.rounds // 10)):
            with db.reads() as s:
                t = time.perf_counter()
                overview.figures(s, svc.now())
                xs.append(time.perf_counter() - t)
        results["dashboard figures counted afresh (overview.figures)"] = {
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

"""What the API's hardening costs: requests per second with and without it, in one run.

    .venv/bin/python benchmarks/bench_api_guard.py [--requests 2000] [--db URL]

Three requests a client makes all day, each timed through the ASGI app in process (no network,
so the figures are the app's own cost):

- ``POST /api/v1/alerts`` with 50 alerts (all already received: the intake path without writes);
- ``GET /api/v1/cases?limit=50`` (a page of the queue);
- a wrong one-time code through the service (one counted try: a conditional update committed
  before the comparison).

Baseline: the same app with the request guard (body limits, strict JSON, clean text) removed;
for the code, the old redemption (read, compare, write in one transaction, no condition, which
lost counts under concurrency). Same process, alternating rounds, medians.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from callwarden.api import create_app  # noqa: TID251  (the benchmark drives the edge)
from callwarden.api.guard import RequestGuard  # noqa: TID251
from callwarden.cases import access
from callwarden.cases.config import ApiConfig, CaseConfig
from callwarden.cases.db import open_database
from callwarden.cases.models import OneTimeCode
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.errors import Unauthorized

NUMBER = "+8613812345678"


def _alerts(n: int) -> list[dict[str, Any]]:
    return [
        {
            "msisdn": f"+86138{10_000_000 + i:08d}",
            "flagged_at": "2026-07-08T10:00:00Z",
            "score": 0.85,
            "decision": "restrict",
            "reasons": [{"code": "relay_call", "text_zh": "中转呼叫", "text_en": "relay call"}],
        }
        for i in range(n)
    ]


def _old_open_session(svc: CaseService, msisdn: str, code: str) -> None:
    """The redemption as it was: read the code, check, write, one transaction, no condition."""
    now = svc.now()
    with svc.db.sessions() as s:
        otp = s.scalar(
            select(OneTimeCode)
            .where(OneTimeCode.msisdn == msisdn, OneTimeCode.expires_at > now)
            .order_by(OneTimeCode.id.desc())
            .limit(1)
        )
        if otp is None or otp.used:
            raise Unauthorized(access.BAD_CODE)
        if not hmac.compare_digest(otp.code_hash, access._digest(msisdn + ":" + code)):
            otp.attempts += 1
            s.commit()
            raise Unauthorized(access.BAD_CODE)


def _time(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file)")
    args = parser.parse_args()
    url = args.db or str(Path(tempfile.mkdtemp()) / "bench.db")
    config = CaseConfig(api=ApiConfig(self_service_per_minute=10**9, max_body_bytes=10**7))
    svc = CaseService(open_database(url), config)
    token = svc.add_user("bench", "supervisor")
    auth = {"Authorization": f"Bearer {token}"}
    alerts = _alerts(50)
    svc.intake([AlertIn.model_validate(a) for a in alerts])
    svc.request_code(NUMBER)

    guarded = TestClient(create_app(svc))
    bare_app = create_app(svc)
    bare_app.user_middleware = [m for m in bare_app.user_middleware if m.cls is not RequestGuard]
    bare = TestClient(bare_app)
    body = json.dumps({"alerts": alerts}).encode()
    headers = {**auth, "Content-Type": "application/json"}

    def wrong_code(redeem: Callable[[], Any]) -> Callable[[], None]:
        def attempt() -> None:
            with contextlib.suppress(Unauthorized):
                redeem()

        return attempt

    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "POST /api/v1/alerts, 50 alerts already received": (
            lambda: bare.post("/api/v1/alerts", content=body, headers=headers),
            lambda: guarded.post("/api/v1/alerts", content=body, headers=headers),
        ),
        "GET /api/v1/cases?limit=50": (
            lambda: bare.get("/api/v1/cases", params={"limit": 50}, headers=auth),
            lambda: guarded.get("/api/v1/cases", params={"limit": 50}, headers=auth),
        ),
        "a wrong one-time code (service call)": (
            wrong_code(lambda: _old_open_session(svc, NUMBER, "000000")),
            wrong_code(lambda: svc.open_session(NUMBER, "000000")),
        ),
    }
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {svc.db.dialect}")
    print("| request | baseline req/s | hardened req/s | hardened / baseline |")
    print("|---|---|---|---|")
    for name, (baseline, hardened) in pairs.items():
        base, hard = [], []
        for _ in range(args.rounds):  # alternate, so drift in the machine hits both alike
            base.append(_time(baseline, args.requests))
            hard.append(_time(hardened, args.requests))
        b, h = statistics.median(base), statistics.median(hard)
        print(f"| {name} | {b:,.0f} | {h:,.0f} | {h / b:.2f} |")


if __name__ == "__main__":
    main()

"""The hotline decision service with 10M marked numbers: decisions per second, p99, memory.

    .venv/bin/python benchmarks/bench_screen.py [--numbers 10000000] [--calls 100000]
        [--baseline-numbers 2000000] [--http-calls 10000]

What is timed, per call, in one process (the decision service's own cost, no network):
validating the request (``ScreenIn``), the token, the caller's number and region, the marks
lookup, the policy, and queuing the decision for the batched log; the log writer thread inserts
into the same SQLite file meanwhile (every 0.5 s), so its cost is in the figures. The calls mix
marked callers (30%), unmarked ones, foreign and spoofed numbers, and challenge answers.

Side by side, in the same run:

- **baseline**: the same service, the marks read with one indexed SQL query per call
  (``reputation_marks`` on SQLite holding ``--baseline-numbers`` numbers);
- **HTTP**: ``POST /api/v1/screen`` through uvicorn on loopback (httptools, uvloop, no
  access log), ``--workers`` processes on one socket as ``serve --workers N`` runs them (each
  its own screener and decision log over the in-memory marks, forked after the table was
  built), driven by ``--clients`` concurrent keep-alive connections from another process:
  first through the FastAPI route as it answered before (the request guard, routing, the
  route's validation), then with the ASGI fast path in front, as served now. The server's CPU
  time is read from ``/proc`` for every worker (all threads, the log writer's included).

Memory: the compact table's arrays, and the process's resident memory before and after it is
built. Besides wall-clock rates, each run states the process's CPU time per decision (all its
threads, the log writer's included): on a machine shared with other work the wall clock
measures the neighbours too.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from callwarden.cases.db import open_database
from callwarden.reputation.categories import Category
from callwarden.screen.feed import MarkFeed
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.marktable import CATEGORIES, MarkTable
from callwarden.screen.service import Screener, ScreenIn

HOTLINE = "+864001234567"
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Shanghai
POLICY = """
[[bands]]
categories = ["fraud", "one_ring"]
min_score = 0.5
action = "block"
[[bands]]
categories = ["fraud", "one_ring", "marketing", "real_estate", "loans_finance", "insurance"]
min_score = 0.2
action = "challenge"
[challenge]
code = "8"
[[routes]]
queue = "south"
regions = ["广东"]
[hours]
open = "08:00-21:00"
"""
_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 158, 159, 186, 188])


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def marked_numbers(n: int, seed: int = 1) -> np.ndarray:
    """``n`` distinct Chinese mobile numbers as int64 keys (86 + 11 digits)."""
    rng = np.random.default_rng(seed)
    keys = np.unique(
        86 * 10**11
        + rng.choice(_PREFIXES, int(n * 1.02)).astype(np.int64) * 10**8
        + rng.integers(0, 10**8, int(n * 1.02))
    )
    rng.shuffle(keys)
    return keys[:n]


def build_table(keys: np.ndarray, seed: int = 2) -> MarkTable:
    """One mark per number, a second for one in five (categories as the crowd reports)."""
    rng = np.random.default_rng(seed)
    extra = keys[rng.random(len(keys)) < 0.2]
    all_keys = np.concatenate([keys, extra])
    weights = np.array([0.2, 0.3, 0.1, 0.12, 0.05, 0.05, 0.05, 0.06, 0.02, 0.03, 0.02])
    cats = rng.choice(len(CATEGORIES), len(all_keys), p=weights / weights.sum()).astype(np.uint8)
    evidence = rng.gamma(1.5, 0.6, len(all_keys)).astype(np.float32)
    return MarkTable.from_arrays(all_keys, cats, evidence, NOW)


def calls(keys: np.ndarray, n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.30:
            caller = f"+{keys[rng.integers(0, len(keys))]}"
        elif r < 0.90:
            caller = f"+86{int(rng.choice(_PREFIXES))}{int(rng.integers(0, 10**8)):08d}"
        elif r < 0.95:
            caller = f"+4479{int(rng.integers(11, 99))}{int(rng.integers(0, 10**6)):06d}"
        else:
            caller = f"+86123{int(rng.integers(0, 10**8)):08d}"  # spoofed: unallocated
        body: dict[str, Any] = {
            "caller": caller,
            "callee": "4001234567",
            "time": (NOW + timedelta(seconds=i)).isoformat(),
        }
        if rng.random() < 0.05:
            body["ivr_input"] = "8"
        out.append(body)
    return out


def setup_db(path: Path) -> tuple[Any, str]:
    db = open_database(str(path))
    with db.sessions.begin() as s:
        token = add_hotline(s, "bench", HOTLINE, NOW)
        install_policy(s, "bench", POLICY, NOW, "bench")
    return db, token


def fill_marks(db: Any, keys: np.ndarray) -> None:
    """``reputation_marks`` rows for the baseline's per-call query."""
    cats = [c.value for c in Category]
    at = NOW.isoformat(sep=" ")
    with db.engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        step = 500_000
        for i in range(0, len(keys), step):
            chunk = keys[i : i + step]
            cur.executemany(
                "INSERT INTO reputation_marks (msisdn, category, sources, count, first_seen, "
                "last_seen, evidence, evidence_at) VALUES (?, ?, '{}', 1, ?, ?, ?, ?)",
                [(f"+{k}", cats[int(k) % len(cats)], at, at, 0.8, at) for k in chunk.tolist()],
            )


class SqlMarks:
    """The baseline: each lookup is one indexed query."""

    def __init__(self, db: Any, scoring: Any) -> None:
        self.engine = db.engine
        self.scoring = scoring
        self.overlay: dict[int, Any] = {}

    def lookup(self, key: int, now: datetime) -> list[tuple[Category, float]]:
        with self.engine.connect() as conn:  # one read, then the connection back to the pool
            rows = conn.execute(
                text(
                    "SELECT category, evidence, evidence_at FROM reputation_marks WHERE msisdn = :m"
                ),
                {"m": f"+{key}"},
            ).all()
        out = []
        for category, evidence, at in rows:
            when = datetime.fromisoformat(str(at)).replace(tzinfo=UTC)
            out.append((Category(category), self.scoring.score(evidence, now - when)))
        return sorted(out, key=lambda m: -m[1])


def run(screener: Screener, token: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    lat = np.empty(len(bodies), np.int64)
    actions: dict[str, int] = {}
    cpu = time.process_time()  # every thread of the process: the log writer's inserts too
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        t0 = time.perf_counter_ns()
        answer = screener.screen(token, ScreenIn.model_validate(body))
        lat[i] = time.perf_counter_ns() - t0
        actions[answer["action"]] = actions.get(answer["action"], 0) + 1
    wall = time.perf_counter() - start
    t_flush = time.perf_counter()
    screener.log.flush()
    drain = time.perf_counter() - t_flush
    cpu = time.process_time() - cpu
    return {
        "per_s": len(bodies) / (wall + drain),
        "cpu_us": cpu / len(bodies) * 1e6,
        "per_cpu_s": len(bodies) / cpu,
        "p50_ms": float(np.percentile(lat, 50)) / 1e6,
        "p99_ms": float(np.percentile(lat, 99)) / 1e6,
        "max_ms": float(lat.max()) / 1e6,
        "logged": screener.log.written,
        **{f"n_{k}": v for k, v in sorted(actions.items())},
    }


# -- HTTP -------------------------------------------------------------------------------------
def _raw_client(port: int, token: str, bodies: list[dict[str, Any]], clients: int, q: Any) -> None:
    """Keep-alive HTTP/1.1 over plain asyncio streams: requests encoded ahead, so the client
    costs little CPU beside the server on a 2-core machine (httpx costs more than uvicorn)."""
    import json  # noqa: PLC0415

    def request(body: dict[str, Any]) -> bytes:
        data = json.dumps(body).encode()
        head = (
            f"POST /api/v1/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    async def main() -> tuple[list[float], float, int]:
        lat: list[float] = []
        bad = 0
        share = [[request(b) for b in bodies[i::clients]] for i in range(clients)]

        async def worker(mine: list[bytes]) -> None:
            nonlocal bad
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for raw in mine:
                t0 = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                lat.append(time.perf_counter() - t0)
                bad += not head.startswith(b"HTTP/1.1 200")
            writer.close()

        start = time.perf_counter()
        await asyncio.gather(*(worker(m) for m in share))
        return lat, time.perf_counter() - start, bad

    q.put(asyncio.run(main()))


def _client(port: int, token: str, bodies: list[dict[str, Any]], clients: int, q: Any) -> None:
    import httpx  # noqa: PLC0415

    async def main() -> tuple[list[float], float, int]:
        lat: list[float] = []
        bad = 0
        share = [bodies[i::clients] for i in range(clients)]
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=clients),
        ) as http:

            async def worker(mine: list[dict[str, Any]]) -> None:
                nonlocal bad
                for body in mine:
                    t0 = time.perf_counter()
                    r = await http.post("/api/v1/screen", json=body)
                    lat.append(time.perf_counter() - t0)
                    bad += r.status_code != 200

            start = time.perf_counter()
            await asyncio.gather(*(worker(m) for m in share))
            return lat, time.perf_counter() - start, bad

    q.put(asyncio.run(main()))


def _app(screener: Screener, fast: bool) -> Any:
    """The screening part of the API as ``create_app`` assembles it: the request guard, the
    error handlers, the route; with ``fast``, the ASGI fast path in front (as served now)."""
    from fastapi import FastAPI  # noqa: PLC0415

    from callwarden.api import problems  # noqa: PLC0415, TID251
    from callwarden.api.guard import RequestGuard  # noqa: PLC0415, TID251
    from callwarden.api.screen_routes import (  # noqa: PLC0415, TID251
        ScreenFastPath,
        screen_router,
        screener_holder,
    )
    from callwarden.cases.service import CaseService  # noqa: PLC0415

    app = FastAPI()
    limit = 1_000_000  # ApiConfig's default
    app.add_middleware(
        RequestGuard,
        max_body_bytes=limit,
        public_prefix="/api/v1/self-service/",
        max_public_bytes=16_384,
    )
    problems.install(app)
    holder = screener_holder(CaseService(screener.db), screener)
    if fast:
        app.add_middleware(ScreenFastPath, holder=holder, max_body_bytes=limit)
    app.include_router(screen_router(CaseService(screener.db), holder=holder))
    return app


def _serve(sock: Any, db_path: str, table: MarkTable, fast: bool, ready: Any) -> None:
    """One worker process (forked: the marks table is shared copy-on-write, as after the
    parent built it): its own screener and decision log over the same database."""
    import uvicorn  # noqa: PLC0415

    from callwarden.api.server import fast_options  # noqa: PLC0415, TID251

    screener = Screener(open_database(db_path), table=table).start()
    options = {**fast_options(), "access_log": False, "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(_app(screener, fast), **options))

    def tell() -> None:
        while not server.started:
            time.sleep(0.02)
        ready.put(os.getpid())

    threading.Thread(target=tell, daemon=True).start()
    server.run(sockets=[sock])
    screener.close()


def _cpu_s(pid: int) -> float:
    """User and system CPU seconds of a process, all its threads (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_run(
    db_path: str,
    table: MarkTable,
    token: str,
    bodies: list[dict[str, Any]],
    clients: int,
    *,
    fast: bool,
    workers: int = 1,
    client: str = "raw",
) -> dict[str, float]:
    """``bodies`` through uvicorn on loopback, ``workers`` processes on one socket as
    ``serve --workers N`` runs them; the server's CPU is every worker's, the client's not."""
    import signal  # noqa: PLC0415
    import socket  # noqa: PLC0415

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    fork = multiprocessing.get_context("fork")
    ready = fork.Queue()
    procs = [
        fork.Process(target=_serve, args=(sock, db_path, table, fast, ready))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    pids = [ready.get(timeout=120) for _ in procs]
    spawn = multiprocessing.get_context("spawn")
    q: Any = spawn.Queue()
    proc = spawn.Process(
        target=_raw_client if client == "raw" else _client, args=(port, token, bodies, clients, q)
    )
    proc.start()  # the client encodes its requests before it starts the clock
    cpu = sum(_cpu_s(pid) for pid in pids)
    lat, wall, bad = q.get()
    time.sleep(0.8)  # the decision logs' last batch (written every 0.5 s)
    cpu = sum(_cpu_s(pid) for pid in pids) - cpu
    proc.join()
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    for p in procs:
        p.join(timeout=20)
    sock.close()
    return {
        "per_s": len(bodies) / wall,
        "cpu_us": cpu / len(bodies) * 1e6,
        "per_cpu_s": len(bodies) / cpu,
        "p50_ms": statistics.median(lat) * 1e3,
        "p99_ms": float(np.percentile(lat, 99)) * 1e3,
        "errors": bad,
    }


def main() -> None:  # noqa: PLR0915  (one straight script: set up, run side by side, report)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--numbers", type=int, default=10_000_000)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--baseline-numbers", type=int, default=2_000_000)
    ap.add_argument("--baseline-calls", type=int, default=20_000)
    ap.add_argument("--http-calls", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="server processes (serve --workers)")
    ap.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="HTTP client: raw asyncio keep-alive connections (cheap) or httpx",
    )
    ap.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the benchmark's processes at this niceness (-10: ahead of other work on a "
        "shared machine, as on a host of its own; needs root)",
    )
    args = ap.parse_args()
    if args.nice:
        os.nice(args.nice)  # inherited by the server workers and the client
    machine = platform.processor() or platform.machine()
    print(f"# {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()[0]:.1f}; niceness {os.nice(0)}")
    keys = marked_numbers(max(args.numbers, args.baseline_numbers))
    before = rss_mb()
    t0 = time.perf_counter()
    table = build_table(keys[: args.numbers])
    built = time.perf_counter() - t0
    after = rss_mb()
    print(
        f"marks: {table.numbers():,} numbers, {len(table.keys):,} marks; arrays "
        f"{table.nbytes / 2**20:,.0f} MiB; RSS {before:,.0f} -> {after:,.0f} MiB "
        f"(+{after - before:,.0f}); built in {built:.1f} s"
    )
    bodies = calls(keys[: args.numbers], args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        db, token = setup_db(Path(tmp) / "bench.db")
        if args.baseline_numbers:  # written first: nothing else is reading the file meanwhile
            t0 = time.perf_counter()
            fill_marks(db, keys[: args.baseline_numbers])
            took = time.perf_counter() - t0
            print(f"baseline table: {args.baseline_numbers:,} marks in SQLite ({took:.0f} s)")
            t0 = time.perf_counter()
            loaded = MarkFeed(db).load(NOW)
            took = time.perf_counter() - t0
            print(
                f"loading them into a table at start: {loaded.numbers():,} numbers in {took:.1f} s"
            )
            del loaded
        screener = Screener(db, table=table).start()
        res = run(screener, token, bodies)
        print(f"in memory : {res}")
        screener.close()  # before the workers fork: no thread of it runs in them
        if args.http_calls:
            part = bodies[: args.http_calls]
            for fast in (False, True):
                h = http_run(
                    str(Path(tmp) / "bench.db"),
                    table,
                    token,
                    part,
                    args.clients,
                    fast=fast,
                    workers=args.workers,
                    client=args.client,
                )
                what = "ASGI fast path" if fast else "FastAPI route "
                print(f"HTTP {what}: {h} ({args.workers} workers, {args.clients} clients)")
        if args.baseline_numbers:
            base = Screener(db, table=SqlMarks(db, table.scoring)).start()  # type: ignore[arg-type]
            bl = run(base, token, calls(keys[: args.baseline_numbers], args.baseline_calls))
            print(f"SQL query : {bl}")
            base.close()
        db.engine.dispose()


if __name__ == "__main__":
    main()

"""Complaints import rate and statistics, beside plain mark reports of the same rows.

    .venv/bin/python benchmarks/bench_complaints.py [--rows 20000] [--callers 2000]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

1. A 12321-style export of ``--rows`` complaints is written (Chinese headers, the published
   category shares, ``--callers`` numbers across the country, one in twenty foreign or spoofed,
   named complainants, local call times over a month).
2. ``import_complaints`` files it into a fresh case database (each row checked, its region and
   carrier looked up, deduplicated by feed id and complainant, linked to its case, reported into
   the marks book): rows/s. Baseline: the marks importer (``marks import``) reporting the same
   ``msisdn,category`` rows with none of the complaint's bookkeeping.
3. ``complaint_stats`` over the month (every table of ``complaints stats``): p50 of 10 runs.

SQLite always (a temporary file); PostgreSQL too with ``--pg`` (a fresh database on that
server, dropped at the end).
"""

from __future__ import annotations

import argparse
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from callwarden.cases.db import open_database
from callwarden.reputation.complaint_import import import_complaints, read_complaints
from callwarden.reputation.complaint_stats import complaint_stats
from callwarden.reputation.complaints import Filer
from callwarden.reputation.importer import import_rows, read_rows

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 8, 1, 2, tzinfo=UTC)
SHARES = [
    ("贷款理财类", 309),
    ("违规催收类", 210),
    ("房产中介类", 140),
    ("保险", 120),
    ("骚扰/推销", 111),
    ("诈骗", 80),
    ("响一声", 30),
]
#: mobile ranges across the country (a virtual operator's too) and three cities' landlines
PREFIXES = ["1381234", "1501234", "1861234", "1891234", "1701234", "010", "021", "0755"]


def _callers(n: int, rng: random.Random) -> list[str]:
    out = []
    for i in range(n):
        if i % 20 == 0:
            out.append(rng.choice(["+14155550", "+447911", "+99912345"]) + f"{i:04d}")
            continue
        prefix = rng.choice(PREFIXES)
        width = 8 if prefix.startswith("0") else 11 - len(prefix)
        out.append(prefix + f"{rng.randrange(2 * 10 ** (width - 1), 10**width)}")
    return out


def write_export(folder: Path, rows: int, callers: int, seed: int = 7) -> tuple[Path, Path]:
    """The complaints export, and the same rows as a marks list."""
    rng = random.Random(seed)
    numbers = _callers(callers, rng)
    weights = [w for _, w in SHARES]
    export = folder / "complaints.csv"
    marks = folder / "marks.csv"
    with export.open("w", encoding="utf-8") as fh, marks.open("w", encoding="utf-8") as mh:
        fh.write("举报编号,被举报号码,举报类型,来电时间,举报人\n")
        mh.write("msisdn,category\n")
        for i in range(rows):
            number = rng.choice(numbers)
            category = rng.choices(SHARES, weights)[0][0]
            when = f"2026-07-{1 + rng.randrange(31):02d} {8 + rng.randrange(13):02d}:{i % 60:02d}"
            fh.write(f"JB{i:08d},{number},{category},{when},139{rng.randrange(10**8):08d}\n")
            value = {"贷款理财类": "loans_finance", "违规催收类": "debt_collection"}
            mh.write(f"{number},{value.get(category, 'marketing')}\n")
    return export, marks


def run(url: str, export: Path, marks: Path) -> dict[str, float]:
    db = open_database(url)
    filer = Filer("file", "file:12321")
    started = time.perf_counter()
    with db.sessions.begin() as s:
        counts, _ = import_complaints(s, read_complaints(export), filer, NOW, ZONE)
    took = time.perf_counter() - started
    stats = []
    for _ in range(10):
        t0 = time.perf_counter()
        with db.reads() as s:
            view = complaint_stats(s)
        stats.append(time.perf_counter() - t0)
    db.engine.dispose()
    return {
        "accepted": counts.accepted,
        "quarantined": counts.quarantined,
        "seconds": took,
        "rate": counts.read / took,
        "stats_ms": statistics.median(stats) * 1000,
        "total": view["total"],
    }


def baseline(url: str, marks: Path) -> dict[str, float]:
    db = open_database(url)
    started = time.perf_counter()
    with db.sessions.begin() as s:
        counts, _ = import_rows(s, read_rows(marks), NOW)
    took = time.perf_counter() - started
    db.engine.dispose()
    return {"seconds": took, "rate": counts.read / took}


def _pg_database(admin_url: str) -> tuple[str, str]:
    name = f"bench_complaints_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--callers", type=int, default=2_000)
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is made on it)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a timeout still drops the database
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export, marks = write_export(folder, args.rows, args.callers)
        targets = [("SQLite", lambda tag: str(folder / f"{tag}.db"))]
        made: list[str] = []
        if args.pg:
            pg = args.pg

            def fresh(tag: str) -> str:
                url, name = _pg_database(pg)
                made.append(name)
                return url

            targets.append(("PostgreSQL", fresh))
        try:
            for label, url_of in targets:
                got = run(url_of("complaints"), export, marks)
                base = baseline(url_of("marks"), marks)
                print(
                    f"{label}: {args.rows:,} complaints: {got['accepted']:,} filed, "
                    f"{got['quarantined']:,} quarantined in {got['seconds']:.1f} s = "
                    f"{got['rate']:,.0f} rows/s; marks import of the same rows (baseline) "
                    f"{base['rate']:,.0f} rows/s; stats over {got['total']:,} complaints "
                    f"p50 {got['stats_ms']:.1f} ms"
                )
        finally:
            for name in made:
                _drop(args.pg, name)


if __name__ == "__main__":
    main()

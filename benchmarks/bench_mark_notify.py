"""How fast a change to the marks reaches the decision path on PostgreSQL (LISTEN/NOTIFY).

    .venv/bin/python benchmarks/bench_mark_notify.py [--db URL] [--changes 20]

A screener polls every 600 s, so only the notification can bring a change in time. For each
of ``--changes`` numbers: the number is allowed, a fraud report is committed, and the time until
the screener blocks it is taken. An upheld appeal's withdrawal travels the same change log
(``screen/feed.py``); the issue's bound is 60 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from callwarden.cases.db import open_database
from callwarden.reputation.book import report
from callwarden.reputation.categories import Category, Source
from callwarden.screen.hotlines import add_hotline, install_policy
from callwarden.screen.service import Screener, ScreenIn

HOTLINE = "4001234567"


def now() -> datetime:
    return datetime.now(UTC)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--changes", type=int, default=20)
    args = ap.parse_args()
    admin = create_engine(args.server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # a database of its own, made afresh
        conn.execute(text("DROP DATABASE IF EXISTS bench_mark_notify"))
        conn.execute(text("CREATE DATABASE bench_mark_notify"))
    admin.dispose()
    db = open_database(args.server.rsplit("/", 1)[0] + "/bench_mark_notify")
    with db.sessions.begin() as s:
        token = add_hotline(s, "acme", HOTLINE, now())
        policy = '[[bands]]\ncategories = ["fraud"]\naction = "block"\n'
        install_policy(s, "acme", policy, now(), "admin")
    screener = Screener(db, clock=now, poll=600).start()
    time.sleep(1.0)  # the listener is connected
    took = []
    try:
        for k in range(args.changes):
            number = f"+86138123{k:05d}"
            assert (
                screener.screen(token, ScreenIn(caller=number, callee=HOTLINE, time=now()))[
                    "action"
                ]
                == "allow"
            )
            with db.sessions.begin() as s:
                report(s, number, Category.FRAUD, Source.COMPLAINT, now())
            start = time.monotonic()
            while (
                screener.screen(token, ScreenIn(caller=number, callee=HOTLINE, time=now()))[
                    "action"
                ]
                != "block"
            ):
                if time.monotonic() - start > 60:
                    raise SystemExit(f"{number}: the change did not arrive within 60 s")
                time.sleep(0.001)
            took.append((time.monotonic() - start) * 1000)
    finally:
        screener.close()
        db.engine.dispose()
    print(
        f"commit -> decision path over {len(took)} changes: median "
        f"{statistics.median(took):.1f} ms, max {max(took):.1f} ms (bound: 60 s)"
    )


if __name__ == "__main__":
    main()

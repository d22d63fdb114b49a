"""``campaign run`` for one day over N subscribers, beside a naive per-number baseline.

The day measured is the heaviest of a campaign: a suspension batch day, when every
unregistered number of the batch is suspended (suspension, real-name case, two audit events,
SMS, status) and the next batch is warned. The subscribers are drawn directly (4.5% of them
unregistered, the simulator's share), classified by ``campaign plan``'s code, loaded once, and
the reminder phase is run first so the day starts from a realistic state.

The baseline does the same suspensions one number at a time through the ORM, the way a
loop over ``CaseService`` would (one transaction per number); it runs on a slice and its
rate is given per number.

    python benchmarks/bench_campaign.py --subscribers 10000000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from sqlalchemy import create_engine, text

from callwarden.cases.db import open_database
from callwarden.cases.models import Case, NoticeRow, NumberStatus, Suspension
from callwarden.realname.campaign import Campaign
from callwarden.realname.kinds import classify
from callwarden.realname.service import CampaignService

CAMPAIGN = Campaign.model_validate(
    {
        "name": "bench",
        "phases": {
            "reminder": ["2026-09-01", "2026-09-30"],
            "suspension": ["2026-10-01", "2026-10-10"],
            "registration": ["2026-10-11", "2026-11-30"],
            "termination": ["2026-12-01", "2026-12-15"],
        },
        "suspension": {"batches": 10},
    }
)


def subscribers(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    status = rng.choice(
        ["verified", "incomplete", "mismatch", "corporate_unassigned", "none"],
        size=n,
        p=[0.955, 0.02, 0.012, 0.003, 0.01],
    )
    return pl.DataFrame(
        {
            "msisdn": pl.Series(8613800000000 + np.arange(n, dtype=np.int64) * 7).cast(pl.String),
            "realname_status": status,
            "owner_type": np.where(rng.random(n) < 0.05, "enterprise", "individual"),
            "activated_on": pl.Series(
                np.datetime64("2010-01-01") + rng.integers(0, 5000, size=n).astype("timedelta64[D]")
            ).cast(pl.Date),
            "region": rng.choice(["太原", "大同", "吕梁", "晋中"], size=n),
            "balance_fen": rng.integers(0, 20000, size=n).astype(np.int32),
        }
    ).with_columns(msisdn="+" + pl.col("msisdn"))


def naive(db_url: str, numbers: list[str]) -> float:
    """One transaction per number through the ORM objects: seconds per number."""
    db = open_database(db_url)
    now = datetime(2026, 10, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    for m in numbers:
        with db.sessions.begin() as s:
            susp = Suspension(msisdn=m, level="suspend", score=0.0, reasons=[], decided_by="x",
                              started_at=now)  # fmt: skip
            s.add(susp)
            s.flush()
            case = Case(kind="realname", msisdn=m, state="awaiting_registration", queue="customer",
                        risk_score=0.0, high_risk=True, suspension_id=susp.id, escalated=False,
                        complaints=0, opened_at=now, updated_at=now, sla_used_s=0, breached=False,
                        audit_seq=0, audit_head="")  # fmt: skip
            s.add(case)
            s.flush()
            s.merge(NumberStatus(msisdn=m, status="suspended", risk_score=0.0,
                                 open_case_id=case.id, updated_at=now))  # fmt: skip
            s.add(NoticeRow(msisdn=m, kind="suspended", language="zh", text="...",
                            status="queued", created_at=now))  # fmt: skip
    return (time.perf_counter() - start) / max(1, len(numbers))


BENCH_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/callwarden_bench_campaign"


def _create(url: str) -> None:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=1_000_000)
    ap.add_argument("--db", default=BENCH_DB, help="a database of its own: it is emptied")
    ap.add_argument("--baseline", type=int, default=2_000, help="numbers in the baseline slice")
    args = ap.parse_args()
    if args.db == BENCH_DB:
        _create(args.db)
    db = open_database(args.db)
    with db.engine.begin() as conn:
        for t in ("realname_actions", "realname_subjects", "realname_totals", "case_events",
                  "notices", "cases", "suspensions", "number_status"):  # fmt: skip
            conn.execute(text(f"DELETE FROM {t}"))  # noqa: S608  (fixed table names)
    t0 = time.perf_counter()
    subs = subscribers(args.subscribers)
    t_draw = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = classify(subs)
    t_plan = time.perf_counter() - t0
    clock = [datetime(2026, 9, 1, 1, tzinfo=UTC)]
    svc = CampaignService(db, CAMPAIGN, clock=lambda: clock[0])
    t0 = time.perf_counter()
    svc.load(plan, [{"region": "all", "subscribers": subs.height, "verified": 0}], date(2026, 9, 1))
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = svc.run_day(date(2026, 9, 1))  # reminders, call list
    t_remind = time.perf_counter() - t0
    clock[0] = datetime(2026, 10, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    day = svc.run_day(date(2026, 10, 1))  # batch 0 suspended, batch 3 warned
    t_suspend = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = svc.run_day(date(2026, 10, 1))
    t_again = time.perf_counter() - t0
    rest = plan.filter(pl.col("msisdn").str.slice(-4).cast(pl.Int64) % 10 == 5)["msisdn"]
    per = naive(args.db, rest.head(args.baseline).to_list())
    suspended = day.counts.get("suspend", 0)
    print(f"subscribers {subs.height:,}; unregistered {plan.height:,}")
    print(f"draw {t_draw:.1f} s; plan (classify) {t_plan:.1f} s; load subjects {t_load:.1f} s")
    print(f"reminder day: {t_remind:.1f} s ({first.counts})")
    print(f"suspension day: {t_suspend:.1f} s ({suspended:,} suspended, "
          f"{day.counts.get('sms_warning', 0):,} warned); run again: {t_again:.1f} s, "
          f"{sum(again.counts.values())} changes")  # fmt: skip
    print(f"naive baseline: {per * 1000:.2f} ms per suspension -> {per * suspended:.1f} s "
          f"for the same {suspended:,}")  # fmt: skip


if __name__ == "__main__":
    main()

"""``callwarden cases open`` with alerts of past days: the roll-up counts those days again."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from callwarden.cases import overview
from callwarden.cases.db import open_database
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.rollup import daily


def test_opening_cases_from_old_alerts_forgets_their_days(
    tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    calls, subs = seed000_records
    alerts = score_records(Traffic(calls, None, subs)).alerts
    now = datetime.now(UTC)
    alerts = alerts.with_columns(flagged_at=pl.lit(now - timedelta(days=3)).dt.cast_time_unit("us"))
    path = tmp_path / "alerts.parquet"
    write_alerts(alerts, path)
    db = open_database(str(tmp_path / "cases.db"))
    before = daily.figures(db, now)  # the closed days counted (no alerts yet) and stored
    assert sum(r["alerts_total"] for r in before["daily"]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "callwarden", "cases", "open", str(path), "--db",
         str(tmp_path / "cases.db")],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with db.reads() as s:
        fresh = overview.figures(s, now)
    after = daily.figures(db, now)
    assert after == fresh and sum(r["alerts_total"] for r in after["daily"]) == alerts.height

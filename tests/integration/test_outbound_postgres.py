"""Outbound compliance on PostgreSQL: a simulated day's registers imported, the audit finds
exactly the planted violations, and the pre-dial check follows new refusals and logs every
check."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from callwarden.cases.db import open_database
from callwarden.compliance.audit import audit_calls, read_calls
from callwarden.compliance.businesses import add_business, business_named
from callwarden.compliance.checker import Checker, DialIn
from callwarden.compliance.feed import people_of
from callwarden.compliance.models import Check
from callwarden.compliance.policy import parse_policy
from callwarden.compliance.registers import import_register
from callwarden.simulate.outbound import (
    OutboundDayConfig,
    simulate_outbound_day,
    write_outbound_day,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_an_outbound_day_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    day = simulate_outbound_day(OutboundDayConfig(seats=3, calls_per_seat=800, planted=8))
    paths = write_outbound_day(day, tmp_path)
    db = open_database(pg_url)
    try:
        with db.sessions.begin() as s:
            token = add_business(s, "seaview", day.policy, NOW)
        for kind, name in (("consent", "consents"), ("refusal", "refusals")):
            with db.sessions.begin() as s:
                counts, _ = import_register(s, "seaview", paths[name], kind, NOW)  # type: ignore[arg-type]
            assert counts.accepted == counts.read == getattr(day, name).height
        with db.reads() as s:
            business_id = business_named(s, "seaview").id
        consents, refusals = people_of(db, business_id)
        result = audit_calls(
            "seaview", read_calls(paths["calls"]), parse_policy(day.policy), consents, refusals
        )
        found = result.violations.select("call_id", "codes").explode("codes")
        assert (
            found.rename({"codes": "code"})
            .sort("call_id", "code")
            .equals(day.truth.sort("call_id", "code"))
        )

        # the check agrees with the audit on each planted call made after the registers
        checker = Checker(db, clock=lambda: NOW, poll=0.2).start()
        try:
            truth = day.truth.join(day.calls, on="call_id").filter(
                day.truth.join(day.calls, on="call_id")["code"] != "frequency"
            )
            for row in truth.iter_rows(named=True):
                dial = DialIn(
                    business="seaview",
                    caller_line=row["caller_line"],
                    callee=row["callee"],
                    time=row["start_time"],
                )
                codes = [r["code"] for r in checker.check(token, dial)["reasons"]]
                assert codes == [row["code"]], row
            honest = day.calls.join(day.truth, on="call_id", how="anti").row(0, named=True)
            dial = DialIn(
                business="seaview",
                caller_line=honest["caller_line"],
                callee=honest["callee"],
                time=honest["start_time"],
            )
            assert checker.check(token, dial)["allowed"]
            late = tmp_path / "late.csv"
            late.write_text(f"callee,refused_at\n{honest['callee']},2026-12-01 08:00\n")
            with db.sessions.begin() as s:
                import_register(s, "seaview", late, "refusal", NOW)
            deadline = time.monotonic() + 20
            while "refused" not in [r["code"] for r in checker.check(token, dial)["reasons"]]:
                assert time.monotonic() < deadline, "the new refusal did not reach the check"
                time.sleep(0.1)
            checker.log.flush()
            with db.reads() as s:
                logged = s.scalars(select(Check).order_by(Check.id)).all()
            assert len(logged) >= truth.height + 2
            assert "refused" in logged[-1].reasons and not logged[-1].allowed
        finally:
            checker.close()
    finally:
        db.engine.dispose()

"""The audit finds every violation planted in a simulated outbound day, and no other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from callwarden.cases.db import open_database
from callwarden.compliance.audit import audit_calls, read_calls
from callwarden.compliance.businesses import add_business, business_named
from callwarden.compliance.feed import people_of
from callwarden.compliance.policy import parse_policy
from callwarden.compliance.registers import import_register
from callwarden.simulate.outbound import (
    OutboundDayConfig,
    simulate_outbound_day,
    write_outbound_day,
)

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_audit_finds_exactly_the_planted_violations(tmp_path: Path) -> None:
    day = simulate_outbound_day(OutboundDayConfig(seats=4, calls_per_seat=800, planted=12))
    paths = write_outbound_day(day, tmp_path)
    db = open_database("sqlite://")
    with db.sessions.begin() as s:
        add_business(s, "seaview", day.policy, NOW)
    for kind, name in (("consent", "consents"), ("refusal", "refusals")):
        with db.sessions.begin() as s:
            counts, bad = import_register(s, "seaview", paths[name], kind, NOW)  # type: ignore[arg-type]
        assert bad.height == 0, bad.head()
        assert counts.read == counts.accepted == getattr(day, name).height
    with db.reads() as s:
        business_id = business_named(s, "seaview").id
    consents, refusals = people_of(db, business_id)
    result = audit_calls(
        "seaview", read_calls(paths["calls"]), parse_policy(day.policy), consents, refusals
    )
    found = result.violations.select("call_id", "codes").explode("codes")
    found = found.rename({"codes": "code"}).sort("call_id", "code")
    assert result.calls == day.calls.height and result.unreadable == 0
    assert found.height == day.truth.height
    assert found.equals(day.truth.sort("call_id", "code"))
    codes = {r["code"] for r in result.by_rule}
    assert codes == set(day.truth["code"].unique())
    assert sum(r["count"] for r in result.by_rule) == day.truth.height
    assert sum(c["count"] for c in result.by_category) == result.violations.height
    assert result.by_category[0]["category"] == "real_estate"
    assert sum(s["violating"] for s in result.by_seat) == result.violations.height
    planted_seats = set(day.calls.join(day.truth, on="call_id")["seat"].unique().to_list())
    assert {s["seat"] for s in result.by_seat} == planted_seats
    assert {"+8617012" in line["caller_line"] for line in result.by_line} == {True, False}
    assert pl.Series(found["code"]).n_unique() == 7

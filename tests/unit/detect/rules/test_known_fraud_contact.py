"""A number working the victim list of a known fraud number is flagged as part of the ring."""

from __future__ import annotations

import datetime as dt

import polars as pl

from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

T0 = dt.datetime(2026, 7, 8, 2, tzinfo=dt.UTC)
KNOWN = "+8617000000001"
PARTNER = "+8617000000002"
VICTIMS = [f"+86139{k * 7919 % 10000:04d}{k * 4111 % 10000:04d}" for k in range(1, 13)]


def _calls() -> pl.DataFrame:
    rows = []
    # The known number works the list in the morning, its partner an hour later: 12 victims,
    # few answer. An honest neighbour calls three of the same people, and they pick up.
    for k, victim in enumerate(VICTIMS):
        rows.append((f"a{k:02d}", KNOWN, victim, T0 + dt.timedelta(minutes=7 * k), 0))
        rows.append((f"b{k:02d}", PARTNER, victim, T0 + dt.timedelta(minutes=90 + 9 * k), 0))
    rows.extend(
        (f"c{k:02d}", "+8613800000009", VICTIMS[k], T0 + dt.timedelta(hours=5, minutes=k), 120)
        for k in range(3)
    )
    return pl.DataFrame(
        rows,
        schema={"call_id": pl.String, "caller": pl.String, "callee": pl.String,
                "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32},
        orient="row",
    ).with_columns(
        ring_s=pl.lit(20, dtype=pl.Int32),
        caller_cell=pl.lit(None, dtype=pl.String),
        caller_imei=pl.lit(None, dtype=pl.String),
    )  # fmt: skip


def test_the_partner_is_flagged_and_the_neighbour_is_not() -> None:
    calls = _calls()
    without = score_records(Traffic(calls)).alerts
    assert PARTNER not in without["msisdn"].to_list()
    alerts = score_records(Traffic(calls, None, None, known=pl.Series([KNOWN]))).alerts
    flagged = alerts.filter(pl.col("decision") != "watch")
    assert PARTNER in flagged["msisdn"].to_list()
    assert "+8613800000009" not in alerts["msisdn"].to_list()
    reason = flagged.filter(pl.col("msisdn") == PARTNER)["reasons"][0][0]
    assert reason["code"] == "known_fraud_contact"
    assert "已知涉诈号码" in reason["text_zh"] and "known fraud" in reason["text_en"]

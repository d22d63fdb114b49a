"""A quiet input, where triage leaves no number to score, gives no alerts rather than a crash."""

from __future__ import annotations

import datetime as dt

import polars as pl

from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.records.schema import ALERTS


def test_nobody_near_the_gate_gives_an_empty_alerts_table() -> None:
    t0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
    calls = pl.DataFrame(
        {
            "call_id": ["c0"],
            "caller": ["+8613800000000"],
            "callee": ["+8613800000001"],
            "start_time": [t0],
            "duration_s": [40],
            "ring_s": [None],
            "caller_cell": [None],
            "caller_imei": [None],
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32,
                          "start_time": pl.Datetime("us", "UTC"),
                          "caller_cell": pl.String, "caller_imei": pl.String},
    )  # fmt: skip
    for triage in (True, False):
        alerts = score_records(Traffic(calls), triage=triage).alerts
        assert alerts.height == 0
        assert alerts.columns == ALERTS.columns

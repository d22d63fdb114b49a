"""Auto-dialers: the hour's rush, and the slow dialler's day of strangers nobody rings back."""

from __future__ import annotations

import datetime as dt

import polars as pl

from callwarden.decide.policy import level_of
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

T0 = dt.datetime(2026, 7, 8, 0, 30, tzinfo=dt.UTC)  # 08:30 in Beijing
SCHEMA = {
    "call_id": pl.String,
    "caller": pl.String,
    "callee": pl.String,
    "start_time": pl.Datetime("us", "UTC"),
    "duration_s": pl.Int32,
    "ring_s": pl.Int32,
}


def _line(
    caller: str, n: int, every_s: int, answered_every: int, talk_s: int, callbacks: bool = False
) -> list[tuple[object, ...]]:
    """``n`` calls to different people, one every ``every_s`` s (a few seconds either way),
    one in ``answered_every`` answered for ``talk_s`` s; ``callbacks``: most people called
    ring back an hour later."""
    rows: list[tuple[object, ...]] = []
    for k in range(n):
        # (different people, scattered over the range: no two lines share one)
        callee = f"+86139{(int(caller[-4:]) * 7_919_993 + k * 104_729) % 10**8:08d}"
        at = T0 + dt.timedelta(seconds=every_s * k + (k * 37) % 11)
        answered = k % answered_every == 0
        rows.append((f"{caller[-4:]}-{k}", caller, callee, at, talk_s if answered else 0, 20))
        if callbacks and k % 4:
            rows.append((f"{caller[-4:]}-b{k}", callee, caller, at + dt.timedelta(hours=1),
                         45, 6))  # fmt: skip
    return rows


def _alerts(*lines: list[tuple[object, ...]]) -> pl.DataFrame:
    calls = pl.DataFrame([r for rows in lines for r in rows], schema=SCHEMA, orient="row")
    calls = calls.with_columns(caller_cell=pl.lit("C1"), caller_imei=pl.lit(None, pl.String))
    # the lines are the operator's own subscribers, aged 44, held for years
    own = pl.DataFrame({"msisdn": [str(rows[0][1]) for rows in lines]}).with_columns(
        owner_birth_year=pl.lit(1982, pl.Int16), owner_type=pl.lit("individual"),
        activated_on=pl.lit(dt.date(2015, 3, 1)), realname_status=pl.lit("verified"),
        region=pl.lit("成都"), whitelisted=pl.lit(False),
    )  # fmt: skip
    return score_records(Traffic(calls, None, own)).alerts


def _highest(alerts: pl.DataFrame, number: str) -> tuple[int, list[str]]:
    mine = alerts.filter(pl.col("msisdn") == number)
    if mine.height == 0:
        return 0, []
    top = max(mine.iter_rows(named=True), key=lambda r: level_of(r["decision"]))
    return level_of(top["decision"]), [r["text_en"] for r in top["reasons"]]


def test_a_slow_dialler_is_found_by_its_day_and_restricted_at_most() -> None:
    drip, courier, round_ = "+8613100000001", "+8613100000002", "+8613100000003"
    alerts = _alerts(
        _line(drip, 120, 330, 5, 9),  # a call every 5.5 min all day, one in five answered
        _line(courier, 120, 330, 1, 25),  # every recipient answers
        _line(round_, 120, 330, 5, 9, callbacks=True),  # most ring back
    )
    level, reasons = _highest(alerts, drip)
    assert level_of("review") <= level <= level_of("restrict"), alerts
    assert any("in 24 h to" in r and "auto-dialer working slowly" in r for r in reasons)
    assert _highest(alerts, courier)[0] < level_of("review")
    assert _highest(alerts, round_)[0] < level_of("review")


def test_the_hour_reading_still_names_a_fast_dialler() -> None:
    blaster = "+8613100000004"
    level, reasons = _highest(_alerts(_line(blaster, 60, 40, 8, 5)), blaster)
    assert level >= level_of("review")
    assert any("in 60 min" in r and "looks like an auto-dialer" in r for r in reasons)

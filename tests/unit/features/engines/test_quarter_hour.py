"""The quarter hour's own figures: the talk of its calls and the gaps between them, leaving out
the pause before its first call and the owner's conversations of the hour before."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.records.batch import record_batch

T0 = dt.datetime(2026, 7, 8, 10, 0, tzinfo=dt.UTC)
OWNER = "+8613800000001"


def calls() -> pl.DataFrame:
    """The owner's own ten-minute call at 10:00, then at 10:25 five calls two minutes apart
    to five strangers: two unanswered, three of 40 s."""
    starts = [T0] + [T0 + dt.timedelta(minutes=25, seconds=120 * k) for k in range(5)]
    return pl.DataFrame(
        {
            "call_id": [f"c{k}" for k in range(6)],
            "caller": [OWNER] * 6,
            "callee": ["+8613900000000"] + [f"+861390000000{k + 1}" for k in range(5)],
            "start_time": starts,
            "duration_s": [600, 0, 40, 0, 40, 40],
            "ring_s": [5, 30, 5, 30, 5, 5],
            "caller_cell": ["C1"] * 6,
            "caller_imei": ["I1"] * 6,
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32,
                          "start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip


@pytest.fixture(scope="module")
def last_call() -> dict[str, float]:
    engine = load_engine("compiled")()
    frame = feature_frame(engine, Traffic(calls())).sort("seq")
    row: dict[str, float] = frame.row(-1, named=True)
    return row


def test_the_gaps_between_the_quarter_hours_calls_leave_out_the_pause_before_them(
    last_call: dict[str, float],
) -> None:
    # the window holds the five calls; the first's gap (25 min) is no gap between them
    assert last_call["out_calls_15m"] == 5
    assert last_call["gap_mean_15m"] == pytest.approx((1500 + 4 * 120) / 5)
    assert last_call["gap_cv_15m"] > 1.0
    assert last_call["inner_gap_mean_15m"] == 120.0
    assert last_call["inner_gap_cv_15m"] == 0.0


def test_the_quarter_hours_talk_leaves_out_the_owners_earlier_conversation(
    last_call: dict[str, float],
) -> None:
    assert last_call["answered_share_1h"] == pytest.approx(4 / 6)
    assert last_call["mean_duration_1h"] == pytest.approx((600 + 3 * 40) / 4)
    assert last_call["answered_share_15m"] == pytest.approx(3 / 5)
    assert last_call["mean_duration_15m"] == 40.0
    assert last_call["short_or_unanswered_share_15m"] == pytest.approx(2 / 5)


def test_the_live_engine_gives_the_same_figures(last_call: dict[str, float]) -> None:
    live = load_engine("compiled")().live(Traffic.context())
    got = live.update(record_batch(calls()))
    for name in ("inner_gap_mean_15m", "inner_gap_cv_15m", "answered_share_15m",
                 "mean_duration_15m", "short_or_unanswered_share_15m"):  # fmt: skip
        assert got.values[name][-1] == last_call[name]

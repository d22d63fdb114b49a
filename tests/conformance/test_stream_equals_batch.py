"""The stream emits what `callwarden score` emits, however the records arrive (within lateness).

Records reach a live consumer late and out of order. For any record sequence and any arrival
order in which no record is later than the allowed lateness, the stream engine emits exactly
the batch alerts: number, decision, flagged_at, score and reasons, whether the records are
pushed one by one or in batches of any size (a broker fetch).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.scoring import score_records
from callwarden.features.online import replay_order
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.engine import StreamEngine
from callwarden.stream.files import run_records

T0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
NUMBERS = [f"+86138000000{k:02d}" for k in range(6)] + ["+21620123456"]
TIME = {"call": "start_time", "sms": "sent_time"}


@st.composite
def bursts(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A few numbers, up to 80 calls and 40 SMS in two hours: enough to raise alerts."""
    n = draw(st.integers(1, 80))
    offsets = sorted(draw(st.lists(st.integers(0, 7_200_000), min_size=n, max_size=n)))
    callers = st.sampled_from(NUMBERS[:3])
    callees = st.sampled_from([*NUMBERS, *(f"+86139{k:08d}" for k in range(40))])
    calls = pl.DataFrame(
        {
            "call_id": [f"c{k:03d}" for k in range(n)],
            "caller": [draw(callers) for _ in range(n)],
            "callee": [draw(callees) for _ in range(n)],
            "start_time": [T0 + dt.timedelta(milliseconds=o) for o in offsets],
            "duration_s": [draw(st.sampled_from([0, 0, 4, 40, 120])) for _ in range(n)],
            "ring_s": [draw(st.sampled_from([None, 1, 3, 20])) for _ in range(n)],
            "caller_cell": [draw(st.sampled_from([None, "C1", "C2"])) for _ in range(n)],
            "caller_imei": [draw(st.sampled_from([None, "I1", "I2"])) for _ in range(n)],
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32,
                          "start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    m = draw(st.integers(0, 40))
    sms_offsets = sorted(draw(st.lists(st.integers(0, 3_600_000), min_size=m, max_size=m)))
    sms = pl.DataFrame(
        {
            "sms_id": [f"s{k:03d}" for k in range(m)],
            "sender": [draw(callers) for _ in range(m)],
            "recipient": [draw(callees) for _ in range(m)],
            "sent_time": [T0 + dt.timedelta(milliseconds=o) for o in sms_offsets],
            "length": [60] * m,
            "content": [None] * m,
        },
        schema_overrides={"length": pl.Int32, "content": pl.String,
                          "sent_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    return calls, sms


def arrivals(
    calls: pl.DataFrame, sms: pl.DataFrame | None, delay_ms: int, seed: int
) -> list[tuple[str, dict[str, Any]]]:
    """The records as a consumer may see them: each held up by up to ``delay_ms``."""
    rng = random.Random(seed)
    records = [
        (kind, {k: v for k, v in row.items() if not k.startswith("_")})
        for kind, row in replay_order(calls, sms)
    ]
    late = [
        (rec[TIME[kind]] + dt.timedelta(milliseconds=rng.randint(0, delay_ms)), i)
        for i, (kind, rec) in enumerate(records)
    ]
    return [records[i] for _, i in sorted(late)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    traffic=bursts(),
    delay_s=st.integers(0, 600),
    seed=st.integers(0, 2**16),
    chunk=st.sampled_from([1, 2, 7, 50, 5000]),
)
def test_any_arrival_within_lateness_gives_the_batch_alerts(
    traffic: tuple[pl.DataFrame, pl.DataFrame], delay_s: int, seed: int, chunk: int
) -> None:
    calls, sms = traffic
    batch = score_records(calls, sms, None).alerts
    event(f"batch alerts: {min(batch.height, 3)}{'+' if batch.height >= 3 else ''}")
    engine = StreamEngine(lateness_ms=delay_s * 1000)
    records = iter(arrivals(calls, sms, delay_s * 1000, seed))
    stream = alerts_from_rows(run_records(engine, records, chunk=chunk))
    assert stream.equals(batch)
    s = engine.stats
    assert s.late == 0 and s.received == s.processed == calls.height + sms.height


@settings(max_examples=60, deadline=None)
@given(traffic=bursts(), seed=st.integers(0, 2**16), chunk=st.sampled_from([1, 3, 40]))
def test_records_later_than_allowed_are_quarantined_and_counted(
    traffic: tuple[pl.DataFrame, pl.DataFrame], seed: int, chunk: int
) -> None:
    calls, sms = traffic
    engine = StreamEngine(lateness_ms=1000)
    run_records(engine, iter(arrivals(calls, sms, 600_000, seed)), chunk=chunk)
    s = engine.stats
    assert s.received == s.processed + s.late == calls.height + sms.height
    assert len(engine.quarantined) == s.late
    assert all("late" in q.reason for q in engine.quarantined)
    # a quarantined record is given back whole (it can be published and decoded again)
    ids = {r.get("call_id") or r.get("sms_id") for _, r in arrivals(calls, sms, 0, seed)}
    assert all((q.record.get("call_id") or q.record.get("sms_id")) in ids
               for q in engine.quarantined)  # fmt: skip


def test_one_by_one_and_in_batches_count_the_same_when_in_order() -> None:
    """Pushed one by one or in batches, an in-order day is scored whole: nothing late."""
    calls = pl.DataFrame(
        {"call_id": [f"c{k}" for k in range(30)], "caller": ["+8613800000001"] * 30,
         "callee": [f"+86139{k:08d}" for k in range(30)],
         "start_time": [T0 + dt.timedelta(seconds=100 * k) for k in range(30)],
         "duration_s": [0] * 30, "ring_s": [20] * 30, "caller_cell": [None] * 30,
         "caller_imei": [None] * 30},
        schema_overrides={"start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    out = []
    for chunk in (1, 4, 100):
        engine = StreamEngine(lateness_ms=0)
        out.append(alerts_from_rows(run_records(engine, iter(arrivals(calls, None, 0, 1)), chunk)))
        assert (engine.stats.processed, engine.stats.late, engine.stats.reordered) == (30, 0, 0)
    assert out[0].height > 0 and out[0].equals(out[1]) and out[0].equals(out[2])


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("streamcity")
    simulate_city(SimulationConfig(subscribers=1500, seed=23, days=1), out)
    return out


def test_a_city_arriving_out_of_order_gives_the_batch_alerts(city: Path) -> None:
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(city / "subscribers")
    batch = score_records(calls, sms, subs).alerts
    engine = StreamEngine(subs, lateness_ms=30_000)
    stream = alerts_from_rows(run_records(engine, iter(arrivals(calls, sms, 30_000, seed=1))))
    assert batch.height > 0
    assert stream.equals(batch)
    assert engine.stats.reordered > 0

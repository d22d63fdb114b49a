"""The equality suites' one traffic generator: small worlds of calls and SMS, every signal in play.

A few numbers (E.164 at home and abroad, sometimes an opaque hashed identifier), calls seconds
to hours apart with equal timestamps, unanswered and one-ring calls, cells and shared devices,
caller flags (spoofed presentations) in some worlds, SMS mixed in. ``hours`` narrows the span
(two hours: bursts that pass the detectors' gate and raise alerts); ``callers`` lets only the
first few numbers call, to ``strangers`` more numbers besides.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import strategies as st

__all__ = ["NUMBERS", "OPAQUE", "T0", "traffic"]

T0 = dt.datetime(2026, 7, 8, 9, tzinfo=dt.UTC)
NUMBERS = [f"+86138000000{k:02d}" for k in range(12)] + ["+21620123456", "+862886123456"]
OPAQUE = "5e1272273e041e82"  # hashed exports (the Sichuan data) mix with E.164 in one file
HOUR_MS = 3_600_000


@st.composite
def traffic(
    draw: st.DrawFn,
    *,
    hours: int = 30,
    callers: int | None = None,
    strangers: int = 0,
    most_calls: int = 60,
    most_sms: int = 30,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Calls and SMS of one little world, as canonical frames."""
    n = draw(st.integers(min_value=1, max_value=most_calls))
    offsets = sorted(draw(st.lists(st.integers(0, hours * HOUR_MS), min_size=n, max_size=n)))
    if draw(st.booleans()) and n > 2:  # equal timestamps happen in real CDRs
        offsets[1] = offsets[0]
    numbers = NUMBERS + ([OPAQUE] if draw(st.booleans()) else [])
    acting = st.sampled_from(numbers[:callers] if callers else numbers)
    called = st.sampled_from(numbers + [f"+86139{k:08d}" for k in range(strangers)])
    calls = pl.DataFrame(
        {
            "call_id": [f"c{k:04d}" for k in range(n)],
            "caller": [draw(acting) for _ in range(n)],
            "callee": [draw(called) for _ in range(n)],
            "start_time": [T0 + dt.timedelta(milliseconds=o) for o in offsets],
            "duration_s": [draw(st.sampled_from([0, 0, 3, 4, 40, 120, 300])) for _ in range(n)],
            "ring_s": [draw(st.sampled_from([None, 1, 2, 3, 8, 20, 30])) for _ in range(n)],
            "caller_cell": [draw(st.sampled_from([None, "C1", "C2"])) for _ in range(n)],
            "caller_imei": [draw(st.sampled_from([None, "I1", "I2", "I3"])) for _ in range(n)],
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32,
                          "start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    if draw(st.booleans()):  # caller flags from ingest (absent in older files: no flag)
        flag = st.sampled_from([None, None, "trunk_mismatch", "cloud_trunk_mobile", "impossible"])
        calls = calls.with_columns(
            caller_flag=pl.Series([draw(flag) for _ in range(n)], dtype=pl.String)
        )
    m = draw(st.integers(min_value=0, max_value=most_sms))
    sms_offsets = sorted(draw(st.lists(st.integers(0, hours * HOUR_MS), min_size=m, max_size=m)))
    sms = pl.DataFrame(
        {
            "sms_id": [f"s{k:04d}" for k in range(m)],
            "sender": [draw(acting) for _ in range(m)],
            "recipient": [draw(called) for _ in range(m)],
            "sent_time": [T0 + dt.timedelta(milliseconds=o) for o in sms_offsets],
            "length": [draw(st.sampled_from([20, 60])) for _ in range(m)],
            "content": [None] * m,
        },
        schema_overrides={"length": pl.Int32, "content": pl.String,
                          "sent_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    return calls, sms

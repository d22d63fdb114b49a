"""Wangiri: one or two rings to many strangers, from abroad or from a Chinese number."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from callwarden.detect.rules.wangiri import WangiriDetector
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

T0 = dt.datetime(2026, 7, 8, 12, tzinfo=dt.UTC)  # 20:00 in Beijing


def _raw(abroad: float, share: float, calls: float, people: float | None = None) -> float:
    f = {"is_international": np.array([abroad]), "one_ring_share_1h": np.array([share]),
         "out_calls_1h": np.array([calls]),
         "uniq_callees_1h": np.array([calls if people is None else people])}  # fmt: skip
    return float(WangiriDetector().raw_score(f)[0])


def test_a_chinese_number_needs_more_calls_than_one_from_abroad() -> None:
    assert _raw(1.0, 0.9, 8) == 1.0
    assert _raw(0.0, 0.9, 8) == 0.0  # eight rings as a sign to friends: not yet
    assert 0.0 < _raw(0.0, 0.9, 10) < 1.0
    assert _raw(0.0, 0.9, 12) == 1.0
    assert _raw(0.0, 0.5, 30) == 0.0  # most calls rang on, or were answered
    assert _raw(0.0, 1.0, 15, people=1) == 0.0  # a parent redialling a child, again and again
    assert _raw(1.0, 1.0, 15, people=3) == 0.0


def _calls(caller: str, n: int, ring_s: int, gap_s: int = 150, people: int = 0) -> pl.DataFrame:
    callees = [f"+86139{k * 7919 % 10000:04d}{k * 4111 % 10000:04d}" for k in range(n)]
    if people:  # (``people`` different callees, called in turn)
        callees = [callees[k % people] for k in range(n)]
    rows = [(f"{caller[-4:]}-{k:02d}", caller, callees[k], T0 + dt.timedelta(seconds=gap_s * k),
             0, ring_s) for k in range(n)]  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"call_id": pl.String, "caller": pl.String, "callee": pl.String,
                "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32,
                "ring_s": pl.Int32},
        orient="row",
    ).with_columns(
        caller_cell=pl.lit(None, dtype=pl.String), caller_imei=pl.lit(None, dtype=pl.String)
    )  # fmt: skip


def _wangiri_reasons(calls: pl.DataFrame) -> dict[str, list[dict[str, object]]]:
    alerts = score_records(Traffic(calls, None, None)).alerts
    found: dict[str, list[dict[str, object]]] = {}
    for number, reasons in alerts.select("msisdn", "reasons").rows():
        found.setdefault(number, []).extend(r for r in reasons if r["code"] == "wangiri")
    return found


def test_one_ring_calls_from_a_chinese_number_are_named_wangiri() -> None:
    other_carrier, friend, parent = "+8616512345678", "+8613800000009", "+8613800000010"
    calls = pl.concat([_calls(other_carrier, 16, 2, gap_s=30), _calls(friend, 6, 3, gap_s=300),
                       _calls(parent, 16, 4, gap_s=60, people=1)])  # fmt: skip
    found = _wangiri_reasons(calls)
    texts = [r["text_zh"] for r in found.get(other_carrier, [])]
    assert texts, found
    assert "响一两声即挂" in str(texts[0]) and "境外" not in str(texts[0])
    assert not found.get(friend)  # six rings to friends as a sign: no wangiri
    assert not found.get(parent)  # sixteen short rings to one child who does not pick up


def test_two_rings_from_abroad_are_wangiri_and_long_rings_are_not() -> None:
    two_rings, long_rings = "+23276916478", "+21620123456"
    calls = pl.concat([_calls(two_rings, 10, 6, gap_s=30), _calls(long_rings, 10, 25, gap_s=30)])
    found = _wangiri_reasons(calls)
    assert found.get(two_rings) and "境外号码" in str(found[two_rings][0]["text_zh"])
    assert not found.get(long_rings)

"""What an SMS says feeds SMS detection: a burst of scam texts is stronger evidence than the
volume alone, an honest notification burst scores as before, and the alert names the
content category and its words, the same in batch and live."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from callwarden.cases.notices import plain_reason
from callwarden.detect.live import replay_alerts
from callwarden.detect.rules.sms_burst import SmsBurstDetector
from callwarden.detect.scoring import score_records
from callwarden.detect.sms_content import CONTENT_FEATURE, SmsContent
from callwarden.features.engines.base import Traffic

T0 = dt.datetime(2026, 7, 8, 9, tzinfo=dt.UTC)
SENDER = "+8613812345678"
SCAM = "【公安局】您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查，联系王警官 {n}"
HONEST = "【顺丰速运】您的快递已到楼下驿站，取件码 {n}，请于今日 20 点前取件"


def _traffic(text: str, count: int, minutes: float = 55.0) -> Traffic:
    """One sender texting ``count`` strangers within ``minutes`` (texts differ by a number)."""
    step = minutes * 60_000 / count
    sms = pl.DataFrame(
        {
            "sms_id": [f"s{k:04d}" for k in range(count)],
            "sender": [SENDER] * count,
            "recipient": [f"+86139{k:08d}" for k in range(count)],
            "sent_time": [T0 + dt.timedelta(milliseconds=k * step) for k in range(count)],
            "length": [len(text)] * count,
            "content": [text.format(n=1000 + k) for k in range(count)],
        },
        schema_overrides={"length": pl.Int32, "sent_time": pl.Datetime("us", "UTC")},
    )
    calls = pl.DataFrame(
        schema={"call_id": pl.String, "caller": pl.String, "callee": pl.String,
                "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32,
                "ring_s": pl.Int32, "caller_cell": pl.String, "caller_imei": pl.String}
    )  # fmt: skip
    return Traffic(calls, sms)


def _burst(out: float, risk: float | None) -> float:
    f = {"sms_out_1h": np.array([out]), "sms_recipients_1h": np.array([out])}
    if risk is not None:
        f[CONTENT_FEATURE] = np.array([risk])
    return float(SmsBurstDetector().score(f)[0])


def test_scam_text_raises_the_burst_score_and_an_honest_one_does_not() -> None:
    plain = _burst(20, None)
    assert 0 < plain < 1
    assert _burst(20, 0.0) == plain  # honest text: the volume's score, not lower, not higher
    assert _burst(20, 0.35) == plain
    assert _burst(20, 0.97) == 1.0
    assert _burst(30, 0.0) == _burst(30, 0.97) == 1.0
    assert _burst(10, 0.99) == 0.0  # content alone, without a burst, is no burst


def _reasons(alerts: pl.DataFrame) -> list[dict[str, object]]:
    return [r for rs in alerts["reasons"].to_list() for r in rs]


def test_a_scam_burst_is_flagged_sooner_and_its_alert_names_category_and_words() -> None:
    scam = score_records(_traffic(SCAM, 22)).alerts
    honest = score_records(_traffic(HONEST, 22)).alerts
    top = float(scam["score"].max())  # type: ignore[arg-type]
    assert scam.height and top == pytest.approx(1.0)
    # the honest burst of the same volume and spread stays at the volume's score
    assert float(honest["score"].max()) < top  # type: ignore[arg-type]
    content = [r for r in _reasons(scam) if r["code"] == "content"]
    assert content
    first = content[0]
    assert "冒充公检法" in str(first["text_zh"]) and "police" in str(first["text_en"])
    evidence = json.loads(str(first["evidence"]))
    assert evidence["label"] == "impersonate_police_gov" and evidence["terms"]
    assert all(f'"{t}"' in str(first["text_zh"]) for t in evidence["terms"])
    # the weights of an alert's reasons still sum to 1
    for reasons in scam["reasons"].to_list():
        assert sum(float(r["weight"]) for r in reasons) == pytest.approx(1.0, abs=1e-3)
    assert not [r for r in _reasons(honest) if r["code"] == "content"]
    # the owner's notice and the console say what the content reason means
    assert plain_reason("content", "en") == "text messages or calls whose words read as a scam"


@pytest.mark.parametrize("batch_size", [1, 7, 50_000])
def test_live_scoring_reads_the_texts_as_batch_scoring_does(batch_size: int) -> None:
    traffic = _traffic(SCAM, 22)
    assert replay_alerts(traffic, batch_size=batch_size).equals(score_records(traffic).alerts)


def test_texts_are_matched_by_sender_and_time_and_read_only_past_the_gate() -> None:
    traffic = _traffic(SCAM, 12)
    assert traffic.sms is not None
    content = SmsContent.of_sms(traffic.sms)
    us = traffic.sms["sent_time"].dt.epoch("us").to_numpy()
    values = {"sms_out_1h": np.array([5.0, 11.0, 11.0])}
    content.fill(values, np.array([True, True, False]), us[:3], lambda idx: [SENDER] * len(idx))
    assert values[CONTENT_FEATURE][0] == 0.0  # below the gate: not read
    assert values[CONTENT_FEATURE][1] > 0.5
    assert values[CONTENT_FEATURE][2] == 0.0  # a call
    assert content.risk(["+8613000000000"], us[:1]).tolist() == [0.0]  # another sender
    assert not SmsContent.of_sms(traffic.sms.drop("content"))


def test_a_reason_reads_the_texts_of_its_sender_at_its_microsecond_alone() -> None:
    other = "+8613900000009"
    t1, t2 = T0 + dt.timedelta(microseconds=1), T0 + dt.timedelta(microseconds=2)
    sms = pl.DataFrame(
        {
            "sender": [other, SENDER, SENDER, SENDER, SENDER, other],
            "sent_time": [T0, T0, t1, t1, None, t2],
            "content": [(SCAM if k in (1, 4, 5, 6) else HONEST).format(n=k) for k in range(1, 7)],
        },
        schema_overrides={"sent_time": pl.Datetime("us", "UTC")},
    )
    content = SmsContent.of_sms(sms)
    us = int(T0.timestamp() * 1e6)
    assert content.reason(SENDER, us, 1.0) is None  # its honest text, not the other's scam
    found = content.reason(other, us, 1.0)
    assert found is not None and found.code == "content"
    # the riskiest of the sender's texts of one µs
    assert content.reason(SENDER, us + 1, 1.0) is not None
    assert content.reason(SENDER, us + 2, 1.0) is None  # the other's text of that µs
    assert content.reason(other, us + 3, 1.0) is None  # no text then

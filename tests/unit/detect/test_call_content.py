"""What a caller said feeds detection: call transcripts joined to their calls by call_id give an
alert of a number whose answered calls read as a scam a content reason (category, deciding
words, the call), in batch and live alike; transcripts that cannot be used are counted, and
the texts are disguised the ways scammers disguise them (the simulator writes none of these)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.call_content import CallContent
from callwarden.detect.live import LiveScorer, replay_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.records.batch import record_batch
from callwarden.records.quarantine import read_quarantine

T0 = dt.datetime(2026, 7, 8, 9, tzinfo=dt.UTC)
CALLER = "+8613812345678"
#: the same police-impersonation script, disguised three ways
DISGUISED = {
    "full-width": "您好，我是市公安局的民警，您的银行卡涉嫌洗钱，"
    "请在２４小时内把资金转入ＡＢＣ安全账户配合调查",
    "spaced": "您 好 ， 我 是 市 公 安 局 民 警 ， 您 的 银 行 卡 涉 嫌 洗 钱 ， "
    "请 把 资 金 转 入 安 全 账 户 配 合 调 查",
    "traditional": "您好，我是市公安局的民警，您的銀行卡涉嫌洗錢，"
    "請把資金轉入安全賬戶配合調查，不要告訴家人",
}
HONEST = "喂，妈，我下班了，晚上回家吃饭，你帮我把快递拿一下"


def _calls(n: int = 40) -> pl.DataFrame:
    """A caller dialling strangers in sequence every 90 s; every fourth call answered."""
    return pl.DataFrame(
        {
            "call_id": [f"c{k:03d}" for k in range(n)],
            "caller": [CALLER] * n,
            "callee": [f"+86139{k:08d}" for k in range(n)],
            "start_time": [T0 + dt.timedelta(seconds=90 * k) for k in range(n)],
            "duration_s": [45 if k % 4 == 0 else 0 for k in range(n)],
            "ring_s": [5] * n,
            "caller_cell": ["C1"] * n,
            "caller_imei": ["35"] * n,
        },
        schema_overrides={
            "duration_s": pl.Int32,
            "ring_s": pl.Int32,
            "start_time": pl.Datetime("us", "UTC"),
        },
    )


def _said(texts: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"call_id": list(texts), "text": list(texts.values())})


def _content(alert: dict[str, object]) -> list[dict[str, object]]:
    reasons = alert["reasons"]
    assert isinstance(reasons, list)
    return [r for r in reasons if r["code"] == "content"]


@pytest.mark.parametrize("disguise", DISGUISED)
def test_a_disguised_scam_call_names_its_category_and_words_in_the_alerts(disguise: str) -> None:
    calls = _calls()
    plain = score_records(Traffic(calls, None, None)).alerts
    got = score_records(
        Traffic(calls, None, None), transcripts=_said({"c000": DISGUISED[disguise]})
    )
    alerts = got.alerts
    # evidence, not a trigger: the same alerts and scores, a content reason beside the others
    assert alerts.select("msisdn", "flagged_at", "decision", "score").equals(
        plain.select("msisdn", "flagged_at", "decision", "score")
    )
    assert alerts.height > 0
    for alert in alerts.iter_rows(named=True):
        (reason,) = _content(alert)
        evidence = json.loads(str(reason["evidence"]))
        assert evidence["label"] == "impersonate_police_gov"
        assert evidence["call_id"] == "c000"
        assert evidence["terms"]
        assert reason["weight"] == 0.0
        assert str(reason["text_zh"]).startswith("已接通话的内容像冒充公检法")
        assert all(f'"{t}"' in str(reason["text_zh"]) for t in evidence["terms"])
        assert "police" in str(reason["text_en"])


def test_an_honest_call_and_calls_after_the_alert_add_nothing() -> None:
    calls = _calls()
    plain = score_records(Traffic(calls, None, None)).alerts
    honest = score_records(Traffic(calls, None, None), transcripts=_said({"c000": HONEST}))
    assert honest.alerts.equals(plain)
    # a scam call after the last alert: no alert before it names it
    last = calls.filter(pl.col("start_time") > plain["flagged_at"].max())
    answered = last.filter(pl.col("duration_s") > 0)["call_id"][0]
    late = score_records(
        Traffic(calls, None, None), transcripts=_said({answered: DISGUISED["spaced"]})
    )
    assert late.alerts.equals(plain)


def test_unusable_transcripts_are_counted_and_quarantined_not_fatal() -> None:
    said = _said(
        {
            "c000": DISGUISED["spaced"],
            "c999": DISGUISED["spaced"],
            "c004": "  ",
            "c001": DISGUISED["traditional"],
        }
    )
    said = pl.concat([said, _said({"c000": HONEST})])  # a second transcript of c000
    content = CallContent.of_records(said, _calls())
    assert content.counts == {"read": 5, "joined": 1, "unknown_call_id": 1, "empty_text": 1,
                              "unanswered": 1, "duplicate": 1}  # fmt: skip
    rejects = content.rejects
    assert rejects.columns == ["row", "reason", "field", "message", "raw"]
    assert rejects.select("row", "reason").rows() == [
        (2, "unknown_call_id"), (3, "missing_value"), (4, "unanswered_call"),
        (5, "duplicate_key"),
    ]  # fmt: skip
    assert "c999" in rejects["message"][0]
    # the first transcript of c000 (the scam) is the one used
    assert content.reason(CALLER, int(T0.timestamp() * 1e6)) is not None
    # nothing joined: no reason, no error
    assert CallContent.of_records(said.head(0), _calls()).reason(CALLER, 0) is None


@pytest.mark.parametrize("batch_size", [7, 1000])
def test_live_scoring_joins_transcripts_as_batch_scoring_does(batch_size: int) -> None:
    calls = _calls()
    said = _said({"c000": DISGUISED["full-width"], "c012": HONEST})
    want = score_records(Traffic(calls, None, None), transcripts=said).alerts
    got = replay_alerts(Traffic(calls, None, None), batch_size=batch_size, transcripts=said)
    assert got.equals(want)
    assert all(_content(a) for a in want.iter_rows(named=True))


def test_live_a_transcript_after_its_call_counts_from_when_it_arrives() -> None:
    calls = _calls()
    scorer = LiveScorer(Traffic(calls, None, None), PolicyConfig(), transcripts=_said({}))
    records = record_batch(calls, None)
    rows = scorer.step_batch(records.slice(0, 5))  # c000..c004 seen, nothing transcribed
    scorer.add_transcripts(_said({"c000": DISGUISED["traditional"], "c777": "你好"}))
    rows += scorer.step_batch(records.slice(5, 100))
    assert scorer.scorer.call_content is not None
    assert scorer.scorer.call_content.counts["joined"] == 1
    assert scorer.scorer.call_content.waiting == 1  # c777: no such call seen (yet)
    assert rows and all(_content({"reasons": r["reasons"]}) for r in rows)


def test_score_reads_transcripts_and_quarantines_the_unusable(tmp_path: Path) -> None:
    _calls().write_parquet(tmp_path / "calls.parquet")
    pl.DataFrame(
        {
            "call_id": ["c000", "c999", "c001"],
            "text": [DISGUISED["traditional"], "你好", "在吗"],
            "language": ["zh-CN"] * 3,
            "confidence": [0.9, 0.8, 0.7],
        }
    ).write_parquet(tmp_path / "transcripts.parquet")
    out = tmp_path / "alerts.csv"
    argv = ["score", str(tmp_path / "calls.parquet"), "--no-subscribers", "--no-report",
            "--transcripts", str(tmp_path / "transcripts.parquet"), "--out", str(out)]  # fmt: skip
    assert run(typer.main.get_command(app), argv) == 0
    alerts = pl.read_csv(out)
    assert alerts.height > 0
    assert all("已接通话的内容像冒充公检法" in r for r in alerts["reasons_zh"])
    assert all("content reads as impersonate police gov" in r for r in alerts["reasons_en"])
    quarantined = list(read_quarantine(tmp_path / "alerts.csv.transcripts-quarantine.jsonl"))
    assert [(q["reason"], q["raw"]["call_id"]) for q in quarantined] == [
        ("unknown_call_id", "c999"), ("unanswered_call", "c001"),
    ]  # fmt: skip

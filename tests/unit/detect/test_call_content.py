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
    """A number that alerts anyway: its alerts carry the content reason (weight 0)."""
    calls = _calls()
    plain = score_records(Traffic(calls, None, None)).alerts
    got = score_records(
        Traffic(calls, None, None), transcripts=_said({"c000": DISGUISED[disguise]})
    )
    alerts = got.alerts
    assert alerts.height > 0
    # the dialling suspends the number as before; the words only raise it sooner
    assert alerts["decision"][-1] == plain["decision"][-1] == "suspend"
    assert alerts["flagged_at"][0] <= plain["flagged_at"][0]
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


def _quiet_calls(n: int = 10, caller: str = CALLER, gap_s: int = 300) -> pl.DataFrame:
    """A caller of long answered calls to different people every 5 minutes: past the
    detectors' gate (6 calls an hour) from the sixth call on, yet no detector's pattern."""
    return _calls(n).with_columns(
        caller=pl.lit(caller),
        call_id=pl.format("{}-q{}", pl.lit(caller[-4:]), pl.int_range(n)),
        callee=pl.format(
            "+86139{}{}", pl.lit(caller[-4:]), (pl.int_range(n) * 7919 + 1000).cast(pl.String)
        ),
        caller_imei=pl.lit(f"35{caller[-4:]}"),
        start_time=pl.Series([T0 + dt.timedelta(seconds=gap_s * k) for k in range(n)]),
        duration_s=pl.lit(180, pl.Int32),
        ring_s=pl.lit(8, pl.Int32),
    )


def _said_on(calls: pl.DataFrame, texts: list[str]) -> pl.DataFrame:
    return _said(dict(zip(calls["call_id"], texts, strict=False)))


def _reason(alert: dict[str, object], code: str) -> dict[str, object]:
    reasons = alert["reasons"]
    assert isinstance(reasons, list)
    (found,) = [r for r in reasons if r["code"] == code]
    return dict(found)


@pytest.mark.parametrize("disguise", DISGUISED)
def test_one_confident_police_script_raises_a_number_no_detector_flags(disguise: str) -> None:
    calls = _quiet_calls()
    assert score_records(Traffic(calls, None, None)).alerts.height == 0
    got = score_records(
        Traffic(calls, None, None), transcripts=_said_on(calls, [DISGUISED[disguise]])
    ).alerts
    (alert,) = got.iter_rows(named=True)  # at the sixth call, the first past the gate
    assert alert["decision"] == "restrict" and 0.8 <= alert["score"] < 0.95
    assert alert["flagged_at"] == T0 + dt.timedelta(minutes=25)
    reason = _reason(alert, "call_content")
    evidence = json.loads(str(reason["evidence"]))
    assert reason["weight"] == 1.0
    assert evidence["label"] == "impersonate_police_gov"
    assert evidence["call_id"] == calls["call_id"][0]
    assert evidence["fraud"] >= 0.995
    assert str(reason["text_zh"]).startswith("已接通话的内容像冒充公检法及政府机关诈骗")
    assert all(f'"{t}"' in str(reason["text_zh"]) for t in evidence["terms"])
    assert "impersonate police gov fraud" in str(reason["text_en"])
    # the mark still follows the words: the content reason stays beside it
    assert json.loads(str(_reason(alert, "content")["evidence"]))["label"] == evidence["label"]


#: customer-service scripts, each disguised another way
SERVICE = [
    "您好，我是淘寶客服，您購買的衣服質量有問題，給您辦理雙倍理賠，請提供支付寶賬號",
    "您 好 ， 我 是 京 东 金 融 客 服 ， 您 开 通 了 学 生 账 户 ， "
    "需 要 注 销 ， 否 则 影 响 征 信",
    "您好，我是快递公司的理赔专员，您的包裹丢失了，赔您３００元，请扫这个二维码领取理赔款",
]


def test_several_scam_calls_raise_a_number_and_name_how_many() -> None:
    calls = _quiet_calls()
    got = score_records(Traffic(calls, None, None), transcripts=_said_on(calls, SERVICE))
    alert = got.alerts.row(-1, named=True)
    assert alert["decision"] == "restrict"
    reason = _reason(alert, "call_content")
    evidence = json.loads(str(reason["evidence"]))
    assert evidence["call_content_calls"] == 3
    assert evidence["label"] == "impersonate_customer_service"
    assert str(reason["text_zh"]).startswith("近 24 小时 3 通已接通话的内容像冒充客服诈骗")
    assert str(reason["text_en"]).startswith("3 answered calls in 24 hours")


#: honest lines an operator's customers hear every day, plain and disguised
HONEST_LINES = [
    HONEST,
    "喂，您好，我是顺丰快递员，您的快递到了，放在小区门口的快递柜了，取件码发您手机上",
    "您好，这里是招商银行信用卡中心，提醒您本期账单已出，请按时还款",
    "您 好 ， 我 是 外 卖 骑 手 ， 您 的 餐 放 在 门 口 了",
    "您好，這裡是中國移動，您報修的寬帶已經派單，師傅下午聯繫您",
    "您好，您在我们店退货的款项已经原路退回，请注意查收",
    "ｖｉｐ会员您好，本店周末全场八折，欢迎到店选购",
    "王经理，下午的会改到三点了，材料我放您办公室",
    "您好，我是工商银行的客户经理，您的定期存款下周到期，可以来网点或在手机银行续存",
    "您好，这里是社区医院，提醒您明天上午九点来复查，记得空腹",
]


def test_honest_lines_never_raise_a_number() -> None:
    calls = _quiet_calls(len(HONEST_LINES))
    said = _said_on(calls, HONEST_LINES)
    assert score_records(Traffic(calls, None, None), transcripts=said).alerts.height == 0
    content = CallContent.of_records(said, calls)
    end = int(calls["start_time"][-1].timestamp() * 1e6)
    risk, scams = content.evidence(CALLER, end)
    assert scams == 0 and risk < 0.9
    # a number that alerts anyway: the same alerts as without the transcripts
    busy = _calls()
    plain = score_records(Traffic(busy, None, None)).alerts
    said = _said_on(busy.filter(pl.col("duration_s") > 0), HONEST_LINES)
    assert score_records(Traffic(busy, None, None), transcripts=said).alerts.equals(plain)


def test_below_the_gate_and_after_a_day_the_words_raise_nothing() -> None:
    few = _quiet_calls(4)  # 4 calls in an hour: triage never looks at the number
    said = _said_on(few, [DISGUISED["full-width"]] * 4)
    assert score_records(Traffic(few, None, None), transcripts=said).alerts.height == 0
    # the scam calls of yesterday do not count today
    later = _quiet_calls(10).with_columns(
        pl.col("start_time") + dt.timedelta(hours=30), call_id=pl.format("{}-late", "call_id")
    )
    calls = pl.concat([_quiet_calls(3), later])
    said = _said_on(calls, [DISGUISED["full-width"]] * 3)
    assert score_records(Traffic(calls, None, None), transcripts=said).alerts.height == 0


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_live_scoring_raises_as_batch_scoring_does(batch_size: int) -> None:
    others = [_quiet_calls(caller=f"+86139000{k}") for k in ("01111", "02222")]
    calls = pl.concat([_quiet_calls(), *others]).sort("start_time")
    texts = {
        "5678-q0": DISGUISED["spaced"],
        "1111-q2": SERVICE[0], "1111-q3": SERVICE[1], "1111-q4": SERVICE[2],
        "2222-q0": HONEST_LINES[1], "2222-q1": HONEST_LINES[2],
    }  # fmt: skip
    said = _said(texts)
    want = score_records(Traffic(calls, None, None), transcripts=said).alerts
    got = replay_alerts(Traffic(calls, None, None), batch_size=batch_size, transcripts=said)
    assert got.equals(want)
    assert sorted(set(want["msisdn"])) == ["+8613812345678", "+8613900001111"]


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

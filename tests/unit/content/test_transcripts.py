"""Call transcripts: ingested as canonical records, classified by the same model from the CLI
and through the service functions detection and marks call."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.content.service import (
    category_of_label,
    content_reason,
    score_records,
    score_texts,
)
from callwarden.records import ingest, load_mapping, read_canonical
from callwarden.reputation.categories import Category

POLICE = "您好，我是市公安局的民警，您的银行卡涉嫌洗钱，请把资金转入安全账户配合调查，不要告诉家人"
LEADER = "小王，我是你们张总，我换了新号码。明天来我办公室一趟，先帮我转两万给一个朋友"
DELIVERY = "您好，我是顺丰快递员，您的快递放在小区门口快递柜了，取件码35821，记得取一下"


def cli(*argv: str) -> int:
    return run(typer.main.get_command(app), list(argv))


def _ingested(tmp_path: Path) -> Path:
    source = tmp_path / "transcripts.csv"
    pl.DataFrame(
        {
            "call_id": ["c1", "c2", "c3", "c4", "c5"],
            "text": [POLICE, LEADER, DELIVERY, "", "很好"],
            "language": ["zh-CN", "zh-CN", None, None, "zh-CN"],
            "confidence": ["0.91", "0.8", "", "0.5", "very"],
        }
    ).write_csv(source)
    report = ingest(source, load_mapping("transcripts"), tmp_path / "data")
    # the empty transcript has no text; "very" is not a confidence: quarantined, counted
    assert (report.read, report.accepted, report.quarantined) == (5, 3, 2)
    assert report.reasons == {"missing_value": 1, "bad_float": 1}
    return tmp_path / "data" / "transcripts"


def test_transcripts_ingest_and_classify_from_the_cli(tmp_path: Path) -> None:
    folder = _ingested(tmp_path)
    stored = read_canonical(folder, "transcripts").collect()
    assert stored.columns == ["call_id", "text", "language", "confidence"]
    assert stored["confidence"].to_list() == [0.91, 0.8, None]
    out = tmp_path / "content.csv"
    model = str(Path(__file__).resolve().parents[3] / "src/callwarden/content/data/default_model")
    assert cli("text", "classify", model, str(folder), "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["call_id"] for r in rows] == ["c1", "c2", "c3"]
    assert [r["label_pred"] for r in rows] == [
        "impersonate_police_gov", "impersonate_leader_acquaintance", "normal"
    ]  # fmt: skip
    assert all(r["evidence"] for r in rows)


def test_sms_records_are_read_by_their_content_column(tmp_path: Path) -> None:
    path = tmp_path / "sms.parquet"
    pl.DataFrame({"sms_id": ["s1", "s2"], "content": [DELIVERY, POLICE]}).write_parquet(path)
    scored = score_records(pl.read_parquet(path))
    assert scored.columns[0] == "sms_id"
    assert scored["category"].to_list() == [None, "fraud"]


def test_a_records_folder_without_parquet_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    model = str(Path(__file__).resolve().parents[3] / "src/callwarden/content/data/default_model")
    out = str(tmp_path / "o.csv")
    assert cli("text", "classify", model, str(tmp_path / "empty"), "--out", out) == 3


def test_score_texts_gives_label_score_risk_evidence_and_category() -> None:
    frame = score_texts([POLICE, DELIVERY, None, "   "])
    assert frame.columns == ["label", "label_zh", "score", "risk", "evidence", "category"]
    assert frame["label"].to_list() == ["impersonate_police_gov", "normal", "", ""]
    assert frame["category"].to_list() == ["fraud", None, None, None]
    risk = frame["risk"].to_list()
    assert risk[0] > 0.5 > risk[1]
    assert risk[2] == risk[3] == 0.0
    assert frame["score"][2] == 0.0
    assert frame["evidence"][0].len() > 0
    assert frame["label_zh"][0] == "冒充公检法及政府机关"


def test_content_labels_map_to_mark_categories() -> None:
    for label in (
        "impersonate_police_gov",
        "impersonate_customer_service",
        "impersonate_leader_acquaintance",
        "loan_credit_card",
    ):
        assert category_of_label(label) is Category.FRAUD
    # an operator's own model with labels named as categories
    assert category_of_label("real_estate") is Category.REAL_ESTATE
    assert category_of_label("normal") is None
    assert category_of_label("spam_of_some_kind") is None


@pytest.mark.parametrize("label", ["normal", "", "spam_of_some_kind"])
def test_no_reason_for_honest_empty_or_unmapped_texts(label: str) -> None:
    assert content_reason(label, 0.99, ["x"]) is None


def test_a_content_reason_reads_aloud_and_carries_its_figures() -> None:
    reason = content_reason("impersonate_leader_acquaintance", 0.8765, ["你们张总", "转"], 0.5)
    assert reason is not None
    assert reason["code"] == "content"
    assert reason["weight"] == 0.5
    assert '"你们张总"' in str(reason["text_zh"])
    assert "87%" in str(reason["text_en"]) or "88%" in str(reason["text_en"])
    evidence = json.loads(str(reason["evidence"]))
    assert evidence == {
        "label": "impersonate_leader_acquaintance", "score": 0.8765, "terms": ["你们张总", "转"]
    }  # fmt: skip

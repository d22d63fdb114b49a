"""score and evaluate write a summary and a self-contained HTML report beside their output;
CSV alerts are for people (local time with its offset, reasons as text) and read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.detect.alerts_io import read_alerts

COMMAND = typer.main.get_command(app)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small city and its alerts, as CSV and as Parquet."""
    work = tmp_path_factory.mktemp("reports")
    city = work / "city"
    assert (
        run(COMMAND, ["simulate", "--subscribers", "1500", "--seed", "4", "--out", str(city)]) == 0
    )
    for name in ("alerts.csv", "alerts.parquet"):
        assert run(COMMAND, ["score", str(city), "--out", str(work / name)]) == 0
    return city, work


def test_score_writes_a_summary_and_a_self_contained_report(scored: tuple[Path, Path]) -> None:
    _, work = scored
    summary = json.loads((work / "alerts.summary.json").read_text(encoding="utf-8"))
    alerts = pl.read_parquet(work / "alerts.parquet")
    assert summary["alerts"] == alerts.height
    assert summary["numbers_alerted"] == alerts["msisdn"].n_unique()
    assert sum(summary["by_decision"].values()) == alerts.height
    assert summary["first_flag"].endswith("+08:00")
    page = (work / "alerts.report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 2 and "Alerts over time" in page
    # nothing fetched: no script, no linked resource (namespaces are only names)
    assert "<script" not in page and 'src="http' not in page and 'href="http' not in page


def test_csv_alerts_are_local_time_and_readable_reasons(scored: tuple[Path, Path]) -> None:
    _, work = scored
    text = pl.read_csv(work / "alerts.csv", infer_schema_length=0)
    assert text.columns == [
        "msisdn", "flagged_at", "score", "decision", "reason_codes", "reasons_zh", "reasons_en",
    ]  # fmt: skip
    assert text["flagged_at"].str.ends_with("+08:00").all()
    assert "次" in text["reasons_zh"][0] and "call" in text["reasons_en"][0]
    # read back: the same alerts as the Parquet, reasons as JSON text with their codes
    back, typed = read_alerts(work / "alerts.csv"), pl.read_parquet(work / "alerts.parquet")
    assert back["flagged_at"].equals(typed["flagged_at"])
    codes = [json.loads(r)[0]["code"] for r in back["reasons"]]
    assert codes == typed["reasons"].list.first().struct.field("code").to_list()


def test_the_older_csv_form_still_reads(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    reasons = json.dumps([{"code": "relay_call", "weight": 0.8, "text_zh": "中转"}])
    pl.DataFrame(
        {
            "msisdn": ["+8613800000001"],
            "flagged_at": ["2026-07-08T10:04:00.000000Z"],
            "score": ["0.9"],
            "decision": ["restrict"],
            "reasons": [reasons],
        }
    ).write_csv(old)
    back = read_alerts(old)
    assert back["flagged_at"][0] == datetime(2026, 7, 8, 10, 4, tzinfo=UTC)
    assert back["reasons"][0] == reasons


def test_evaluate_writes_its_report(scored: tuple[Path, Path], tmp_path: Path) -> None:
    city, work = scored
    out = tmp_path / "eval"
    assert run(COMMAND, ["evaluate", str(work / "alerts.csv"), "--truth", str(city),
                         "--out", str(out)]) == 0  # fmt: skip
    summary = json.loads((tmp_path / "eval.summary.json").read_text(encoding="utf-8"))
    assert 0 < summary["overall"]["recall"] <= 1
    assert {row["label"] for row in summary["by_type"]} >= {"normal", "relay_call"}
    page = (tmp_path / "eval.report.html").read_text(encoding="utf-8")
    assert "PR-AUC" in page and "share flagged" in page and page.count("<svg") == 3
    # without --out: beside the alerts
    assert run(COMMAND, ["evaluate", str(work / "alerts.parquet"), "--truth", str(city)]) == 0
    assert (work / "alerts.evaluation.report.html").exists()

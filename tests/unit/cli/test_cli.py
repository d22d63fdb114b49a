"""The command line as a user drives it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from tests.unit.cli.runner import run


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "city"
    done = run("simulate", "--subscribers", "3000", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_help_lists_the_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in ("simulate", "ingest", "score", "evaluate", "mappings", "demo"):
        assert command in done.stdout


def test_simulate_writes_the_canonical_layout(city: Path) -> None:
    for record in ("calls", "sms", "subscribers", "labels"):
        assert list((city / record).rglob("*.parquet")), record


def test_ingest_score_evaluate_end_to_end(city: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for record in ("calls", "sms", "subscribers", "labels"):
        done = run("ingest", str(city / record), "--mapping", record, "--out", str(data))
        assert done.returncode == 0, done.stderr
        assert "quarantined" in done.stdout
    alerts = tmp_path / "alerts.parquet"
    done = run(
        "score", str(data / "calls"), "--subscribers", str(data / "subscribers"),
        "--sms", str(data / "sms"), "--out", str(alerts),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pl.read_parquet(alerts)
    assert set(table.columns) == {"msisdn", "flagged_at", "score", "decision", "reasons"}
    assert table.height > 0
    done = run("evaluate", str(alerts), "--truth", str(data / "labels"), "--calls", str(data))
    assert done.returncode == 0, done.stderr
    assert "relay_call" in done.stdout and "precision" in done.stdout


def test_alerts_as_csv_read_like_a_note(city: Path, tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    done = run("score", str(city), "--subscribers", str(city), "--out", str(out))
    assert done.returncode == 0, done.stderr
    first = pl.read_csv(out).row(0, named=True)
    assert first["flagged_at"].endswith("+08:00") and first["reasons_en"] and first["reasons_zh"]


def test_bad_rows_are_quarantined_and_strict_fails(tmp_path: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(
        "caller,callee,start_time,duration_s\n"
        "13812345678,13912345678,2026-07-08 18:00:00,30\n"
        "12,13912345678,2026-07-08 18:02:00,30\n"
        "13812345678,13912345678,yesterday,30\n",
        encoding="utf-8",
    )
    done = run("ingest", str(src), "--out", str(tmp_path / "out"), "--strict")
    assert done.returncode == 4
    assert "bad_number" in done.stdout and "unparsable_time" in done.stdout
    lines = (tmp_path / "out" / "quarantine" / "calls-calls.jsonl").read_text().splitlines()
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [("", "empty"), ("a,b\n1,2\n", "none of the columns")],
)
def test_a_wrong_file_gets_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    src = tmp_path / "calls.csv"
    src.write_text(content, encoding="utf-8")
    done = run("ingest", str(src), "--out", str(tmp_path / "out"))
    assert done.returncode == 3
    assert "calls.csv" in done.stderr and problem in done.stderr.lower()
    assert "Traceback" not in done.stderr


def test_score_rejects_missing_columns_and_empty_input(tmp_path: Path) -> None:
    bad = tmp_path / "calls.parquet"
    pl.DataFrame({"caller": ["+8613812345678"]}).write_parquet(bad)
    done = run("score", str(bad), "--no-subscribers", "--out", str(tmp_path / "a.parquet"))
    assert done.returncode == 3
    assert "missing column" in done.stderr and "callee" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("score", str(empty), "--no-subscribers", "--out", str(tmp_path / "a.parquet"))
    assert done.returncode == 3
    assert "Traceback" not in done.stderr


def test_unknown_model_directory_is_a_clear_error(city: Path, tmp_path: Path) -> None:
    done = run(
        "score", str(city), "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "a.csv")
    )
    assert done.returncode == 2
    assert "nope" in done.stderr and "Traceback" not in done.stderr


def test_model_trained_on_records_scores_them(city: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    done = run("model", "train", str(city), "--out", str(model), "--cv", "2")
    assert done.returncode == 0, done.stderr
    assert "model written" in done.stdout
    scores = tmp_path / "scores.csv"
    done = run("model", "score", str(model), str(city), "--out", str(scores))
    assert done.returncode == 0, done.stderr
    table = pl.read_csv(scores, schema_overrides={"id": pl.String})
    assert table.columns == ["id", "score", "label_pred"]
    labels = pl.read_parquet(city / "labels" / "**" / "*.parquet")
    fraud = labels.filter(~pl.col("label").is_in(["normal", "legit_heavy"]))["msisdn"]
    flagged = table.filter(pl.col("label_pred") == 1)["id"]
    assert flagged.len() > 0 and flagged.is_in(fraud.implode()).mean() > 0.5
    alerts = tmp_path / "alerts.parquet"
    done = run(
        "score", str(city / "calls"), "--subscribers", str(city / "subscribers"),
        "--sms", str(city / "sms"), "--model", str(model), "--out", str(alerts),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert pl.read_parquet(alerts)["msisdn"].is_in(fraud.implode()).any()


def test_bad_simulator_option_names_the_field(tmp_path: Path) -> None:
    done = run("simulate", "--subscribers", "5", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "subscribers" in done.stderr


def test_mappings_are_listed_and_printable() -> None:
    done = run("mappings")
    assert "sichuan-calls" in done.stdout
    shown = run("mappings", "sichuan-calls")
    assert "calltype_id" in shown.stdout


def test_demo_prints_the_summary(tmp_path: Path) -> None:
    done = run("demo", "--subscribers", "2000", "--workdir", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    for text in ("by actor type", "relay_call", "precision", "courier", "log in as demo-agent"):
        assert text in done.stdout


def test_scoring_asks_for_no_huge_pages(city: Path, tmp_path: Path) -> None:
    """`score` leaves numpy's arrays in ordinary pages (no ``madvise`` for huge pages, whose
    faults compact and clear 2 MiB at a time): asked of numpy after the command has run."""
    code = (
        "import sys\n"
        "from numpy._core import multiarray\n"
        "from callwarden.cli.app import command\n"
        "from callwarden.cli.exits import run\n"
        "multiarray._set_madvise_hugepage(True)\n"
        "code = run(command(), sys.argv[1:])\n"
        "print(code, multiarray._set_madvise_hugepage(True), file=sys.stderr)\n"
    )
    args = ["score", str(city), "--out", str(tmp_path / "a.parquet"), "--no-report"]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stderr.strip().splitlines()[-1] == "0 False"

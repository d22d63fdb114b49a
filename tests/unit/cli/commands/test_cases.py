"""The operators' case commands, as a user drives them: open, list, act, verify, export, serve."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest
import typer
from tests.unit.cli.runner import run

from callwarden.cases.db import open_database
from callwarden.cases.schemas import AlertIn
from callwarden.cases.service import CaseService
from callwarden.cli.app import app
from callwarden.cli.exits import run as run_cli
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic


@pytest.fixture
def alerts_file(tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]) -> Path:
    calls, subs = seed000_records
    subs.write_parquet(tmp_path / "subscribers.parquet")
    path = tmp_path / "alerts.parquet"
    write_alerts(score_records(Traffic(calls, None, subs)).alerts, path)
    return path


def test_open_act_verify_export(tmp_path: Path, alerts_file: Path) -> None:
    db = str(tmp_path / "cases.db")
    subs = str(tmp_path / "subscribers.parquet")
    done = run("cases", "open", str(alerts_file), "--subscribers", subs, "--db", db)
    assert done.returncode == 0, done.stderr
    assert "1 cases opened" in done.stdout
    again = run("cases", "open", str(alerts_file), "--db", db)
    assert "2 already received" in again.stdout  # (restricted, then suspended)
    listed = run("cases", "list", "--db", db)
    assert "awaiting_request" in listed.stdout and "+8613800001948" in listed.stdout
    for name, role in [
        ("li", "agent"),
        ("wang", "analyst"),
        ("chen", "supervisor"),
        ("zhao", "technician"),
    ]:
        made = run("cases", "add-user", name, "--role", role, "--db", db)
        assert made.returncode == 0 and len(made.stdout.strip()) > 20
    steps = [
        (
            "request",
            "li",
            [
                "--channel",
                "hotline",
                "--relationship",
                "family",
                "--document",
                "student_card",
                "--minor",
            ],
        ),
        ("verify", "li", ["--channel", "business_hall", "--items", "owner_id_copy,proxy_document"]),
        ("review", "wang", ["--verdict", "approve"]),
        ("review", "chen", ["--verdict", "approve"]),
        ("restore", "zhao", []),
    ]
    for action, user, extra in steps:
        done = run("cases", "act", "1", action, "--user", user, "--db", db, *extra)
        assert done.returncode == 0, (action, done.stderr)
    refused = run("cases", "act", "1", "restore", "--user", "zhao", "--db", db)
    assert refused.returncode == 1 and "cannot restore" in refused.stderr
    unknown = run("cases", "act", "1", "comment", "--user", "nobody", "--reason", "x", "--db", db)
    assert unknown.returncode == 2 and "no such staff user" in unknown.stderr
    shown = json.loads(run("cases", "show", "1", "--json", "--db", db).stdout)
    assert shown["state"] == "closed" and shown["outcome"] == "restored"
    audit = run("cases", "verify-audit", "--db", db)
    assert audit.returncode == 0 and "intact" in audit.stdout
    out = tmp_path / "labels.parquet"
    assert run("labels", "export", "--out", str(out), "--db", db).returncode == 0
    assert pl.read_parquet(out).select("msisdn", "label").rows() == [("+8613800001948", "normal")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_creates_the_database_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "new.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "callwarden", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    health = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("callwarden serve did not answer")
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert db.exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json") as r:
            assert "/api/v1/cases/{case_id}/actions" in json.loads(r.read())["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_open_takes_every_alert_it_can_and_reports_the_rest(tmp_path: Path) -> None:
    """Issue 19's finding: the first alert on a number from outside failed the whole file."""
    rows = [
        ("+8613812345678", "suspend"),  # own: suspension
        ("+371573613369", "suspend"),  # spoofed foreign ID: interception
        ("+447911123456", "intercept"),  # valid foreign: interception
        ("+8613012345678", "restrict"),  # another carrier's: interception
        ("+8617012345678", "suspend"),  # virtual operator: interception, report to the host
        ("+8695588", "suspend"),  # bank service line: interception
        ("+960180379979", "review"),  # off-net review: evidence only
        ("abc", "suspend"),  # garbage: reported
        ("", "suspend"),  # empty: reported
        ("+8613900000000", "watch"),
    ]
    alerts = tmp_path / "alerts.parquet"
    pl.DataFrame(
        {
            "msisdn": [m for m, _ in rows],
            "flagged_at": pl.datetime_range(
                pl.datetime(2026, 7, 8, 10, time_zone="UTC"),
                pl.datetime(2026, 7, 8, 10, 9, time_zone="UTC"),
                "1m",
                eager=True,
            ),
            "score": [0.97] * len(rows),
            "decision": [d for _, d in rows],
        }
    ).write_parquet(alerts)
    db = str(tmp_path / "cases.db")
    done = run("cases", "open", str(alerts), "--db", db)
    assert done.returncode == 0, done.stderr
    assert (
        "10 alerts = 1 cases opened + 5 interceptions + 0 added to open cases + 0 already received"
        " + 2 watch or evidence only + 2 reported" in done.stdout
    ), done.stdout
    assert "row 8" in done.stderr and "'abc'" in done.stderr
    reported = pl.read_csv(tmp_path / "alerts.rejected.csv")
    assert reported["row"].to_list() == [8, 9]
    listed = run("cases", "list", "--db", db)
    assert listed.stdout.count("interception") == 5


def _three_cases(db: Path) -> None:
    svc = CaseService(open_database(str(db)))
    svc.intake(
        AlertIn.model_validate(
            {
                "msisdn": f"+861381234567{i}",
                "flagged_at": f"2026-07-08T10:0{i}:00Z",
                "score": 0.9,
                "decision": "restrict",
                "reasons": [{"code": "relay_call", "text_zh": "中转呼叫", "text_en": "relay"}],
            }
        )
        for i in range(3)
    )


def test_list_says_how_many_in_all_and_filters_by_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cases.db"
    _three_cases(db)
    command = typer.main.get_command(app)
    assert run_cli(command, ["cases", "list", "--limit", "2", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "cases: 2 of 3" in out and "1 more: raise --limit" in out
    assert run_cli(command, ["cases", "list", "--msisdn", "13812345671", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "+8613812345671" in out and "+8613812345670" not in out and "cases: 1" in out
    assert run_cli(command, ["cases", "list", "--limit", "1", "--json", "--db", str(db)]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["total"] == 3 and len(page["items"]) == 1 and page["next"]
    assert run_cli(command, ["cases", "list", "--msisdn", "hello", "--db", str(db)]) == 2
    assert "--msisdn: 'hello' is neither a valid number" in capsys.readouterr().err


def test_summary_and_show_are_tables_and_json_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cases.db"
    _three_cases(db)
    command = typer.main.get_command(app)
    assert run_cli(command, ["cases", "summary", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "case summary" in out and "┃ what" in out and not out.lstrip().startswith("{")
    assert run_cli(command, ["cases", "summary", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["cases_by_kind"] == {"suspension": 3}
    assert run_cli(command, ["cases", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "case 1" in out and "timeline" in out and "relay" in out and "中转呼叫" in out
    assert not out.lstrip().startswith("{") and len(out.splitlines()) < 80
    assert run_cli(command, ["cases", "show", "1", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == 1

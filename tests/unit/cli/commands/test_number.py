"""``callwarden number``: one number's story, from its calls to its way back (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cases.access import Actor
from callwarden.cases.db import open_database
from callwarden.cases.from_files import alerts_from_frame
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn
from callwarden.cases.service import CaseService
from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

OWNER = "+8613800001948"


@pytest.fixture
def story(tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]) -> Path:
    """Seed 000 scored and opened as a case, then verified, approved and restored; every
    third call of the evening unanswered. Returns the folder with cases.db and calls.parquet."""
    calls, subs = seed000_records
    calls = calls.with_columns(
        duration_s=pl.when(pl.int_range(pl.len()) % 3 == 2).then(0).otherwise(pl.col("duration_s"))
    )
    calls.write_parquet(tmp_path / "calls.parquet")
    alerts = score_records(Traffic(calls, None, subs)).alerts
    inputs, rejected = alerts_from_frame(alerts, subs)
    assert not rejected
    svc = CaseService(open_database(str(tmp_path / "cases.db")))
    case_id = next(r.case_id for r in svc.intake(inputs) if r.case_id)
    steps = [
        (Actor("li", Role.agent), {"action": "request", "channel": "hotline"}),
        (
            Actor("li", Role.agent),
            {"action": "verify", "channel": "business_hall", "items": ["owner_document"]},
        ),
        (Actor("wang", Role.analyst), {"action": "review", "verdict": "approve"}),
        (Actor("chen", Role.supervisor), {"action": "review", "verdict": "approve"}),
        (Actor("zhao", Role.technician), {"action": "restore"}),
    ]
    state = ""
    for who, body in steps:
        if who.role is Role.supervisor and state == "approved":  # low risk: one approval
            continue
        state = svc.act(case_id, who, ActionIn.model_validate(body)).state
    assert state == "closed"
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(typer.main.get_command(app), list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_story_of_a_restored_number(story: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "number",
        "13800001948",
        "--db",
        str(story / "cases.db"),
        "--calls",
        str(story / "calls.parquet"),
    )
    assert code == 0, err
    assert OWNER in out and "active" in out
    # the reasons of the alert that stopped it, in both languages, after the restore
    assert "relay_call" in out
    assert "outbound calls" in out and "主叫" in out
    # the calls chart: 10-minute slots in Shanghai time, answered and not, the alert marked
    assert "calls made by +8613800001948 per 10 minutes" in out
    assert "18:00" in out and "█" in out and "░" in out
    assert "◀ restrict" in out or "◀ suspend" in out
    # the case's timeline, to the restore
    assert "closed (restored)" in out and "restore" in out and "zhao" in out


def test_json_for_machines(story: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys,
        "number",
        OWNER,
        "--db",
        str(story / "cases.db"),
        "--calls",
        str(story / "calls.parquet"),
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["status"] == "active" and doc["history"]["alerts"][0]["reasons"]
    slots = doc["calls_per_10min"]
    # 32 calls in all: two in the afternoon, 30 from 18:00 (one every 2 minutes)
    assert sum(s["answered"] + s["unanswered"] for s in slots) == 32
    assert sum(s["unanswered"] for s in slots) == 10
    evening = next(s for s in slots if s["slot"].startswith("2026-07-08T18:00"))
    assert evening["answered"] + evening["unanswered"] == 5
    assert evening["slot"].endswith("+08:00")


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_the_chart_as_an_image(
    story: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    image = story / f"chart{suffix}"
    code, _, err = cli(
        capsys,
        "number",
        OWNER,
        "--db",
        str(story / "cases.db"),
        "--calls",
        str(story / "calls.parquet"),
        "--out",
        str(image),
    )
    assert code == 0, err
    head = image.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in image.read_bytes()


def test_an_image_needs_calls_and_a_known_suffix(
    story: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(story / "cases.db")
    code, _, err = cli(capsys, "number", OWNER, "--db", db, "--out", "x.svg")
    assert code == 2 and "add --calls" in err
    calls = str(story / "calls.parquet")
    code, _, err = cli(capsys, "number", OWNER, "--db", db, "--calls", calls, "--out", "x.gif")
    assert code == 2 and ".svg or .png" in err


def test_a_number_nobody_knows(story: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "number", "+8613912345678", "--db", str(story / "cases.db"))
    assert code == 2 and "no record of this number" in err
    code, _, err = cli(capsys, "number", "hello", "--db", str(story / "cases.db"))
    assert code == 2 and "'hello'" in err

"""``callwarden hotline`` and ``callwarden screen``: the token, policy versions, a simulated
day dry-run under two policies, and the daily report from the decision log."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from callwarden.cases.db import open_database
from callwarden.cli.app import main
from callwarden.screen.callers import caller_of
from callwarden.screen.service import Screener
from callwarden.simulate.hotline import WANTED


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
        main()
    out = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, out.out, out.err


def test_a_day_from_simulation_to_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    day, db = tmp_path / "day", str(tmp_path / "cases.db")
    code, out, _ = cli(capsys, "screen", "simulate", str(day), "--calls", "600", "--seed", "3")
    assert code == 0 and "scammer" in out
    calls = pl.read_csv(day / "calls.csv")
    assert calls.height == 600 and set(calls["callee"]) == {"+864001234567"}
    honest = calls.filter(pl.col("truth").is_in(list(WANTED)))["caller"].to_list()
    assert all(caller_of(n).flag is None for n in honest)  # real numbers, not spoofed ones
    assert cli(capsys, "marks", "import", str(day / "marks.csv"), "--db", db)[0] == 0

    code, out, _ = cli(capsys, "hotline", "add", "acme", "--number", "400 123 4567", "--db", db)
    assert code == 0
    token = out.split()[-1]
    assert len(token) >= 32
    code, out, err = cli(capsys, "hotline", "add", "other", "--number", "4001234567", "--db", db)
    assert code != 0 and "already a hotline" in err

    code, out, _ = cli(
        capsys, "hotline", "policy", "set", "acme", str(day / "policy-current.toml"), "--db", db
    )
    assert code == 0 and "version 1" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[bands]]\ncategories = ["fraud"]\naction = "mute"\n', encoding="utf-8")
    code, _, err = cli(capsys, "hotline", "policy", "set", "acme", str(bad), "--db", db)
    assert code == 2 and "bands.0.action" in err and "bad.toml" in err
    code, out, _ = cli(capsys, "hotline", "policy", "show", "acme", "--db", db)
    assert "version 1" in out and 'name = "current"' in out

    new = str(day / "policy-new.toml")
    code, out, _ = cli(
        capsys, "screen", "dry-run", str(day / "calls.csv"), "--policy", new,
        "--db", db, "--hotline", "acme", "--out", str(tmp_path / "dr.csv"),
    )  # fmt: skip
    assert code == 0 and "current = acme v1" in out
    both = pl.read_csv(tmp_path / "dr.csv")
    assert both.height == 600
    # the stricter policy keeps more unwanted callers from the agents, and blocks no key customer
    unwanted = both.filter(~pl.col("wanted"))
    assert (unwanted["new_outcome"] == "connected").sum() < (
        unwanted["current_outcome"] == "connected"
    ).sum()
    keys = both.filter(pl.col("truth") == "key_customer")
    assert (keys["new_outcome"] == "blocked").sum() == 0

    # screen the day through the service, then report it
    database = open_database(db)
    screener = Screener(database).start(background=False)
    (hotline,) = screener._by_token.values()
    for row in calls.iter_rows(named=True):
        at = datetime.fromisoformat(row["start_time"].replace("Z", "+00:00"))
        screener.decide(hotline, str(row["caller"] or ""), at)
    screener.close()
    code, out, _ = cli(
        capsys, "hotline", "report", "acme", "--day", "2026-12-02", "--db", db, "--json"
    )
    assert code == 0
    rep = json.loads(out)
    assert rep["decisions"] == 600
    assert sum(r["calls"] for r in rep["by_action"]) == 600
    blocked = sum(r["blocked"] for r in rep["by_category"])
    assert blocked == sum(r["blocked"] for r in rep["by_hour"]) > 0
    assert rep["top_numbers"][0]["caller"].count("*") >= 4  # masked by default
    code, out, _ = cli(capsys, "hotline", "report", "acme", "--day", "2026-12-02", "--db", db)
    assert code == 0 and "top offending numbers" in out
    # without --day: today in the hotline's time zone (Shanghai), not the UTC date
    zone = ZoneInfo("Asia/Shanghai")
    before = datetime.now(zone).date()
    code, out, _ = cli(capsys, "hotline", "report", "acme", "--db", db, "--json")
    after = datetime.now(zone).date()
    assert code == 0 and json.loads(out)["day"] in (before.isoformat(), after.isoformat())


def test_hotline_errors_name_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cases.db")
    code, _, err = cli(capsys, "hotline", "add", "acme", "--number", "12", "--db", db)
    assert code == 2 and "number" in err
    code, _, err = cli(capsys, "hotline", "policy", "show", "nobody", "--db", db)
    assert code == 2 and "no hotline 'nobody'" in err
    cli(capsys, "hotline", "add", "acme", "--number", "4001234567", "--db", db)
    code, _, err = cli(capsys, "hotline", "policy", "activate", "acme", "3", "--db", db)
    assert code == 2 and "no policy version 3" in err
    code, _, err = cli(capsys, "hotline", "report", "acme", "--day", "monday", "--db", db)
    assert code == 2 and "--day" in err
    calls = tmp_path / "calls.csv"
    calls.write_text("who,when\n1,2\n", encoding="utf-8")
    policy = tmp_path / "p.toml"
    policy.write_text("", encoding="utf-8")
    code, _, err = cli(capsys, "screen", "dry-run", str(calls), "--policy", str(policy))
    assert code == 3 and "caller" in err and "calls.csv" in err

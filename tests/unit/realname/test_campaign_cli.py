"""``callwarden campaign``: plan, run (twice), register, report, and bad input."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from unittest.mock import patch

import polars as pl
import pytest

from callwarden.cli.app import main
from callwarden.cli.commands.cases import open_cases_db
from callwarden.errors import ConfigError
from callwarden.realname.campaign import Campaign
from callwarden.realname.kinds import classify
from callwarden.simulate import SimulationConfig, simulate_city

CAMPAIGN = """\
name = "unit-2026"
[phases]
reminder = ["2026-09-01", "2026-09-14"]
suspension = ["2026-09-15", "2026-09-16"]
registration = ["2026-09-17", "2026-09-30"]
termination = ["2026-10-01", "2026-10-05"]
[suspension]
batches = 2
[warning]
agent = "王敏"
"""


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    def run(*argv: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
            main()
        out = capsys.readouterr()
        assert isinstance(done.value.code, int)
        return done.value.code, " ".join((out.out + out.err).split())

    return run


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    simulate_city(SimulationConfig(subscribers=3000, seed=3, days=1), out)
    return out


def test_plan_run_twice_register_report(
    city: Path, tmp_path: Path, cli: Callable[..., tuple[int, str]]
) -> None:
    toml = tmp_path / "campaign.toml"
    toml.write_text(CAMPAIGN, encoding="utf-8")
    plan = tmp_path / "plan.parquet"
    code, out = cli("campaign", "plan", "--subscribers", str(city), "--out", str(plan))
    assert code == 0, out
    frame = pl.read_parquet(plan)
    assert {"kind", "reason", "reason_zh"} <= set(frame.columns)
    assert frame["kind"].n_unique() == 4
    db = str(tmp_path / "cases.db")
    run = ["campaign", "run", "--campaign", str(toml), "--plan", str(plan), "--db", db]
    code, first = cli(*run, "--date", "2026-09-15", "--call-list", str(tmp_path / "c.csv"))
    assert code == 0, first
    assert "suspend" in first
    code, again = cli(*run, "--date", "2026-09-15")
    assert code == 0 and "subjects loaded" not in again
    assert "suspend │ 0" in again  # the second run did nothing
    suspended = frame["msisdn"][0]
    regs = tmp_path / "regs.csv"
    regs.write_text(
        f"msisdn,registered_at,channel\n{suspended},2026-09-15T03:00:00Z,business_hall\n"
        "not-a-number,2026-09-15T03:00:00Z,online\n",
        encoding="utf-8",
    )
    code, out = cli("campaign", "register", str(regs), "--campaign", str(toml), "--db", db)
    assert code == 0, out
    assert "read 2 = registered 1" in out and "set aside 1" in out
    html = tmp_path / "report.html"
    code, out = cli(
        "campaign", "report", "--campaign", str(toml), "--db", db, "--date", "2026-09-15",
        "--week", "--html", str(html), "--agent", "李娜",
    )  # fmt: skip
    assert code == 0, out
    assert "real-name rate by region" in out and "李娜" in out
    assert "<svg" in html.read_text(encoding="utf-8")


def test_bad_input_is_a_clear_error(tmp_path: Path, cli: Callable[..., tuple[int, str]]) -> None:
    toml = tmp_path / "campaign.toml"
    toml.write_text(CAMPAIGN.replace('"2026-09-15", "2026-09-16"', '"2026-09-10", "2026-09-16"'))
    with pytest.raises(ConfigError, match="suspension: starts 2026-09-10"):
        Campaign.load(toml)
    toml.write_text(CAMPAIGN)
    code, out = cli(
        "campaign", "run", "--campaign", str(toml), "--plan", str(tmp_path / "none.parquet"),
        "--date", "2026-09-15", "--db", str(tmp_path / "c.db"),
    )  # fmt: skip
    assert code == 3 and "none.parquet" in out
    open_cases_db(str(tmp_path / "c.db"), create=True)  # the date is read once the db opens
    code, out = cli("campaign", "report", "--campaign", str(toml), "--date", "15/09/2026",
                     "--db", str(tmp_path / "c.db"))  # fmt: skip
    assert code != 0 and "--date" in out


def test_kinds_and_reasons() -> None:
    subs = pl.DataFrame(
        {
            "msisdn": ["+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"],
            "realname_status": ["none", "mismatch", "corporate_unassigned", "verified"],
            "owner_type": ["individual", "individual", "enterprise", "individual"],
            "activated_on": [date(2010, 1, 1), None, None, None],
            "agent_id_ref": [None, None, "AGT1", None],
        }
    )
    out = classify(subs)
    assert out["kind"].to_list() == ["never_registered", "user_differs", "corporate"]
    assert "2010-01-01" in out["reason"][0]
    assert "agent" in out["reason"][2] and "经办人" in out["reason_zh"][2]

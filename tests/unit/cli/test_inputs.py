"""Inputs that cannot be silently wrong: a city folder's parts are found, a part that changes
the results is not left out unnoticed, a mistyped ``--db`` is not a new empty database, and a
truth file speaks only for the numbers it covers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.detect.evaluate import evaluate_alerts

COMMAND = typer.main.get_command(app)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``callwarden ARGV`` in this process: exit code, stdout, stderr (one line each)."""
    code = run(COMMAND, list(argv))
    out, err = capsys.readouterr()
    return code, " ".join(out.split()), " ".join(err.split())


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inputs") / "city"
    assert (
        run(COMMAND, ["simulate", "--subscribers", "2000", "--seed", "3", "--out", str(out)]) == 0
    )
    return out


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLWARDEN_DB", raising=False)


def test_score_reads_a_city_folders_parts(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "score", str(city), "--out", str(tmp_path / "folder.parquet"))
    assert code == 0, err
    assert f"reading {city / 'calls'}, {city / 'sms'}, {city / 'subscribers'}" in err
    parts = (
        "score", str(city / "calls"), "--sms", str(city / "sms"),
        "--subscribers", str(city / "subscribers"), "--out", str(tmp_path / "parts.parquet"),
    )  # fmt: skip
    assert cli(capsys, *parts)[0] == 0
    assert pl.read_parquet(tmp_path / "folder.parquet").equals(
        pl.read_parquet(tmp_path / "parts.parquet")
    )


def test_score_without_subscribers_is_refused_then_warned(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.parquet"
    code, _, err = cli(capsys, "score", str(city / "calls"), "--sms", str(city / "sms"),
                       "--out", str(out))  # fmt: skip
    assert code == 2 and not out.exists()
    assert "no subscribers" in err and "--no-subscribers" in err
    assert f"{city / 'subscribers'} is there" in err
    code, _, err = cli(capsys, "score", str(city / "calls"), "--no-subscribers", "--out", str(out))
    assert code == 0, err
    assert "warning: scoring without subscribers" in err and "intercept" in err
    code, _, err = cli(capsys, "score", str(city), "--no-subscribers",
                       "--subscribers", str(city), "--out", str(out))  # fmt: skip
    assert code == 2 and "give one of them" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["cases", "list"],
        ["cases", "show", "1"],
        ["cases", "summary"],
        ["cases", "sweep"],
        ["cases", "verify-audit"],
        ["cases", "act", "1", "comment", "--user", "li"],
        ["labels", "export", "--out", "labels.parquet"],
    ],
)
def test_commands_that_read_refuse_a_database_that_is_not_there(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, *argv, "--db", "mistyped.db")
    assert code == 2
    assert "--db mistyped.db: cannot open: no such case database" in err
    assert not (tmp_path / "mistyped.db").exists()
    code, _, err = cli(capsys, *argv)  # the default, callwarden.db, in an empty folder
    assert code == 2 and "no such case database" in err
    assert not (tmp_path / "callwarden.db").exists()


def test_commands_that_create_make_a_new_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "cases", "add-user", "li", "--role", "agent", "--db", "new.db")
    assert code == 0, err
    assert (tmp_path / "new.db").exists()
    code, out, _ = cli(capsys, "cases", "list", "--db", "new.db")
    assert code == 0 and "cases" in out


@pytest.fixture(scope="module")
def alerts(city: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("alerts") / "alerts.parquet"
    assert run(COMMAND, ["score", str(city), "--out", str(out)]) == 0
    return out


def test_evaluate_takes_a_city_folder(
    city: Path, alerts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "evaluate", str(alerts), "--truth", str(city))
    assert code == 0, err
    assert "relay_call" in out and "median_records_to_flag" in out  # calls/ was found


def test_evaluate_refuses_a_truth_that_does_not_cover_the_alerts(
    city: Path, alerts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # two case outcomes, as `labels export` writes them
    flagged = pl.read_parquet(alerts).filter(pl.col("decision") == "suspend")
    truth = tmp_path / "outcomes.parquet"
    pl.DataFrame(
        {
            "msisdn": flagged["msisdn"].unique().sort().head(2),
            "label": ["relay_call", "normal"],
            "behaviour_start": [flagged["flagged_at"].max(), None],
        }
    ).write_parquet(truth)
    code, _, err = cli(capsys, "evaluate", str(alerts), "--truth", str(truth))
    assert code == 2
    assert "does not list" in err and "--truth-covers all" in err and "--truth-covers listed" in err
    code, out, err = cli(capsys, "evaluate", str(alerts), "--truth", str(truth),
                         "--truth-covers", "listed")  # fmt: skip
    assert code == 0, err
    assert "fpr_normal │ 1.0" in out or "fpr_normal 1.0" in out  # the one normal was flagged
    assert "-" not in out.split("median_minutes_to_flag")[-1].split()[0]


def test_minutes_to_flag_are_never_negative() -> None:
    flag, start = datetime(2026, 7, 8, 10, tzinfo=UTC), datetime(2026, 7, 9, 10, tzinfo=UTC)
    truth = pl.DataFrame({"msisdn": ["+1"], "label": ["relay_call"], "behaviour_start": [start]})
    alerts = pl.DataFrame(
        {"msisdn": ["+1"], "flagged_at": [flag], "score": [0.9], "decision": ["restrict"]}
    )
    per_type = evaluate_alerts(alerts, truth).per_type
    assert per_type.filter(pl.col("label") == "relay_call")["median_minutes_to_flag"][0] == 0.0

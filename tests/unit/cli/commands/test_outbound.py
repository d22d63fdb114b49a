"""``callwarden outbound``: a simulated day from files to audit, bad rows quarantined with
counts that add up, and bad input named in one clear line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest.mock import patch

import polars as pl
import pytest

from callwarden.cli.app import main


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
        main()
    out = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, out.out, out.err


def test_a_day_from_simulation_to_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day, db = tmp_path / "day", str(tmp_path / "cases.db")
    code, out, _ = cli(
        capsys, "outbound", "simulate", "--out", str(day), "--seats", "3", "--planted", "6"
    )
    assert code == 0 and "planted violations" in out
    code, out, _ = cli(
        capsys,
        "outbound",
        "business",
        "add",
        "seaview",
        "--policy",
        str(day / "policy.toml"),
        "--db",
        db,
    )
    assert code == 0 and len(out.split()[-1]) >= 32
    # a consent file with bad rows besides the simulator's good ones
    consents = (day / "consents.csv").read_text(encoding="utf-8")
    header = consents.splitlines()[0]
    assert header == "callee,granted_at,expires_at,withdrawn_at,evidence,channel"
    bad_rows = (
        "not-a-number,2026-11-01 10:00,,,REC-X,web\n"
        "13812345678,someday,,,REC-Y,web\n"
        "13812345679,2026-11-01 10:00,,,,web\n"
        "13812345670,2026-11-01 10:00,2026-10-01 10:00,,REC-Z,web\n"
    )
    mixed = day / "consents-mixed.csv"
    mixed.write_text(consents + bad_rows, encoding="utf-8")
    good = consents.count("\n") - 1
    code, out, _ = cli(
        capsys, "outbound", "consent", "import", str(mixed), "--business", "seaview", "--db", db
    )
    assert code == 0
    assert f"read {good + 4:,} = accepted {good:,} + quarantined 4" in out
    rejected = pl.read_csv(day / "consents-mixed.rejected.csv")
    assert rejected.height == 4
    assert [r.split(":")[0] for r in rejected["reason"]] == [
        "callee",
        "granted_at",
        "evidence",
        "expires_at",
    ]
    code, out, _ = cli(
        capsys,
        "outbound",
        "refusal",
        "import",
        str(day / "refusals.csv"),
        "--business",
        "seaview",
        "--db",
        db,
    )
    assert code == 0 and "quarantined 0" in out

    code, out, _ = cli(
        capsys,
        "outbound",
        "audit",
        str(day / "calls.csv"),
        "--business",
        "seaview",
        "--db",
        db,
        "--json",
        "--out",
        str(tmp_path / "bad.csv"),
    )
    assert code == 0
    report = json.loads(out)
    truth = pl.read_csv(day / "truth.csv")
    assert report["violating_calls"] == truth["call_id"].n_unique()
    assert report["by_category"][0]["category"] == "real_estate"
    assert report["by_category"][0]["share"] == 100.0
    written = pl.read_csv(tmp_path / "bad.csv")
    found = written.select("call_id", pl.col("codes").str.split(";").alias("code")).explode("code")
    assert found.sort("call_id", "code").equals(truth.sort("call_id", "code"))

    code, out, _ = cli(
        capsys, "outbound", "audit", str(day / "calls.csv"), "--business", "seaview", "--db", db
    )
    assert code == 0 and "by rule" in out and "seats" in out and "房产中介" in out


def test_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cases.db")
    policy = tmp_path / "p.toml"
    policy.write_text('lines = ["02161234567"]\n[hours]\nwindows = ["9-5"]\n', encoding="utf-8")
    code, _, err = cli(
        capsys, "outbound", "business", "add", "b", "--policy", str(policy), "--db", db
    )
    assert code == 2 and "hours.windows.0" in err and "HH:MM-HH:MM" in err
    policy.write_text('lines = ["02161234567"]\n', encoding="utf-8")
    assert (
        cli(capsys, "outbound", "business", "add", "b", "--policy", str(policy), "--db", db)[0] == 0
    )
    headerless = tmp_path / "c.csv"
    headerless.write_text("13812345678,2026-11-01\n", encoding="utf-8")
    code, _, err = cli(
        capsys, "outbound", "consent", "import", str(headerless), "--business", "b", "--db", db
    )
    assert code == 3 and "c.csv" in err and "callee" in err
    code, _, err = cli(
        capsys, "outbound", "refusal", "import", str(headerless), "--business", "nobody", "--db", db
    )
    assert code != 0 and "nobody" in err
    calls = tmp_path / "calls.csv"
    calls.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = cli(capsys, "outbound", "audit", str(calls), "--business", "b", "--db", db)
    assert code == 3 and "calls.csv" in err and "callee" in err

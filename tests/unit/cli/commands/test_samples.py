"""docs/ingest.md's tutorial works as written on what ``callwarden samples`` writes (issue 20)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import polars as pl

from callwarden.cli.commands.samples import write_samples

DOC = Path(__file__).parents[4] / "docs" / "ingest.md"


def tutorial() -> list[str]:
    """The commands of the tutorial's shell block, one a line."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Tutorial", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "docs/ingest.md: the tutorial has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_samples_are_the_same_for_the_same_seed(tmp_path: Path) -> None:
    one = [p.read_bytes() for p in write_samples(tmp_path / "a")]
    two = [p.read_bytes() for p in write_samples(tmp_path / "b")]
    assert one == two
    header = (tmp_path / "a" / "calls.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("话单编号,主叫号码,被叫号码,开始时间,通话时长(秒)")


def test_the_ingest_tutorial_runs_as_written(tmp_path: Path) -> None:
    commands = tutorial()
    assert commands[0].startswith("callwarden samples")
    for line in commands:
        argv = shlex.split(line)
        assert argv[0] == "callwarden", line
        done = subprocess.run(
            [sys.executable, "-m", "callwarden", *argv[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"},
            check=False,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        if " ingest sample/calls.csv" in f" {line}":
            # what the tutorial's text says the run shows
            for row in ("read", "accepted", "quarantined"):
                assert row in done.stdout
            assert re.search(r"read\s*│\s*232", done.stdout), done.stdout
            assert re.search(r"accepted\s*│\s*229", done.stdout)
            for reason in ("unparsable_time", "missing_value", "duplicate_key", "impossible"):
                assert reason in done.stdout
        if line.startswith("callwarden number"):
            assert "protective suspension" in done.stdout and "主叫" in done.stdout
    alerts = pl.read_parquet(tmp_path / "alerts.parquet")
    assert "+8613800001948" in alerts["msisdn"].to_list()
    assert (tmp_path / "chart.svg").read_text(encoding="utf-8").count("<svg") == 1

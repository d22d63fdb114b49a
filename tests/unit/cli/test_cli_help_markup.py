"""Help reads as people write it: install hints keep their brackets, flags show no type."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from callwarden.cli.app import app


def test_the_spark_install_hint_keeps_its_extra() -> None:
    done = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "240"})
    assert done.exit_code == 0
    assert "pip install 'callwarden[spark]'" in done.output


def test_flags_show_no_type_and_arguments_their_name() -> None:
    done = subprocess.run(  # the real entry point, as a user runs it
        [sys.executable, "-m", "callwarden", "score", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "<bool>" not in done.stdout
    assert "{CALLS}" in done.stdout and "{calls}" not in done.stdout

"""Help text survives Rich's markup: square brackets in an install hint are not eaten as styles."""

from __future__ import annotations

from typer.testing import CliRunner

from callwarden.cli.app import app


def test_the_spark_install_hint_keeps_its_extra() -> None:
    done = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "240"})
    assert done.exit_code == 0
    assert "pip install 'callwarden[spark]'" in done.output

"""Commands are imported when they run: the root's help lists them from their summaries."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest
import typer

from callwarden.cli.app import COMMANDS, command
from callwarden.cli.exits import run
from callwarden.cli.lazy import LazyCommands


def _help(root: Any, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(root, ["--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("lazy", COMMANDS, ids=[c.name for c in COMMANDS])
def test_each_summary_is_the_first_paragraph_of_the_command_s_help(lazy: Any) -> None:
    loaded = lazy.load()
    assert loaded.name == lazy.name
    first = inspect.cleandoc(loaded.short_help or loaded.help or "").split("\n\n")[0]
    assert lazy.summary == first, f"write {first!r} as the summary of {lazy.name}"


def test_the_root_help_is_the_same_before_and_after_every_command_is_loaded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = command()
    before = _help(root, capsys)
    ctx = typer.Context(root, info_name="callwarden")
    assert isinstance(root.commands, LazyCommands)
    for name in root.list_commands(ctx):
        assert root.get_command(ctx, name) is not None  # loads it
    assert _help(root, capsys) == before
    assert all(c.name in before for c in COMMANDS)


def test_help_and_a_small_command_import_no_other_command_module() -> None:
    code = (
        "import sys\n"
        "from callwarden.cli.app import command\n"
        "from callwarden.cli.exits import run\n"
        "run(command(), sys.argv[1:])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('callwarden.cli.commands.'))\n"
        "heavy = sorted({'polars', 'sqlalchemy', 'sklearn', 'scipy'} & set(sys.modules))\n"
        "print(heavy if sys.argv[1:] == ['--help'] else [], file=sys.stderr)\n"
        "print(loaded, file=sys.stderr)\n"
    )
    for argv, want in ((["--help"], "[]"), (["mappings"], "['callwarden.cli.commands.mappings']")):
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
        )
        *_, heavy, loaded = done.stderr.strip().splitlines()
        assert (heavy, loaded) == ("[]", want)


def test_scoring_loads_the_charts_library_only_for_its_report() -> None:
    """`score --no-report` writes its alerts without the charts' library (matplotlib and its
    dependencies: a few tenths of a second at the start of every run); the report loads it."""
    code = (
        "import sys\n"
        "import callwarden.cli.commands.score as score\n"
        "print(sorted({'matplotlib', 'callwarden.report'} & set(sys.modules)), file=sys.stderr)\n"
        "from callwarden.report import scoring_report\n"
        "print('matplotlib' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *_, before, after = done.stderr.strip().splitlines()
    assert before == "[]"
    assert after == "True"

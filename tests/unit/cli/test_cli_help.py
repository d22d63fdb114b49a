"""Every command's help describes every option and ends with an example (issue 20).

The commands are found in the app itself, as tests/unit/cli/test_cli_contract.py finds them, so a
new command or option is held to this without a line added here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
import typer

from callwarden.cli.app import app, main

#: (check, command) whose help is being written in a change of its own and is not there yet,
#: each with what it lacks: a strict xfail, so the test turns red (XPASS) the day it is fixed
GAPS: dict[tuple[str, str], str] = {}


def _leaves(group: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    group = group or typer.main.get_command(app)
    ctx = typer.Context(group, info_name=" ".join(("callwarden", *path)))
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if hasattr(sub, "list_commands"):
            yield from _leaves(sub, (*path, name))
        else:
            yield " ".join((*path, name)), sub


LEAVES = list(_leaves())
COMMAND = dict(LEAVES)


def _params(check: str) -> list[Any]:
    """Every command, those with a known gap in ``check`` as a strict xfail."""
    out = []
    for name in COMMAND:
        gap = GAPS.get((check, name))
        marks = [pytest.mark.xfail(strict=True, reason=f"{name}: {gap}")] if gap else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def test_every_command_is_walked() -> None:
    names = set(COMMAND)
    assert {"number", "samples", "cases list", "cases show", "serve", "text classify"} <= names
    assert {"score", "evaluate", "stream", "replay", "labels export"} <= names


@pytest.mark.parametrize("name", _params("help"))
def test_every_option_and_argument_has_help(name: str) -> None:
    cmd = COMMAND[name]
    missing = [
        p.opts[0] if p.param_type_name == "option" else p.name.upper()
        for p in cmd.params
        if p.name != "help" and not (getattr(p, "help", None) or "").strip()
    ]
    assert not missing, f"callwarden {name}: no help for {', '.join(missing)}"


@pytest.mark.parametrize("name", _params("example"))
def test_every_help_has_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with (
        pytest.raises(SystemExit) as done,
        patch.object(sys, "argv", ["callwarden", *name.split(), "--help"]),
    ):
        main()
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Example" in out, f"callwarden {name} --help has no example"
    assert f"callwarden {name}" in out.split("Example", 1)[1], "the example runs the command"


@pytest.mark.parametrize("name", _params("default"))
def test_every_option_with_a_value_shows_its_default(name: str) -> None:
    """An option that takes a value and is not required says what it is when not given."""
    cmd = COMMAND[name]
    silent = [
        p.opts[0]
        for p in cmd.params
        if p.param_type_name == "option"
        and not p.is_flag
        and not p.required
        and p.name != "help"
        and p.default is None
        and not isinstance(p.show_default, str)
        and "default" not in (p.help or "").lower()
    ]
    assert not silent, f"callwarden {name}: say what {', '.join(silent)} is when not given"

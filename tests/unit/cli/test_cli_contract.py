"""One contract for every command: bad options and values exit 2, a missing input file 2 or 3
naming it, a ``--db`` that is not a database 2, an unreachable broker 2; always one line on
stderr, never a traceback.

The commands are found in the app itself, so a new command or option is held to the contract
without a line added here (a new path option must say whether it is read or written).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import nats
import polars as pl
import pytest
import typer

from callwarden.cases.db import open_database
from callwarden.cli.app import app, main
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

UNREACHABLE = "nats://127.0.0.1:4299"  # nothing listens there
#: path parameters a command writes, not reads: they need not exist beforehand
OUTPUTS = {"out", "workdir", "checkpoint", "rejected_out"}


def _is_output(p: Any) -> bool:
    """A file the command writes: named in OUTPUTS, or ``*_out`` (html_out, calls_out)."""
    return p.name in OUTPUTS or str(p.name).endswith("_out")


#: input files the command checks itself rather than typer: they also take a URI (Spark), '-'
#: or a shipped name, or another option's check comes first (--model with --engine spark)
SELF_CHECKED = {
    ("score", "calls"),
    ("score", "subscribers"),
    ("score", "sms"),
    ("score", "model"),
    ("stream", "from_file"),
    ("ingest", "mapping"),
}


def _commands(
    group: Any = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under the app, with the words that call it."""
    group = group or typer.main.get_command(app)
    yield path, group
    ctx = typer.Context(group, info_name=" ".join(("callwarden", *path)))
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if hasattr(sub, "list_commands"):
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), sub


COMMANDS = list(_commands())
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not hasattr(cmd, "list_commands")]


def _id(item: tuple[tuple[str, ...], Any]) -> str:
    return " ".join(item[0]) or "callwarden"


def _annotation(param: Any) -> Any:
    return param.type_descriptor.annotation


def _is_path(param: Any) -> bool:
    return _annotation(param) is Path


def _inputs(path: tuple[str, ...], cmd: Any) -> list[Any]:
    """The parameters that name a file the command reads."""
    return [
        p
        for p in cmd.params
        if (_is_path(p) and not _is_output(p)) or (path[-1], p.name) in SELF_CHECKED
    ]


def _value(param: Any, read: bool, tmp: Path, readable: Path) -> str:
    """A value for a required parameter that gets past the command line's own checks."""
    if read:
        return str(readable)
    if _is_path(param) or _is_output(param):
        return str(tmp / f"written-{param.name}")
    if param.name == "role":
        return "agent"
    if _annotation(param) is int:
        return "1"
    assert _annotation(param) is str, f"give {param.name} a value in this test"
    return "x"


def _argv(path: tuple[str, ...], cmd: Any, tmp: Path, given: dict[str, str]) -> list[str]:
    """The command with ``given`` values, and every other required parameter filled."""
    readable = tmp / "readable.txt"
    readable.write_text("exists, but is nothing in particular\n", encoding="utf-8")
    inputs = _inputs(path, cmd)
    args, options = [], []
    for p in cmd.params:
        if p.name not in given and not p.required:
            continue
        value = given.get(p.name) or _value(p, p in inputs, tmp, readable)
        if p.param_type_name == "argument":
            args.append(value)
        else:
            options += [p.opts[0], value]
    return [*path, *args, *options]


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run ``callwarden ARGV`` in this process; the exit code and the one error line."""
    with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
        main()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, f"callwarden {' '.join(argv)}:\n{err}"
    assert lines[0].startswith("error: "), err
    code = done.value.code
    assert isinstance(code, int)
    return code, lines[0]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # defaults such as callwarden.db and stream-checkpoint
    monkeypatch.delenv("CALLWARDEN_DB", raising=False)
    monkeypatch.delenv("CALLWARDEN_DEBUG", raising=False)
    monkeypatch.setenv("CALLWARDEN_NATS", UNREACHABLE)  # never the broker of a neighbour


def test_every_command_is_found() -> None:
    names = {_id(item) for item in COMMANDS}
    assert {"callwarden", "score", "cases", "cases act", "labels export", "replay"} <= names


@pytest.mark.parametrize("path_cmd", COMMANDS, ids=_id)
def test_an_unknown_option_is_one_line_and_exit_2(
    path_cmd: tuple[tuple[str, ...], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, line = call(capsys, *path_cmd[0], "--no-such-option")
    assert code == 2
    assert "--no-such-option" in line


@pytest.mark.parametrize("path_cmd", LEAVES, ids=_id)
def test_path_parameters_say_whether_they_are_read(path_cmd: tuple[tuple[str, ...], Any]) -> None:
    path, cmd = path_cmd
    for p in cmd.params:
        if _is_path(p) and not _is_output(p) and (path[-1], p.name) not in SELF_CHECKED:
            # typer checks the file while parsing: before a command loads a day of records
            # and only then finds a mistyped --known
            assert p.type_descriptor.parameter_info.exists, f"{_id(path_cmd)} {p.name}"


INPUTS = [(path, cmd, p) for path, cmd in LEAVES for p in _inputs(path, cmd)]


@pytest.mark.parametrize(
    ("path", "cmd", "param"), INPUTS, ids=[f"{_id((pa, c))} {p.name}" for pa, c, p in INPUTS]
)
def test_a_missing_input_file_is_named(
    path: tuple[str, ...], cmd: Any, param: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder" / f"{param.name}.parquet"
    code, line = call(capsys, *_argv(path, cmd, tmp_path, {param.name: str(missing)}))
    assert code in (2, 3)
    assert str(missing) in line


DB_COMMANDS = [item for item in LEAVES if any(p.name == "db" for p in item[1].params)]


@pytest.mark.parametrize("path_cmd", DB_COMMANDS, ids=_id)
def test_a_db_that_is_not_a_database_says_so(
    path_cmd: tuple[tuple[str, ...], Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notadb = tmp_path / "notadb.txt"
    notadb.write_text("call records, not a database\n", encoding="utf-8")
    code, line = call(capsys, *_argv(*path_cmd, tmp_path, {"db": str(notadb)}))
    assert code == 2
    assert str(notadb) in line and "not a SQLite database" in line


def test_db_commands_are_found() -> None:
    assert {"cases list", "cases act", "labels export", "serve", "stream"} <= {
        _id(item) for item in DB_COMMANDS
    }


@pytest.mark.parametrize(
    ("db", "problem"),
    [
        ("data.parquet", "not a SQLite database"),
        ("a-folder", "is a folder"),
        ("no-such-folder/cases.db", "there is no folder"),
        ("/proc/cases.db", "cannot open"),  # not writable, even for root
        ("postgresql://cw:secret@127.0.0.1:4298/cases", "cannot open the database"),
    ],
)
def test_a_db_that_cannot_be_opened_is_one_line(
    db: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pl.DataFrame({"caller": ["+8613812345678"]}).write_parquet(tmp_path / "data.parquet")
    (tmp_path / "a-folder").mkdir()
    code, line = call(capsys, "cases", "list", "--db", db)
    assert code == 2
    assert problem in line
    assert db.removeprefix("postgresql://cw:secret@") in line and "secret" not in line


SERVER_COMMANDS = [item for item in LEAVES if any(p.name == "server" for p in item[1].params)]


@pytest.mark.parametrize("path_cmd", SERVER_COMMANDS, ids=_id)
def test_an_unreachable_broker_is_one_line(
    path_cmd: tuple[tuple[str, ...], Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect = nats.connect

    async def without_waits(*args: Any, **kwargs: Any) -> Any:  # the client's tries, no pauses
        return await connect(*args, **{**kwargs, "reconnect_time_wait": 0.01})

    monkeypatch.setattr(nats, "connect", without_waits)
    code, line = call(capsys, *_argv(*path_cmd, tmp_path, {"server": UNREACHABLE}))
    assert code == 2
    assert f"--server {UNREACHABLE}: cannot reach NATS" in line


def test_the_broker_client_logs_no_traceback(tmp_path: Path) -> None:
    """The NATS client logs each failed attempt with a traceback; in a real process (pytest
    would capture the logs) the user sees only the command's line."""
    calls = tmp_path / "calls.parquet"
    calls.write_text("read only after connecting", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "callwarden", "replay", str(calls), "--server", UNREACHABLE],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot reach NATS" in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["cases", "add-user", "li", "--role", "god"], ["--role: 'god'", "agent, analyst"]),
        (["cases", "list", "--limit", "-1"], ["--limit: between 1 and"]),
        (["cases", "list", "--limit", "many"], ["'--limit'", "integer"]),
        (["cases", "act", "1", "verfy", "--user", "li"], ["action 'verfy'", "'verify'"]),
        (
            ["cases", "act", "1", "request", "--user", "li", "--relationship", "boss"],
            ["--relationship 'boss'", "'family'"],
        ),
        (["cases", "act", "1", "survey", "--user", "li", "--rating", "9"], ["--rating 9"]),
        (["cases", "show", "99"], ["no case 99"]),
        (["stream", "--partition", "4/4"], ["--partition 4/4"]),
        (["replay", "readable.txt", "--speed", "fast"], ["--speed fast"]),
    ],
)
def test_a_bad_value_is_one_line_naming_it_and_exit_2(
    argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    Path("readable.txt").write_text("x", encoding="utf-8")
    open_database("callwarden.db").engine.dispose()  # the commands that read refuse none
    code, line = call(capsys, *argv)
    assert code == 2
    for text in expected:
        assert text in line
    assert "pydantic.dev" not in line and "validation error" not in line


@pytest.fixture
def alerts_file(tmp_path: Path, seed000_records: tuple[pl.DataFrame, pl.DataFrame]) -> Path:
    calls, subs = seed000_records
    path = tmp_path / "alerts.parquet"
    write_alerts(score_records(Traffic(calls, None, subs)).alerts, path)
    return path


def test_a_refusal_is_exit_1_and_names_the_role(
    alerts_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["open", str(alerts_file)], ["add-user", "wang", "--role", "analyst"]):
        with pytest.raises(SystemExit), patch.object(sys, "argv", ["callwarden", "cases", *argv]):
            main()
    capsys.readouterr()
    code, line = call(capsys, "cases", "act", "1", "request", "--user", "wang")
    assert code == 1
    assert "an analyst may not request" in line


def test_an_unexpected_error_is_one_line_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> list[str]:
        raise KeyError("mapping table")

    monkeypatch.setattr("callwarden.cli.commands.mappings.list_mappings", broken)
    code, line = call(capsys, "mappings")
    assert code == 70
    assert "internal error (KeyError: 'mapping table')" in line and "report" in line
    monkeypatch.setenv("CALLWARDEN_DEBUG", "1")
    with (
        pytest.raises(KeyError, match="mapping table"),
        patch.object(sys, "argv", ["cw", "mappings"]),
    ):
        main()


def test_help_and_version_still_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--version"], ["cases", "list", "--help"]):
        with pytest.raises(SystemExit) as done, patch.object(sys, "argv", ["callwarden", *argv]):
            main()
        assert done.value.code == 0
    assert "callwarden" in capsys.readouterr().out

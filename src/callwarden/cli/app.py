"""The ``callwarden`` command: a thin Typer layer over the domain packages.

Exit codes and the one-line errors: :mod:`callwarden.cli.exits`.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from callwarden import __version__
from callwarden.cli.exits import run
from callwarden.cli.lazy import LazyCommand, LazyCommands, LazyGroup

#: every command in the order the help lists them: name, where it lives (module of
#: callwarden.cli.commands, attribute), and the first paragraph of its help, which
#: `callwarden --help` shows without importing the module (a test keeps it equal to the
#: command's own docstring)
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "simulate",
        "simulate",
        "simulate",
        (
            "Simulate a city's calls and SMS with "
            "ground-truth fraud labels: relay calls (中转呼叫),\n"
            "robocalls and caller-ID rotation, wangiri "
            "(响一声), SIM boxes (猫池), SMS spam, spoofed\n"
            "caller IDs (改号), among honest subscribers and heavy legitimate callers."
        ),
    ),
    LazyCommand(
        "ingest",
        "ingest",
        "ingest",
        (
            "Validate, normalise and write records (话单 and the rest) as canonical Parquet;\n"
            "quarantine bad rows with their reason. Read = accepted + "
            "quarantined, always. Try it on\n"
            "`callwarden samples` (docs/ingest.md)."
        ),
    ),
    LazyCommand(
        "mappings",
        "mappings",
        "mappings",
        ("List the shipped column mappings, or print one to copy and adapt."),
    ),
    LazyCommand(
        "score",
        "score",
        "score",
        ("Score call (and SMS) records into alerts: one row per number and decision change."),
    ),
    LazyCommand(
        "evaluate",
        "score",
        "evaluate",
        ("Precision, recall and F1 per actor type, PR-AUC, false-positive rates, time-to-flag."),
    ),
    LazyCommand(
        "demo",
        "demo",
        "demo",
        (
            "Simulate a city's day, ingest it, score it, evaluate the "
            "alerts against the truth, and\n"
            "open the cases (保护性停机 and 复机工单): what `make run` runs."
        ),
    ),
    LazyCommand(
        "serve",
        "cases",
        "serve",
        ("Serve the REST API (OpenAPI at /docs); a new database is created and migrated."),
    ),
    LazyCommand(
        "stream",
        "stream",
        "stream",
        ("Score records as they arrive, with the batch definitions; publish alerts as they rise."),
    ),
    LazyCommand(
        "replay",
        "stream",
        "replay",
        ("Publish a day of records to the broker in event-time order (demos and benchmarks)."),
    ),
    LazyCommand(
        "number",
        "number",
        "number",
        (
            "One number's story: status, every alert with its reasons "
            "(zh and en), its calls per 10\n"
            "minutes (answered and not) when call records are given, its protective suspensions\n"
            "(保护性停机) and interceptions, and each case (工单) "
            "with its timeline. Reasons stay after\n"
            "a restore (复机), as history."
        ),
    ),
    LazyCommand(
        "samples",
        "samples",
        "samples",
        (
            "Write a small operator export to try `ingest` on: 话单 (call records) and 用户资料\n"
            "(subscriber profiles) with Chinese column "
            "names (主叫号码, 被叫号码, 开始时间, 通话时长(秒),\n"
            "...), and the mapping (TOML) of each. Among ordinary calls: "
            "a 78-year-old's SIM used for\n"
            "relay calling (中转呼叫), and rows that are wrong the way real "
            "exports are. docs/ingest.md\n"
            "walks through it."
        ),
    ),
    LazyCommand(
        "model",
        "model",
        "app",
        ("Train and apply the learned scorer."),
    ),
    LazyCommand(
        "cases",
        "cases",
        "app",
        ("Suspensions and re-activation work orders."),
    ),
    LazyCommand(
        "labels",
        "cases",
        "labels_app",
        ("Labels from case outcomes, for retraining."),
    ),
    LazyCommand(
        "text",
        "text",
        "app",
        ("Classify texts (SMS, call transcripts) by content, with the terms that decided."),
    ),
    LazyCommand(
        "marks",
        "marks",
        "app",
        ("Number reputation marks (号码标记)."),
    ),
    LazyCommand(
        "hotline",
        "hotline",
        "app",
        ("Enterprise hotlines (400 numbers) screened by callwarden."),
    ),
    LazyCommand(
        "screen",
        "screen",
        "app",
        ("Hotline screening: dry-runs and simulated days."),
    ),
    LazyCommand(
        "campaign",
        "campaign",
        "app",
        ("Real-name registration campaigns (实名登记)."),
    ),
    LazyCommand(
        "complaints",
        "complaints",
        "app",
        ("Nuisance-call complaints (12321 举报)."),
    ),
    LazyCommand(
        "outbound",
        "outbound",
        "app",
        ("Outbound call-centre compliance: consent, refusals, calling hours, audits."),
    ),
)


class _Root(LazyGroup):
    """The ``callwarden`` group: every command of :data:`COMMANDS`, each imported when used."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.use(LazyCommands(COMMANDS))


app = typer.Typer(
    name="callwarden",
    cls=_Root,
    help="Find the numbers that scam and harass from call records; protect honest subscribers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"callwarden {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """callwarden: protect phone users from fraud and nuisance calls."""


def command() -> Any:
    """The click command tree of :data:`app`, with help that reads as people write it.

    Typer prints a flag's type (``--no-subscribers <bool>``) and an argument as ``{calls}``;
    a flag takes no value, so it shows none, and an argument shows as ``CALLS``.
    """
    root = typer.main.get_command(app)
    _plain_help(root)
    commands = getattr(root, "commands", None)
    if isinstance(commands, LazyCommands):
        commands.finish = _plain_help_below
    else:
        _plain_help_below(root)
    return root


def _plain_help_below(top: Any) -> None:
    """:func:`_plain_help` for a command and everything under it."""
    stack = [top]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        _plain_help(cmd)


def _plain_help(cmd: Any) -> None:
    cmd.get_help_option = _typeless(cmd.get_help_option)
    for param in cmd.params:
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.param_type_name == "argument" and param.name:
            param.metavar = param.name.upper()


def _typeless(make: Any) -> Any:
    """``--help`` is made per context: give it the same no-type look as the other flags."""

    def help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    return help_option


def main() -> None:
    """Entry point: run the process's command line and exit with its code."""
    sys.exit(run(command()))

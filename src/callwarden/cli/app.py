"""The ``callwarden`` command: a thin Typer layer over the domain packages.

Exit codes and the one-line errors: :mod:`callwarden.cli.exits`.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from callwarden import __version__
from callwarden.cli.commands import (
    campaign,
    cases,
    complaints,
    demo,
    hotline,
    ingest,
    mappings,
    marks,
    model,
    number,
    outbound,
    samples,
    score,
    screen,
    simulate,
    stream,
    text,
)
from callwarden.cli.exits import run

app = typer.Typer(
    name="callwarden",
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


app.command("simulate")(simulate.simulate)
app.command("ingest")(ingest.ingest)
app.command("mappings")(mappings.mappings)
app.command("score")(score.score)
app.command("evaluate")(score.evaluate)
app.add_typer(model.app, name="model")
app.command("demo")(demo.demo)
app.add_typer(cases.app, name="cases")
app.add_typer(cases.labels_app, name="labels")
app.command("serve")(cases.serve)
app.command("stream")(stream.stream)
app.command("replay")(stream.replay)
app.add_typer(text.app, name="text")
app.command("number")(number.number)
app.command("samples")(samples.samples)
app.add_typer(marks.app, name="marks")
app.add_typer(hotline.app, name="hotline")
app.add_typer(screen.app, name="screen")
app.add_typer(campaign.app, name="campaign")
app.add_typer(complaints.app, name="complaints")
app.add_typer(outbound.app, name="outbound")


def command() -> Any:
    """The click command tree of :data:`app`, with help that reads as people write it.

    Typer prints a flag's type (``--no-subscribers <bool>``) and an argument as ``{calls}``;
    a flag takes no value, so it shows none, and an argument shows as ``CALLS``.
    """
    root = typer.main.get_command(app)
    stack = [root]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        cmd.get_help_option = _typeless(cmd.get_help_option)  # type: ignore[method-assign]
        for param in cmd.params:
            if param.metavar is not None:
                continue
            if getattr(param, "is_flag", False):
                param.metavar = ""
            elif param.param_type_name == "argument" and param.name:
                param.metavar = param.name.upper()
    return root


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

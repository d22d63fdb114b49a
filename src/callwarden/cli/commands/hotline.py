"""``callwarden hotline ...``: enterprise hotlines, their screening policies and daily reports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from callwarden.cli.commands.cases import DbOption, open_cases_db
from callwarden.cli.progress import console, frame_table
from callwarden.screen.hotlines import (
    activate_policy,
    add_hotline,
    hotlines_by_name,
    install_policy,
    policy_text,
)
from callwarden.screen.policy import load_policy
from callwarden.screen.report import daily_report

app = typer.Typer(
    help="Enterprise hotlines (400 numbers) screened by callwarden.", no_args_is_help=True
)
policy_app = typer.Typer(help="A hotline's screening policy, versioned.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

NameArg = Annotated[str, typer.Argument(help="The hotline's name, as given to `hotline add`.")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the hotline (1 to 64 characters).")],
    number: Annotated[str, typer.Option("--number", help="The hotline's number, e.g. 4001234567.")],
    db: DbOption = "callwarden.db",
) -> None:
    """Register a hotline; print its API token for POST /api/v1/screen (shown once, as the
    last word). The built-in default policy is in force until one is set.

    Example:

        callwarden hotline add acme --number 4001234567 --db cases.db
    """
    database = open_cases_db(db, create=True)
    with database.sessions.begin() as s:
        token = add_hotline(s, name, number, datetime.now(UTC))
    console.print(
        f"hotline {name} added (built-in default policy, version 0); send its calls to "
        f"POST /api/v1/screen with Authorization: Bearer <token>. Token (shown once): {token}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("list")
def list_hotlines(db: DbOption = "callwarden.db") -> None:
    """The hotlines with their numbers and the policy version in force.

    Example:

        callwarden hotline list --db cases.db
    """
    database = open_cases_db(db)
    with database.reads() as s:
        rows = [
            (h.name, h.number, h.policy_version or 0, h.created_at.isoformat()[:19])
            for h in hotlines_by_name(s)
        ]
    frame = pl.DataFrame(rows, schema=["name", "number", "policy", "added"], orient="row")
    console.print(frame_table(frame, "hotlines"))


@policy_app.command("set")
def policy_set(
    name: NameArg,
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="The policy (TOML; docs/screening.md)."),
    ],
    db: DbOption = "callwarden.db",
    by: Annotated[
        str, typer.Option("--by", help="Who installs it, for the record, e.g. admin.")
    ] = "cli",
) -> None:
    """Check a policy file and put it in force as the hotline's next version (a running API
    picks it up within seconds). A wrong field is an error naming it; nothing is installed.

    Example:

        callwarden hotline policy set acme policy.toml --db cases.db
    """
    database = open_cases_db(db)
    _, text = load_policy(file)
    with database.sessions.begin() as s:
        version = install_policy(s, name, text, datetime.now(UTC), by)
    console.print(f"{name}: policy version {version} in force ({file})", highlight=False)


@policy_app.command("show")
def policy_show(
    name: NameArg,
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            min=0,
            help="A version to show, e.g. 2 (0: the default).",
            show_default="the one in force",
        ),
    ] = None,
    db: DbOption = "callwarden.db",
) -> None:
    """Print a policy version as it was installed.

    Example:

        callwarden hotline policy show acme --version 1 --db cases.db
    """
    database = open_cases_db(db)
    with database.reads() as s:
        shown, text = policy_text(s, name, version)
    typer.echo(f"# {name}: policy version {shown}")
    typer.echo(text.rstrip("\n"))


@policy_app.command("activate")
def policy_activate(
    name: NameArg,
    version: Annotated[
        int, typer.Argument(min=0, help="The version to put in force (0: the built-in default).")
    ],
    db: DbOption = "callwarden.db",
) -> None:
    """Put an installed version back in force (a rollback); newer versions are kept.

    Example:

        callwarden hotline policy activate acme 1 --db cases.db
    """
    database = open_cases_db(db)
    with database.sessions.begin() as s:
        activate_policy(s, name, version, datetime.now(UTC))
    console.print(f"{name}: policy version {version} in force", highlight=False)


@app.command("report")
def report(
    name: NameArg,
    day: Annotated[
        str | None,
        typer.Option(
            "--day",
            help="The day (YYYY-MM-DD, hotline's time zone), e.g. 2026-12-02.",
            show_default="today",
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=1000, help="Top offending numbers to list.")
    ] = 10,
    full_numbers: Annotated[
        bool, typer.Option("--full-numbers", help="Show whole numbers (masked by default).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
    db: DbOption = "callwarden.db",
) -> None:
    """The hotline's daily report from the decision log: decisions by action; blocked and
    challenged calls by hour, mark category and region (归属地); the top offending numbers.

    Example:

        callwarden hotline report acme --day 2026-12-02 --db cases.db
    """
    try:
        when = date.fromisoformat(day) if day else None  # None: today in the hotline's zone
    except ValueError:
        raise typer.BadParameter(
            f"{day!r} is not a date (YYYY-MM-DD)", param_hint="--day"
        ) from None
    rep = daily_report(open_cases_db(db), name, when, top=top, full_numbers=full_numbers)
    parts = {
        "by_action": rep.by_action,
        "by_hour": rep.by_hour,
        "by_category": rep.by_category,
        "by_region": rep.by_region,
        "top_numbers": rep.top_numbers,
    }
    if as_json:
        body = {"hotline": name, "day": rep.day.isoformat(), "decisions": rep.total}
        body |= {k: v.to_dicts() for k, v in parts.items()}
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{name}[/] {rep.day}: {rep.total:,} decisions", highlight=False)
    titles = {
        "by_action": "decisions by action",
        "by_hour": "blocked and challenged by hour",
        "by_category": "blocked and challenged by mark category",
        "by_region": "blocked and challenged by region (归属地)",
        "top_numbers": "top offending numbers",
    }
    for key, frame in parts.items():
        console.print(frame_table(frame, titles[key]))

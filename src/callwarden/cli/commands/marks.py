"""``callwarden marks ...``: number reputation marks (号码标记) in the case database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from callwarden.cli.commands.cases import DbOption, open_cases_db
from callwarden.cli.imports import report_import
from callwarden.cli.progress import console
from callwarden.errors import ConfigError
from callwarden.numbers import try_normalise
from callwarden.reputation.book import marks_of
from callwarden.reputation.categories import Source
from callwarden.reputation.importer import import_rows, read_rows

app = typer.Typer(help="Number reputation marks (号码标记).", no_args_is_help=True)


@app.command("import")
def import_marks(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV of msisdn,category[,source] rows (a header row is allowed).",
        ),
    ],
    db: DbOption = "callwarden.db",
    source: Annotated[
        Source,
        typer.Option("--source", help="Source of the rows that name none."),
    ] = Source.IMPORTED_LIST,
    rejected_out: Annotated[
        Path | None,
        typer.Option(
            "--rejected",
            help="CSV of the rows not taken in, each with its line and reason (written only "
            "when any).",
            show_default="FILE.rejected.csv beside the file",
        ),
    ] = None,
) -> None:
    """Load a list of marked numbers: each good row is a report on its number; a bad number or
    an unknown category is quarantined with its reason. Prints read = accepted + quarantined.

    Example:

        callwarden marks import marks.csv --db cases.db
    """
    database = open_cases_db(db, create=True)
    now = datetime.now(UTC)
    with database.sessions.begin() as s:
        counts, bad = import_rows(s, read_rows(file), now, source=source, note=file.name)
    report_import(counts, bad, file, rejected_out)


@app.command("show")
def show(
    msisdn: Annotated[str, typer.Argument(help="The number, E.164 or as dialled.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
    db: DbOption = "callwarden.db",
) -> None:
    """A number's marks, strongest first, each with its sources and every change to it.

    Example:

        callwarden marks show 13812345678 --db cases.db
    """
    database = open_cases_db(db)
    e164, reason = try_normalise(msisdn)
    if e164 is None:
        raise ConfigError(f"MSISDN: {reason}")
    with database.reads() as s:
        view = marks_of(s, e164, datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    if not view["marks"]:
        console.print(f"{e164}: no marks", highlight=False)
        return
    for mark in view["marks"]:
        table = Table(
            title=f"{e164} {mark['name_zh']} {mark['name_en']}: score {mark['score']}, "
            f"{mark['count']} reports {mark['sources']}, first {mark['first_seen'][:10]}, "
            f"last {mark['last_seen'][:10]}",
            title_justify="left",
        )
        for name in ("at", "action", "source", "reporter", "weight", "alert", "case", "note"):
            table.add_column(name)
        for ev in mark["events"]:
            table.add_row(
                ev["at"][:19],
                ev["action"] + (f" #{ev['withdraws']}" if ev["withdraws"] else ""),
                ev["source"],
                ev["reporter"] or "-",
                f"{ev['weight']:.3f}",
                ev["alert_id"] or "-",
                str(ev["case_id"] or "-"),
                ev["note"] or "-",
            )
        console.print(table, highlight=False)

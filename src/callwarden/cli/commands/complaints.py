"""``callwarden complaints ...``: nuisance reports (12321 举报) in, statistics out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from callwarden.cases.config import CaseConfig
from callwarden.cases.sla import SlaClock
from callwarden.cli.commands.cases import ConfigOption, DbOption, open_cases_db
from callwarden.cli.imports import report_import
from callwarden.cli.progress import console
from callwarden.reputation.complaint_import import import_complaints, read_complaints
from callwarden.reputation.complaint_stats import complaint_stats
from callwarden.reputation.complaints import Filer

app = typer.Typer(help="Nuisance-call complaints (12321 举报).", no_args_is_help=True)


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV or TSV of complaints: a header naming msisdn (被举报号码) and category "
            "(举报类型), optionally called_at, reporter, external_id, text.",
        ),
    ],
    db: DbOption = "callwarden.db",
    feed: Annotated[
        str,
        typer.Option(
            "--feed",
            help="Where the file comes from (12321, a hotline's name): its complaint and "
            "complainant ids are kept apart from other feeds'. Example: --feed 12321",
        ),
    ] = "import",
    cases_config: ConfigOption = None,
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
    """File every complaint of a file into the marks book: each good row is a complaint
    linked to its number's marks and case; a bad number, category, time or a complaint filed
    before is quarantined with its reason. Prints read = accepted + quarantined.

    Example:

        callwarden complaints import complaints-2026-07.csv --feed 12321 --db cases.db
    """
    config = CaseConfig.load(cases_config)
    zone = SlaClock(config).calendar.zone
    database = open_cases_db(db, create=True)
    rows = read_complaints(file)
    filer = Filer("file", f"file:{feed}"[:96])
    with database.sessions.begin() as s:
        counts, bad = import_complaints(s, rows, filer, datetime.now(UTC), zone)
    report_import(counts, bad, file, rejected_out)


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, justify="right" if name in ("count", "share %") else "left")
    for row in rows:
        table.add_row(*(str(row[c if c != "share %" else "share"]) for c in columns))
    return table


@app.command("stats")
def stats(
    db: DbOption = "callwarden.db",
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            help="First local day counted. Example: --since 2026-07-01",
            show_default="the first complaint",
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            "--until",
            formats=["%Y-%m-%d"],
            help="Last local day counted. Example: --until 2026-07-31",
            show_default="the last complaint",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option("--top", min=1, max=100, help="Most reported numbers (and regions) shown."),
    ] = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
) -> None:
    """Complaints by category, as the 12321 centre publishes its shares (贷款理财 30.9%,
    违规催收 21.0%, 房产中介 14.0%), by region (归属地), carrier, hour and day, and the most
    reported numbers.

    Example:

        callwarden complaints stats --since 2026-07-01 --until 2026-07-31 --db cases.db
    """
    database = open_cases_db(db)
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    with database.reads() as s:
        view = complaint_stats(s, since=first, until=last, top=top)
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    console.print(view["headline"]["zh"], highlight=False)
    console.print(view["headline"]["en"], highlight=False)
    if not view["total"]:
        return
    span = f"{view['since']} .. {view['until']}"
    share = ["count", "share %"]
    console.print(
        _table(f"by category, {span}", view["by_category"], ["name_zh", "name_en", *share])
    )
    console.print(
        _table("by region (归属地)", view["by_region"][:top], ["region", "region_en", *share])
    )
    console.print(_table("by carrier", view["by_carrier"], ["carrier", "carrier_en", *share]))
    console.print(_table("by hour (local)", view["by_hour"], ["hour", "count"]))
    if len(view["by_day"]) <= 62:  # a month or two reads as a table; longer spans: --json
        console.print(_table("by day (local)", view["by_day"], ["day", "count"]))
    console.print(_table("most reported numbers", view["top_numbers"], ["msisdn", "count"]))

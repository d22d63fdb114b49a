"""``callwarden outbound ...``: call centres' consent and refusal registers, the businesses
whose dials are checked, the audit of an outbound day, and a simulated day."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from callwarden.cli.commands.cases import DbOption, open_cases_db
from callwarden.cli.imports import report_import
from callwarden.cli.progress import console
from callwarden.compliance.audit import AuditResult, audit_calls, read_calls
from callwarden.compliance.businesses import add_business, business_named, set_policy
from callwarden.compliance.feed import people_of
from callwarden.compliance.policy import load_policy, parse_policy
from callwarden.compliance.registers import Kind, import_register
from callwarden.simulate.outbound import (
    OutboundDayConfig,
    simulate_outbound_day,
    write_outbound_day,
)

app = typer.Typer(
    help="Outbound call-centre compliance: consent, refusals, calling hours, audits.",
    no_args_is_help=True,
)
business_app = typer.Typer(
    help="Businesses whose outbound dials are checked.", no_args_is_help=True
)
consent_app = typer.Typer(help="The consent register (白名单).", no_args_is_help=True)
refusal_app = typer.Typer(help="The refusal register (明确拒绝).", no_args_is_help=True)
app.add_typer(business_app, name="business")
app.add_typer(consent_app, name="consent")
app.add_typer(refusal_app, name="refusal")

BusinessOption = Annotated[
    str,
    typer.Option(
        "--business", help="The business, as given to `outbound business add`, e.g. seaview."
    ),
]
PolicyArg = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, help="The business's policy (TOML; docs/outbound.md)."
    ),
]


@business_app.command("add")
def business_add(
    name: Annotated[str, typer.Argument(help="A name for the business (1 to 64 characters).")],
    policy: Annotated[
        Path,
        typer.Option(
            "--policy",
            exists=True,
            dir_okay=False,
            help="Its policy file (lines, hours, limits), e.g. --policy seaview.toml",
        ),
    ],
    db: DbOption = "callwarden.db",
) -> None:
    """Register a business with its policy; print its API token for
    POST /api/v1/outbound/check (shown once, as the last word).

    Example:

        callwarden outbound business add seaview --policy seaview.toml --db cases.db
    """
    database = open_cases_db(db, create=True)
    _, text = load_policy(policy)
    with database.sessions.begin() as s:
        token = add_business(s, name, text, datetime.now(UTC))
    console.print(
        f"business {name} added; check its dials with POST /api/v1/outbound/check and "
        f"Authorization: Bearer <token>. Token (shown once): {token}",
        highlight=False,
        soft_wrap=True,
    )


@business_app.command("policy")
def business_policy(
    name: Annotated[str, typer.Argument(help="The business's name, e.g. seaview.")],
    policy: PolicyArg,
    db: DbOption = "callwarden.db",
) -> None:
    """Check a policy file and put it in force for the business (a running API picks it up
    within seconds). A wrong field is an error naming it; nothing changes.

    Example:

        callwarden outbound business policy seaview seaview.toml --db cases.db
    """
    database = open_cases_db(db)
    _, text = load_policy(policy)
    with database.sessions.begin() as s:
        set_policy(s, name, text, datetime.now(UTC))
    console.print(f"{name}: policy in force ({policy})", highlight=False)


def _import(kind: Kind, file: Path, business: str, db: str, rejected: Path | None) -> None:
    database = open_cases_db(db)
    with database.sessions.begin() as s:
        counts, bad = import_register(s, business, file, kind, datetime.now(UTC))
    report_import(counts, bad, file, rejected)


RejectedOption = Annotated[
    Path | None,
    typer.Option(
        "--rejected",
        help="CSV of the rows not taken in, each with its line (row) and reason (written only "
        "when any). Example: --rejected bad.csv",
        show_default="FILE.rejected.csv beside the file",
    ),
]


@consent_app.command("import")
def consent_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV or TSV with a header: callee (手机号), granted_at (同意时间), evidence "
            "(凭证), optionally expires_at, withdrawn_at, channel.",
        ),
    ],
    business: BusinessOption,
    db: DbOption = "callwarden.db",
    rejected_out: RejectedOption = None,
) -> None:
    """Put consents (and withdrawals) on the business's register; a bad number or time, or a
    consent without its evidence, is quarantined with its reason. Prints read = accepted +
    quarantined.

    Example:

        callwarden outbound consent import consents.csv --business seaview --db cases.db
    """
    _import("consent", file, business, db, rejected_out)


@refusal_app.command("import")
def refusal_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV or TSV with a header: callee (手机号), refused_at (拒绝时间), optionally "
            "line, vendor, evidence.",
        ),
    ],
    business: BusinessOption,
    db: DbOption = "callwarden.db",
    rejected_out: RejectedOption = None,
) -> None:
    """Put refusals on the business's register: the person is never called again by any of
    its lines or vendors. Bad rows are quarantined with their reason; counts add up.

    Example:

        callwarden outbound refusal import refusals.csv --business seaview --db cases.db
    """
    _import("refusal", file, business, db, rejected_out)


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(
            name, justify="right" if name in ("count", "share %", "calls", "violating") else "left"
        )
    for row in rows:
        cells = []
        for c in columns:
            value = row["share"] if c == "share %" else row[c]
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            cells.append(f"{value:,}" if isinstance(value, int) else str(value))
        table.add_row(*cells)
    return table


def _print(result: AuditResult, top: int) -> None:
    data = result.as_dict(top)
    console.print(
        f"{result.business}: {result.calls:,} calls audited, {result.violations.height:,} broke "
        f"a rule; {result.unreadable:,} unreadable rows set aside",
        highlight=False,
    )
    console.print(data["headline"]["zh"], highlight=False)
    console.print(_table("by rule", data["by_rule"], ["code", "name_zh", "name_en", "count"]))
    console.print(
        _table("by category", data["by_category"], ["category", "name_zh", "count", "share %"])
    )
    console.print(_table("seats", data["by_seat"], ["seat", "calls", "violating", "by_rule"]))
    console.print(
        _table("lines", data["by_line"], ["caller_line", "calls", "violating", "by_rule"])
    )


@app.command("audit")
def audit(
    calls: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="The outbound calls (Parquet, CSV or TSV): caller_line, callee, start_time, "
            "optionally call_id, seat, vendor, category, business.",
        ),
    ],
    business: BusinessOption,
    db: DbOption = "callwarden.db",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="CSV of every call that broke a rule, with its codes. Example: --out bad.csv",
            show_default="not written",
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=1, max=10_000, help="Seats and lines listed, e.g. --top 20.")
    ] = 20,
) -> None:
    """Find the calls made without consent, after a refusal, outside the calling hours, over a
    frequency limit or from an unregistered line, and the seats and lines that dialled them,
    in the categories of the complaint statistics.

    Example:

        callwarden outbound audit calls.csv --business seaview --db cases.db --out bad.csv
    """
    database = open_cases_db(db)
    with database.reads() as s:
        row = business_named(s, business)
        policy = parse_policy(row.policy, f"{business} policy")
        business_id = row.id
    consents, refusals = people_of(database, business_id)
    result = audit_calls(business, read_calls(calls), policy, consents, refusals)
    if out is not None:
        result.violations.with_columns(pl.col("codes").list.join(";")).write_csv(out)
    if as_json:
        typer.echo(json.dumps(result.as_dict(top), ensure_ascii=False, indent=2))
    else:
        _print(result, top)
        if out is not None:
            console.print(f"{result.violations.height:,} calls -> {out}", highlight=False)


@app.command("simulate")
def simulate(
    out: Annotated[
        Path,
        typer.Option("--out", file_okay=False, help="Folder for the day's files, e.g. --out day/"),
    ],
    seats: Annotated[
        int, typer.Option("--seats", min=1, max=10_000, help="Seats dialling, e.g. --seats 20.")
    ] = 20,
    calls_per_seat: Annotated[
        int, typer.Option("--calls-per-seat", min=1, max=5000, help="Dials per seat, e.g. 800.")
    ] = 800,
    planted: Annotated[
        int,
        typer.Option(
            "--planted", min=0, max=10_000, help="Violations planted of each kind, e.g. 30."
        ),
    ] = 30,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same day), e.g. 4.")
    ] = 4,
) -> None:
    """Write a call centre's outbound day with its registers, its policy and the planted
    violations as truth (policy.toml, consents.csv, refusals.csv, calls.csv, truth.csv).

    Example:

        callwarden outbound simulate --out day/ --seats 20 --seed 4
    """
    config = OutboundDayConfig(
        seats=seats, calls_per_seat=calls_per_seat, planted=planted, seed=seed
    )
    day = simulate_outbound_day(config)
    paths = write_outbound_day(day, out)
    console.print(
        f"{day.calls.height:,} calls by {seats} seats, {day.consents.height:,} consent rows, "
        f"{day.refusals.height:,} refusals, {day.truth.height:,} planted violations -> {out}",
        highlight=False,
    )
    for name, path in paths.items():
        console.print(f"  {name}: {path}", highlight=False)

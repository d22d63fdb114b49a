"""``callwarden campaign ...``: real-name registration campaigns (实名登记), docs/campaigns.md."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cli.commands.cases import DbOption, open_cases_db
from callwarden.cli.progress import console
from callwarden.errors import ConfigError
from callwarden.numbers import mask, try_normalise
from callwarden.realname.campaign import Campaign
from callwarden.realname.feeds import Feed, read_complaints, read_registrations
from callwarden.realname.page import write_page
from callwarden.realname.plan import plan_campaign, read_plan
from callwarden.realname.report import build_report
from callwarden.realname.service import CampaignService
from callwarden.simulate.campaign import simulate_campaign

app = typer.Typer(help="Real-name registration campaigns (实名登记).", no_args_is_help=True)

CampaignOption = Annotated[
    Path,
    typer.Option(
        "--campaign",
        exists=True,
        dir_okay=False,
        help="The campaign file (TOML: phases, kinds, warning). Example: --campaign campaign.toml",
    ),
]
DayOption = Annotated[
    str,
    typer.Option("--date", help="The campaign day, local date. Example: --date 2026-10-01"),
]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--date: {value!r} is not a date like 2026-10-01") from None


def _rejected(feed: Feed, source: Path) -> None:
    if not feed.rejected:
        return
    out = source.with_name(source.stem + ".rejected.csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["line", "reason"])
        writer.writeheader()
        writer.writerows(feed.rejected)
    console.print(f"{len(feed.rejected):,} rows set aside -> {out}", highlight=False)


@app.command("plan")
def plan(
    subscribers: Annotated[
        Path,
        typer.Option(
            "--subscribers",
            exists=True,
            help="Canonical subscribers (Parquet file or folder). Example: --subscribers data/",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="The plan, .parquet or .csv. Example: --out plan.parquet"),
    ],
) -> None:
    """Classify every unregistered subscriber into the four kinds, with the reason.

    Example:

        callwarden campaign plan --subscribers data/ --out plan.parquet
    """
    summary = plan_campaign(subscribers, out)
    table = Table(title=f"{summary['unregistered']:,} of {summary['subscribers']:,} unregistered")
    table.add_column("kind")
    table.add_column("numbers", justify="right")
    for kind, n in summary["kinds"].items():
        table.add_row(kind, f"{n:,}")
    console.print(table)
    console.print(f"-> {out}", highlight=False)


@app.command("run")
def run(
    campaign: CampaignOption,
    plan_file: Annotated[
        Path,
        typer.Option(
            "--plan",
            exists=True,
            dir_okay=False,
            help="The plan of `campaign plan`. Example: --plan plan.parquet",
        ),
    ],
    day: DayOption,
    db: DbOption = "callwarden.db",
    registrations: Annotated[
        Path | None,
        typer.Option(
            "--registrations",
            exists=True,
            dir_okay=False,
            show_default="none",
            help="Registrations to take in first (msisdn, registered_at, channel). "
            "Example: --registrations regs.csv",
        ),
    ] = None,
    complaints: Annotated[
        Path | None,
        typer.Option(
            "--complaints",
            exists=True,
            dir_okay=False,
            show_default="none",
            help="Complaints about the campaign to take in. Example: --complaints complaints.csv",
        ),
    ] = None,
    calls_out: Annotated[
        Path | None,
        typer.Option(
            "--call-list",
            show_default="not written",
            help="Write the day's outbound call list (CSV). Example: --call-list calls.csv",
        ),
    ] = None,
) -> None:
    """Run one campaign day: reminders, IVR tags, call list, suspensions, terminations.
    Running a day twice changes nothing the second time.

    Example:

        callwarden campaign run --campaign campaign.toml --plan plan.parquet --date 2026-10-01
    """
    database = open_cases_db(db, create=True)  # a wrong --db is named before anything is read
    c = Campaign.load(campaign)
    when = _day(day)
    frame, summary = read_plan(plan_file)
    svc = CampaignService(database, c)
    loaded = svc.load(frame, summary["regions"], when)
    if registrations is not None:
        feed = read_registrations(registrations)
        _rejected(feed, registrations)
        svc.register(feed.rows)
    if complaints is not None:
        feed = read_complaints(complaints)
        _rejected(feed, complaints)
        svc.take_complaints(feed.rows)
    result = svc.run_day(when)
    table = Table(title=f"{c.name} {when} ({result.phase or 'outside the phases'})")
    table.add_column("action")
    table.add_column("numbers", justify="right")
    if loaded:
        table.add_row("subjects loaded", f"{loaded:,}")
    for action, n in result.counts.items():
        table.add_row(action, f"{n:,}")
    console.print(table)
    if calls_out is not None:
        pl.DataFrame(
            result.call_list,
            schema={"msisdn": pl.String, "kind": pl.String, "suspend_day": pl.Date},
        ).write_csv(calls_out)
        console.print(f"call list -> {calls_out}", highlight=False)


@app.command("register")
def register(
    campaign: CampaignOption,
    registrations: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="CSV or Parquet: msisdn, registered_at, channel."
        ),
    ],
    db: DbOption = "callwarden.db",
) -> None:
    """Take in registrations as they arrive: a suspended number is restored at once and told.

    Example:

        callwarden campaign register regs.csv --campaign campaign.toml
    """
    database = open_cases_db(db)
    c = Campaign.load(campaign)
    feed = read_registrations(registrations)
    _rejected(feed, registrations)
    svc = CampaignService(database, c)
    r = svc.register(feed.rows)
    console.print(
        f"read {feed.read:,} = registered {r.registered:,} (restored {r.restored:,}) + already "
        f"{r.already:,} + cancelled {r.terminated:,} + not in the campaign {r.unknown:,} + "
        f"set aside {len(feed.rejected):,}",
        highlight=False,
    )


@app.command("restore")
def restore(
    campaign: CampaignOption,
    msisdn: Annotated[str, typer.Argument(help="The suspended number.")],
    actor: Annotated[str, typer.Option("--actor", help="Who approves. Example: --actor li.na")],
    role: Annotated[
        Role, typer.Option("--role", help="The approver's role. Example: --role supervisor")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="The hardship. Example: --reason '就医需要联系家人'")
    ],
    db: DbOption = "callwarden.db",
) -> None:
    """One approval of an emergency restore (紧急复机); the second must be a supervisor's, and
    not the first approver's, before a technician restores the number.

    Example:

        callwarden campaign restore 13812345678 --campaign c.toml --actor li --role agent
        --reason '就医'
    """
    database = open_cases_db(db)
    e164, why = try_normalise(msisdn)
    if e164 is None:
        raise ConfigError(f"MSISDN: {why}")
    svc = CampaignService(database, Campaign.load(campaign))
    state = svc.emergency(e164, Actor(actor, role), reason)
    console.print(f"{mask(e164)}: {state}", highlight=False)


@app.command("report")
def report(
    campaign: CampaignOption,
    day: DayOption,
    db: DbOption = "callwarden.db",
    week: Annotated[
        bool, typer.Option("--week", help="The 7 days ending on --date. Example: --week")
    ] = False,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            show_default="not written",
            help="Write the HTML report here. Example: --html report.html",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            show_default="the campaign file's warning.agent",
            help="The named agent (专人) following the frequent complainers. Example: --agent 王敏",
        ),
    ] = None,
    complainers_out: Annotated[
        Path | None,
        typer.Option(
            "--complainers",
            show_default="not written",
            help="CSV of the frequent complainers for the named agent (full numbers). "
            "Example: --complainers followup.csv",
        ),
    ] = None,
) -> None:
    """The daily (or weekly) report: real-name rate, actions, restores, complaints, warning.

    Example:

        callwarden campaign report --campaign campaign.toml --date 2026-10-01 --week
    """
    database = open_cases_db(db)
    c = Campaign.load(campaign)
    when = _day(day)
    svc = CampaignService(database, c)
    with svc.db.reads() as s:
        r = build_report(s, c, when, week=week)
    if agent:
        r.agent = agent
    for title, frame in (
        ("real-name rate by region", r.regions),
        ("by kind", r.kinds),
        ("registrations by channel", r.channels),
    ):
        _print(title, frame)
    _print(
        "actions",
        pl.DataFrame({"action": list(r.actions), "numbers": list(r.actions.values())}),
    )
    console.print(
        f"registration to restore, minutes: {json.dumps(r.restore_minutes)}; "
        f"refunds {r.refund_fen / 100:.2f} CNY",
        highlight=False,
    )
    console.print(f"complaints: {json.dumps(r.complaints, ensure_ascii=False)}", highlight=False)
    for w in r.warnings:
        console.print(
            f"[bold red]early warning[/] {w['day']}: {w['complaints']} complaints "
            f"(threshold {w['threshold']})",
            highlight=False,
        )
    _print(
        f"frequent complainers for {r.agent or '(no agent named)'}",
        r.frequent.with_columns(pl.col("msisdn").map_elements(mask, return_dtype=pl.String)),
    )
    if complainers_out is not None:
        r.frequent.with_columns(agent=pl.lit(r.agent)).write_csv(complainers_out)
    if html_out is not None:
        page, summary = write_page(r, c.warning.complaints_per_day, html_out)
        console.print(f"-> {page}, {summary}", highlight=False)


def _print(title: str, frame: pl.DataFrame) -> None:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(column)
    for row in frame.iter_rows():
        table.add_row(*("-" if v is None else str(v) for v in row))
    console.print(table)


@app.command("simulate")
def simulate(
    campaign: CampaignOption,
    plan_file: Annotated[
        Path,
        typer.Option(
            "--plan",
            exists=True,
            dir_okay=False,
            help="The plan of `campaign plan`. Example: --plan plan.parquet",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the two files. Example: --out sim/")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed. Example: --seed 7")] = 0,
) -> None:
    """Simulate the campaign's people: registrations.csv and complaints.csv (ground truth).

    Example:

        callwarden campaign simulate --campaign campaign.toml --plan plan.parquet --out sim/
    """
    frame, _ = read_plan(plan_file)
    regs, complaints = simulate_campaign(frame, Campaign.load(campaign), seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    regs.write_csv(out / "registrations.csv")
    complaints.write_csv(out / "complaints.csv")
    console.print(
        f"{regs.height:,} registrations, {complaints.height:,} complaints -> {out}",
        highlight=False,
    )

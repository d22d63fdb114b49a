"""``callwarden screen ...``: try a policy on past calls; simulate a hotline's day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from callwarden.cli.commands.cases import open_cases_db
from callwarden.cli.progress import console, frame_table
from callwarden.errors import ConfigError
from callwarden.numbers import try_normalise
from callwarden.screen.dryrun import compare, read_calls
from callwarden.screen.feed import MarkFeed
from callwarden.screen.hotlines import DEFAULT_POLICY, policy_text
from callwarden.screen.marktable import MarkTable
from callwarden.screen.policy import load_policy, parse_policy
from callwarden.simulate.hotline import HotlineDayConfig, simulate_hotline_day, write_hotline_day

app = typer.Typer(help="Hotline screening: dry-runs and simulated days.", no_args_is_help=True)


@app.command("dry-run")
def dry_run(
    calls: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="Past calls (CSV or Parquet) with caller and start_time; ivr_input and truth "
            "are used when present.",
        ),
    ],
    policy: Annotated[
        Path,
        typer.Option(
            "--policy", exists=True, dir_okay=False, help="The new policy, e.g. new.toml."
        ),
    ],
    current: Annotated[
        Path | None,
        typer.Option(
            "--current",
            exists=True,
            dir_okay=False,
            help="The policy to compare with, e.g. current.toml.",
            show_default="the --hotline's policy in force, else the built-in default",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CALLWARDEN_DB",
            help="Case database whose marks (and --hotline) to use, e.g. cases.db.",
            show_default="no marks",
        ),
    ] = None,
    hotline: Annotated[
        str | None,
        typer.Option(
            "--hotline",
            help="Compare with this hotline's policy in force, e.g. acme.",
            show_default="none",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="CSV of every call under both policies, e.g. dry-run.csv.",
            show_default="not written",
        ),
    ] = None,
) -> None:
    """Replay past calls under a new policy and show what it would have done, side by side
    with the current one: each call connected, sent to the auto-reply, left at the challenge,
    or blocked. Nothing is logged or changed.

    Example:

        callwarden screen dry-run calls.csv --policy new.toml --db cases.db --hotline acme
    """
    database = open_cases_db(db) if db else None
    new, _ = load_policy(policy)
    if current is not None:
        now_policy, label = load_policy(current)[0], str(current)
    elif hotline is not None:
        if database is None:
            raise ConfigError("--hotline needs --db (the database that holds the hotline)")
        with database.reads() as s:
            version, text = policy_text(s, hotline)
        now_policy, label = parse_policy(text, f"{hotline} v{version}"), f"{hotline} v{version}"
    else:
        now_policy, label = parse_policy(DEFAULT_POLICY, "default"), "built-in default"
    table = (
        MarkFeed(database).load(datetime.now(UTC))
        if database
        else MarkTable.empty(datetime.now(UTC))
    )
    frame, unreadable = read_calls(calls)
    result = compare(frame, now_policy, new, table)
    console.print(
        f"{frame.height:,} calls, {table.numbers():,} marked numbers; current = {label}, "
        f"new = {policy}; {result.changed:,} calls end differently"
        + (f"; {unreadable:,} rows without a readable start_time left out" if unreadable else ""),
        highlight=False,
    )
    console.print(frame_table(result.summary, "outcome by caller (current | new)"))
    if out is not None:
        result.calls.write_csv(out)
        console.print(f"every call under both policies -> {out}", highlight=False)


@app.command("simulate")
def simulate(
    out: Annotated[Path, typer.Argument(help="Folder for calls.csv, marks.csv and two policies.")],
    calls: Annotated[
        int, typer.Option("--calls", min=1, max=5_000_000, help="Calls in the day.")
    ] = 2000,
    hotline: Annotated[
        str, typer.Option("--hotline", help="The hotline's number, e.g. 4001234567.")
    ] = "4001234567",
    day: Annotated[
        str, typer.Option("--day", help="The day (YYYY-MM-DD, Shanghai), e.g. 2026-12-02.")
    ] = "2026-12-02",
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
) -> None:
    """Simulate a hotline's incoming day (customers, key customers, marketers, scammers,
    one-ring bursts, spoofed numbers) with the truth for every call, the crowd's marks on the
    callers, and a current and a stricter policy to dry-run.

    Example:

        callwarden screen simulate runs/hotline --calls 2000 --seed 7
    """
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(
            f"{day!r} is not a date (YYYY-MM-DD)", param_hint="--day"
        ) from None
    e164, reason = try_normalise(hotline)
    if e164 is None:
        raise typer.BadParameter(str(reason), param_hint="--hotline")
    result = simulate_hotline_day(HotlineDayConfig(calls=calls, hotline=e164, day=when, seed=seed))
    paths = write_hotline_day(result, out)
    counts = result.calls.group_by("truth").len().sort("len", descending=True)
    console.print(frame_table(counts.rename({"len": "calls"}), f"a day of {e164} -> {out}"))
    console.print(
        "next: "
        f"[bold]callwarden marks import {paths['marks']} --db cases.db[/], then "
        f"[bold]callwarden screen dry-run {paths['calls']} --policy {paths['policy_new']} "
        f"--current {paths['policy_current']} --db cases.db[/]",
        highlight=False,
    )

"""``callwarden demo``: the main job on the embedded default (what ``make run`` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from callwarden.cases.db import open_database
from callwarden.cases.service import CaseService
from callwarden.cli.progress import console, frame_table, steps
from callwarden.demo import run_demo
from callwarden.detect.campaign_report import campaign_groups
from callwarden.errors import Conflict
from callwarden.simulate import SimulationConfig


def demo(
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for the run's files.")] = Path(
        "runs/demo"
    ),
    subscribers: Annotated[
        int, typer.Option("--subscribers", help="Subscribers in the city.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
) -> None:
    """Simulate a city's day, ingest it, score it, evaluate the alerts against the truth, and
    open the cases (保护性停机 and 复机工单): what `make run` runs.

    Example:

        callwarden demo --workdir runs/demo --subscribers 20000 --seed 7
    """
    config = SimulationConfig.load(subscribers=subscribers, seed=seed)
    with steps("demo") as progress:
        result = run_demo(workdir, config, progress=progress)
    sim = result.simulation
    console.print(
        f"[bold]simulated[/] {sim.subscribers:,} subscribers, {sim.calls:,} calls, "
        f"{sim.sms:,} SMS (seed {sim.seed}) -> {workdir / 'raw'}"
    )
    ingest_rows = pl.DataFrame(
        [(r.record, r.read, r.accepted, r.quarantined) for r in result.ingest],
        schema=["record", "read", "accepted", "quarantined"],
        orient="row",
    )
    console.print(frame_table(ingest_rows, f"ingested -> {workdir / 'data'}"))
    console.print(frame_table(result.actors, "traffic by actor type"))
    if result.score is not None and result.evaluation is not None:
        ev = result.evaluation
        console.print(
            f"[bold]scored[/] {result.score.events:,} events -> {result.score.alerts.height:,} "
            f"alerts ({workdir / 'alerts.parquet'})"
        )
        console.print(frame_table(ev.per_type, "detection by actor type (flagged = review+)"))
        head = ev.headline()
        console.print(
            f"precision {head['precision']:.4f}  recall {head['recall']:.4f}  "
            f"F1 {head['f1']:.4f}  PR-AUC {head['pr_auc']:.4f}  "
            f"false positives: legit heavy {head['fpr_legit_heavy']:.4%}, "
            f"normal {head['fpr_normal']:.4%}"
        )
        for line in _content_lines(result.score.alerts):
            console.print(line, highlight=False)
        groups = campaign_groups(result.score.alerts)
        if groups.height:
            console.print(frame_table(groups, "campaign groups (one call centre, many lines)"))
    if result.cases:
        c = result.cases
        rows = [(f"cases / {s}", n) for s, n in c["cases_by_kind"].items()]
        rows += [(f"state / {s}", n) for s, n in c["cases_by_state"].items()]
        rows += [(f"numbers / {s}", n) for s, n in c["numbers_by_status"].items()]
        rows += [("SMS notices queued", c["notices_queued"])]
        table = pl.DataFrame(rows, schema=["what", "count"], orient="row")
        console.print(frame_table(table, f"cases opened -> {workdir / 'cases.db'}"))
        console.print(c["intake"], highlight=False)
    if result.hotline is not None:
        h = result.hotline
        console.print(frame_table(h.outcomes, f"hotline {h.hotline}: a day screened (by caller)"))
        console.print(
            f"unwanted calls kept from the agents: {h.unwanted_kept_out[0]:,} of "
            f"{h.unwanted_kept_out[1]:,}; wanted calls through: {h.wanted_through[0]:,} of "
            f"{h.wanted_through[1]:,}; {h.logged:,} decisions logged "
            f"([bold]callwarden hotline report {h.hotline} --day {h.day} "
            f"--db {workdir / 'cases.db'}[/])",
            highlight=False,
        )
    if result.cases:
        console.print(
            f"next: [bold]callwarden serve --db {workdir / 'cases.db'}[/] "
            "(API and OpenAPI at http://127.0.0.1:8000/docs)"
        )
        _console_logins(workdir)


def _content_lines(alerts: pl.DataFrame) -> list[str]:
    """How many alerts read what the SMS said (docs/content.md), and the strongest one's
    reason."""
    if not alerts.height or "reasons" not in alerts.columns:
        return []
    read = alerts.filter(
        pl.col("reasons").list.eval(pl.element().struct.field("code") == "content").list.any()
    )
    if not read.height:
        return []
    first = read.sort("score", descending=True).row(0, named=True)
    reason = next(r for r in first["reasons"] if r["code"] == "content")
    return [
        f"SMS content read in {read.height:,} alerts, e.g. {first['msisdn']} "
        f"({first['decision']}):",
        f"  {reason['text_zh']}",
        f"  {reason['text_en']}",
    ]


def _console_logins(workdir: Path) -> None:
    """Demo logins for the console, and how to open it on the demo's data (docs/console.md)."""
    service = CaseService(open_database(str(workdir / "cases.db")))
    logins = []
    for role in ("agent", "analyst", "supervisor"):
        try:
            logins.append((f"demo-{role}", role, service.add_user(f"demo-{role}", role)))
        except Conflict:  # made by an earlier run on this database: its token was shown then
            continue
    console.print(
        f"console: [bold]CALLWARDEN_CALLS={workdir / 'data'} callwarden serve --db "
        f"{workdir / 'cases.db'}[/], then open http://127.0.0.1:8000/ "
        "(self-service at http://127.0.0.1:8000/self/)",
        highlight=False,
    )
    for name, role, token in logins:
        console.print(f"  log in as {name} ({role}) with the token {token}", highlight=False)

"""``callwarden cases ...`` and ``callwarden serve``: operators' side of the work orders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.console import Console, Group
from rich.table import Table
from sqlalchemy import make_url

from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.config import CaseConfig
from callwarden.cases.db import Database, database_url, open_database
from callwarden.cases.from_files import IntakeCounts, Rejected, alerts_from_frame
from callwarden.cases.labels import export_labels
from callwarden.cases.machine import Role
from callwarden.cases.schemas import ActionIn, RequesterIn, presented_of
from callwarden.cases.service import CaseService
from callwarden.cli.progress import console, frame_table
from callwarden.detect.alerts_io import read_alerts
from callwarden.errors import ConfigError, Unprocessable
from callwarden.records.load import load_records
from callwarden.rollup.daily import forget

err = Console(stderr=True)
app = typer.Typer(help="Suspensions and re-activation work orders.", no_args_is_help=True)
labels_app = typer.Typer(help="Labels from case outcomes, for retraining.", no_args_is_help=True)

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="CALLWARDEN_DB",
        help="Case database: a SQLite file path or a URL (postgresql://...).",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--cases-config",
        exists=True,
        help="Case settings (TOML): SLAs, calendar, checklists, API limits.",
        show_default="built-in settings",
    ),
]


def open_cases_db(db: str, *, create: bool = False) -> Database:
    """The case database of ``--db``. Only the commands that create one (``cases open``,
    ``cases add-user``, ``serve``, ``stream --db``, ``demo``) make a new SQLite file; the ones
    that read refuse a file that is not there, so a mistyped ``--db`` is an error, not a new
    empty database."""
    url = make_url(database_url(db))
    name = url.database
    if not create and url.get_backend_name() == "sqlite" and name and name != ":memory:":
        path = Path(name)
        if not path.parent.is_dir():
            raise ConfigError(
                f"--db {name}: cannot open the database: there is no folder {path.parent}"
            )
        if not path.exists():
            raise ConfigError(
                f"--db {name}: cannot open: no such case database (check the path, or "
                "CALLWARDEN_DB); `cases open` or `cases add-user` creates one"
            )
    return open_database(db)


def service(db: str, config: Path | None = None, *, create: bool = False) -> CaseService:
    """The case service over ``--db`` (:func:`open_cases_db`: ``create`` for the commands
    that may start a new database)."""
    return CaseService(open_cases_db(db, create=create), CaseConfig.load(config))


def _staff(svc: CaseService, username: str) -> Actor:
    who = svc.staff(username)
    if who is None:
        raise ConfigError(f"--user {username}: no such staff user (add one with cases add-user)")
    return who


def case_tables(detail: dict[str, Any]) -> Group:
    """One case as tables a person reads: the case, its alerts with reasons, its timeline."""
    fields = [
        "id",
        "kind",
        "msisdn",
        "state",
        "queue",
        "outcome",
        "risk_score",
        "high_risk",
        "escalated",
        "breached",
        "complaints",
        "opened_at",
        "due_at",
        "expected_completion",
        "closed_at",
        "verified_channel",
        "satisfaction",
    ]
    head = Table(title=f"case {detail['id']}", title_justify="left", show_header=False)
    head.add_column("field", style="bold")
    head.add_column("value")
    for name in fields:
        if detail.get(name) is not None:
            head.add_row(name.replace("_", " "), str(detail[name]))
    head.add_row("allowed actions", ", ".join(detail["allowed_actions"]) or "none")
    checklist = detail.get("checklist") or {}
    items = Table(title="checklist (what to bring)", title_justify="left")
    for name in ("code", "required", "what"):
        items.add_column(name)
    for item in checklist.get("items", []):
        items.add_row(
            str(item.get("code")),
            "yes" if item.get("required") else "",
            f"{item.get('text_en', '')}\n{item.get('text_zh', '')}",
        )
    alerts = Table(title="alerts", title_justify="left", show_lines=True)
    for name in ("flagged at", "decision", "score", "reasons (en / zh)"):
        alerts.add_column(name)
    for a in detail["alerts"]:
        reasons = "\n".join(
            f"{r.get('code')}: {r.get('text_en', '')}\n  {r.get('text_zh', '')}"
            for r in a["reasons"]
        )
        alerts.add_row(a["flagged_at"], a["decision"], f"{a['score']:.2f}", reasons)
    timeline = Table(title="timeline", title_justify="left")
    for name in ("#", "at", "action", "state", "by", "note"):
        timeline.add_column(name)
    for ev in detail["timeline"]:
        timeline.add_row(
            str(ev["seq"]),
            ev["at"] or "",
            ev["action"] + (f":{ev['verdict']}" if ev["verdict"] else ""),
            f"{ev['from_state'] or ''} → {ev['to_state'] or ''}",
            f"{ev.get('actor') or ''} ({ev['role']})",
            ev.get("reason") or "",
        )
    parts: list[Any] = [head]
    if checklist.get("items"):
        parts.append(items)
    return Group(*parts, alerts, timeline)


@app.command("open")
def open_cases(
    alerts: Annotated[
        Path, typer.Argument(exists=True, help="Alerts file from `callwarden score`.")
    ],
    subscribers: Annotated[
        Path | None,
        typer.Option(
            "--subscribers",
            exists=True,
            help="Canonical subscribers (owner age, corporate SIMs); a number with a profile "
            "is the operator's own.",
            show_default="served prefixes decide",
        ),
    ] = None,
    db: DbOption = "callwarden.db",
    cases_config: ConfigOption = None,
    rejected_out: Annotated[
        Path | None,
        typer.Option(
            "--rejected",
            help="CSV of the alerts that could not become cases, with the reason "
            "(written only when any).",
            show_default="ALERTS.rejected.csv beside the alerts file",
        ),
    ] = None,
) -> None:
    """Open suspensions, cases and SMS notices for restrict/suspend alerts; review cases for
    review alerts; interceptions (block at the gateway, report to the owning carrier) for numbers
    the operator does not serve. Receiving the same alert twice changes nothing. An alert that
    cannot become a case is reported (on the console and in --rejected) and the rest go on.

    Example:

        callwarden cases open alerts.parquet --subscribers data/subscribers --db cases.db
    """
    svc = service(db, cases_config, create=True)
    subs = load_records(subscribers, "subscribers") if subscribers else None
    inputs, rejected = alerts_from_frame(read_alerts(alerts), subs)
    results = svc.intake(inputs)
    if inputs:  # alerts of past days: the dashboard's roll-up counts those days again
        zone = ZoneInfo(svc.config.calendar.timezone)
        forget(svc.db, min(a.flagged_at for a in inputs).astimezone(zone).date(), zone.key)
    failed = [Rejected(0, r.msisdn, f"alert {r.alert_id}: {r.error}") for r in results if r.error]
    for r in [*rejected, *failed][:20]:
        err.print(f"[yellow]not opened:[/] {r.line(str(alerts))}", highlight=False)
    if rejected or failed:
        out = rejected_out or alerts.with_name(alerts.stem + ".rejected.csv")
        pl.DataFrame(
            [(r.row, r.msisdn, r.reason) for r in [*rejected, *failed]],
            schema=["row", "msisdn", "reason"],
            orient="row",
        ).write_csv(out)
        err.print(f"{len(rejected) + len(failed):,} alerts reported -> {out}", highlight=False)
    console.print(IntakeCounts.of(results, rejected).line(), highlight=False)


@app.command("list")
def list_cases(
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Only cases in this state: awaiting_request, awaiting_verification, "
            "under_review, awaiting_customer, awaiting_second_approval, approved, "
            "intercepting, rejected, closed.",
            show_default="any",
        ),
    ] = None,
    queue: Annotated[
        str | None,
        typer.Option(
            "--queue",
            help="Only cases waiting on this queue: agent, analyst, technician, supervisor, "
            "customer.",
            show_default="any",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only cases of this kind: suspension (保护性停机 and its 复机工单), review, "
            "interception, realname (实名登记停机), appeal (号码标记申诉).",
            show_default="any",
        ),
    ] = None,
    msisdn: Annotated[
        str | None,
        typer.Option(
            "--msisdn",
            help="Only the cases of this number (E.164 or as dialled); `callwarden number` "
            "tells its whole story.",
            show_default="any",
        ),
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only cases not yet closed.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", help=f"Rows to show, 1 to {queries.MAX_PAGE}.")
    ] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of a table.")
    ] = False,
    db: DbOption = "callwarden.db",
) -> None:
    """The work queue (工单), nearest SLA deadline first; says how many cases match in all when
    it shows fewer.

    Example:

        callwarden cases list --open --queue analyst --db runs/demo/cases.db
    """
    svc = service(db)
    if msisdn is not None:
        try:
            msisdn = presented_of(msisdn)
        except ValueError as exc:
            raise Unprocessable("msisdn", str(exc)) from None
    who = Actor("cli", Role.supervisor)
    flt = queries.CaseFilter(
        state=state, queue=queue, kind=kind, msisdn=msisdn, open_only=open_only
    )
    with svc.db.sessions() as s:
        page = queries.list_cases(s, who, svc.sla, svc.now(), flt, limit=limit)
        total = len(page["items"]) if page["next"] is None else queries.count_cases(s, flt)
    if as_json:
        typer.echo(json.dumps(page | {"total": total}, ensure_ascii=False, indent=2))
        return
    cols = ["id", "kind", "msisdn", "state", "queue", "risk_score", "due_at", "escalated"]
    rows = [{c: item[c] for c in cols} for item in page["items"]]
    frame = pl.DataFrame(rows) if rows else pl.DataFrame(schema=cols)
    shown = len(rows)
    title = f"cases: {shown:,}" if shown == total else f"cases: {shown:,} of {total:,}"
    console.print(frame_table(frame, title))
    if shown < total:
        console.print(
            f"{total - shown:,} more: raise --limit (up to {queries.MAX_PAGE}) or narrow with "
            "--state, --queue, --kind, --msisdn, --open",
            highlight=False,
        )


@app.command("show")
def show(
    case_id: Annotated[int, typer.Argument(help="The case (工单) id, as `cases list` shows it.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
    db: DbOption = "callwarden.db",
) -> None:
    """One case: state, SLA, checklist, the alerts and their reasons, and its audit timeline.

    Example:

        callwarden cases show 1 --db cases.db
    """
    svc = service(db)
    with svc.db.sessions() as s:
        detail = queries.case_detail(s, Actor("cli", Role.supervisor), case_id, svc.sla, svc.now())
    if as_json:
        typer.echo(json.dumps(detail, ensure_ascii=False, indent=2))
        return
    console.print(case_tables(detail), highlight=False)


@app.command("act")
def act(
    case_id: Annotated[int, typer.Argument(help="The case (工单) id.")],
    action: Annotated[
        str,
        typer.Argument(
            help="request, verify, review, provide, restore (复机), reject, appeal, comment, "
            "escalate, complain, survey (docs/cases.md)."
        ),
    ],
    user: Annotated[str, typer.Option("--user", help="Staff user acting (cases add-user).")],
    verdict: Annotated[
        str | None,
        typer.Option(
            "--verdict",
            help="For review: approve, ask (for more from the customer), clear, restrict, suspend.",
            show_default="none",
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why, in words the customer may read: needed for ask, provide, reject, "
            "appeal, comment, escalate, complain.",
            show_default="none",
        ),
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help="request: hotline, business_hall (营业厅), video; verify: business_hall, "
            "remote_face (远程人脸识别, by the system).",
            show_default="none",
        ),
    ] = None,
    items: Annotated[
        str, typer.Option("--items", help="Checklist codes presented, comma-separated.")
    ] = "",
    relationship: Annotated[
        str,
        typer.Option("--relationship", help="request: who asks: owner, family, company, other."),
    ] = "owner",
    document: Annotated[
        str,
        typer.Option(
            "--document", help="request: the requester's document: id_card, student_card, ..."
        ),
    ] = "id_card",
    minor: Annotated[
        bool, typer.Option("--minor", help="request: the requester is under 18.")
    ] = False,
    forgotten_password: Annotated[
        bool,
        typer.Option(
            "--forgotten-password", help="request: the owner forgot the service password."
        ),
    ] = False,
    rating: Annotated[
        int | None,
        typer.Option("--rating", help="survey: satisfaction from 1 to 5.", show_default="none"),
    ] = None,
    db: DbOption = "callwarden.db",
) -> None:
    """Take one action on a case as a named staff user (same rules as the API). A refused
    action (the role may not, or the state does not allow it) exits 1.

    Example:

        callwarden cases act 1 request --user li --channel hotline --relationship family
        --document student_card --minor --db cases.db
    """
    svc = service(db)
    # a value the schema refuses is a pydantic ValidationError: one line naming the option and
    # what it may be (callwarden.cli.exits)
    body = ActionIn.model_validate(
        {
            "action": action,
            "verdict": verdict,
            "reason": reason,
            "channel": channel,
            "items": [i for i in items.split(",") if i],
            "rating": rating,
            "requester": RequesterIn.model_validate(
                {
                    "relationship": relationship,
                    "document": document,
                    "minor": minor,
                    "forgotten_password": forgotten_password,
                }
            )
            if action == "request"
            else None,
        }
    )
    result = svc.act(case_id, _staff(svc, user), body)
    console.print(f"case {result.case_id}: {result.state} (event {result.event_seq})")


@app.command("add-user")
def add_user(
    username: Annotated[str, typer.Argument(help="Login name of the staff user.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="agent (客服), analyst (security), technician, supervisor, or system (a "
            "gateway or the stream).",
        ),
    ],
    db: DbOption = "callwarden.db",
) -> None:
    """Create a staff user and print its API token (shown once); creates the database.

    Example:

        callwarden cases add-user li --role agent --db cases.db
    """
    token = service(db, create=True).add_user(username, role)
    typer.echo(token)


@app.command("sweep")
def sweep(db: DbOption = "callwarden.db") -> None:
    """Escalate every case past its SLA deadline to supervisors.

    Example:

        callwarden cases sweep --db cases.db
    """
    ids = service(db).sweep()
    console.print(f"{len(ids)} cases breached their SLA and were escalated")


@app.command("verify-audit")
def verify_audit(db: DbOption = "callwarden.db") -> None:
    """Recompute every case's hash chain; exit 5 when one is broken.

    Example:

        callwarden cases verify-audit --db cases.db
    """
    svc = service(db)
    with svc.db.sessions() as s:
        report = verify(s)
    for line in report.broken:
        console.print(f"[red]broken:[/] {line}")
    console.print(
        f"{report.cases:,} cases, {report.events:,} events: "
        + ("audit chain intact" if report.ok else f"{len(report.broken)} broken")
    )
    if not report.ok:
        raise typer.Exit(5)


@app.command("summary")
def summary(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON for machines instead of tables.")
    ] = False,
    db: DbOption = "callwarden.db",
) -> None:
    """Counts by state, kind, outcome and number status; queued SMS notices; SLA breaches.

    Example:

        callwarden cases summary --db cases.db
    """
    svc = service(db)
    with svc.db.sessions() as s:
        counts = queries.summary(s)
    if as_json:
        typer.echo(json.dumps(counts, ensure_ascii=False, indent=2))
        return
    rows = [
        (group.removeprefix("cases_by_").replace("_", " "), str(key), int(n))
        for group, values in counts.items()
        if isinstance(values, dict)
        for key, n in values.items()
    ]
    rows += [
        (name.replace("_", " "), "", int(n or 0))
        for name, n in counts.items()
        if not isinstance(n, dict)
    ]
    frame = pl.DataFrame(rows, schema=["what", "which", "count"], orient="row")
    console.print(frame_table(frame, "case summary"))


@labels_app.command("export")
def labels_export(
    out: Annotated[Path, typer.Option("--out", help="Labels file to write (.parquet or .csv).")],
    db: DbOption = "callwarden.db",
) -> None:
    """Write case outcomes as canonical labels: restored = normal, rejected = the fraud type.

    Example:

        callwarden labels export --out outcomes.parquet --db cases.db
    """
    svc = service(db)
    with svc.db.sessions() as s:
        labels = export_labels(s, out)
    console.print(f"{labels.height:,} labels -> {out}")


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.")] = 8000,
    db: DbOption = "callwarden.db",
    cases_config: ConfigOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes sharing the port, each with its own copy of the marks "
            "(e.g. --workers 2 on two cores).",
        ),
    ] = 1,
) -> None:
    """Serve the REST API (OpenAPI at /docs); a new database is created and migrated.

    Limits (body size, self-service rate, trusted proxies) come from the [api] section of
    --cases-config; see docs/security.md. /docs and /redoc are served from local files: they
    work without internet access.

    Example:

        callwarden serve --db cases.db --port 8000
    """
    # imported here: the web stack is heavy and only this command needs it
    from callwarden.api.server import serve as run_api  # noqa: PLC0415

    svc = service(db, cases_config, create=True)
    console.print(f"callwarden API on http://{host}:{port} (docs at /docs), database {db}")
    run_api(svc, host=host, port=port, workers=workers, db=db, config=cases_config)

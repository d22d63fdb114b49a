"""``callwarden number MSISDN``: one number's story, from its calls to its way back.

Status, every alert with its reasons (zh and en), the number's calls per 10 minutes (answered
and not, with the alerts marked), its suspensions and interceptions, and each case's timeline:
what a customer-service agent (客服) reads aloud and an analyst checks before a restore (复机).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.schemas import presented_of
from callwarden.cli.commands.cases import DbOption, service
from callwarden.cli.progress import console
from callwarden.config import Settings
from callwarden.errors import ConfigError, NotFound, Unprocessable
from callwarden.records.ingest import read_canonical
from callwarden.records.load import check_record_files

__all__ = ["calls_per_10min", "number", "render", "save_chart"]

SLOT = "10m"
#: this many quiet 10-minute slots in a row or more are one line of the terminal chart
QUIET_RUN = 3
BAR_WIDTH = 40
STATUS_TEXT = {
    "active": "active (正常)",
    "restricted": "outbound restricted (限制呼出)",
    "suspended": "protective suspension (保护性停机)",
    "intercepted": "intercepted at the gateway (拦截)",
}
IMAGE_SUFFIXES = (".svg", ".png")


def calls_per_10min(calls: Path, msisdn: str, timezone: str) -> pl.DataFrame:
    """The calls ``msisdn`` made, per 10 minutes of local time, answered and not.

    Every slot from the first call to the last is there (gaps as zeros), so the chart's time
    axis is even. Columns: ``slot`` (local time), ``answered``, ``unanswered``.
    """
    check_record_files(calls, "calls")
    frame = (
        read_canonical(calls, "calls")
        .filter(pl.col("caller") == msisdn)
        .select(
            pl.col("start_time").dt.convert_time_zone(timezone).dt.truncate(SLOT).alias("slot"),
            (pl.col("duration_s") > 0).alias("answered"),
        )
        .collect()
    )
    schema = pl.Schema(
        {"slot": pl.Datetime("us", timezone), "answered": pl.Int64(), "unanswered": pl.Int64()}
    )
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    counts = frame.group_by("slot").agg(
        pl.col("answered").sum().cast(pl.Int64),
        (~pl.col("answered")).sum().cast(pl.Int64).alias("unanswered"),
    )
    first, last = cast(datetime, frame["slot"].min()), cast(datetime, frame["slot"].max())
    slots = pl.datetime_range(first, last, SLOT, time_unit="us", eager=True).alias("slot")
    joined = slots.to_frame().join(counts, on="slot", how="left")
    return joined.fill_null(0).sort("slot").cast(schema)


def _local(at: str | None, zone: ZoneInfo) -> str:
    if not at:
        return ""
    return datetime.fromisoformat(at).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _reasons(reasons: list[dict[str, Any]]) -> Text:
    text = Text()
    for i, r in enumerate(reasons):
        if i:
            text.append("\n")
        text.append(f"{r.get('code', '')}: ", style="bold")
        text.append(str(r.get("text_en", "")))
        text.append("\n  " + str(r.get("text_zh", "")), style="dim")
    return text


def _header(view: dict[str, Any]) -> Panel:
    status = view["status"]
    colour = {"active": "green", "restricted": "yellow"}.get(status, "red")
    lines = Text()
    lines.append(view["msisdn"], style="bold")
    lines.append("  ")
    lines.append(STATUS_TEXT.get(status, status), style=f"bold {colour}")
    lines.append(f"\nrisk score {view['risk_score']:.2f}")
    if view.get("open_case_id"):
        lines.append(f"   open case {view['open_case_id']}")
    history = view["history"]
    lines.append(
        f"\n{len(history['alerts'])} alerts, {len(history['suspensions'])} suspensions, "
        f"{len(history['interceptions'])} interceptions, {len(history['cases'])} cases"
    )
    if view["reasons"]:
        lines.append("\nreasons in force:\n", style="bold")
        lines.append_text(_reasons(view["reasons"]))
    return Panel(lines, title="number", title_align="left", expand=False)


def _alerts(view: dict[str, Any], zone: ZoneInfo) -> Table:
    table = Table(title="alerts, with their reasons", title_justify="left", show_lines=True)
    table.add_column("flagged at", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("case", justify="right")
    table.add_column("reasons (en / zh)")
    for a in view["history"]["alerts"]:
        table.add_row(
            _local(a["flagged_at"], zone),
            a["decision"],
            f"{a['score']:.2f}",
            str(a["case_id"] or ""),
            _reasons(a["reasons"]),
        )
    return table


def _measures(view: dict[str, Any], zone: ZoneInfo) -> Table | None:
    rows = [
        (
            x["level"],
            _local(x["started_at"], zone),
            _local(x["lifted_at"], zone) or "in force",
            x["decided_by"],
            x["lifted_by"] or "",
        )
        for x in view["history"]["suspensions"]
    ]
    rows += [
        (
            f"intercept ({x['network']}, report to {x['report_to']})",
            _local(x["started_at"], zone),
            _local(x["lifted_at"], zone) or f"until {_local(x['until'], zone)}",
            "",
            "",
        )
        for x in view["history"]["interceptions"]
    ]
    if not rows:
        return None
    table = Table(title="suspensions and interceptions", title_justify="left")
    for name in ("measure", "started", "lifted", "decided by", "lifted by"):
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    return table


def _case(case: dict[str, Any], zone: ZoneInfo) -> Table:
    outcome = f" ({case['outcome']})" if case["outcome"] else ""
    table = Table(
        title=f"case {case['id']} · {case['kind']} · {case['state']}{outcome}",
        title_justify="left",
    )
    for name in ("#", "at", "action", "state", "by", "note"):
        table.add_column(name, justify="right" if name == "#" else "left")
    for ev in case["timeline"]:
        action = ev["action"] + (f":{ev['verdict']}" if ev["verdict"] else "")
        moved = f"{ev['from_state'] or ''} → {ev['to_state']}" if ev["to_state"] else ""
        table.add_row(
            str(ev["seq"]),
            _local(ev["at"], zone),
            action,
            moved,
            ev.get("actor") or ev["role"],
            ev.get("reason") or "",
        )
    return table


def _marks(view: dict[str, Any], timezone: str) -> dict[datetime, str]:
    """Each alert's decision and score, at its 10-minute slot."""
    marks: dict[datetime, list[str]] = {}
    for a in view.get("history", {}).get("alerts", []):
        at = pl.Series([datetime.fromisoformat(a["flagged_at"])]).dt.convert_time_zone(timezone)
        slot = at.dt.truncate(SLOT)[0]
        marks.setdefault(slot, []).append(f"{a['decision']} {a['score']:.2f}")
    return {slot: "◀ " + ", ".join(texts) for slot, texts in marks.items()}


def _chart(slots: pl.DataFrame, marks: dict[datetime, str], msisdn: str) -> Group:
    """The calls per 10 minutes as bars, a run of quiet slots folded into one line."""
    most = max(1, cast(int, (slots["answered"] + slots["unanswered"]).max() or 0))
    scale = min(1.0, BAR_WIDTH / most)
    title = Text.assemble(
        (f"calls made by {msisdn} per 10 minutes: ", "bold"),
        ("█ answered", "green"),
        "  ",
        ("░ not answered", "red"),
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("local time", no_wrap=True)
    table.add_column("calls", no_wrap=True)
    table.add_column("answered", justify="right")
    table.add_column("not", justify="right")
    table.add_column("alerts", no_wrap=True, style="bold yellow")
    day = None

    def label(slot: datetime) -> str:
        nonlocal day
        shown = slot.strftime("%H:%M") if slot.date() == day else slot.strftime("%Y-%m-%d %H:%M")
        day = slot.date()
        return shown

    quiet: list[datetime] = []

    def flush() -> None:
        if len(quiet) >= QUIET_RUN:
            first, last = label(quiet[0]), quiet[-1].strftime("%H:%M")
            table.add_row(f"{first}-{last}", Text("·", style="dim"), "", "", "")
        else:
            for slot in quiet:
                table.add_row(label(slot), "", "0", "0", marks.get(slot, ""))
        quiet.clear()

    for slot, answered, unanswered in slots.iter_rows():
        if answered + unanswered == 0 and slot not in marks:
            quiet.append(slot)
            continue
        flush()
        bar = Text("█" * max(1, round(answered * scale)) if answered else "", style="green")
        bar.append("░" * max(1, round(unanswered * scale)) if unanswered else "", style="red")
        table.add_row(label(slot), bar, str(answered), str(unanswered), marks.get(slot, ""))
    flush()
    return Group(title, table)


def render(view: dict[str, Any], slots: pl.DataFrame | None, out: Console, timezone: str) -> None:
    """Print a number's story: header, alerts, calls chart, measures, case timelines."""
    zone = ZoneInfo(timezone)
    parts: list[Any] = []
    if view.get("history"):
        parts += [_header(view), _alerts(view, zone)]
    else:
        parts.append(f"{view['msisdn']}: the case database has no record of this number")
    if slots is not None:
        if slots.height:
            parts.append(_chart(slots, _marks(view, timezone), view["msisdn"]))
        else:
            parts.append(f"the call records hold no call made by {view['msisdn']}")
    if view.get("history"):
        measures = _measures(view, zone)
        if measures is not None:
            parts.append(measures)
        parts += [_case(c, zone) for c in view["history"]["cases"]]
    out.print(Group(*parts), highlight=False)
    out.print(f"times in {timezone}", style="dim")


def save_chart(slots: pl.DataFrame, view: dict[str, Any], out: Path, timezone: str) -> None:
    """The calls chart as an image (SVG or PNG, by the file's suffix), alerts as lines."""
    # matplotlib takes a second to import: only this option loads it
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    import matplotlib.dates as mdates  # noqa: PLC0415
    import matplotlib.pyplot as plt  # noqa: PLC0415

    zone = ZoneInfo(timezone)
    when = [s.replace(tzinfo=None) for s in slots["slot"].to_list()]
    answered = slots["answered"].to_list()
    unanswered = slots["unanswered"].to_list()
    width = 10 / (24 * 60) * 0.85  # days, as matplotlib's date axis counts
    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    ax.bar(when, answered, width, align="edge", color="#2e7d32", label="answered")
    ax.bar(
        when,
        unanswered,
        width,
        bottom=answered,
        align="edge",
        color="#c62828",
        label="not answered",
    )
    for a in view.get("history", {}).get("alerts", []):
        at = datetime.fromisoformat(a["flagged_at"]).astimezone(zone).replace(tzinfo=None)
        x = mdates.date2num(at)  # type: ignore[no-untyped-call]  # matplotlib.dates is untyped
        ax.axvline(x, color="#f9a825", linestyle="--", linewidth=1)
        ax.annotate(
            f"{a['decision']} {a['score']:.2f}",
            (x, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
        )
    ticks = mdates.DateFormatter("%m-%d %H:%M")  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(ticks)
    ax.set_xlabel(f"local time ({timezone})")
    ax.set_ylabel("calls per 10 minutes")
    ax.set_title(f"calls made by {view['msisdn']}")
    ax.legend(loc="upper left")
    metadata = {"Date": None} if out.suffix.lower() == ".svg" else {}
    fig.savefig(out, metadata=metadata)
    plt.close(fig)


def number(
    msisdn: Annotated[
        str,
        typer.Argument(
            help="The number: E.164 (+8613812345678), as dialled (13812345678), or as presented "
            "(a spoofed caller ID such as +371573613369).",
            show_default=False,
        ),
    ],
    db: DbOption = "callwarden.db",
    calls: Annotated[
        Path | None,
        typer.Option(
            "--calls",
            exists=True,
            help="Canonical call records (a Parquet file, a folder, or the output folder of "
            "ingest or simulate): chart the calls the number made per 10 minutes.",
            show_default="no chart",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the calls chart as an image: .svg or .png (needs --calls).",
            show_default="no image",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the story as JSON for machines instead of tables."),
    ] = False,
) -> None:
    """One number's story: status, every alert with its reasons (zh and en), its calls per 10
    minutes (answered and not) when call records are given, its protective suspensions
    (保护性停机) and interceptions, and each case (工单) with its timeline. Reasons stay after
    a restore (复机), as history.

    Example:

        callwarden number 13800001948 --db runs/demo/cases.db --calls runs/demo/data
        --out chart.svg
    """
    if out is not None and calls is None:
        raise ConfigError(f"--out {out}: the chart needs call records; add --calls")
    if out is not None and out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ConfigError(f"--out {out}: write .svg or .png")
    svc = service(db)
    try:
        e164 = presented_of(msisdn)
    except ValueError as exc:
        raise Unprocessable("msisdn", str(exc)) from None
    timezone = Settings().timezone
    slots = calls_per_10min(calls, e164, timezone) if calls is not None else None
    with svc.db.reads() as s:
        try:
            view = queries.number_view(s, Actor("cli", Role.supervisor), e164)
        except NotFound:
            if slots is None or slots.height == 0:
                raise
            view = {"msisdn": e164}  # calls but no alert: the chart still tells something
    if out is not None and slots is not None:
        if slots.height == 0:
            raise ConfigError(f"--out {out}: the call records hold no call made by {e164}")
        save_chart(slots, view, out, timezone)
    if as_json:
        doc = dict(view)
        if slots is not None:
            doc["calls_per_10min"] = [
                {"slot": slot.isoformat(), "answered": a, "unanswered": u}
                for slot, a, u in slots.iter_rows()
            ]
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        render(view, slots, console, timezone)
    if out is not None:
        (console if not as_json else Console(stderr=True)).print(f"chart -> {out}")

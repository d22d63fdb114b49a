"""The summary (JSON) and the self-contained HTML page that ``score`` and ``evaluate`` write
beside their output: ``alerts.parquet`` gets ``alerts.summary.json`` and
``alerts.report.html``."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from callwarden import __version__
from callwarden.detect.evaluate import Evaluation
from callwarden.report import charts

__all__ = ["evaluation_report", "report_paths", "scoring_report", "top_types"]

_SUFFIXES = (".parquet", ".pq", ".csv", ".json", ".html")


def report_paths(out: Path) -> tuple[Path, Path]:
    """Where the summary and the page go, beside ``out``.

    >>> [p.name for p in report_paths(Path("runs/alerts.parquet"))]
    ['alerts.summary.json', 'alerts.report.html']
    """
    base = out.with_suffix("") if out.suffix.lower() in _SUFFIXES else out
    return base.with_name(base.name + ".summary.json"), base.with_name(base.name + ".report.html")


def _top_code(alerts: pl.DataFrame) -> pl.Series:
    """Each alert's top reason code (the detector), from typed or JSON-text reasons."""
    if "reasons" not in alerts.columns:
        return pl.Series("type", ["unknown"] * alerts.height)
    if alerts.schema["reasons"] == pl.String:
        codes = [
            (json.loads(r)[0].get("code") if r and r.strip() not in ("", "[]") else None)
            for r in alerts["reasons"].to_list()
        ]
        series = pl.Series("type", codes, dtype=pl.String)
    else:
        series = alerts["reasons"].list.first().struct.field("code").alias("type")
    return series.str.split(":").list.first().fill_null("unknown")


def top_types(alerts: pl.DataFrame) -> pl.DataFrame:
    """Numbers alerted per type (top reason of each number's strongest alert) and decision."""
    from callwarden.decide.policy import level_of  # noqa: PLC0415

    if not alerts.height:
        return pl.DataFrame(schema={"type": pl.String, "decision": pl.String, "numbers": pl.UInt32})
    strongest = (
        alerts.with_columns(
            type=_top_code(alerts),
            level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64),
        )
        .sort("level", "score", "flagged_at")
        .group_by("msisdn")
        .last()
    )
    return strongest.group_by("type", "decision").agg(numbers=pl.len()).sort("type", "decision")


def _clean(value: Any) -> Any:
    """JSON-safe: no NaN, times as ISO text."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows():
        cells = []
        for v in row:
            text = f"{v:,}" if isinstance(v, int) else "" if v is None else str(v)
            cls = ' class="n"' if isinstance(v, int | float) else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Noto Sans CJK SC",sans-serif;margin:24px auto;
max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:12px}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 10px;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}svg{max-width:100%;height:auto}
"""


def _page(title: str, meta: str, cards: Iterable[tuple[str, str]], sections: list[str]) -> str:
    card_html = "".join(
        f'<div class="card"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>'
        for k, v in cards
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><div class="meta">{html.escape(meta)}</div>'
        f'<div class="cards">{card_html}</div>{"".join(sections)}</body></html>\n'
    )


def _write(paths: tuple[Path, Path], summary: dict[str, Any], page: str) -> tuple[Path, Path]:
    json_path, html_path = paths
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        json.dumps(_clean(summary), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    html_path.write_text(page, encoding="utf-8")
    return json_path, html_path


def scoring_report(
    alerts: pl.DataFrame,
    out: Path,
    *,
    timezone: str,
    inputs: dict[str, str | None],
    calls: int,
    events: int,
) -> tuple[Path, Path]:
    """Write ``<out>.summary.json`` and ``<out>.report.html`` for a scoring run."""
    by_decision = dict(alerts.group_by("decision").len().sort("decision").iter_rows())
    types = top_types(alerts)
    numbers = alerts["msisdn"].n_unique()
    local = alerts["flagged_at"].dt.convert_time_zone(timezone) if alerts.height else None
    summary = {
        "kind": "score",
        "callwarden": __version__,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "alerts_file": str(out),
        "inputs": inputs,
        "timezone": timezone,
        "calls": calls,
        "events": events,
        "alerts": alerts.height,
        "numbers_alerted": numbers,
        "by_decision": by_decision,
        "numbers_by_type": {
            t: int(n) for t, n in types.group_by("type").agg(pl.col("numbers").sum()).iter_rows()
        },
        "first_flag": local.min() if local is not None else None,
        "last_flag": local.max() if local is not None else None,
    }
    cards = [
        ("calls scored", f"{calls:,}"),
        ("numbers alerted", f"{numbers:,}"),
        *((f"alerts: {d}", f"{n:,}") for d, n in by_decision.items()),
    ]
    sections = [
        "<h2>Alerts over time, by decision</h2>",
        charts.alerts_over_time(alerts, timezone),
        "<h2>Numbers alerted, by type (top reason) and strongest decision</h2>",
        charts.alerts_by_type(types),
        "<h2>By type</h2>",
        _table(types.pivot(on="decision", index="type", values="numbers").fill_null(0))
        if types.height
        else "<p>No alerts.</p>",
    ]
    given = ", ".join(f"{k} {v}" for k, v in inputs.items() if v)
    page = _page(
        f"callwarden score: {out.name}",
        f"{given}; times in {timezone}; callwarden {__version__}",
        cards,
        sections,
    )
    return _write(report_paths(out), summary, page)


def evaluation_report(
    ev: Evaluation, alerts: pl.DataFrame, out: Path, *, timezone: str, inputs: dict[str, str]
) -> tuple[Path, Path]:
    """Write ``<out>.summary.json`` and ``<out>.report.html`` for an evaluation."""
    headline = ev.headline()
    summary = {
        "kind": "evaluate",
        "callwarden": __version__,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "overall": headline,
        "by_type": ev.per_type.to_dicts(),
    }
    cards = [
        (name, f"{headline[name]:.3f}")
        for name in ("precision", "recall", "f1", "pr_auc", "fpr_legit_heavy", "fpr_normal")
    ] + [("numbers flagged", f"{ev.flagged:,}")]
    curve = ev.curve if ev.curve is not None else pl.DataFrame({"recall": [], "precision": []})
    sections = [
        '<h2>Precision-recall, and recall per type</h2><div class="row">',
        charts.precision_recall(curve, ev.pr_auc if not math.isnan(ev.pr_auc) else 0.0),
        charts.recall_by_type(ev.per_type),
        "</div><h2>By actor type</h2>",
        _table(ev.per_type),
        "<h2>Alerts over time, by decision</h2>",
        charts.alerts_over_time(alerts, timezone),
    ]
    page = _page(
        f"callwarden evaluate: {Path(inputs.get('alerts', 'alerts')).name}",
        ", ".join(f"{k} {v}" for k, v in inputs.items())
        + f"; flagged = review or higher; callwarden {__version__}",
        cards,
        sections,
    )
    return _write(report_paths(out), summary, page)

"""The campaign report as a self-contained HTML page with its charts (matplotlib SVG)."""

from __future__ import annotations

import html
import io
import json
import warnings
from pathlib import Path

import polars as pl
from matplotlib import font_manager
from matplotlib.figure import Figure

from callwarden.realname.report import CampaignReport
from callwarden.realname.texts import mask_numbers

__all__ = ["write_page"]


#: region names are Chinese: the first of these fonts installed draws them (fonts-noto-cjk)
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans"]


def _cjk_font() -> bool:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return any(name in installed for name in CJK_FONTS[:-1])


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with (
        warnings.catch_warnings()
    ):  # without a CJK font the names show as boxes; the table has them
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        warnings.filterwarnings("ignore", message="findfont")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _rates(report: CampaignReport) -> str:
    regions = report.regions.filter(pl.col("region") != "(all)")
    fig = Figure(figsize=(7, 3))
    ax = fig.subplots()
    names = regions["region"].to_list()
    ax.bar(range(len(names)), [100 * r for r in regions["rate"].to_list()], color="#2e7d32")
    if _cjk_font() or all(n.isascii() for n in names):
        ax.set_xticks(range(len(names)), names, fontfamily=CJK_FONTS)
    else:  # no font here draws the names: number the bars as the table's rows
        ax.set_xticks(range(len(names)), [str(i + 1) for i in range(len(names))])
        ax.set_xlabel("region: row of the table below (install a CJK font to see the names)")
    ax.set_ylim(min([90.0, *(100 * r for r in regions["rate"].to_list())]) - 1, 100)
    ax.set_ylabel("real-name rate (%)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def _days(report: CampaignReport) -> str:
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    when = report.daily["day"].to_list()
    for column, colour in (
        ("registered", "#2e7d32"),
        ("suspend", "#c62828"),
        ("restore", "#1565c0"),
        ("terminate", "#6a1b9a"),
    ):
        ax.plot(when, report.daily[column].to_list(), marker="o", label=column, color=colour)
    ax.legend(fontsize=8, frameon=False, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    ax.set_ylabel("numbers per day")
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _svg(fig)


def _complaints(report: CampaignReport, threshold: int) -> str:
    fig = Figure(figsize=(8, 2.6))
    ax = fig.subplots()
    ax.bar(report.daily["day"].to_list(), report.daily["complaints"].to_list(), color="#ef6c00")
    ax.axhline(threshold, color="#c62828", linestyle="--", label=f"warning above {threshold}")
    ax.margins(y=0.25)  # the threshold line and legend clear of the bars
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_ylabel("complaints per day")
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _svg(fig)


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_page(report: CampaignReport, threshold: int, out: Path) -> tuple[Path, Path]:
    """``out`` (HTML) and the summary JSON beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{report.campaign}: {report.first} – {report.last}"
    warn = "".join(
        f"<p class=warn>⚠ {w['day']}: {w['complaints']} complaints (threshold {w['threshold']})</p>"
        for w in report.warnings
    )
    masked = report.frequent.with_columns(mask_numbers(pl.col("msisdn")).alias("msisdn"))
    page = f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px}}.warn{{color:#c62828;font-weight:bold}}</style>
<h1>Real-name campaign {html.escape(title)}</h1><p>phase: {report.phase or "-"}</p>{warn}
<h2>Real-name rate by region</h2>{_rates(report)}{_table(report.regions)}
<h2>By kind</h2>{_table(report.kinds)}
<h2>Registrations by channel</h2>{_table(report.channels)}
<h2>Day by day</h2>{_days(report)}{_table(report.daily)}
<h2>Complaints</h2>{_complaints(report, threshold)}
<pre>{html.escape(json.dumps(report.complaints, ensure_ascii=False, indent=1))}</pre>
<h2>Frequent complainers for {html.escape(report.agent or "-")}</h2>{_table(masked)}
</html>"""
    out.write_text(page, encoding="utf-8")
    summary = out.with_name(out.stem + ".summary.json")
    summary.write_text(
        json.dumps(report.summary(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return out, summary

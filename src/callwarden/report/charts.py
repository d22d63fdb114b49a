"""The charts of the reports, each an SVG string (matplotlib's object API: no global figure
state, no display needed)."""

from __future__ import annotations

import io

import polars as pl
from matplotlib.figure import Figure

__all__ = ["alerts_by_type", "alerts_over_time", "precision_recall", "recall_by_type"]

#: one colour per decision, mildest to strongest
DECISION_COLOURS = {
    "watch": "#9e9e9e",
    "review": "#f9a825",
    "restrict": "#ef6c00",
    "suspend": "#c62828",
    "intercept": "#6a1b9a",
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]  # inlined: no XML prologue


def alerts_over_time(alerts: pl.DataFrame, timezone: str, *, every: str = "1h") -> str:
    """Alerts per ``every`` (local time), stacked by decision."""
    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    if alerts.height:
        counts = (
            alerts.with_columns(
                bin=pl.col("flagged_at").dt.convert_time_zone(timezone).dt.truncate(every)
            )
            .group_by("bin", "decision")
            .len()
            .pivot(on="decision", index="bin", values="len")
            .sort("bin")
            .upsample("bin", every=every)  # quiet hours are bars of zero, not gaps
            .fill_null(0)
        )
        when = [t.replace(tzinfo=None) for t in counts["bin"].to_list()]
        width = (when[1] - when[0]) * 0.9 if len(when) > 1 else 0.03
        bottom = [0] * counts.height
        for decision, colour in DECISION_COLOURS.items():
            if decision in counts.columns:
                values = counts[decision].to_list()
                ax.bar(when, values, width, bottom=bottom, color=colour, label=decision)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.margins(y=0.15)  # room for the legend above the tallest bar
        ax.legend(loc="upper left", fontsize=8, ncols=5, frameon=False)
        fig.autofmt_xdate()
    ax.set_ylabel(f"alerts per {every}")
    ax.set_xlabel(f"flagged at ({timezone})")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def alerts_by_type(by_type: pl.DataFrame) -> str:
    """Numbers alerted per type (the top reason's detector), by their strongest decision;
    ``by_type`` has columns type, decision, numbers."""
    types = by_type.group_by("type").agg(pl.col("numbers").sum()).sort("numbers")["type"]
    fig = Figure(figsize=(9, 0.35 * max(len(types), 3) + 0.8))
    ax = fig.subplots()
    left = [0] * len(types)
    for decision, colour in DECISION_COLOURS.items():
        part = by_type.filter(pl.col("decision") == decision)
        values = [int(part.filter(pl.col("type") == t)["numbers"].sum()) for t in types.to_list()]
        if any(values):
            ax.barh(types.to_list(), values, left=left, color=colour, label=decision)
            left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("numbers alerted (by strongest decision)")
    if len(types):
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def precision_recall(curve: pl.DataFrame, pr_auc: float) -> str:
    """The precision-recall curve (columns recall, precision), with its area."""
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    recall = [0.0, *curve["recall"].to_list()]  # from the top left: nothing flagged yet
    precision = [1.0, *curve["precision"].to_list()]
    ax.step(recall, precision, where="pre", color="#1565c0")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"PR-AUC {pr_auc:.3f}", fontsize=10)
    ax.grid(alpha=0.3)
    return _svg(fig)


def recall_by_type(per_type: pl.DataFrame) -> str:
    """Recall per actor type (columns label, recall, numbers); honest types show the share
    flagged, a false-positive rate."""
    rows = per_type.select("label", "recall", "numbers").sort("label", descending=True)
    labels = [f"{lab} ({n:,})" for lab, n in zip(rows["label"], rows["numbers"], strict=True)]
    honest = [lab in ("normal", "legit_heavy") for lab in rows["label"]]
    fig = Figure(figsize=(4.5, 0.35 * max(rows.height, 3) + 0.8))
    ax = fig.subplots()
    ax.barh(
        labels,
        rows["recall"].fill_null(0).to_list(),
        color=["#9e9e9e" if h else "#2e7d32" for h in honest],
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("share flagged (recall; grey: honest, false positives)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)

"""Reports beside a command's output: a summary (JSON) and a self-contained HTML page with
charts (SVG drawn by matplotlib, inlined: it opens offline, from a file, with no script)."""

from __future__ import annotations

from callwarden.report.pages import evaluation_report, report_paths, scoring_report

__all__ = ["evaluation_report", "report_paths", "scoring_report"]

"""``callwarden ingest``: read an operator's export as canonical Parquet, losing no row."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from callwarden.cli.progress import console, frame_table, steps
from callwarden.config import Settings
from callwarden.errors import InputFileError
from callwarden.records.ingest import IngestReport
from callwarden.records.ingest import ingest as run_ingest
from callwarden.records.mapping import load_mapping
from callwarden.records.trunks import load_trunks

QUARANTINED_EXIT = 4


def report_table(report: IngestReport) -> pl.DataFrame:
    """Counts that add up: read = accepted + quarantined, flagged within accepted (by column
    and reason), then quarantined by reason."""
    rows = [("read", report.read), ("accepted", report.accepted)]
    if report.flagged:
        rows.append(("  flagged (kept, suspect number)", report.flagged))
        rows += [
            (f"    {column} {code}", n)
            for column, codes in report.flags.items()
            for code, n in codes.items()
        ]
    rows.append(("quarantined", report.quarantined))
    rows += [(f"  {reason}", n) for reason, n in sorted(report.reasons.items())]
    return pl.DataFrame(rows, schema=["rows", "count"], orient="row")


def ingest(
    source: Annotated[
        Path,
        typer.Argument(
            exists=True, help="CSV, JSON Lines or Parquet file (or a folder of Parquet)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for canonical Parquet and the quarantine.")
    ],
    mapping: Annotated[
        str,
        typer.Option("--mapping", "-m", help="Mapping file (.toml) or a shipped mapping's name."),
    ] = "calls",
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read per chunk.")] = 250_000,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonl or parquet, when the file name does not tell.",
            show_default="from the file name",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help=f"Exit with code {QUARANTINED_EXIT} if any row was quarantined."
        ),
    ] = False,
    trunks: Annotated[
        Path | None,
        typer.Option(
            "--trunks",
            exists=True,
            help="Trunk table (CSV: trunk, kind, optional owner; kinds mobile_core, fixed, "
            "interconnect, international, cloud): flags +86 callers on international trunks "
            "(trunk_mismatch) and mobile callers on cloud trunks (cloud_trunk_mobile).",
            show_default="no trunk checks",
        ),
    ] = None,
) -> None:
    """Validate, normalise and write records (话单 and the rest) as canonical Parquet;
    quarantine bad rows with their reason. Read = accepted + quarantined, always. Try it on
    `callwarden samples` (docs/ingest.md).

    Example:

        callwarden ingest sample/calls.csv --mapping sample/calls.toml --out data
    """
    if mapping.endswith(".toml") and not Path(mapping).exists():  # a file, not a shipped name
        raise InputFileError(mapping, "no such file")
    spec = load_mapping(mapping)
    table = load_trunks(trunks) if trunks is not None else None
    with steps(f"ingesting {source.name}") as progress:
        report = run_ingest(
            source,
            spec,
            out,
            settings=Settings(),
            chunk_rows=chunk_rows,
            fmt=fmt,
            trunks=table,
            progress=lambda done, total: progress("rows", done, total),
        )
    console.print(frame_table(report_table(report), f"{source} -> {out} ({report.record})"))
    for warning in report.warnings:
        console.print(f"note: {warning}")
    if report.quarantined:
        console.print(f"quarantined rows and reasons: {report.quarantine_path}")
    if strict and report.quarantined:
        raise typer.Exit(QUARANTINED_EXIT)

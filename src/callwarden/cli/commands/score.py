"""``callwarden score`` and ``callwarden evaluate``: alerts from records, and how good they are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from callwarden.cli.progress import console, frame_table
from callwarden.config import Settings
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import read_alerts, write_alerts
from callwarden.detect.evaluate import evaluate_alerts
from callwarden.detect.scoring import score_records
from callwarden.records.load import load_known_numbers, load_records


def score(
    calls: Annotated[Path, typer.Argument(help="Canonical calls: a Parquet file or folder.")],
    out: Annotated[Path, typer.Option("--out", help="Alerts file (.parquet, or .csv).")],
    subscribers: Annotated[
        Path | None, typer.Option("--subscribers", help="Canonical subscribers (file or folder).")
    ] = None,
    sms: Annotated[
        Path | None, typer.Option("--sms", help="Canonical SMS (file or folder).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="A trained model directory (learned scorer).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy TOML: thresholds, caps, allow lists.")
    ] = None,
    known: Annotated[
        Path | None,
        typer.Option(
            "--known",
            help="Known fraud numbers (Parquet/CSV with msisdn; labels keep their fraud rows).",
        ),
    ] = None,
) -> None:
    """Score call (and SMS) records into alerts: one row per number and decision change."""
    settings = Settings()
    policy_config = PolicyConfig.load(policy)
    scorer = None
    if model is not None:
        # LightGBM loads only when a model is asked for
        from callwarden.detect.model.events import event_scorer  # noqa: PLC0415

        scorer = event_scorer(model)
    with console.status("scoring"):
        frame = load_records(calls, "calls")
        subs = load_records(subscribers, "subscribers") if subscribers else None
        texts = load_records(sms, "sms", allow_empty=True) if sms else None
        result = score_records(
            frame,
            texts,
            subs,
            policy_config,
            timezone=settings.timezone,
            model=scorer,
            known=load_known_numbers(known) if known else None,
        )
    write_alerts(result.alerts, out)
    counts = result.alerts.group_by("decision").len().sort("decision")
    console.print(
        f"scored {frame.height:,} calls ({result.events:,} events); "
        f"{result.alerts['msisdn'].n_unique():,} numbers alerted -> {out}"
    )
    console.print(frame_table(counts, "alerts by decision"))


def evaluate(
    alerts: Annotated[Path, typer.Argument(help="Alerts from `callwarden score`.")],
    truth: Annotated[
        Path, typer.Option("--truth", help="Labels (msisdn, label, behaviour_start).")
    ],
    calls: Annotated[
        Path | None, typer.Option("--calls", help="Calls, to count calls to flag.")
    ] = None,
    sms: Annotated[Path | None, typer.Option("--sms", help="SMS, to count texts to flag.")] = None,
) -> None:
    """Precision, recall and F1 per actor type, PR-AUC, false-positive rates, time-to-flag."""
    ev = evaluate_alerts(
        read_alerts(alerts),
        load_records(truth, "labels"),
        load_records(calls, "calls") if calls else None,
        load_records(sms, "sms", allow_empty=True) if sms else None,
    )
    console.print(frame_table(ev.per_type, "by actor type"))
    head = pl.DataFrame({"metric": list(ev.headline()), "value": list(ev.headline().values())})
    console.print(frame_table(head, "overall (flagged = review or higher)"))

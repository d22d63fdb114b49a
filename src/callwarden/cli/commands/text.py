"""``callwarden text train|classify``: what an SMS or a call transcript says (docs/content.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from callwarden.cli.progress import console
from callwarden.errors import InputFileError

app = typer.Typer(
    help="Classify texts (SMS, call transcripts) by content, with the terms that decided.",
    no_args_is_help=True,
)


@app.command("train")
def train(
    tsv: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="Tab-separated texts with 'label' and 'text' columns."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
) -> None:
    """Train a content model on labelled texts (any set of two or more labels).

    Example:

        callwarden text train texts.tsv --out text-model
    """
    from callwarden.content.model import ContentModel  # noqa: PLC0415  # scikit-learn: slow import
    from callwarden.content.texts_io import read_labelled  # noqa: PLC0415

    labels, texts = read_labelled(tsv)
    try:
        with console.status(f"training on {len(texts):,} texts"):
            model = ContentModel.train(labels, texts)
    except ValueError as exc:
        raise InputFileError(tsv, str(exc)) from exc
    model.save(out)
    shown = ", ".join(f"{label} {labels.count(label):,}" for label in model.classes)
    console.print(f"model written to {out}: {len(texts):,} texts ({shown})")


@app.command("classify")
def classify(
    model: Annotated[
        Path, typer.Argument(exists=True, help="Model directory written by 'text train'.")
    ],
    texts: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="TSV, CSV or Parquet with a 'text' column and optionally 'id'; or canonical "
            "transcripts or SMS records (a Parquet file or folder: data/transcripts).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV of predictions to write.")],
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Processes to spread inputs of over 5,000 texts over (0: one per core); "
            "more than one helps only on cores nothing else is using.",
        ),
    ] = 1,
) -> None:
    """Label each text, in input order: id (when given), label_pred, score, evidence.

    Transcripts and SMS records keep their key (call_id, sms_id) in place of id.

    Example:

        callwarden text classify text-model sms.tsv --out predictions.csv

        callwarden text classify text-model data/transcripts --out calls-content.csv
    """
    from callwarden.content.model import ContentModel  # noqa: PLC0415
    from callwarden.content.predictions import write_predictions  # noqa: PLC0415
    from callwarden.content.texts_io import read_texts  # noqa: PLC0415

    content = ContentModel.load(model)
    table = read_texts(texts)
    with console.status(f"classifying {len(table.texts):,} texts"):
        scores = content.score_texts(table.texts, workers or os.cpu_count() or 1)
    write_predictions(out, scores, table.ids, table.id_name)
    console.print(f"{len(table.texts):,} predictions written to {out}")

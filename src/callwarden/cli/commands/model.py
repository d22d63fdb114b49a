"""``callwarden model train|score``: the learned scorer (LightGBM, calibrated, with reasons)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import polars as pl
import typer

from callwarden.cli.progress import console, steps
from callwarden.config import Settings
from callwarden.errors import ConfigError
from callwarden.features.engines.base import EventFeatures, Traffic, load_engine
from callwarden.records.load import load_records

if TYPE_CHECKING:
    from callwarden.detect.model.artifact import TrainedModel
    from callwarden.detect.model.at_events import EventRows
    from callwarden.detect.model.table import FeatureTable

_Rows = TypeVar("_Rows")

# LightGBM and scikit-learn take seconds to import: only the model commands load them, so every
# other command starts fast.

app = typer.Typer(help="Train and apply the learned scorer.", no_args_is_help=True)


class Protocol(StrEnum):
    """How `model train` chooses its calibration and threshold."""

    auto = "auto"
    file_order = "file-order"
    cv = "cv"


def _is_records(path: Path) -> bool:
    return path.is_dir() and (path / "calls").is_dir()


def _table(path: Path, id_column: str, label_column: str | None) -> FeatureTable:
    """A feature table, or features computed from a folder of canonical records (one row per
    number, each behavioural feature at its peak)."""
    from callwarden.detect.model import load_feature_table  # noqa: PLC0415
    from callwarden.detect.model.events import number_table_of_slices  # noqa: PLC0415

    if not _is_records(path):
        return load_feature_table(path, id_column=id_column, label_column=label_column)
    return _from_records(path, label_column, number_table_of_slices)


def _from_records(
    path: Path,
    label_column: str | None,
    build: Callable[[Iterable[EventFeatures], pl.DataFrame | None], _Rows],
) -> _Rows:
    """``build`` over the features of a folder of canonical records, slice by slice, and its
    labels (None without ``label_column`` or a labels/ folder)."""
    sms = load_records(path, "sms", allow_empty=True) if (path / "sms").is_dir() else None
    subs = load_records(path, "subscribers") if (path / "subscribers").is_dir() else None
    labels = load_records(path, "labels") if label_column and (path / "labels").is_dir() else None
    calls = load_records(path, "calls")
    with steps("computing features from call records") as progress:
        traffic = Traffic(calls, sms, subs, timezone=Settings().timezone)
        total, slices = load_engine("compiled")().features(traffic)

        def reported() -> Iterator[EventFeatures]:
            for done, piece in enumerate(slices):
                progress("slices of numbers", done, total)
                yield piece

        return build(reported(), labels)


def _event_rows(path: Path) -> EventRows:
    """Training rows at each number's events, from a labelled folder of call records."""
    from callwarden.detect.model.at_events import event_rows  # noqa: PLC0415

    if not (path / "labels").is_dir():
        raise ConfigError(f"{path}: training on call records needs its labels/ folder")

    def build(slices: Iterable[EventFeatures], labels: pl.DataFrame | None) -> EventRows:
        assert labels is not None  # noqa: S101  (checked above)
        return event_rows(slices, labels)

    return _from_records(path, "label", build)


@app.command("train")
def train(
    features: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="Per-number feature table (CSV or Parquet), or a folder of canonical records "
            "(features are computed, labels read from its labels/).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    label_column: Annotated[
        str, typer.Option("--label-column", help="0/1 label column of the table.")
    ] = "label",
    id_column: Annotated[str, typer.Option("--id-column", help="Id column of the table.")] = "id",
    cv: Annotated[
        int,
        typer.Option(
            "--cv", help="Cross-validation folds (file-order: 0 leaves the CV report out)."
        ),
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    holdout: Annotated[
        Path | None,
        typer.Option(
            "--holdout",
            exists=True,
            help="Another labelled city (records folder) to choose the model alone's review "
            "cut on: above every honest number's highest score there (docs/model.md).",
            show_default="none: the calibrated score as it is",
        ),
    ] = None,
    protocol: Annotated[
        Protocol,
        typer.Option(
            "--protocol",
            help="file-order: fit on the earlier rows of the table, choose trees, calibration "
            "and threshold on the later rows, refit on all (docs/model.md); cv: "
            "calibration and threshold from cross-validation; auto: file-order for a feature "
            "table, cv for call records.",
        ),
    ] = Protocol.auto,
    validation_share: Annotated[
        float,
        typer.Option(
            "--validation-share", help="file-order: the share of last rows that validate."
        ),
    ] = 0.25,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds",
            help="file-order: LightGBM seeds averaged, an ensemble in the model directory "
            "(5 unless given; cv trains one).",
            show_default="5 with file-order, 1 with cv",
        ),
    ] = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="file-order: train again on all rows with the choices made (else ship the "
            "model fitted on the earlier rows).",
        ),
    ] = True,
) -> None:
    """Train, calibrate and choose the threshold; write the model directory and print metrics.

    A feature table is trained by the file-order protocol (its later rows validate); a folder
    of call records by cross-validation over its numbers, on rows taken at each number's
    events as scoring reads them. `--cv 0` leaves the CV report out of file order.

    Example:

        callwarden model train city --out model
    """
    from callwarden.detect.model import cv_report  # noqa: PLC0415
    from callwarden.detect.model.events import FEATURE_LABELS  # noqa: PLC0415

    records = _is_records(features)
    file_order = protocol is Protocol.file_order or (protocol is Protocol.auto and not records)
    if not file_order and (seeds or 1) > 1:
        raise ConfigError("--seeds: an ensemble is trained by the file-order protocol only")
    if records and not file_order:  # rows at events, as scoring reads them (docs/model.md)
        from callwarden.detect.model.at_events import train_at_events  # noqa: PLC0415

        rows = _event_rows(features)
        with console.status("training") as status:
            model = train_at_events(
                rows, cv_folds=cv, seed=seed, feature_labels=FEATURE_LABELS,
                progress=status.update,
            )  # fmt: skip
    else:
        model = _train_table(
            _table(features, id_column, label_column), file_order=file_order, records=records,
            seeds=seeds, validation_share=validation_share, refit=refit, cv=cv, seed=seed,
        )  # fmt: skip
    if holdout is not None:
        if not _is_records(features) or not _is_records(holdout):
            raise ConfigError("--holdout: train on a folder of call records and give another")
        from callwarden.detect.model.cities import set_review_cut  # noqa: PLC0415

        with console.status("choosing the review cut on the held-out city"):
            cut = set_review_cut(model, holdout)
        console.print(
            f"model alone reaches review at {cut['review_cut']:.4f} (chosen on {holdout}: "
            f"{cut['fraud_at_cut']} of {cut['fraud_numbers']} fraud numbers there at or above)"
        )
    model.save(out)
    console.print(cv_report(model))
    console.print(f"model written to {out}")


def _train_table(
    table: FeatureTable,
    *,
    file_order: bool,
    records: bool,
    seeds: int | None,
    validation_share: float,
    refit: bool,
    cv: int,
    seed: int,
) -> TrainedModel:
    """A feature table (or call records' one row per number) trained by file order or CV."""
    from callwarden.detect.model import train_model  # noqa: PLC0415
    from callwarden.detect.model.events import FEATURE_LABELS  # noqa: PLC0415
    from callwarden.detect.model.ordered import train_file_order  # noqa: PLC0415

    with console.status("training") as status:
        if file_order:
            return train_file_order(
                table,
                seeds=5 if seeds is None else seeds,
                validation_share=validation_share,
                refit=refit,
                cv_folds=cv,
                seed=seed,
                feature_labels=FEATURE_LABELS if records else None,
                progress=status.update,
            )
        return train_model(
            table,
            cv_folds=cv,
            seed=seed,
            feature_labels=FEATURE_LABELS if records else None,
            progress=status.update,
        )


@app.command("score")
def score(
    model_dir: Annotated[
        Path, typer.Argument(exists=True, help="A model directory from `model train`.")
    ],
    features: Annotated[
        Path, typer.Argument(exists=True, help="Feature table, or a folder of canonical records.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Scores CSV: id,score,label_pred.")],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Id column [default: the model's].")
    ] = None,
    reasons: Annotated[
        bool, typer.Option("--reasons", help="Add a reasons column (JSON).")
    ] = False,
) -> None:
    """Score a feature table (or call records) with a trained model.

    Example:

        callwarden model score model city --out scores.csv --reasons
    """
    from callwarden.detect.model import load_model, score_table, write_scores_csv  # noqa: PLC0415

    model = load_model(model_dir)
    table = _table(features, id_column or model.id_column, None)
    scores = score_table(model, table, top_reasons=3 if reasons else 0)
    write_scores_csv(scores, out, with_reasons=reasons)
    flagged = int(scores["label_pred"].sum())
    console.print(f"scored {scores.height:,} rows, {flagged:,} above the threshold -> {out}")

"""Scoring a feature table with a trained model: calibrated risk, a 0/1 decision, reasons.

>>> scores = score_table(model, table)  # doctest: +SKIP
>>> scores.columns  # doctest: +SKIP
['id', 'score', 'label_pred', 'reasons']
>>> write_scores_csv(scores, Path("scores.csv"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.detect.model.artifact import TrainedModel
from callwarden.detect.model.explain import reasons_from_contributions
from callwarden.detect.model.table import FeatureTable
from callwarden.errors import InputFileError

__all__ = ["REASONS_DTYPE", "SCORE_COLUMNS", "score_table", "write_scores_csv"]

#: The polars form of ``REASON`` in records/schema.py: one struct per reason.
REASONS_DTYPE = pl.List(
    pl.Struct(
        {
            "code": pl.String,
            "weight": pl.Float64,
            "text_zh": pl.String,
            "text_en": pl.String,
            "evidence": pl.String,
        }
    )
)
#: The columns of a scores CSV, in order.
SCORE_COLUMNS: tuple[str, ...] = ("id", "score", "label_pred")


def score_table(model: TrainedModel, table: FeatureTable, *, top_reasons: int = 3) -> pl.DataFrame:
    """Score every row: ``id``, ``score`` (calibrated, in [0, 1]), ``label_pred``, ``reasons``.

    ``label_pred`` is 1 where ``score >= model.threshold``. ``reasons`` lists up to
    ``top_reasons`` features that raised this number's risk most (``Reason.as_record()``
    structs; none when ``top_reasons`` is 0). The table must hold every feature the model was
    trained on; other columns are ignored.

    >>> score_table(model, table).row(0, named=True)  # doctest: +SKIP
    {'id': '672d…', 'score': 0.03, 'label_pred': 0, 'reasons': [...]}
    """
    missing = [name for name in model.feature_names if name not in table.feature_names]
    if missing:
        shown = ", ".join(missing[:20]) + (
            f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        )
        raise InputFileError(
            table.source,
            f"missing {len(missing)} feature column(s) the model needs: {shown} "
            f"(the model was trained on {len(model.feature_names)} features; see its "
            "features.json)",
        )
    X = table.X.select(model.feature_names).to_numpy().astype(np.float64)
    scores = model.predict(X)
    if top_reasons > 0:
        reasons = reasons_from_contributions(
            model.contributions(X),
            X,
            model.feature_names,
            model.feature_stats,
            model.feature_labels,
            top=top_reasons,
        )
        records = [[r.as_record() for r in row] for row in reasons]
    else:
        records = [[] for _ in range(len(X))]
    return pl.DataFrame(
        {
            "id": pl.Series(table.ids, dtype=pl.String),
            "score": pl.Series(scores, dtype=pl.Float64),
            "label_pred": pl.Series((scores >= model.threshold).astype(np.int8), dtype=pl.Int8),
            "reasons": pl.Series(records, dtype=REASONS_DTYPE),
        }
    )


def write_scores_csv(scores: pl.DataFrame, path: Path, *, with_reasons: bool = False) -> Path:
    """Write ``id,score,label_pred`` (and ``reasons`` as JSON text when asked) as CSV.

    >>> import tempfile
    >>> frame = pl.DataFrame({"id": ["a"], "score": [0.25], "label_pred": [0],
    ...                       "reasons": [[]]}, schema_overrides={"reasons": REASONS_DTYPE})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(write_scores_csv(frame, Path(d) / "s.csv").read_text(), end="")
    id,score,label_pred
    a,0.25,0
    """
    path = Path(path)
    columns = list(SCORE_COLUMNS)
    missing = [c for c in columns if c not in scores.columns]
    if missing or (with_reasons and "reasons" not in scores.columns):
        raise ValueError(f"scores lack column(s) {missing or ['reasons']}; use score_table()")
    out = scores.select(columns)
    if with_reasons:
        texts = [
            json.dumps(row or [], ensure_ascii=False, sort_keys=True)
            for row in scores["reasons"].to_list()
        ]
        out = out.with_columns(pl.Series("reasons", texts, dtype=pl.String))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(path)
    return path

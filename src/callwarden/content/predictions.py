"""Predictions as a CSV a person or a spreadsheet reads: one row per input text, in input order.

>>> import numpy as np, tempfile
>>> scores = ContentScores(("a", "b"), np.array(["b", ""]), np.array([0.91234, 0.0]),
...     np.array([0.9, 0.0]), [["安全账户", "转账"], []], np.zeros((2, 2)))
>>> with tempfile.TemporaryDirectory() as d:
...     write_predictions(Path(d) / "out.csv", scores, ["m1", "m2"])
...     print((Path(d) / "out.csv").read_text(encoding="utf-8"))
id,label_pred,score,evidence
m1,b,0.9123,安全账户; 转账
m2,"",0.0,""
<BLANKLINE>
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from callwarden.content.model import ContentScores

__all__ = ["EVIDENCE_SEPARATOR", "write_predictions"]

EVIDENCE_SEPARATOR = "; "


def write_predictions(
    path: Path, scores: ContentScores, ids: list[str] | None = None, id_name: str = "id"
) -> None:
    """Write ``id`` (when the input had one; named ``id_name``: ``call_id`` for transcripts),
    ``label_pred``, ``score`` (4 decimals) and ``evidence`` (terms separated by ``"; "``,
    strongest first)."""
    columns: dict[str, object] = {} if ids is None else {id_name: ids}
    columns["label_pred"] = scores.label.tolist()
    columns["score"] = [round(float(s), 4) for s in scores.score]
    columns["evidence"] = [EVIDENCE_SEPARATOR.join(terms) for terms in scores.evidence]
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        columns, schema_overrides={id_name: pl.String} if ids is not None else None
    ).write_csv(path)

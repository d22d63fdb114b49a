"""Outcomes become labels: what people decided on cases feeds the next model (retrain, backtest).

A number restored after review, a review cleared, or an interception lifted, was honest
(``normal``); a rejected request, or an interception confirmed, confirms the fraud, labelled
with the type the suspending detector looks for (relay_call for the relay-call rule, and so
on). One row per number: its latest decided case. The table follows the canonical labels
schema, with ``actor = "case_outcome"`` and ``group_id = "case-<id>"``.

``behaviour_start`` comes from the records: the event time of the number's first alert (the
record that first crossed a threshold), not the wall-clock time a suspension was applied,
which may be hours or days later when alerts are scored from files.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.cases.models import Alert, Case, Interception, Suspension
from callwarden.detect import rules as _rules  # noqa: F401  (registers the detectors)
from callwarden.detect.base import DETECTORS
from callwarden.errors import ConfigError
from callwarden.records.schema import LABELS

__all__ = ["export_labels", "outcome_labels"]

#: an upheld appeal against marks says the number is honest too; a dismissed one says nothing
#: about how it calls (it keeps the marks), so it gives no label
_HONEST = {"restored": "normal", "cleared": "normal", "lifted": "normal", "upheld": "normal"}
#: the kinds whose outcome says how a number calls; a real-name case (registered, terminated,
#: restored for hardship) is about paperwork, not behaviour, and gives no label at all
_LABELLED_KINDS = ("suspension", "review", "interception", "appeal")


def _fraud_label(reasons: list[dict[str, object]]) -> str:
    for r in sorted(reasons, key=lambda r: -float(str(r.get("weight", 0)))):
        code = str(r.get("code", "")).partition(":")[0]
        if code in DETECTORS and DETECTORS.get(code).targets:
            return DETECTORS.get(code).targets[0]
    return "fraud"


def outcome_labels(s: Session) -> pl.DataFrame:
    """The labels table from every decided case (latest per number)."""
    rows: dict[str, dict[str, object]] = {}
    q = (
        select(Case, Suspension, Interception)
        .outerjoin(Suspension, Suspension.id == Case.suspension_id)
        .outerjoin(Interception, Interception.id == Case.interception_id)
        .where(Case.outcome.is_not(None))
        .order_by(Case.id)
    )
    first_flag = select(Alert.msisdn, func.min(Alert.flagged_at)).group_by(Alert.msisdn)
    first_alert = {msisdn: at for msisdn, at in s.execute(first_flag)}
    for case, susp, block in s.execute(q):
        if case.kind not in _LABELLED_KINDS:
            continue
        if case.kind == "appeal" and case.outcome not in _HONEST:
            continue
        measure = susp or block
        if case.outcome in _HONEST:
            label, start = _HONEST[case.outcome], None
        else:
            label = _fraud_label(measure.reasons if measure else [])
            start = first_alert.get(case.msisdn) or (
                measure.started_at if measure else case.opened_at
            )
        rows[case.msisdn] = {
            "msisdn": case.msisdn,
            "label": label,
            "behaviour_start": start,
            "actor": "case_outcome",
            "group_id": f"case-{case.id}",
        }
    table = pa.Table.from_pylist(list(rows.values()), schema=LABELS.schema)
    return pl.from_arrow(table)  # type: ignore[return-value]


def export_labels(s: Session, out: Path) -> pl.DataFrame:
    """Write the outcome labels to Parquet (or CSV when ``out`` ends in .csv)."""
    labels = outcome_labels(s)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        labels.write_csv(out)
    elif out.suffix in (".parquet", ".pq", ""):
        pq.write_table(labels.to_arrow(), out)
    else:
        raise ConfigError(f"{out}: write labels to a .parquet or .csv file")
    return labels

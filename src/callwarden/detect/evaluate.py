"""Honest evaluation of alerts against ground truth, per actor type.

A number counts as *flagged* when it reached ``review`` or higher (``watch`` is silent). For each
label: how many numbers, how many flagged, recall; overall precision; PR-AUC from each number's
highest alert score (numbers without an alert score 0); false-positive rates among honest heavy
callers and ordinary subscribers; and time-to-flag after ``behaviour_start``, in minutes and in
the number's own outgoing calls (SMS for spam) from the start of the behaviour up to and
including the one that was flagged. ``type_precision`` attributes each flagged number to the type
its top reason's detector looks for, and asks how often that type was right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from callwarden.decide.policy import level_of
from callwarden.detect import rules as _rules  # noqa: F401  (registers the detectors)
from callwarden.detect.base import DETECTORS

__all__ = ["Evaluation", "evaluate_alerts", "pr_curve", "uncovered"]

HONEST = ("normal", "legit_heavy")


@dataclass
class Evaluation:
    """Per-type table plus the headline figures."""

    per_type: pl.DataFrame
    precision: float
    recall: float
    f1: float
    pr_auc: float
    fpr_legit_heavy: float
    fpr_normal: float
    flagged: int
    extra: dict[str, float] = field(default_factory=dict)
    #: the precision-recall curve (threshold, precision, recall), one row per distinct score
    curve: pl.DataFrame | None = None

    def headline(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "pr_auc": self.pr_auc,
            "fpr_legit_heavy": self.fpr_legit_heavy,
            "fpr_normal": self.fpr_normal,
            "flagged": float(self.flagged),
            **self.extra,
        }


def pr_curve(y: np.ndarray, s: np.ndarray) -> pl.DataFrame:
    """Precision and recall at each distinct score threshold, highest threshold first.

    >>> pr_curve(np.array([1, 0, 1]), np.array([0.9, 0.5, 0.2])).rows()
    [(0.9, 1.0, 0.5), (0.5, 0.5, 0.5), (0.2, 0.6666666666666666, 1.0)]
    """
    positives = max(int(y.sum()), 1)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    tp = np.cumsum(y)
    fp = np.cumsum(1 - y)
    # one point per distinct score threshold
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.array([], dtype=bool)
    return pl.DataFrame(
        {
            "threshold": s[last].astype(float),
            "precision": tp[last] / (tp[last] + fp[last]),
            "recall": tp[last] / positives,
        }
    )


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the precision-recall curve (step interpolation, as average precision)."""
    if int(y.sum()) == 0:
        return float("nan")
    curve = pr_curve(y, s)
    recall = curve["recall"].to_numpy()
    recall_prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - recall_prev) * curve["precision"].to_numpy()))


def uncovered(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.Series:
    """The alerted numbers the truth does not list (sorted).

    >>> alerts = pl.DataFrame({"msisdn": ["+1", "+2", "+2"]})
    >>> uncovered(alerts, pl.DataFrame({"msisdn": ["+1"]})).to_list()
    ['+2']
    """
    listed = truth["msisdn"].unique().implode()
    return alerts.filter(~pl.col("msisdn").is_in(listed))["msisdn"].unique().sort()


def evaluate_alerts(
    alerts: pl.DataFrame,
    truth: pl.DataFrame,
    calls: pl.DataFrame | None = None,
    sms: pl.DataFrame | None = None,
    attribution: dict[str, str] | None = None,
    *,
    covers: str = "all",
) -> Evaluation:
    """Compare alerts with labels (``msisdn, label, behaviour_start``).

    ``covers`` says which numbers the truth speaks for: ``all`` (it lists every fraud number,
    as a simulated city's labels do: a number it does not list is honest) or ``listed`` (only
    its own numbers, as case outcomes: alerts on other numbers are left out).

    >>> import datetime as dt
    >>> t = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
    >>> truth = pl.DataFrame({"msisdn": ["+1", "+2", "+3"],
    ...                       "label": ["relay_call", "normal", "normal"],
    ...                       "behaviour_start": [t, None, None]})
    >>> alerts = pl.DataFrame({"msisdn": ["+1"], "flagged_at": [t], "score": [0.9],
    ...                        "decision": ["restrict"]})
    >>> ev = evaluate_alerts(alerts, truth)
    >>> ev.precision, ev.recall
    (1.0, 1.0)
    """
    if covers not in ("all", "listed"):
        raise ValueError(f"covers={covers!r}: all or listed")
    if covers == "listed":
        alerts = alerts.filter(pl.col("msisdn").is_in(truth["msisdn"].unique().implode()))
    flagged_level = level_of("review")
    attribution = attribution if attribution is not None else _detector_targets()
    if "reasons" in alerts.columns and alerts.schema["reasons"] != pl.String:
        top = alerts["reasons"].list.first().struct.field("code")
    elif "reasons" in alerts.columns:  # read from a CSV: the reasons as JSON text
        top = pl.Series([_first_code(r) for r in alerts["reasons"]], dtype=pl.String)
    else:
        top = pl.Series([None] * alerts.height, dtype=pl.String)
    per_number = (
        alerts.with_columns(
            level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64),
            predicted=top.replace_strict(attribution, default="fraud", return_dtype=pl.String),
        )
        .sort("flagged_at")
        .group_by("msisdn")
        .agg(
            max_score=pl.col("score").max(),
            first_flag=pl.col("flagged_at").filter(pl.col("level") >= flagged_level).first(),
            predicted=pl.col("predicted").filter(pl.col("level") >= flagged_level).last(),
        )
    )
    joined = truth.select("msisdn", "label", "behaviour_start").join(
        per_number, on="msisdn", how="full", coalesce=True
    )
    # numbers alerted but absent from the truth are honest numbers outside the labelled set
    joined = joined.with_columns(
        pl.col("label").fill_null("normal"),
        pl.col("max_score").fill_null(0.0),
        flagged=pl.col("first_flag").is_not_null(),
        fraud=~pl.col("label").fill_null("normal").is_in(HONEST),
    )
    ttf = _time_to_flag(joined.filter(pl.col("fraud") & pl.col("flagged")), calls, sms)
    attributed = (
        joined.filter(pl.col("flagged"))
        .group_by(label="predicted")
        .agg(attributed=pl.len(), attributed_right=(pl.col("label") == pl.col("predicted")).sum())
    )
    per_type = (
        joined.group_by("label")
        .agg(numbers=pl.len(), flagged=pl.col("flagged").sum())
        .join(attributed, on="label", how="left")
        .with_columns(
            recall=(pl.col("flagged") / pl.col("numbers")).round(4),
            type_precision=(pl.col("attributed_right") / pl.col("attributed")).round(4),
        )
        .with_columns(
            type_f1=(
                2
                * pl.col("recall")
                * pl.col("type_precision")
                / (pl.col("recall") + pl.col("type_precision"))
            ).round(4)
        )
        .drop("attributed", "attributed_right")
        .join(ttf, on="label", how="left")
        .sort(pl.col("label").is_in(HONEST), "label")
    )
    tp = int(joined.filter(pl.col("fraud") & pl.col("flagged")).height)
    fp = int(joined.filter(~pl.col("fraud") & pl.col("flagged")).height)
    fn = int(joined.filter(pl.col("fraud") & ~pl.col("flagged")).height)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def fpr(label: str) -> float:
        group = joined.filter(pl.col("label") == label)
        return float(np.mean(group["flagged"].to_numpy())) if group.height else 0.0

    y, scores = joined["fraud"].to_numpy().astype(int), joined["max_score"].to_numpy()
    return Evaluation(
        per_type=per_type,
        precision=round(precision, 6),
        recall=round(recall, 6),
        f1=round(f1, 6),
        pr_auc=round(_average_precision(y, scores), 6),
        fpr_legit_heavy=round(fpr("legit_heavy"), 6),
        fpr_normal=round(fpr("normal"), 6),
        flagged=tp + fp,
        curve=pr_curve(y, scores),
    )


def _first_code(text: str | None) -> str | None:
    """The top reason's code of reasons written as JSON text (a CSV's).

    >>> _first_code('[{"code": "relay_call", "weight": 0.8}]'), _first_code("[]")
    ('relay_call', None)
    """
    try:
        reasons = json.loads(text) if text else []
    except ValueError:
        return None
    return str(reasons[0].get("code")) if reasons and isinstance(reasons[0], dict) else None


def _detector_targets() -> dict[str, str]:
    """Reason code -> the label its detector looks for (how a flag is attributed to a type)."""
    return {name: det.targets[0] for name, det in DETECTORS.items()}


def _time_to_flag(
    flagged: pl.DataFrame, calls: pl.DataFrame | None, sms: pl.DataFrame | None
) -> pl.DataFrame:
    """Median minutes, and median own records, from behaviour_start to the first flag.

    A number flagged before its labelled start (a label dated by a later event than the one
    that flagged it) was flagged at once: 0 minutes, never a negative time."""
    frame = flagged.filter(pl.col("behaviour_start").is_not_null()).with_columns(
        minutes=((pl.col("first_flag") - pl.col("behaviour_start")).dt.total_seconds() / 60.0).clip(
            lower_bound=0.0
        )
    )
    aggs = [pl.col("minutes").median().round(1).alias("median_minutes_to_flag")]
    acts = []
    if calls is not None:
        acts.append(calls.select(msisdn="caller", time="start_time"))
    if sms is not None:
        acts.append(sms.select(msisdn="sender", time="sent_time"))
    if acts:
        own = pl.concat(acts).join(
            frame.select("msisdn", "behaviour_start", "first_flag"), on="msisdn"
        )
        counts = (
            own.filter(
                (pl.col("time") >= pl.col("behaviour_start"))
                & (pl.col("time") <= pl.col("first_flag"))
            )
            .group_by("msisdn")
            .agg(records_to_flag=pl.len())
        )
        frame = frame.join(counts, on="msisdn", how="left")
        aggs.append(pl.col("records_to_flag").median().alias("median_records_to_flag"))
    return frame.group_by("label").agg(aggs)

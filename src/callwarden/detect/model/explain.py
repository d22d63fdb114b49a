"""Reasons for a learned score, from LightGBM's per-feature contributions (``pred_contrib``).

For one number, LightGBM splits the raw log-odds into one contribution per feature plus a base
value (TreeSHAP). The features that pushed the risk *up* the most become the reasons: each
reason's weight is its share of the total upward push, and its text puts the value next to
normal numbers in training (above the 90th percentile of normal numbers reads "well above").

>>> stats = {"normal_p10": 2.0, "normal_p25": 5.0, "normal_median": 20.0, "normal_p75": 60.0,
...          "normal_p90": 150.0, "median": 40.0}
>>> r = feature_reason("opposite_count", 1258.0, contribution=1.2, weight=0.5, stats=stats)
>>> r.text_zh
'特征 opposite_count = 1258 (明显高于正常号码), 提高风险'
>>> r.text_en
'opposite_count = 1258 (well above typical numbers), raises risk'
>>> r.code, r.weight
('model:opposite_count', 0.5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from callwarden.detect.reasons import Reason

__all__ = ["compare_to_normal", "feature_reason", "format_value", "reasons_from_contributions"]


def reasons_from_contributions(
    contributions: np.ndarray,
    X: np.ndarray,
    feature_names: list[str],
    feature_stats: dict[str, dict[str, float | None]],
    feature_labels: dict[str, tuple[str, str]] | None = None,
    *,
    top: int = 3,
) -> list[list[Reason]]:
    """The ``top`` upward contributions of each row as reasons, strongest first.

    ``contributions`` is ``booster.predict(X, pred_contrib=True)``: one column per feature
    and a last one for the base value. Rows with no upward contribution get no reasons.
    Weights are shares of the row's total upward contribution, so they sum to at most 1.

    >>> contrib = np.array([[0.75, -0.2, 0.25, -1.0]])
    >>> rows = reasons_from_contributions(contrib, np.array([[9.0, 1.0, 3.0]]), ["a", "b", "c"], {})
    >>> [(r.code, r.weight) for r in rows[0]]
    [('model:a', 0.75), ('model:c', 0.25)]
    """
    labels = feature_labels or {}
    per_feature = contributions[:, : len(feature_names)]
    upward = np.where(per_feature > 0, per_feature, 0.0)
    totals = upward.sum(axis=1)
    k = min(top, len(feature_names))
    out: list[list[Reason]] = []
    if k <= 0:
        return [[] for _ in range(len(per_feature))]
    # Highest first; a stable sort keeps feature order among equal contributions.
    order = np.argsort(-upward, axis=1, kind="stable")[:, :k]
    for row, columns in enumerate(order):
        total = float(totals[row])
        reasons: list[Reason] = []
        for j in columns:
            c = float(upward[row, j])
            if c <= 0:
                break
            name = feature_names[j]
            reasons.append(
                feature_reason(
                    name,
                    float(X[row, j]),
                    contribution=c,
                    weight=c / total,
                    stats=feature_stats.get(name, {}),
                    label=labels.get(name),
                )
            )
        out.append(reasons)
    return out


def feature_reason(
    name: str,
    value: float,
    *,
    contribution: float,
    weight: float,
    stats: dict[str, float | None],
    label: tuple[str, str] | None = None,
) -> Reason:
    """One reason: a feature's value, put next to normal numbers, raising the risk.

    >>> label = ("短信占比", "SMS share")
    >>> feature_reason("sms_rate", float("nan"), contribution=0.3, weight=1.0, stats={},
    ...                label=label).text_en
    'SMS share is missing, raises risk'
    """
    zh_name, en_name = label if label else (f"特征 {name}", name)
    missing = math.isnan(value)
    if missing:
        text_zh, text_en = f"{zh_name} 缺失, 提高风险", f"{en_name} is missing, raises risk"
    else:
        shown = format_value(value)
        level = compare_to_normal(value, stats)
        zh_level = f" ({level[0]})" if level else ""
        en_level = f" ({level[1]})" if level else ""
        text_zh = f"{zh_name} = {shown}{zh_level}, 提高风险"
        text_en = f"{en_name} = {shown}{en_level}, raises risk"
    evidence: dict[str, Any] = {
        "feature": name,
        "value": None if missing else value,
        "contribution": round(contribution, 4),
        "training_median": stats.get("median"),
        "normal_median": stats.get("normal_median"),
    }
    return Reason(f"model:{name}", weight, text_zh, text_en, evidence)


def compare_to_normal(value: float, stats: dict[str, float | None]) -> tuple[str, str] | None:
    """Where a value sits among normal training numbers, in zh and en; ``None`` if unknown.

    >>> s = {"normal_p10": 1.0, "normal_p25": 2.0, "normal_p75": 4.0, "normal_p90": 8.0}
    >>> for v in (0.0, 1.5, 3.0, 5.0, 9.0):
    ...     print(compare_to_normal(v, s))
    ('明显低于正常号码', 'well below typical numbers')
    ('低于正常号码', 'below typical numbers')
    ('与正常号码相近', 'close to typical numbers')
    ('高于正常号码', 'above typical numbers')
    ('明显高于正常号码', 'well above typical numbers')
    """
    p10, p25 = stats.get("normal_p10"), stats.get("normal_p25")
    p75, p90 = stats.get("normal_p75"), stats.get("normal_p90")
    if p10 is None or p25 is None or p75 is None or p90 is None:
        return None
    if value > p90:
        return "明显高于正常号码", "well above typical numbers"
    if value > p75:
        return "高于正常号码", "above typical numbers"
    if value < p10:
        return "明显低于正常号码", "well below typical numbers"
    if value < p25:
        return "低于正常号码", "below typical numbers"
    return "与正常号码相近", "close to typical numbers"


def format_value(value: float) -> str:
    """A feature value as a person reads it: whole numbers plain, others to a few digits.

    >>> [format_value(v) for v in (1258.0, 13964.4786, 13.2421, 0.51589, 0.000106, -2.5)]
    ['1258', '13964', '13.24', '0.516', '0.000106', '-2.5']
    """
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"

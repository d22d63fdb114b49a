"""Content scores for the rest of callwarden: SMS texts and call transcripts in, one row per text
out (label, score, risk, evidence, the mark category it stands for and a reason a person reads).

Detection, reputation marks and complaints call these functions; they never load or train a
model themselves. Without a model of the operator's own, the shipped one is used
(:func:`~callwarden.content.default.default_model`).

>>> frame = score_texts(["您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查", None])
>>> frame.select("label", "category").rows()
[('impersonate_police_gov', 'fraud'), ('', None)]
>>> float(frame["risk"][1]), frame["evidence"][1].to_list()
(0.0, [])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import polars as pl

from callwarden.content.corpus import LABELS_ZH
from callwarden.content.default import default_model
from callwarden.content.model import BENIGN, ContentModel
from callwarden.reputation.categories import Category

__all__ = [
    "CONTENT_REASON",
    "LABEL_CATEGORY",
    "SCORE_COLUMNS",
    "category_of_label",
    "category_of_text",
    "content_reason",
    "score_records",
    "score_texts",
]

#: a content label and the mark category a callee would use for a number sending such texts;
#: an operator's model with labels named as categories (``marketing``) maps to those directly
LABEL_CATEGORY: Final[dict[str, Category]] = {
    "impersonate_police_gov": Category.FRAUD,
    "impersonate_customer_service": Category.FRAUD,
    "impersonate_leader_acquaintance": Category.FRAUD,
    # 贷款、代办信用卡 in these texts is the scam (an advance fee, a "credit repair" transfer)
    "loan_credit_card": Category.FRAUD,
}
#: the reason code of a content finding (DESIGN.md section 4, alerts.reasons)
CONTENT_REASON: Final = "content"
#: the columns of :func:`score_texts`, in order
SCORE_COLUMNS: Final = ("label", "label_zh", "score", "risk", "evidence", "category")


def category_of_label(label: str) -> Category | None:
    """The mark category of a content label; None for honest texts, empty ones and labels
    that name no category.

    >>> category_of_label("impersonate_customer_service"), category_of_label("marketing")
    (<Category.FRAUD: 'fraud'>, <Category.MARKETING: 'marketing'>)
    >>> category_of_label("normal") is None, category_of_label("") is None
    (True, True)
    """
    if label in LABEL_CATEGORY:
        return LABEL_CATEGORY[label]
    try:
        return Category(label)
    except ValueError:
        return None


def category_of_text(
    text: str | None, model: ContentModel | None = None, *, at_least: float = 0.5
) -> Category | None:
    """The mark category a text reads as (a complaint's own words, a transcript), when the
    model gives its label at least ``at_least``; None for an honest, empty or unclear text.

    >>> category_of_text("民警说我的账户涉嫌洗钱，让我把钱转到安全账户")
    <Category.FRAUD: 'fraud'>
    >>> category_of_text("您的快递已到驿站，取件码 1234") is None
    True
    """
    scores = (model or default_model()).score_texts([text])
    if float(scores.score[0]) < at_least:
        return None
    return category_of_label(str(scores.label[0]))


def score_texts(texts: Sequence[str | None], model: ContentModel | None = None) -> pl.DataFrame:
    """One row per text, in input order: ``label`` ("" for an empty text), ``label_zh``,
    ``score`` (calibrated probability of the label), ``risk`` (probability of any label but
    ``normal``; 0 for an empty text), ``evidence`` (list of terms, strongest first) and
    ``category`` (the mark category, null for honest or empty texts)."""
    scores = (model or default_model()).score_texts(texts)
    labels = scores.label.tolist()
    categories = [category_of_label(label) for label in labels]
    return pl.DataFrame(
        {
            "label": labels,
            "label_zh": [LABELS_ZH.get(label, label) for label in labels],
            "score": scores.score,
            "risk": scores.risk,
            "evidence": scores.evidence,
            "category": [None if c is None else c.value for c in categories],
        },
        schema={
            "label": pl.String,
            "label_zh": pl.String,
            "score": pl.Float64,
            "risk": pl.Float64,
            "evidence": pl.List(pl.String),
            "category": pl.String,
        },
    )


def score_records(
    records: pl.DataFrame, model: ContentModel | None = None, *, key: str | None = None
) -> pl.DataFrame:
    """Content scores of canonical records that hold text: ``transcripts`` (``call_id``,
    ``text``) or ``sms`` (``sms_id``, ``content``). The key column comes first, then
    :data:`SCORE_COLUMNS`; rows in input order.

    >>> calls = pl.DataFrame({"call_id": ["c1"], "text": ["我是你领导，明天来我办公室，先转两万"]})
    >>> score_records(calls).select("call_id", "category").row(0)
    ('c1', 'fraud')
    """
    text = "text" if "text" in records.columns else "content"
    if text not in records.columns:
        raise ValueError(
            f"records with a 'text' (transcripts) or 'content' (sms) column, not {records.columns}"
        )
    key = key or next((c for c in ("call_id", "sms_id", "id") if c in records.columns), None)
    scored = score_texts(records[text].to_list(), model)
    return scored if key is None else scored.insert_column(0, records[key])


def content_reason(
    label: str, score: float, evidence: Sequence[str], weight: float | None = None
) -> dict[str, object] | None:
    """A reason (DESIGN.md section 4) for a text scored as fraud, in the words an agent reads
    aloud; None for honest or empty texts. ``weight`` defaults to the score.

    >>> reason = content_reason("impersonate_police_gov", 0.97, ["安全账户", "涉嫌"])
    >>> reason["text_zh"]
    '短信/通话内容像冒充公检法及政府机关诈骗 (把握 97%): "安全账户" "涉嫌"'
    >>> reason["text_en"]
    'content reads as impersonate police gov fraud (97% sure): "安全账户" "涉嫌"'
    >>> content_reason("normal", 0.99, []) is None
    True
    """
    if not label or label == BENIGN or category_of_label(label) is None:
        return None
    terms = " ".join(f'"{t}"' for t in evidence)
    named_zh = LABELS_ZH.get(label, label)
    named_en = label.replace("_", " ")
    suffix_zh = "诈骗" if category_of_label(label) is Category.FRAUD else ""
    suffix_en = " fraud" if category_of_label(label) is Category.FRAUD else ""
    percent = round(100 * score)
    return {
        "code": CONTENT_REASON,
        "weight": float(score if weight is None else weight),
        "text_zh": f"短信/通话内容像{named_zh}{suffix_zh} (把握 {percent}%): {terms}".rstrip(": "),
        "text_en": f"content reads as {named_en}{suffix_en} ({percent}% sure): {terms}".rstrip(
            ": "
        ),
        "evidence": json.dumps(
            {"label": label, "score": round(score, 4), "terms": list(evidence)},
            ensure_ascii=False,
        ),
    }

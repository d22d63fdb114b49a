"""Reasons: why a number was flagged, in words a customer-service agent can read aloud.

Every detector and the learned scorer explain themselves with :class:`Reason` values: a stable
code, a weight (the share of the score it explains), texts in zh-CN and English, and the
evidence (the figures the texts quote) as a JSON object. They are stored in the ``reasons``
column of alerts (``REASON`` in records/schema.py).

>>> r = Reason("relay_call", 0.9, "60 分钟内主叫 42 次", "42 calls in 60 min", {"calls": 42})
>>> r.as_record()["evidence"]
'{"calls": 42}'
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CAMPAIGN_CODE", "Reason", "campaign_reason", "group_of", "reasons_to_json"]

#: the reason code of a campaign group's alert (``detect/campaigns.py``)
CAMPAIGN_CODE = "campaign"


@dataclass(frozen=True)
class Reason:
    """One explained part of a score."""

    code: str
    weight: float
    text_zh: str
    text_en: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """The struct stored in the alerts' ``reasons`` list (evidence as JSON text)."""
        return {
            "code": self.code,
            "weight": float(self.weight),
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "evidence": json.dumps(_plain(self.evidence), ensure_ascii=False, sort_keys=True),
        }

    def text(self, lang: str = "zh") -> str:
        """The text in ``zh`` (default, for customers) or ``en``."""
        return self.text_en if lang == "en" else self.text_zh


def _plain(evidence: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: unknown figures become null."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in evidence.items()}


def reasons_to_json(reasons: list[Reason]) -> str:
    """Reasons as JSON text, the form they take in CSV output.

    >>> reasons_to_json([Reason("x", 1.0, "中", "en")])
    '[{"code": "x", "evidence": "{}", "text_en": "en", "text_zh": "中", "weight": 1.0}]'
    """
    return json.dumps([r.as_record() for r in reasons], ensure_ascii=False, sort_keys=True)


def campaign_reason(reasons: Sequence[dict[str, Any]] | None) -> dict[str, Any] | None:
    """An alert's campaign reason (a record of its ``reasons``) with its evidence read from
    JSON, if it has one.

    >>> campaign_reason([{"code": "campaign", "evidence": '{"group_id": "g1"}'}])["evidence"]
    {'group_id': 'g1'}
    """
    for r in reasons or []:
        if r.get("code") == CAMPAIGN_CODE:
            return {**r, "evidence": _evidence(r.get("evidence"))}
    return None


def _evidence(ev: object) -> dict[str, Any]:
    """A reason's evidence as a dict: JSON text read, anything else that is no JSON object
    (an alert submitted by hand may carry any text) as none.

    >>> _evidence('{"group_id": "g1"}'), _evidence("not json"), _evidence("[1]")
    ({'group_id': 'g1'}, {}, {})
    """
    if isinstance(ev, str):
        try:
            ev = json.loads(ev)
        except ValueError:
            return {}
    return dict(ev) if isinstance(ev, dict) else {}


def group_of(reasons: Sequence[dict[str, Any]] | None) -> str | None:
    """The campaign group id in an alert's reasons (records with JSON evidence), if any.

    >>> group_of([{"code": "campaign", "evidence": '{"group_id": "campaign-ab12"}'}])
    'campaign-ab12'
    >>> group_of([{"code": "relay_call", "evidence": "{}"}]) is None
    True
    """
    reason = campaign_reason(reasons)
    gid = reason["evidence"].get("group_id") if reason is not None else None
    return str(gid) if gid is not None else None

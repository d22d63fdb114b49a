"""Typed inputs of the case service, shared by the REST API, the CLI and the tests.

Pydantic validates every field; a bad one becomes a 4xx answer naming the field, never a crash.

>>> ActionIn(action="review", verdict="approve").verdict
'approve'
>>> AlertIn.model_validate({"msisdn": "13812345678", "flagged_at": "2026-07-08T10:00:00Z",
...     "score": 0.97, "decision": "suspend", "reasons": []}).msisdn
'+8613812345678'
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from callwarden.cases.machine import Action, Verdict
from callwarden.errors import NumberFormatError
from callwarden.numbers import normalise

__all__ = [
    "CHANNELS",
    "ActionIn",
    "AlertIn",
    "ReasonIn",
    "RequesterIn",
    "SubscriberIn",
    "msisdn_of",
    "presented_of",
]

CHANNELS = ("hotline", "self_service", "business_hall", "video", "remote_face")
Channel = Literal["hotline", "self_service", "business_hall", "video", "remote_face"]


def msisdn_of(value: str) -> str:
    """E.164 or a ValueError that pydantic reports against the field."""
    try:
        return normalise(value)
    except NumberFormatError as exc:
        raise ValueError(str(exc)) from None


_PRESENTED = re.compile(r"\+[0-9]{3,19}")


def excerpt(value: str) -> str:
    """A value quoted for an error message, cut short."""
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def presented_of(value: str) -> str:
    """E.164 where the number has one, else the number as presented (``+`` and digits).

    A call that happened is evidence whatever number it showed: a spoofed caller ID that no
    numbering plan allows is still the number to block at the gateway.

    >>> presented_of("13812345678"), presented_of("+371573613369")
    ('+8613812345678', '+371573613369')
    >>> presented_of("hello")
    Traceback (most recent call last):
    ...
    ValueError: 'hello' is neither a valid number nor '+' and 3 to 19 digits
    """
    try:
        return normalise(value)
    except NumberFormatError:
        compact = re.sub(r"[\s\-()]", "", value)
        if _PRESENTED.fullmatch(compact):
            return compact
        raise ValueError(
            f"{excerpt(value)} is neither a valid number nor '+' and 3 to 19 digits"
        ) from None


#: C0 controls but tab, line feed and carriage return; DEL; lone surrogates. PostgreSQL cannot
#: store NUL in text while SQLite can: refusing them everywhere keeps both databases alike.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: the years a record's time may fall in (the same bounds as ingest)
FIRST_YEAR, LAST_YEAR = 1970, 2099
_MAX_INT = 2**31 - 1


def _storable(value: Any, depth: int = 0) -> None:
    """Refuse text a database cannot keep alike, and numbers JSON cannot carry, at any depth."""
    if depth > 16:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        if (bad := _UNSTORABLE.search(value)) is not None:
            code = f"U+{ord(bad.group()):04X}"
            raise ValueError(f"holds a control character or lone surrogate ({code})")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key, depth + 1)
            _storable(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _storable(item, depth + 1)


class _In(BaseModel):
    """Every input model: no unknown fields, and nothing a database or JSON cannot hold."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        _storable(value)
        return value


class ReasonIn(_In):
    code: str = Field(max_length=64)
    weight: float = Field(default=1.0, ge=0, le=1)
    text_zh: str = Field(default="", max_length=500)
    text_en: str = Field(default="", max_length=500)
    evidence: str | dict[str, object] = "{}"


class SubscriberIn(_In):
    owner_birth_year: int | None = Field(default=None, ge=1900, le=2100)
    owner_type: Literal["individual", "enterprise"] = "individual"
    realname_status: Literal[
        "verified", "incomplete", "mismatch", "corporate_unassigned", "none"
    ] = "verified"
    region: str = Field(default="", max_length=32)
    whitelisted: bool = False
    language: Literal["zh", "en"] = "zh"


class AlertIn(_In):
    """One row of the canonical alerts schema, plus (optionally) the owner's profile."""

    msisdn: str = Field(max_length=32)
    flagged_at: AwareDatetime
    score: float = Field(ge=0, le=1)
    decision: Literal["watch", "review", "restrict", "suspend", "intercept"]
    reasons: list[ReasonIn] = Field(default_factory=list, max_length=20)
    subscriber: SubscriberIn | None = None

    @field_validator("msisdn")
    @classmethod
    def _e164(cls, v: str) -> str:
        return presented_of(v)

    def reason_records(self) -> list[dict[str, Any]]:
        """The reasons as stored with alerts and measures (evidence as JSON text)."""
        return [
            {
                "code": r.code,
                "weight": r.weight,
                "text_zh": r.text_zh,
                "text_en": r.text_en,
                "evidence": r.evidence if isinstance(r.evidence, str) else json.dumps(r.evidence),
            }
            for r in self.reasons
        ]

    @field_validator("flagged_at")
    @classmethod
    def _plausible(cls, v: datetime) -> datetime:
        if not FIRST_YEAR <= v.year <= LAST_YEAR:
            raise ValueError(f"must fall between {FIRST_YEAR} and {LAST_YEAR}")
        return v


class RequesterIn(_In):
    """Who asks for the number back (seed 000: the owner's grandson, a student)."""

    relationship: Literal["owner", "family", "guardian", "colleague", "other"] = "owner"
    document: Literal["id_card", "student_card", "passport", "residence_permit", "other"] = (
        "id_card"
    )
    minor: bool = False
    forgotten_password: bool = False


class ActionIn(_In):
    """One action on a case. Which fields are needed depends on the action (see docs/cases.md)."""

    action: Action
    verdict: Verdict | None = None
    reason: str | None = Field(default=None, max_length=2000)
    channel: Channel | None = None
    requester: RequesterIn | None = None
    #: checklist items presented at verification (their codes)
    items: list[str] = Field(default_factory=list, max_length=20)
    rating: int | None = Field(default=None, ge=1, le=5)
    #: the case version the client saw; a different current version answers 409
    expected_version: int | None = Field(default=None, ge=1, le=_MAX_INT)

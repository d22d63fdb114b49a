"""Who is calling, from the presented number alone: its stored form, whether anyone can own it,
its country and region (归属地). Never raises, whatever a switch or a spoofer presents.

>>> c = caller_of("13812345678")
>>> c.stored, c.key, c.flag, c.country, c.region_zh, c.region_en
('+8613812345678', 8613812345678, None, 'CN', '江苏省连云港市', 'Lianyungang, Jiangsu')
>>> caller_of("+999123456").flag, caller_of("anonymous").flag
('malformed', 'unreadable')
>>> caller_of("+14155550123").country
'US'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

from callwarden.numbers import presented_number

__all__ = ["UNREADABLE", "Caller", "caller_of", "key_of"]

#: the flag of a caller whose presented value is no number at all (withheld, text, empty)
UNREADABLE = "unreadable"
_MAX_PRESENTED = 64


@dataclass(frozen=True, slots=True)
class Caller:
    """A presented caller number, as screening sees it."""

    #: the number as stored (E.164 or ``+`` and digits), None when unreadable
    stored: str | None
    #: the stored number's digits as an integer: the key of the marks table
    key: int | None
    #: None for a number someone can own; else malformed, impossible, unallocated, unreadable
    flag: str | None
    #: ISO country code (``CN``), ``""`` when unknown
    country: str
    region_zh: str
    region_en: str


def key_of(stored: str) -> int | None:
    """The marks table's key of a stored number: its digits (18 at most fit in an int64).

    >>> key_of("+8613812345678"), key_of("+1234567890123456789")
    (8613812345678, None)
    """
    digits = stored[1:] if stored.startswith("+") else stored
    if not digits.isascii() or not digits.isdigit() or not 0 < len(digits) <= 18:
        return None
    return int(digits)


@lru_cache(maxsize=262_144)
def caller_of(raw: str, home: str = "CN") -> Caller:
    """What screening knows of a presented caller (cached: callers call again)."""
    text = raw[:_MAX_PRESENTED]
    if len(raw) > _MAX_PRESENTED or not text.strip():
        return Caller(None, None, UNREADABLE, "", "", "")
    try:
        stored, flag, _ = presented_number(text, home)
    except Exception:  # a spoofer's value must never stop the call path
        stored, flag = None, None
    if stored is None:
        return Caller(None, None, UNREADABLE, "", "", "")
    country, zh, en = _region(stored) if flag is None else ("", "", "")
    return Caller(stored, key_of(stored), flag, country, zh, en)


def _region(stored: str) -> tuple[str, str, str]:
    try:
        parsed = phonenumbers.parse(stored, None)
        country = phonenumbers.region_code_for_number(parsed) or ""
        zh = geocoder.description_for_number(parsed, "zh") or ""
        en = geocoder.description_for_number(parsed, "en") or ""
    except Exception:  # metadata gaps are "region unknown", not an error
        return "", "", ""
    return ("" if country == "ZZ" else country), zh, en

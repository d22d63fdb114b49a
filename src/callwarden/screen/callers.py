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

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import phonenumbers.prefix
from phonenumbers import geocoder

from callwarden.numbers import CN_MOBILE_PATTERN, presented_number

# the geocoder's own prefix lookup, without its region checks (see _describe)
_GEO = vars(geocoder)
_BY_PREFIX: Callable[..., str] | None = vars(phonenumbers.prefix).get(
    "_prefix_description_for_number"
)

__all__ = ["UNREADABLE", "Caller", "caller_of", "key_of"]

#: the flag of a caller whose presented value is no number at all (withheld, text, empty)
UNREADABLE = "unreadable"
_MAX_PRESENTED = 64
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[0-9]{10})")
_CN_MOBILE = re.compile(CN_MOBILE_PATTERN)


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
    mobile = _MOBILE.fullmatch(text.strip()) if home == "CN" else None
    if mobile is not None and _CN_MOBILE.fullmatch("+86" + mobile.group(1)):
        # most callers: a Chinese mobile, checked against the metadata's pattern at once and
        # geocoded by its prefix (the data goes to 7 national digits)
        national = mobile.group(1)
        zh, en = _mobile_region(national)
        return Caller("+86" + national, int("86" + national), None, "CN", zh, en)
    try:
        stored, flag, _ = presented_number(text, home)
    except Exception:  # a spoofer's value must never stop the call path
        stored, flag = None, None
    if stored is None:
        return Caller(None, None, UNREADABLE, "", "", "")
    country, zh, en = _region(stored) if flag is None else ("", "", "")
    return Caller(stored, key_of(stored), flag, country, zh, en)


_MOBILE_REGIONS: dict[str, tuple[str, str]] = {}


def _describe(number: phonenumbers.PhoneNumber, lang: str) -> str:
    """The geocoder's description of a valid number: its prefix table read directly (the
    public call first works out the number's region again, five times the cost)."""
    try:
        assert _BY_PREFIX is not None  # noqa: S101  (else the public call, below)
        return str(_BY_PREFIX(_GEO["GEOCODE_DATA"], _GEO["GEOCODE_LONGEST_PREFIX"], number, lang))
    except Exception:  # a library that changed: the public call
        return str(geocoder.description_for_valid_number(number, lang))


def _mobile_region(national: str) -> tuple[str, str]:
    """A Chinese mobile's region (归属地), remembered by its first 7 digits."""
    prefix = national[:7]
    got = _MOBILE_REGIONS.get(prefix)
    if got is None:
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
        got = (_describe(number, "zh") or "中国", _describe(number, "en") or "China")
        _MOBILE_REGIONS[prefix] = got  # bounded by the prefixes there are (some 10^5)
    return got


@lru_cache(maxsize=65_536)
def _region(stored: str) -> tuple[str, str, str]:
    """Country and region (归属地) of any other number someone can own."""
    try:
        parsed = phonenumbers.parse(stored, None)
        country = phonenumbers.region_code_for_number(parsed) or ""
        zh = geocoder.description_for_number(parsed, "zh") or ""
        en = geocoder.description_for_number(parsed, "en") or ""
    except Exception:  # metadata gaps are "region unknown", not an error
        return "", "", ""
    return ("" if country == "ZZ" else country), zh, en

"""Phone numbers: normalise to E.164, tell what kind a number is, mask it for display.

Numbers are stored as E.164 strings (``+8613812345678``). Chinese short service numbers that
have no E.164 form of their own (95xxx bank lines, 100xx operator hotlines, 12xxx public
services, 106 SMS ports) are written as ``+86`` followed by their digits, the way switches
record them, and classified as :attr:`NumberKind.SERVICE`.

>>> normalise("138 1234 5678")
'+8613812345678'
>>> classify("+8617012345678").value
'virtual_mobile'
>>> mask("+8613812345678")
'138****5678'
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

import phonenumbers
import polars as pl
from phonenumbers import PhoneNumberType

from callwarden.errors import NumberFormatError

__all__ = [
    "CN_MOBILE_PATTERN",
    "STORED_PATTERN",
    "VIRTUAL_PREFIXES",
    "NumberFlag",
    "NumberKind",
    "classify",
    "is_chinese_mobile_national",
    "mask",
    "normalise",
    "normalise_series",
    "presented_number",
    "presented_series",
    "try_normalise",
]

#: A presented number as stored when it is kept (valid or not): ``+`` and 5 to 18 digits, the
#: first not 0. This is what the stream's wire format and the feature engines' integer codes
#: carry, so every stored number reaches detection.
STORED_PATTERN = r"^\+[1-9][0-9]{4,17}$"
_STORED = re.compile(STORED_PATTERN)
_MOST_DIGITS = 18

#: Mobile prefixes leased to virtual operators (MVNOs); scam call centres favour them.
VIRTUAL_PREFIXES: tuple[str, ...] = ("162", "165", "167", "170", "171")

_CN = "86"
# Short service numbers, by national digits (after +86 / 0086 / 86 is stripped).
_SERVICE_PATTERNS = (
    re.compile(r"95\d{3,4}"),  # 95588 and other bank / insurer / carrier service lines
    re.compile(r"96\d{3,4}"),  # local public service lines
    re.compile(r"10\d{3}"),  # 10086, 10010, 10000: operator hotlines
    re.compile(r"12\d{3}"),  # 12321 nuisance reports, 12315, 12345, 12306
    re.compile(r"106\d{5,17}"),  # 106 SMS service ports (banks, apps, notifications)
)
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86)")
_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN_METADATA is not None and _CN_METADATA.mobile is not None  # noqa: S101  (shipped data)
_MOBILE_PATTERN: str = str(_CN_METADATA.mobile.national_number_pattern)
_MOBILE_FULL = re.compile(f"(?:{_MOBILE_PATTERN})")
assert _CN_METADATA.fixed_line is not None and _CN_METADATA.general_desc is not None  # noqa: S101
# A stored +86 number whose national digits fit both is a valid fixed line, exactly as
# phonenumbers.is_valid_number says (its general pattern, then the fixed-line type).
_FIXED_PATTERN = f"^(?:{_CN_METADATA.fixed_line.national_number_pattern})$"
_GENERAL_PATTERN = f"^(?:{_CN_METADATA.general_desc.national_number_pattern})$"
#: A Chinese mobile number as stored (virtual operators' ranges included), for whole columns.
CN_MOBILE_PATTERN = f"^\\+86(?:{_MOBILE_PATTERN})$"


class NumberKind(StrEnum):
    """What a normalised number is, for features and for the summary tables."""

    MOBILE = "mobile"
    VIRTUAL_MOBILE = "virtual_mobile"
    LANDLINE = "landline"
    ENTERPRISE = "enterprise"  # 400 shared-cost and 800 toll-free hotlines
    SERVICE = "service"  # 95xxx, 100xx, 12xxx, 106 SMS ports
    INTERNATIONAL = "international"
    OTHER = "other"  # valid, but of a kind the above do not cover (pagers, VoIP...)


class NumberFlag(StrEnum):
    """Why a presented number that is kept is suspect: nobody can own it (DESIGN.md section 4).

    A call that happened is evidence even when the number it shows is not a real one (a
    spoofed caller ID, 改号), so such a number is kept with one of these codes.
    """

    #: no numbering plan has it: an unknown country code, or too few or too many digits for
    #: any number (``+999123456``)
    MALFORMED = "malformed"
    #: a real country code, but a length its numbers cannot have (``+371573613369``: nine
    #: national digits where Latvia has eight)
    IMPOSSIBLE = "impossible"
    #: the right length, but in no range the country has allocated (``+8612345678901``)
    UNALLOCATED = "unallocated"


def is_chinese_mobile_national(digits: str) -> bool:
    """True when an 11-digit national number is in a Chinese mobile range.

    >>> is_chinese_mobile_national("13812345678"), is_chinese_mobile_national("12345678901")
    (True, False)
    """
    return _MOBILE_FULL.fullmatch(digits) is not None


def _service_digits(raw: str) -> str | None:
    """The national digits of a short service number, in ASCII (full-width ``９５５８８`` too).

    >>> _service_digits("９５５８８"), _service_digits("9500０")
    ('95588', '95000')
    """
    digits = re.sub(r"[\s\-()]", "", raw)
    # any script's decimal digits as ASCII, so what is stored is plain E.164
    digits = "".join(str(unicodedata.decimal(c, c)) if c.isdecimal() else c for c in digits)
    digits = _CN_PREFIX.sub("", digits)
    if not (digits.isascii() and digits.isdigit()):
        return None
    if any(p.fullmatch(digits) for p in _SERVICE_PATTERNS):
        return digits
    return None


@lru_cache(maxsize=1_000_000)
def try_normalise(raw: str, region: str = "CN") -> tuple[str | None, str | None]:
    """Return ``(e164, None)`` or ``(None, reason)``; never raises.

    >>> try_normalise("010-6234 5678")
    ('+861062345678', None)
    >>> try_normalise("95588")
    ('+8695588', None)
    >>> try_normalise("hello")
    (None, "'hello' is not a phone number")
    """
    text = raw.strip()
    if not text:
        return None, "empty phone number"
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, f"{raw!r} is not a phone number"
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed.country_code == int(_CN):
        if phonenumbers.is_valid_number(parsed):
            return e164, None
        service = _service_digits(text)
        if service is not None:
            return f"+{_CN}{service}", None
        return None, f"{raw!r} is not a valid Chinese number"
    # Foreign numbering plans change faster than any metadata: accept a number whose length
    # fits its country's plan rather than lose a real call record.
    if phonenumbers.is_possible_number(parsed) and phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    ) not in ("ZZ", None):
        return e164, None
    return None, f"{raw!r} is not a valid phone number"


# Separators people and switches write inside numbers; anything else but digits and a leading
# "+" makes a value something other than a presented number.
_SEPARATORS = re.compile(r"[\s\-./()\[\]]")
_LENGTH_FLAGS = {
    phonenumbers.ValidationResult.TOO_SHORT,
    phonenumbers.ValidationResult.TOO_LONG,
    phonenumbers.ValidationResult.INVALID_LENGTH,
}


def _presented_digits(text: str) -> str | None:
    """``+`` (when written) and the ASCII digits of a value, or None when it holds anything
    else: full-width and other scripts' digits count, separators are dropped."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in folded)
    folded = _SEPARATORS.sub("", folded)
    if re.fullmatch(r"\+?[0-9]+", folded) is None:
        return None
    return folded


@lru_cache(maxsize=1_000_000)
def presented_number(raw: str, region: str = "CN") -> tuple[str | None, str | None, str | None]:
    """A presented number as it is kept: ``(stored, flag, None)``, or ``(None, None, reason)``
    when the value cannot be used as a number at all; never raises.

    A valid number is stored in E.164 with no flag (as :func:`try_normalise` gives it). A value
    made of digits that no one can own is kept too, as ``+`` and its digits (the country code
    of ``region`` put in front of a national number), with a :class:`NumberFlag`. Only values
    with no digits, with other characters among them, or with a length no switch presents
    (fewer than 5 or more than 18 digits with the country code) are refused.

    >>> presented_number("+371 57361 3369")
    ('+371573613369', 'impossible', None)
    >>> presented_number("13812345678"), presented_number("95588")
    (('+8613812345678', None, None), ('+8695588', None, None))
    >>> presented_number("+999123456")
    ('+999123456', 'malformed', None)
    >>> presented_number("abc")
    (None, None, "'abc' is not a phone number")
    """
    text = raw.strip()
    if not text:
        return None, None, "empty phone number"
    e164, _ = try_normalise(text, region)
    # try_normalise keeps only valid Chinese numbers, but foreign ones of a possible length
    if e164 is not None and (e164.startswith("+" + _CN) or _valid(e164)):
        return e164, None, None
    digits = _presented_digits(text)
    if digits is None:
        return None, None, f"{raw!r} is not a phone number"
    stored, flag = _suspect(digits, region)
    if _STORED.fullmatch(stored) is None:
        return None, None, _unstorable(raw, stored)
    return stored, flag.value, None


def _suspect(digits: str, region: str) -> tuple[str, NumberFlag]:
    """How a number of digits that nobody can own is kept, and why it is suspect."""
    try:
        parsed = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and parsed.country_code:
        why = phonenumbers.is_possible_number_with_reason(parsed)
        if why == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
            flag = NumberFlag.MALFORMED
        elif why in _LENGTH_FLAGS:
            flag = NumberFlag.IMPOSSIBLE
        else:
            flag = NumberFlag.UNALLOCATED
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), flag
    # Not even a number to phonenumbers (no such country code): keep its digits as shown.
    if digits.startswith("+"):
        return digits, NumberFlag.MALFORMED
    if digits.startswith("00"):  # the international prefix
        return "+" + digits[2:], NumberFlag.MALFORMED
    cc = phonenumbers.country_code_for_region(region) or ""
    return f"+{cc}{digits.lstrip('0')}", NumberFlag.MALFORMED


def _unstorable(raw: str, stored: str) -> str:
    count = len(stored) - 1
    if stored.startswith("+0"):
        return f"{raw!r} has no country code (0 after the +)"
    if count > _MOST_DIGITS:
        return f"{raw!r} has {count} digits: too long to be a phone number"
    return f"{raw!r} is too short to be a phone number"


def _valid(e164: str) -> bool:
    """A number someone can own: phonenumbers' metadata, or a Chinese service line. (Ingest's
    :func:`try_normalise` also keeps foreign numbers whose length is merely possible.)"""
    if e164.startswith("+" + _CN) and _service_digits(e164) is not None:
        return True
    return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))


def normalise(raw: str, region: str = "CN") -> str:
    """Normalise one number to E.164 or raise :class:`NumberFormatError`.

    >>> normalise("+44 7911 123456")
    '+447911123456'
    >>> normalise("12")
    Traceback (most recent call last):
    ...
    callwarden.errors.NumberFormatError: '12' is not a valid Chinese number
    """
    e164, reason = try_normalise(raw, region)
    if e164 is None:
        raise NumberFormatError(reason)
    return e164


@lru_cache(maxsize=1_000_000)
def classify(e164: str) -> NumberKind:
    """Tell what kind of number a normalised E.164 string is.

    >>> [classify(n).value for n in ("+8613812345678", "+864008123456", "+8695588")]
    ['mobile', 'enterprise', 'service']
    """
    if not e164.startswith("+" + _CN):
        return NumberKind.INTERNATIONAL
    national = e164[3:]
    if any(p.fullmatch(national) for p in _SERVICE_PATTERNS) and not (
        len(national) == 10 and national.startswith("10")
    ):
        return NumberKind.SERVICE
    parsed = phonenumbers.parse(e164)
    kind = phonenumbers.number_type(parsed)
    if kind == PhoneNumberType.MOBILE:
        if national.startswith(VIRTUAL_PREFIXES):
            return NumberKind.VIRTUAL_MOBILE
        return NumberKind.MOBILE
    if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return NumberKind.LANDLINE
    if kind in (PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST):
        return NumberKind.ENTERPRISE
    if any(p.fullmatch(national) for p in _SERVICE_PATTERNS):
        return NumberKind.SERVICE
    return NumberKind.OTHER


def mask(e164: str) -> str:
    """Mask a number for logs and screens: keep the first 3 and last 4 national digits.

    >>> mask("+8613812345678"), mask("+447911123456"), mask("+8695588")
    ('138****5678', '+44 791****3456', '95***')
    """
    if e164.startswith("+" + _CN):
        prefix, national = "", e164[3:]
    elif e164.startswith("+"):
        try:
            cc = str(phonenumbers.parse(e164).country_code)
        except phonenumbers.NumberParseException:
            cc = e164[1:3]
        prefix, national = f"+{cc} ", e164[1 + len(cc) :]
    else:  # opaque identifiers (hashed exports) are shown shortened
        prefix, national = "", e164
    if len(national) >= 8:
        return f"{prefix}{national[:3]}****{national[-4:]}"
    return f"{prefix}{national[:2]}{'*' * (len(national) - 2)}"


def _fast_mobiles(values: pl.Series, region: str) -> pl.DataFrame:
    """Columns ``raw``, ``nat`` (national digits) and ``fast``: a plain Chinese mobile."""
    frame = pl.DataFrame({"raw": values.cast(pl.String)})
    return frame.with_columns(
        nat=pl.col("raw").str.strip_chars().str.replace(r"^(?:\+86|0086|86)(1[0-9]{10})$", "$1"),
    ).with_columns(
        # [0-9] first: the metadata's \d would also match other scripts' digits
        fast=(
            pl.lit(region == "CN")
            & pl.col("nat").str.contains(r"^[0-9]{11}$")
            & pl.col("nat").str.contains(f"^(?:{_MOBILE_PATTERN})$")
        ).fill_null(False)
    )


def normalise_series(values: pl.Series, region: str = "CN") -> tuple[pl.Series, pl.Series]:
    """Normalise a column of raw numbers; return ``(e164, reason)``, nulls where not applicable.

    Chinese mobiles (the bulk of any call record file) are checked with the phonenumbers
    metadata pattern in one vectorised pass; the rest go through :func:`try_normalise` once per
    distinct value.

    >>> e, r = normalise_series(pl.Series(["13812345678", "+8613812345678", "x", None]))
    >>> e.to_list()
    ['+8613812345678', '+8613812345678', None, None]
    >>> r.to_list()
    [None, None, "'x' is not a phone number", 'missing']
    """
    frame = _fast_mobiles(values, region)
    slow_values = (
        frame.filter(~pl.col("fast") & pl.col("raw").is_not_null())["raw"].unique().to_list()
    )
    results = [try_normalise(v, region) for v in slow_values]
    lookup = pl.DataFrame(
        {
            "raw": pl.Series(slow_values, dtype=pl.String),
            "slow_e164": pl.Series([r[0] for r in results], dtype=pl.String),
            "slow_reason": pl.Series([r[1] for r in results], dtype=pl.String),
        }
    )
    out = frame.join(lookup, on="raw", how="left", maintain_order="left").select(
        e164=pl.when(pl.col("fast"))
        .then(pl.lit("+" + _CN) + pl.col("nat"))
        .otherwise(pl.col("slow_e164")),
        reason=pl.when(pl.col("raw").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("fast"))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("slow_reason")),
    )
    return out["e164"], out["reason"]


def presented_series(
    values: pl.Series, region: str = "CN"
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """:func:`presented_number` for a column: ``(stored, flag, reason)``, nulls where not
    applicable (``reason`` is ``missing`` for a null value).

    Chinese mobiles take the same vectorised pass as in :func:`normalise_series`; the rest
    are looked at once per distinct value.

    >>> stored, flag, reason = presented_series(pl.Series(["13812345678", "+371573613369", "--"]))
    >>> stored.to_list(), flag.to_list()
    (['+8613812345678', '+371573613369', None], [None, 'impossible', None])
    >>> reason.to_list()
    [None, None, "'--' is not a phone number"]
    """
    frame = _fast_mobiles(values, region)
    # Landlines already stored in E.164 (the simulator's, canonical files) skip the slow path.
    national = pl.col("raw").str.slice(3)
    frame = frame.with_columns(
        stored_fixed=(
            pl.col("raw").str.contains(r"^\+86[0-9]{5,14}$")
            & national.str.contains(_FIXED_PATTERN)
            & national.str.contains(_GENERAL_PATTERN)
        ).fill_null(False)
    ).with_columns(
        nat=pl.when(pl.col("stored_fixed")).then(national).otherwise("nat"),
        fast=pl.col("fast") | pl.col("stored_fixed"),
    )
    slow_values = (
        frame.filter(~pl.col("fast") & pl.col("raw").is_not_null())["raw"].unique().to_list()
    )
    results = [presented_number(v, region) for v in slow_values]
    lookup = pl.DataFrame(
        {
            "raw": pl.Series(slow_values, dtype=pl.String),
            "slow_stored": pl.Series([r[0] for r in results], dtype=pl.String),
            "slow_flag": pl.Series([r[1] for r in results], dtype=pl.String),
            "slow_reason": pl.Series([r[2] for r in results], dtype=pl.String),
        }
    )
    out = frame.join(lookup, on="raw", how="left", maintain_order="left").select(
        stored=pl.when(pl.col("fast"))
        .then(pl.lit("+" + _CN) + pl.col("nat"))
        .otherwise(pl.col("slow_stored")),
        flag=pl.when(pl.col("fast")).then(pl.lit(None, pl.String)).otherwise(pl.col("slow_flag")),
        reason=pl.when(pl.col("raw").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("fast"))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("slow_reason")),
    )
    return out["stored"], out["flag"], out["reason"]

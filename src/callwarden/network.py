"""On-net and off-net: whose number is it, and what may the operator do about it.

An operator can suspend or restrict only the numbers it serves. For every other number in an
alert it can intercept: block the presented number at its gateway for a while and report it,
with the evidence, to the carrier that owns it (for a virtual-operator number, the MVNO's host
carrier; for a foreign or invalid one, the international gateway and the regulator).

Which numbers the operator serves is configuration: a subscriber table (every number in it is
the operator's own), or a CSV of prefixes (column ``prefix``, E.164 like ``+86138`` or national
digits like ``138``). Without either, the default is China Mobile's ranges, which is what the
simulated city's own subscribers are drawn from.

>>> served = ServedNumbers()
>>> [network_of(n, served).value for n in ("+8613812345678", "+8613012345678", "+8617012345678")]
['own', 'domestic_mobile', 'virtual']
>>> [network_of(n, served).value for n in ("+861062345678", "+447911123456", "+8695588")]
['domestic_landline', 'foreign', 'service']
>>> network_of("+371573613369", served).value  # Latvian numbers have 8 digits: spoofed
'invalid'
>>> carrier_of("+8617012345678"), carrier_of("+8617101234567")
('China Telecom', 'China Unicom')
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import numpy as np
import phonenumbers
import polars as pl

from callwarden.errors import ConfigError
from callwarden.numbers import VIRTUAL_PREFIXES, NumberKind, classify

__all__ = [
    "CARRIER_PREFIXES",
    "DEFAULT_SERVED_PREFIXES",
    "Network",
    "NumberSet",
    "ServedNumbers",
    "carrier_of",
    "is_valid_number",
    "network_of",
    "network_series",
    "report_to",
    "valid_numbers",
]


class Network(StrEnum):
    """Who serves a number, as far as the operator's decisions go."""

    OWN = "own"  # the operator's own subscriber: restrict and suspend apply
    DOMESTIC_MOBILE = "domestic_mobile"  # another domestic carrier's mobile
    DOMESTIC_LANDLINE = "domestic_landline"  # a domestic fixed line (any carrier)
    VIRTUAL = "virtual"  # a virtual operator's range, served through a host carrier
    FOREIGN = "foreign"  # a valid number of another country
    SERVICE = "service"  # 95xxx, 100xx, 12xxx, 106 SMS ports, 400 and 800 lines
    INVALID = "invalid"  # no number anyone can own: malformed, unallocated, impossible

    @property
    def on_net(self) -> bool:
        return self is Network.OWN


# Mobile ranges by national prefix (MIIT allocations). Longer prefixes win over shorter ones.
# Virtual-operator (MVNO) ranges map to their host carrier.
CARRIER_PREFIXES: dict[str, str] = {
    **{
        p: "China Mobile"
        for p in (
            "134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157",
            "158", "159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
            "1703", "1705", "1706", "165",
        )
    },
    **{
        p: "China Unicom"
        for p in (
            "130", "131", "132", "145", "146", "155", "156", "166", "175", "176", "185", "186",
            "196", "1704", "1707", "1708", "1709", "171", "167",
        )
    },
    **{
        p: "China Telecom"
        for p in (
            "133", "1349", "149", "153", "173", "174", "177", "180", "181", "189", "190", "191",
            "193", "199", "1700", "1701", "1702", "162",
        )
    },
    "192": "China Broadnet",
}  # fmt: skip
#: virtual-operator mobile ranges (the MVNOs' numbers; their host carrier answers for them)
VIRTUAL_RANGES: tuple[str, ...] = VIRTUAL_PREFIXES
#: the ranges served by default: China Mobile's own (not its MVNOs' 1703/1705/1706/165)
DEFAULT_SERVED_PREFIXES: tuple[str, ...] = tuple(
    "+86" + p
    for p, c in CARRIER_PREFIXES.items()
    if c == "China Mobile" and not p.startswith(VIRTUAL_RANGES)
)


def carrier_of(e164: str) -> str | None:
    """The carrier that owns a Chinese mobile number (the host carrier for an MVNO range)."""
    if not e164.startswith("+861"):
        return None
    national = e164[3:]
    for length in (4, 3):
        owner = CARRIER_PREFIXES.get(national[:length])
        if owner is not None:
            return owner
    return None


@lru_cache(maxsize=1_000_000)
def is_valid_number(e164: str) -> bool:
    """True when the number can belong to someone (phonenumbers' metadata, or a CN service line).

    Stricter than ingest, which keeps a foreign number whose length is merely possible: here a
    number is judged for what may be done to it, and a number nobody can own is spoofed.

    >>> is_valid_number("+8613812345678"), is_valid_number("+8612"), is_valid_number("garbage")
    (True, False, False)
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.is_valid_number(parsed):
        return True
    return e164.startswith("+86") and classify(e164) is NumberKind.SERVICE


#: the descriptions a valid number of a region matches one of (phonenumbers' number types)
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")  # fmt: skip


def _desc_matches(national: pl.Expr, desc: phonenumbers.PhoneNumberDesc | None) -> pl.Expr:
    """phonenumbers' ``_is_number_matching_desc`` over a column of national digits: a possible
    length, and the whole text matching the pattern."""
    if desc is None or not desc.national_number_pattern:
        return pl.lit(value=False)
    fits = national.str.contains(f"^(?:{desc.national_number_pattern})$")
    if desc.possible_length:
        fits &= national.str.len_bytes().is_in(list(desc.possible_length))
    return fits


def _home_rule(country_code: int = 86) -> tuple[str, pl.Expr, str]:
    """For numbers of ``country_code``: the E.164 prefix, whether national digits are a valid
    number, and the national prefixes parsing would strip (such numbers are asked in full)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert meta is not None  # noqa: S101  (phonenumbers has every country code's region)
    national = pl.col("national")
    types = [_desc_matches(national, getattr(meta, t)) for t in _TYPES]
    valid = _desc_matches(national, meta.general_desc) & pl.any_horizontal(types)
    return f"+{country_code}", valid, meta.national_prefix_for_parsing or ""


def valid_numbers(numbers: pl.Series) -> np.ndarray:
    """:func:`is_valid_number` of a whole column, the same answers (the suite compares).

    Chinese numbers in E.164 (``+86``, the national digits not starting with 0 nor with a
    prefix that parsing would strip) are judged by phonenumbers' own metadata patterns as
    column expressions: what ``phonenumbers.is_valid_number`` does one number at a time,
    without parsing each (most numbers of a day are such, and asking the library one by one
    costs about 30 µs a number). Every other number, and every one those patterns reject
    (service lines), is asked of :func:`is_valid_number`.

    >>> valid_numbers(pl.Series(["+8613812345678", "+8612", "+371573613369", None])).tolist()
    [True, False, False, False]
    """
    prefix, valid, strip = _home_rule()
    frame = pl.DataFrame({"n": numbers.cast(pl.String)}).with_columns(
        national=pl.col("n").str.strip_prefix(prefix)
    )
    plain = (
        pl.col("n").str.starts_with(prefix)
        & pl.col("national").str.contains(r"^[1-9][0-9]{6,11}$")
        & ~pl.col("national").str.contains(f"^(?:{strip})" if strip else "^$")
    )
    fast = frame.select(plain.fill_null(value=False), (valid & plain).fill_null(value=False))
    out = fast.to_series(1).to_numpy().copy()
    ask = np.flatnonzero(~out)
    texts = frame["n"].gather(pl.Series(ask, dtype=pl.UInt32)).to_list()
    out[ask] = [bool(t) and is_valid_number(t) for t in texts]
    return out


class NumberSet:
    """A large set of numbers kept compact: those that spell ``+`` and a whole number (E.164)
    as a sorted int64 array, any other text in a set of its own. A subscriber table of a
    million numbers takes 8 MB here, against some 300 MB as a set of Python strings.

    >>> table = NumberSet.of(pl.Series(["+8617012345678", "+21620123456", "5e1272273e041e82"]))
    >>> "+8617012345678" in table, "5e1272273e041e82" in table, "+086170" in table
    (True, True, False)
    >>> len(table), "+8617012345679" in table
    (3, False)
    """

    def __init__(self, keys: np.ndarray, others: frozenset[str]) -> None:
        self._keys = keys  # sorted, distinct
        self._others = others

    @classmethod
    def of(cls, numbers: pl.Series) -> NumberSet:
        from callwarden.records.codes import whole_numbers  # noqa: PLC0415  (numba: on use)

        texts = numbers.cast(pl.String).drop_nulls()
        keys, _ = whole_numbers(texts, "+")
        others = frozenset(texts.filter(pl.Series(keys < 0)).to_list())
        # a sort and the first of each run: numpy's ``unique`` of a million keys costs ten
        # times as much as their sort
        ordered = np.sort(keys[keys >= 0])
        distinct = np.ones(ordered.shape[0], dtype=bool)
        distinct[1:] = ordered[1:] != ordered[:-1]
        return cls(ordered[distinct], others)

    def __len__(self) -> int:
        return int(self._keys.shape[0]) + len(self._others)

    def __contains__(self, e164: object) -> bool:
        if not isinstance(e164, str):
            return False
        key = _whole_key(e164)
        if key is None:
            return e164 in self._others
        at = int(np.searchsorted(self._keys, key))
        return at < self._keys.shape[0] and int(self._keys[at]) == key


def _whole_key(e164: str) -> int | None:
    """The integer ``+digits`` spells as ``records/codes.py`` reads it (its own rule:
    :func:`~callwarden.records.codes.spelled`), else None."""
    from callwarden.records.codes import spelled  # noqa: PLC0415  (numba: on use)

    text = np.frombuffer(e164.encode(), np.uint8)
    key = int(spelled(text, 0, text.shape[0], _PLUS))
    return None if key < 0 else key


_PLUS = np.frombuffer(b"+", np.uint8)


@dataclass(frozen=True)
class ServedNumbers:
    """The numbers the operator serves: a subscriber table, else prefixes.

    >>> ServedNumbers(numbers=frozenset({"+8617012345678"})).serves("+8617012345678")
    True
    >>> ServedNumbers(prefixes=("+86130",)).serves("+8613812345678")
    False
    """

    prefixes: tuple[str, ...] = DEFAULT_SERVED_PREFIXES
    #: every number of the subscriber table, when one is given; then prefixes are not used
    numbers: frozenset[str] | NumberSet | None = field(default=None, repr=False)

    def serves(self, e164: str) -> bool:
        """In the table (whatever it looks like), or in a served range and a valid number
        (``+86138123456789`` has one digit too many: nobody holds it, so it is spoofed)."""
        if self.numbers is not None:
            return e164 in self.numbers
        return e164.startswith(self.prefixes) and is_valid_number(e164)

    @classmethod
    def from_numbers(cls, numbers: Iterable[str] | pl.Series) -> ServedNumbers:
        """Every number of a subscriber table is served (a column of it is kept compact:
        :class:`NumberSet`)."""
        if isinstance(numbers, pl.Series):
            return cls(numbers=NumberSet.of(numbers))
        return cls(numbers=frozenset(numbers))

    @classmethod
    def from_csv(cls, path: Path) -> ServedNumbers:
        """A CSV with a ``prefix`` column: ``+86138`` or ``138`` (national, China)."""
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ConfigError(f"{path}: cannot read the served prefixes ({exc})") from None
        if not rows or "prefix" not in rows[0]:
            raise ConfigError(f"{path}: needs a 'prefix' column (e.g. +86138 or 138)")
        prefixes = []
        for line, row in enumerate(rows, start=2):
            raw = (row.get("prefix") or "").strip().replace(" ", "")
            digits = raw.removeprefix("+")
            if not digits.isascii() or not digits.isdigit() or len(digits) > 15:
                raise ConfigError(f"{path}: row {line}: prefix {raw!r} is not digits")
            prefixes.append(raw if raw.startswith("+") else "+86" + raw)
        return cls(prefixes=tuple(prefixes))


def network_of(e164: str, served: ServedNumbers) -> Network:
    """Which kind of network serves a number, for the operator's decision about it.

    A number of the subscriber table is the operator's whatever it looks like; a number that
    merely falls in a served range is only when it is valid (see :meth:`ServedNumbers.serves`).

    >>> network_of("+86138123456789", ServedNumbers()).value
    'invalid'
    """
    if served.serves(e164):
        return Network.OWN
    if not is_valid_number(e164):
        return Network.INVALID
    kind = classify(e164)
    if kind is NumberKind.INTERNATIONAL:
        return Network.FOREIGN
    if kind in (NumberKind.SERVICE, NumberKind.ENTERPRISE):
        return Network.SERVICE
    if kind is NumberKind.VIRTUAL_MOBILE:
        return Network.VIRTUAL
    if kind is NumberKind.LANDLINE:
        return Network.DOMESTIC_LANDLINE
    return Network.DOMESTIC_MOBILE


def network_series(numbers: pl.Series, served: ServedNumbers) -> pl.Series:
    """:func:`network_of` for a column, once per distinct number."""
    distinct = numbers.unique().drop_nulls().to_list()
    lookup = {n: network_of(n, served).value for n in distinct}
    return numbers.replace_strict(lookup, default=None, return_dtype=pl.String)


def report_to(e164: str, network: Network) -> str:
    """Whom an interception is reported to, with its evidence.

    >>> report_to("+8617012345678", Network.VIRTUAL)
    'China Telecom (host carrier of the virtual operator)'
    >>> report_to("+371573613369", Network.INVALID)
    'international gateway and the regulator (12321)'
    """
    if network is Network.VIRTUAL:
        return f"{carrier_of(e164) or 'the host carrier'} (host carrier of the virtual operator)"
    if network is Network.DOMESTIC_MOBILE:
        return carrier_of(e164) or "the owning carrier"
    if network is Network.DOMESTIC_LANDLINE:
        return "the local fixed-line carrier"
    if network is Network.SERVICE:
        return "the service line's carrier and the regulator (12321)"
    if network is Network.FOREIGN:
        return "international gateway and the owning foreign carrier"
    if network is Network.INVALID:
        return "international gateway and the regulator (12321)"
    # the operator's own number, presented by someone else from outside its mobile core
    return "the operator's own gateways (calls presenting its subscriber's number from outside)"

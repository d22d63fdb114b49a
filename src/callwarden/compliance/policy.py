"""A business's outbound policy: its lines, calling hours and frequency limits per person.

One TOML file per business (every field in docs/outbound.md), checked with pydantic when it is
installed, so a wrong field is an error naming it, never a surprise on a live dial. Calling
hours are the callee's local time: the policy's zone for a number of its home country, the
number's own zone(s) for a foreign one (all of them must be inside the hours when a country
spans several zones).

>>> p = parse_policy('lines = ["02161234567"]\\n[hours]\\nwindows = ["09:00-20:00"]', "p.toml")
>>> p.lines, p.category.value, [(w.calls, w.days) for w in p.limits]
(('+862161234567',), 'marketing', [(2, 1)])
>>> from datetime import datetime
>>> p.inside_hours(datetime(2026, 12, 2, 21, 30, tzinfo=p.zone), "+8613812345678")
False
>>> parse_policy('lines = []', "p.toml")
Traceback (most recent call last):
...
callwarden.errors.ConfigError: p.toml: lines: Tuple should have at least 1 item ...
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.numbers import try_normalise
from callwarden.policy_files import load_model, parse_model
from callwarden.reputation.categories import Category
from callwarden.screen.policy import Day, Window, weekday

__all__ = ["CallingHours", "Limit", "OutboundPolicy", "load_policy", "parse_policy", "zones_of"]


def _line(value: str) -> str:
    """A caller line as stored (E.164); a line nobody can own cannot be registered."""
    e164, reason = try_normalise(str(value))
    if e164 is None:
        raise ValueError(str(reason))
    return e164


Line = Annotated[str, AfterValidator(_line)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CallingHours(_Part):
    """When the business may call a person, in the person's local time."""

    #: times of day; a call must start inside one of them
    windows: tuple[Window, ...] = Field(
        default_factory=lambda: (
            Window.model_validate("09:00-12:00"),
            Window.model_validate("14:00-20:00"),
        ),
        min_length=1,
    )
    days: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    #: dates (YYYY-MM-DD, the person's local date) with no marketing calls at all
    closed_on: tuple[str, ...] = ()

    @field_validator("closed_on")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) is None:
                raise ValueError(f"{day!r} is not a date written YYYY-MM-DD")
        return value


class Limit(_Part):
    """At most ``calls`` calls to one person in any ``days`` x 24 hours."""

    calls: int = Field(ge=1, le=10_000)
    days: int = Field(ge=1, le=90)


class OutboundPolicy(_Part):
    """One business's outbound rules."""

    #: a label for people (``"海景房销售"``)
    name: str = Field(default="", max_length=200)
    #: what its calls are, in the categories of the complaint statistics (real_estate, ...)
    category: Category = Category.MARKETING
    timezone: str = DEFAULT_TIMEZONE
    home_country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    #: marketing calls need the person's consent on the register (false: service calls)
    consent_required: bool = True
    #: every caller line the business dials from, its own and its vendors' (外呼业务号码)
    lines: tuple[Line, ...] = Field(min_length=1, max_length=100_000)
    #: the vendors (call-centre companies) that dial for it, for the record
    vendors: tuple[str, ...] = ()
    hours: CallingHours = Field(default_factory=CallingHours)
    limits: tuple[Limit, ...] = Field(default=(Limit(calls=2, days=1),), max_length=10)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def line_set(self) -> frozenset[str]:
        return frozenset(self.lines)

    @cached_property
    def longest_window_s(self) -> int:
        return max((w.days for w in self.limits), default=0) * 86_400

    @cached_property
    def _closed(self) -> frozenset[str]:
        return frozenset(self.hours.closed_on)

    def inside_hours(self, at: datetime, callee: str) -> bool:
        """Whether a call to ``callee`` (E.164) at ``at`` is inside the calling hours in the
        callee's local time (every zone of its number, when it has several)."""
        return all(self.inside_hours_at(at.astimezone(z)) for z in zones_of(callee, self))

    def inside_hours_at(self, local: datetime) -> bool:
        if weekday(local.weekday()) not in self.hours.days:
            return False
        if self._closed and local.date().isoformat() in self._closed:
            return False
        clock = local.time().replace(tzinfo=None)
        return any(w.covers(clock) for w in self.hours.windows)


def zones_of(callee: str, policy: OutboundPolicy) -> tuple[ZoneInfo, ...]:
    """The time zones a person with this number may be in: the policy's zone at home."""
    if callee.startswith("+") and _country_of(callee) == policy.home_country:
        return (policy.zone,)
    zones = _zones(callee)
    return zones or (policy.zone,)


@lru_cache(maxsize=65_536)
def _country_of(e164: str) -> str:
    if e164.startswith("+86"):
        return "CN"
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


@lru_cache(maxsize=65_536)
def _zones(e164: str) -> tuple[ZoneInfo, ...]:
    try:
        names = number_zones.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ()
    out = []
    for name in names:
        try:
            out.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):  # Etc/Unknown: the number says no zone
            continue
    return tuple(out)


def parse_policy(text: str, source: str = "policy") -> OutboundPolicy:
    """A policy from its TOML text; a :class:`ConfigError` naming ``source`` and the field."""
    return parse_model(OutboundPolicy, text, source)


def load_policy(path: Path) -> tuple[OutboundPolicy, str]:
    """A policy file: the policy and its text (kept as installed)."""
    return load_model(OutboundPolicy, path)

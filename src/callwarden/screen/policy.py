"""A hotline's screening policy: lists, mark bands, the IVR challenge, routing and hours.

One TOML file per policy version (docs/screening.md shows every field). It is checked with
pydantic when it is installed or dry-run, so a wrong field is an error that names it, never a
surprise on a live call.

>>> policy = parse_policy('''
... allow = ["13812345678"]
... [[bands]]
... categories = ["fraud"]
... min_score = 0.5
... action = "block"
... ''', "p.toml")
>>> policy.allow, policy.bands[0].action
(('+8613812345678',), 'block')
>>> parse_policy('[[bands]]\\ncategories = ["frod"]\\naction = "block"', "p.toml")
Traceback (most recent call last):
...
callwarden.errors.ConfigError: p.toml: bands.0.categories.0: Input should be 'fraud', ...
"""

from __future__ import annotations

import re
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.numbers import presented_number
from callwarden.policy_files import load_model, parse_model
from callwarden.reputation.categories import Category

__all__ = [
    "ACTIONS",
    "Action",
    "Band",
    "Challenge",
    "Hours",
    "Policy",
    "Route",
    "Window",
    "load_policy",
    "parse_policy",
]

Action = Literal["allow", "block", "challenge", "route"]
#: every action the decision API answers, the most severe first
ACTIONS: tuple[Action, ...] = ("block", "challenge", "route", "allow")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _queue(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.:@-]{1,64}", value) is None:
        raise ValueError(
            "a queue is 1 to 64 letters, digits or _ . : @ - (it is sent to the SIP proxy)"
        )
    return value


Queue = Annotated[str, AfterValidator(_queue)]


def _number(value: str) -> str:
    """A listed number as it is stored (any number a switch presents; foreign ones too)."""
    stored, _, reason = presented_number(str(value))
    if stored is None:
        raise ValueError(reason)
    return stored


ListedNumber = Annotated[str, AfterValidator(_number)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Window(_Part):
    """A time of day range, ``"09:00-18:00"``; one that wraps midnight (``"22:00-06:00"``)
    covers the night."""

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
            if m is None:
                raise ValueError('write a window as "HH:MM-HH:MM", e.g. "09:00-18:00"')
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
                raise ValueError(f"{value.strip()!r} is not a time of day range")
            end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
            return {"start": time(h1, m1), "end": end}
        return value

    def covers(self, at: time) -> bool:
        if self.start <= self.end:
            return self.start <= at < self.end or (self.end == time.max and at == time.max)
        return at >= self.start or at < self.end


class Band(_Part):
    """Callers with a mark in one of ``categories`` scoring in [min_score, max_score] get
    ``action``. Bands are tried in order; the first that matches one of the caller's marks
    decides (put a ``verified_business`` allow band first to let labelled firms through)."""

    categories: tuple[Category, ...] = Field(min_length=1)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    max_score: float = Field(default=1.0, ge=0.0, le=1.0)
    action: Literal["allow", "block", "challenge"]

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min_score > self.max_score:
            raise ValueError("min_score is above max_score")
        return self


class Challenge(_Part):
    """The IVR challenge (输入业务编码): the caller is asked for a business code."""

    #: what the caller must key in (1 to 12 digits, * or #)
    code: str = Field(pattern=r"^[0-9*#]{1,12}$")
    #: wrong codes allowed within ``window_minutes`` before the caller is blocked
    retries: int = Field(default=3, ge=1, le=10)
    window_minutes: int = Field(default=30, ge=1, le=1440)
    #: where the SIP proxy sends a challenged call (the IVR that asks for the code)
    queue: Queue = "ivr"


class Route(_Part):
    """Send matching calls to ``queue``; every condition given must hold. Routes are tried in
    order, the first match wins; a call no route takes goes to the policy's ``default_queue``."""

    queue: Queue
    #: times of day (in the policy's time zone) when this route applies
    hours: Window | None = None
    days: tuple[Day, ...] | None = None
    #: the caller's region (归属地) starts with one of these, in Chinese or English
    #: (``广东``, ``北京``, ``Guangdong``)
    regions: tuple[str, ...] = ()
    #: the caller's country (ISO code, ``US``, ``GB``)
    countries: tuple[str, ...] = ()
    #: true: callers from outside the home country only; false: from inside only
    foreign: bool | None = None

    @field_validator("countries")
    @classmethod
    def _iso(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if re.fullmatch(r"[A-Za-z]{2}", code) is None:
                raise ValueError(f"{code!r} is not a two-letter country code (US, GB, HK)")
        return tuple(c.upper() for c in value)


class Hours(_Part):
    """Opening hours; outside them every call that is not blocked goes to the auto-reply."""

    open: Window = Field(default_factory=lambda: Window.model_validate("09:00-18:00"))
    days: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri")
    #: dates (YYYY-MM-DD) the line is closed all day (public holidays)
    closed_on: tuple[str, ...] = ()
    auto_reply_queue: Queue = "auto_reply"
    message_zh: str = Field(default="您好，现在是非工作时间，请在工作时间再来电。", max_length=500)
    message_en: str = Field(
        default="Hello, we are closed now; please call again during opening hours.",
        max_length=500,
    )

    @field_validator("closed_on")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for day in value:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) is None:
                raise ValueError(f"{day!r} is not a date written YYYY-MM-DD")
        return value


class Policy(_Part):
    """One version of a hotline's screening policy."""

    #: a label for people (``"spring campaign"``); the version number is given on install
    name: str = Field(default="", max_length=200)
    timezone: str = DEFAULT_TIMEZONE
    #: the agents' queue for calls no route takes
    default_queue: Queue = "agents"
    #: key customers: never blocked or challenged, whatever their marks
    allow: tuple[ListedNumber, ...] = Field(default=(), max_length=100_000)
    block: tuple[ListedNumber, ...] = Field(default=(), max_length=100_000)
    #: block every caller whose number (E.164) starts with one of these (``+86170``)
    block_prefixes: tuple[str, ...] = ()
    bands: tuple[Band, ...] = ()
    #: callers whose number nobody can own (spoofed, unallocated, malformed) or that is
    #: withheld or unreadable; default: challenge when a challenge is set, else allow
    odd_caller: Literal["allow", "block", "challenge"] | None = None
    #: callers from outside the home country (checked after the lists, before the marks)
    foreign_caller: Literal["allow", "block", "challenge"] = "allow"
    #: the home country (ISO code) for ``foreign``
    home_country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    challenge: Challenge | None = None
    routes: tuple[Route, ...] = ()
    hours: Hours | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("block_prefixes")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if re.fullmatch(r"\+[0-9]{1,17}", prefix) is None:
                raise ValueError(f"{prefix!r}: write a prefix as + and digits, e.g. +86170")
        return value

    @model_validator(mode="after")
    def _challenge_set(self) -> Policy:
        wanted = [f"bands.{i}" for i, b in enumerate(self.bands) if b.action == "challenge"]
        wanted += [f for f in ("odd_caller", "foreign_caller") if getattr(self, f) == "challenge"]
        if wanted and self.challenge is None:
            raise ValueError(
                f"{', '.join(wanted)} challenge callers, but there is no [challenge] section "
                "with the business code"
            )
        both = set(self.allow) & set(self.block)
        if both:
            raise ValueError(f"numbers on both the allow and block lists: {sorted(both)[:5]}")
        return self

    @cached_property
    def allow_set(self) -> frozenset[str]:
        return frozenset(self.allow)

    @cached_property
    def block_set(self) -> frozenset[str]:
        return frozenset(self.block)

    @property
    def odd_action(self) -> Literal["allow", "block", "challenge"]:
        if self.odd_caller is not None:
            return self.odd_caller
        return "challenge" if self.challenge is not None else "allow"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_policy(text: str, source: str = "policy") -> Policy:
    """A policy from its TOML text; a :class:`ConfigError` naming ``source`` and the field."""
    return parse_model(Policy, text, source)


def load_policy(path: Path) -> tuple[Policy, str]:
    """A policy file: the policy and its text (kept as installed, for ``policy show``)."""
    return load_model(Policy, path)


def weekday(index: int) -> str:
    """``mon`` for 0 (Python's weekday numbering)."""
    return _DAYS[index]

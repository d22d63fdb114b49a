"""The campaign file: four phases with dates, and what to do for each kind of subscriber.

One TOML file, validated whole (every problem names its field). Dates are local days in the
campaign's time zone, both ends included::

    name = "taiyuan-2026"
    [phases]
    reminder = ["2026-09-01", "2026-09-30"]      # 催告补登期
    suspension = ["2026-10-01", "2026-10-10"]    # 实施停机期
    registration = ["2026-10-11", "2026-11-30"]  # 停机补登期
    termination = ["2026-12-01", "2026-12-15"]   # 销户实名登记期

A number's batch is the last four digits of its number modulo ``suspension.batches``: batch
``b`` is suspended on day ``b`` of the suspension phase (day 0 is its first), warned
``reminders.before_suspension_days`` before, and terminated on day ``b`` of the termination
phase if it is still suspended then.

>>> c = Campaign.model_validate({"name": "t", "phases": {
...     "reminder": ["2026-09-01", "2026-09-30"], "suspension": ["2026-10-01", "2026-10-10"],
...     "registration": ["2026-10-11", "2026-11-30"], "termination": ["2026-12-01", "2026-12-15"]},
...     "suspension": {"batches": 5}})
>>> c.phase_on(date(2026, 10, 3)), c.batch_of("+8613812340007"), c.suspend_day(2)
('suspension', 2, datetime.date(2026, 10, 3))
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callwarden.config import DEFAULT_TIMEZONE, load_model
from callwarden.realname.kinds import KINDS

__all__ = ["PHASES", "Campaign", "KindActions", "Phases"]

#: the four phases in order: (name, zh)
PHASES: tuple[tuple[str, str], ...] = (
    ("reminder", "催告补登期"),
    ("suspension", "实施停机期"),
    ("registration", "停机补登期"),
    ("termination", "销户实名登记期"),
)

_BRING: dict[str, tuple[str, str]] = {
    "never_registered": (
        "机主本人有效身份证件原件(居民身份证等)",
        "the owner's valid ID (resident ID card or passport)",
    ),
    "incomplete": (
        "机主本人有效身份证件原件, 补全缺少的登记信息",
        "the owner's valid ID, to complete what is missing",
    ),
    "user_differs": (
        "机主和实际使用人的有效身份证件原件(办理过户或登记使用人)",
        "the valid IDs of the owner and of the person who uses the line (to transfer it or "
        "register the user)",
    ),
    "corporate": (
        "单位营业执照副本(加盖公章)、单位授权书、经办人和实际使用人的有效身份证件",
        "the company's business licence copy with its seal, an authorisation letter, and the "
        "IDs of the agent and of the user",
    ),
}
_WHERE = (
    "就近营业厅或授权代理网点, 登记信息不全的也可在网上营业厅补登",
    "any business hall or authorised partner outlet; missing details can also be completed "
    "in the online hall",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindActions(_Strict):
    """What the campaign does for one kind of unregistered subscriber."""

    #: SMS reminders (催告短信) on reminder days, and the warning before suspension
    sms: bool = True
    #: the tag the hotline IVR reads to route the caller to real-name guidance (IVR 标签)
    ivr_tag: str | None = Field(default=None, max_length=32)
    #: put the number on the outbound call list on reminder days (corporate SIMs: the agent)
    outbound_call: bool = False
    #: suspend on the number's batch day, and terminate if still unregistered
    suspend: bool = True
    #: what to bring, in the customer's words: (zh, en); empty takes the built-in text
    bring_zh: str = Field(default="", max_length=200)
    bring_en: str = Field(default="", max_length=300)


def _default_kinds() -> dict[str, KindActions]:
    return {
        "never_registered": KindActions(ivr_tag="RN_NONE"),
        "incomplete": KindActions(ivr_tag="RN_INCOMPLETE"),
        "user_differs": KindActions(ivr_tag="RN_USER", outbound_call=True),
        "corporate": KindActions(ivr_tag="RN_CORP", outbound_call=True),
    }


class Phases(_Strict):
    """The four phases, each a pair of local dates (first, last), in order, not overlapping."""

    reminder: tuple[date, date]
    suspension: tuple[date, date]
    registration: tuple[date, date]
    termination: tuple[date, date]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        previous: tuple[str, date] | None = None
        for name, _ in PHASES:
            first, last = getattr(self, name)
            if last < first:
                raise ValueError(f"{name}: ends ({last}) before it starts ({first})")
            if previous is not None and first <= previous[1]:
                raise ValueError(
                    f"{name}: starts {first}, not after {previous[0]} ends ({previous[1]})"
                )
            previous = (name, last)
        return self


class Reminders(_Strict):
    #: a reminder on the first day of the reminder phase and every this many days after
    every_days: int = Field(default=7, ge=1, le=365)
    #: the warning before suspension (停机提醒), this many days before the number's batch day
    before_suspension_days: int = Field(default=3, ge=0, le=60)


class Suspension(_Strict):
    #: numbers are suspended over this many days from the first day of the suspension phase
    batches: int = Field(default=1, ge=1, le=366)
    #: days an emergency restore (紧急复机, four eyes) lasts before the number is suspended again
    emergency_grace_days: int = Field(default=7, ge=1, le=90)


class Warning(_Strict):
    #: early warning when the day's complaints about the campaign exceed this many
    complaints_per_day: int = Field(default=20, ge=0)
    #: complaints in the last 7 days that make a frequent complainer (高频投诉客户)
    frequent_complainer: int = Field(default=3, ge=2, le=1000)
    #: the named agent (专人) who follows the frequent complainers
    agent: str = Field(default="", max_length=64)


class Campaign(_Strict):
    """One real-name campaign, as its file says."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    timezone: str = DEFAULT_TIMEZONE
    hotline: str = Field(default="10086", max_length=20)
    #: where to register, in the customer's words: (zh, en); empty takes the built-in text
    where_zh: str = Field(default="", max_length=200)
    where_en: str = Field(default="", max_length=300)
    #: language of the SMS when the subscriber's profile does not say: zh or en
    language: str = Field(default="zh", pattern="^(zh|en)$")
    phases: Phases
    reminders: Reminders = Reminders()
    suspension: Suspension = Suspension()
    warning: Warning = Warning()
    kinds: dict[str, KindActions] = Field(default_factory=_default_kinds)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: dict[str, KindActions]) -> dict[str, KindActions]:
        unknown = sorted(set(value) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown kind(s) {', '.join(unknown)} (known: {', '.join(KINDS)})")
        return {**_default_kinds(), **value}

    @model_validator(mode="after")
    def _fits(self) -> Self:
        first, last = self.phases.suspension
        if self.suspension.batches > (last - first).days + 1:
            raise ValueError(
                f"suspension.batches: {self.suspension.batches} batches do not fit in the "
                f"{(last - first).days + 1} days of the suspension phase"
            )
        t_first, t_last = self.phases.termination
        if self.suspension.batches > (t_last - t_first).days + 1:
            raise ValueError(
                f"suspension.batches: {self.suspension.batches} batches do not fit in the "
                f"{(t_last - t_first).days + 1} days of the termination phase"
            )
        return self

    @classmethod
    def load(cls, path: Path) -> Self:
        return load_model(cls, path)

    # ------------------------------------------------------------------ the calendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def first_day(self) -> date:
        return self.phases.reminder[0]

    @property
    def last_day(self) -> date:
        return self.phases.termination[1]

    def phase_on(self, day: date) -> str | None:
        """The phase ``day`` falls in, or None (before, between or after the phases)."""
        for name, _ in PHASES:
            first, last = getattr(self.phases, name)
            if first <= day <= last:
                return name
        return None

    def batch_of(self, msisdn: str) -> int:
        """The number's batch: its last four digits modulo the batches."""
        digits = "".join(ch for ch in msisdn[-4:] if ch.isdigit()) or "0"
        return int(digits) % self.suspension.batches

    def suspend_day(self, batch: int) -> date:
        return self.phases.suspension[0] + timedelta(days=batch)

    def warn_day(self, batch: int) -> date:
        return self.suspend_day(batch) - timedelta(days=self.reminders.before_suspension_days)

    def terminate_day(self, batch: int) -> date:
        return self.phases.termination[0] + timedelta(days=batch)

    def is_reminder_day(self, day: date) -> bool:
        first, last = self.phases.reminder
        return first <= day <= last and (day - first).days % self.reminders.every_days == 0

    def bring(self, kind: str, language: str) -> str:
        actions = self.kinds[kind]
        own = actions.bring_zh if language == "zh" else actions.bring_en
        return own or _BRING[kind][0 if language == "zh" else 1]

    def where(self, language: str) -> str:
        own = self.where_zh if language == "zh" else self.where_en
        return own or _WHERE[0 if language == "zh" else 1]

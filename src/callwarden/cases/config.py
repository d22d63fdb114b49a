"""Case settings: business calendar, step SLAs, risk tiers, hotline, one-time codes.

One typed file (``--cases-config cases.toml``); every field has a default that suits a
mainland operator, so the embedded demo runs without one.

>>> cfg = CaseConfig()
>>> cfg.sla_minutes["under_review"], cfg.hotline
(120, '10086')
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callwarden.config import DEFAULT_TIMEZONE, load_model
from callwarden.network import DEFAULT_SERVED_PREFIXES

__all__ = ["ApiConfig", "CalendarConfig", "CaseConfig"]

# The State Council's 2026 holiday notice: days off, and the weekend days that are worked instead
# (调休). Operators replace both lists each year when the next notice is published.
HOLIDAYS_2026 = [
    *(date(2026, 1, d) for d in (1, 2, 3)),
    *(date(2026, 2, d) for d in range(15, 24)),
    *(date(2026, 4, d) for d in (4, 5, 6)),
    *(date(2026, 5, d) for d in range(1, 6)),
    *(date(2026, 6, d) for d in (19, 20, 21)),
    *(date(2026, 9, d) for d in (25, 26, 27)),
    *(date(2026, 10, d) for d in range(1, 8)),
]
WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


class CalendarConfig(BaseModel):
    """When the back office works: SLA clocks only run inside these hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = DEFAULT_TIMEZONE
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    #: ISO weekdays that are working days (1 = Monday)
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    holidays: tuple[date, ...] = tuple(HOLIDAYS_2026)
    #: weekend days that are worked (make-up days)
    extra_workdays: tuple[date, ...] = tuple(WORKDAYS_2026)

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError("closes must be later than opens")
        if not self.weekdays or any(d < 1 or d > 7 for d in self.weekdays):
            raise ValueError("weekdays must be ISO weekday numbers 1..7")
        return self


class ApiConfig(BaseModel):
    """How ``callwarden serve`` meets the network (section ``[api]`` of the case settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: largest request body accepted; larger ones are answered 413 before they are read whole
    max_body_bytes: int = Field(default=1_000_000, ge=1024, le=1_000_000_000)
    #: self-service requests (codes, sessions, the customer's page) per client address a minute
    self_service_per_minute: int = Field(default=30, ge=1)
    #: addresses of reverse proxies whose X-Forwarded-For is believed; empty (the default)
    #: trusts none, so a client cannot pick the address its rate limit is counted against
    trusted_proxies: tuple[str, ...] = ()
    #: a log line per request (uvicorn's access log); off by default: on the screening API
    #: writing it costs more than the decision
    access_log: bool = False


class CaseConfig(BaseModel):
    """Everything the case service needs to know about the operator's own rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar: CalendarConfig = CalendarConfig()
    #: business minutes each operator step may take; steps waiting for the customer have none
    sla_minutes: dict[str, int] = Field(
        default_factory=lambda: {
            "under_review": 120,
            "awaiting_second_approval": 60,
            "approved": 30,
        }
    )
    #: at or above this risk a restore needs a second approver, and verification in person
    high_risk_score: float = Field(default=0.9, ge=0, le=1)
    hotline: str = "10086"
    #: where customers follow their case (the self-service page)
    self_service_url: str = "https://example.invalid/self-service"
    #: language of notices when the subscriber's is unknown: zh (default) or en
    language: str = "zh"
    otp_ttl_minutes: int = Field(default=10, ge=1)
    otp_max_per_window: int = Field(default=3, ge=1, description="codes per number per TTL")
    otp_max_attempts: int = Field(default=5, ge=1)
    session_minutes: int = Field(default=30, ge=1)
    #: the number ranges the operator serves (E.164 prefixes); numbers with a subscriber
    #: profile in the case database are served whatever their prefix
    served_prefixes: tuple[str, ...] = DEFAULT_SERVED_PREFIXES
    #: automatic suspensions per local day, counted in the case database across every scorer
    #: process (the policy's own cap is per process); beyond it a person reviews instead.
    #: None leaves the cap to the scorers.
    daily_suspension_cap: int | None = Field(default=500, ge=0)
    #: days a number the operator does not serve stays blocked at the gateway after an alert
    intercept_days: int = Field(default=30, ge=1, le=3650)
    #: complaints one complainant may file in 24 hours (subscribers and named reporters)
    complaints_per_day: int = Field(default=20, ge=1)
    api: ApiConfig = ApiConfig()

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.language not in ("zh", "en"):
            raise ValueError("language must be zh or en")
        if any(m <= 0 for m in self.sla_minutes.values()):
            raise ValueError("sla_minutes must be positive")
        return self

    @classmethod
    def load(cls, path: Path | None) -> Self:
        return load_model(cls, path)

"""Every parameter of the simulated city, typed, with documented defaults.

Counts of actors are given per million subscribers (``per_million``) with a floor
(``minimum``) so that even a small test city has at least one of each. A TOML file passed
with ``callwarden simulate --config FILE`` overrides any field, e.g.::

    subscribers = 200000
    [relay_call]
    per_million = 800
    gap_s = 110

>>> cfg = SimulationConfig(subscribers=2000)
>>> cfg.relay_call.count(cfg.subscribers) >= 1
True
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callwarden.config import DEFAULT_TIMEZONE, load_toml, validation_message
from callwarden.errors import ConfigError

__all__ = [
    "ActorConfig",
    "CloudTrunkConfig",
    "CourierConfig",
    "NormalConfig",
    "NoticeLineConfig",
    "RelayCallConfig",
    "ReminderDeskConfig",
    "RideHailingConfig",
    "RobocallConfig",
    "RotationConfig",
    "SalesAgentConfig",
    "SalesTeamConfig",
    "SchoolRoundConfig",
    "ServiceLineConfig",
    "SimBoxConfig",
    "SimulationConfig",
    "SmsServicePortConfig",
    "SmsSpamConfig",
    "SpoofedWangiriConfig",
    "WangiriConfig",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorConfig(_Model):
    """How many of one actor type the city has."""

    per_million: float = Field(ge=0, description="actors per million subscribers")
    minimum: int = Field(default=1, ge=0, description="floor, so small cities have some")

    def count(self, subscribers: int) -> int:
        return max(self.minimum, math.ceil(self.per_million * subscribers / 1_000_000))


class NormalConfig(_Model):
    """Ordinary subscribers: reciprocal social circles and a diurnal rhythm."""

    calls_per_day: float = Field(default=8.0, gt=0, description="mean outgoing attempts a day")
    rate_shape: float = Field(default=1.4, gt=0, description="gamma shape of personal rates")
    circle_size: int = Field(default=64, ge=4, description="people in one social community")
    in_circle_share: float = Field(default=0.80, ge=0, le=1)
    in_city_share: float = Field(default=0.08, ge=0, le=1, description="to anyone in the city")
    incoming_external_per_day: float = Field(
        default=1.5, ge=0, description="calls from other networks' numbers, per subscriber"
    )
    answer_rate: float = Field(default=0.82, ge=0, le=1)
    median_duration_s: float = Field(default=70.0, gt=0)
    sms_per_day: float = Field(default=0.6, ge=0, description="person-to-person SMS a day")


class CourierConfig(ActorConfig):
    """Couriers: dozens of short calls to distinct customers, moving between cells."""

    per_million: float = 5000
    calls_per_day: tuple[int, int] = (40, 90)
    callback_share: float = 0.15


class RideHailingConfig(ActorConfig):
    """Ride-hailing drivers: short calls to passengers, early till late."""

    per_million: float = 4000
    calls_per_day: tuple[int, int] = (15, 40)
    callback_share: float = 0.30


class SalesAgentConfig(ActorConfig):
    """Sales agents calling back a client book of their own, day after day."""

    per_million: float = 3000
    calls_per_day: tuple[int, int] = (30, 80)
    clients: tuple[int, int] = (150, 400)
    callback_share: float = 0.20


class ServiceLineConfig(ActorConfig):
    """Registered enterprise service lines (allow-listed): hundreds of dispatched calls."""

    per_million: float = 200
    calls_per_day: tuple[int, int] = (200, 600)
    callback_share: float = 0.05


class SmsServicePortConfig(ActorConfig):
    """106 SMS ports of banks and apps: many notifications, allow-listed."""

    per_million: float = 30
    sms_per_day: tuple[int, int] = (500, 3000)


class CallRoundConfig(ActorConfig):
    """People ringing down a list of people who know them, one after another: a class teacher
    calling the parents of the class, a community volunteer (often retired) calling the
    residents of a block. Most answer, talk a minute or two, and those who missed the call
    ring back. Absent from an ordinary city (``per_million = 0``); the adversarial suite's
    cities hold them (``simulate/scenarios.py``)."""

    per_million: float = 0
    minimum: int = 0
    calls: tuple[int, int] = Field(default=(20, 45), description="calls in the one round")
    retired_share: float = Field(default=0.4, ge=0, le=1, description="owner aged 60-72")
    answer_rate: float = 0.85
    median_talk_s: float = 75.0
    callback_share: float = 0.5


class ReminderLineConfig(ActorConfig):
    """A hospital's appointment reminders or a bank's notification line: a company landline,
    not on the allow list, working through the day's list at a clerk's steady pace, short
    answered calls, some people ringing back to check. Absent from an ordinary city."""

    per_million: float = 0
    minimum: int = 0
    calls_per_day: tuple[int, int] = (60, 240)
    gap_s: tuple[float, float] = Field(default=(45.0, 120.0), description="a line's mean gap")
    answer_rate: float = 0.7
    median_talk_s: float = 30.0
    callback_share: float = 0.15


class SalesTeamConfig(ActorConfig):
    """A sales team working one shared list of clients who agreed to be called (an insurer's
    renewals, a bank's wealth-management desk, an estate agency's registered buyers): the
    agents' corporate SIMs are numbers of one enterprise block, they sit in one office and keep
    its hours (a lunch break between), the list is handed out afresh each day so a client who
    missed a call is tried again later, often from a colleague's line; clients answer and talk,
    some ring back, and the same clients come round again on later days. ``per_million``
    counts teams. Absent from an ordinary city; the adversarial suite's cities hold them."""

    per_million: float = 0  # teams
    minimum: int = 0
    agents: tuple[int, int] = Field(default=(5, 15), description="agents (lines) in a team")
    list_per_agent: tuple[int, int] = Field(
        default=(120, 250), description="clients on the team's list, per agent"
    )
    clients_per_day: tuple[int, int] = Field(
        default=(25, 55), description="clients an agent works through in a day"
    )
    attempts: int = Field(default=3, ge=1, description="tries at most for a client who misses")
    answer_rate: float = Field(default=0.55, ge=0, le=1)
    median_talk_s: float = 150.0
    colleague_share: float = Field(
        default=0.5, ge=0, le=1, description="retries made from another agent's line"
    )
    callback_share: float = Field(default=0.2, ge=0, le=1, description="clients who ring back")


class NoticeLineConfig(ActorConfig):
    """A bank's or a utility's notification lines (a card payment due, a transaction to
    confirm, a planned power cut): several landlines of one enterprise block behind the
    company's exchange, each dialling its share of the day's customers (strangers across the
    city and beyond) at a machine's steady pace, short answered notices, a customer who did not
    pick up tried again later from whichever line is free; customers seldom ring the line
    back (they call the published hotline). ``per_million`` counts companies. Absent from an
    ordinary city."""

    per_million: float = 0  # companies
    minimum: int = 0
    lines: tuple[int, int] = Field(default=(4, 12), description="lines in the block")
    customers_per_line: tuple[int, int] = Field(
        default=(60, 200), description="customers a line is given in a day"
    )
    attempts: int = Field(default=3, ge=1)
    gap_s: tuple[float, float] = Field(default=(40.0, 90.0), description="a line's mean gap")
    answer_rate: float = Field(default=0.65, ge=0, le=1)
    median_talk_s: float = 25.0
    callback_share: float = Field(default=0.03, ge=0, le=1)


class ReminderDeskConfig(ActorConfig):
    """A hospital's appointment desk: a few clerks on landlines of the hospital's block ring
    tomorrow's patients in the afternoon, one after another; most answer, a patient who did
    not is tried once more from another desk line, and some ring back to move the
    appointment. ``per_million`` counts hospitals. Absent from an ordinary city."""

    per_million: float = 0  # hospitals
    minimum: int = 0
    lines: tuple[int, int] = Field(default=(3, 8), description="desk lines")
    patients_per_line: tuple[int, int] = Field(default=(30, 70))
    start_hour: float = 14.0
    gap_s: tuple[float, float] = Field(default=(60.0, 150.0), description="a clerk's mean gap")
    answer_rate: float = Field(default=0.75, ge=0, le=1)
    median_talk_s: float = 45.0
    retry_share: float = Field(
        default=0.6, ge=0, le=1, description="missed patients tried again, from another line"
    )
    callback_share: float = Field(default=0.3, ge=0, le=1, description="of the missed ones")


class SchoolRoundConfig(ActorConfig):
    """A school's class teachers ringing the parents of their own class on the same evening
    (after a notice from the head, before a holiday, after an exam), each from their own
    mobile: the parents live around the school, a parent who does not answer is followed by
    the child's other parent, a few families have children in two classes, most answer and
    talk a minute or two, and those who missed the call ring back. ``per_million`` counts
    schools. Absent from an ordinary city."""

    per_million: float = 0  # schools
    minimum: int = 0
    teachers: tuple[int, int] = Field(default=(6, 18), description="class teachers calling")
    pupils: tuple[int, int] = Field(default=(30, 48), description="children in a class")
    start_hour: float = 19.0
    start_spread_h: float = 0.5
    answer_rate: float = Field(default=0.8, ge=0, le=1)
    median_talk_s: float = 80.0
    sibling_share: float = Field(
        default=0.04, ge=0, le=1, description="children with a brother or sister in another class"
    )
    callback_share: float = Field(default=0.5, ge=0, le=1, description="of the missed ones")


class RelayCallConfig(ActorConfig):
    """Relay-call SIMs (seed 000): an elderly or minor owner's SIM dials for a scammer."""

    per_million: float = 500
    minor_share: float = Field(default=0.3, ge=0, le=1, description="owner aged 14-17")
    gap_s: float = Field(default=120.0, gt=0, description="typical seconds between calls")
    gap_jitter_s: float = 15.0
    slow_share: float = Field(default=0.2, ge=0, le=1, description="relays dialing every 2.5-5 min")
    burst_calls: tuple[int, int] = (12, 60)
    start_hour: float = Field(default=18.0, description="burst start, local time")
    start_spread_h: float = 1.5
    answer_rate: float = 0.55
    repeat_share: float = Field(default=0.3, description="chance of another burst on later days")


class RobocallConfig(ActorConfig):
    """Auto-dialer lines: hundreds of calls a day, mostly unanswered or very short."""

    per_million: float = 200
    calls_per_day: tuple[int, int] = (300, 900)
    sequential_share: float = Field(default=0.5, description="dial consecutive numbers")
    answer_rate: float = 0.15
    virtual_share: float = Field(default=0.3, description="lines on 170/171 virtual ranges")
    landline_share: float = 0.3


class RotationConfig(ActorConfig):
    """Caller-ID rotation: one campaign, many numbers, each under per-number limits."""

    per_million: float = 5
    numbers: tuple[int, int] = (20, 60)
    calls_per_number: tuple[int, int] = (12, 25)
    calls_per_target: float = Field(default=1.8, ge=1, description="retries from other lines")
    answer_rate: float = 0.2
    landline_share: float = 0.3


class WangiriConfig(ActorConfig):
    """One-ring calls from foreign numbers, baiting expensive call-backs."""

    per_million: float = 50
    calls_per_day: tuple[int, int] = (200, 1000)
    callback_rate: float = Field(default=0.02, description="victims who call back")


class SpoofedWangiriConfig(ActorConfig):
    """One-ring bursts from foreign caller IDs that are not numbers at all (虚假主叫): a valid
    country code with one digit too many, as field reports show (``+371573613369``)."""

    per_million: float = 20
    calls_per_day: tuple[int, int] = (100, 400)
    callback_rate: float = Field(default=0.01, description="victims who call back")


class CloudTrunkConfig(ActorConfig):
    """Cloud-trunk campaigns (网络云呼): a VoIP platform presents rotating mobile numbers of
    other carriers, each for a few calls, all arriving on the platform's cloud trunk.

    Each number stays under per-number limits; the ``spoofed_presentation`` detector finds
    them by their trunk flag (``caller_flag = cloud_trunk_mobile``). Five campaigns per
    million subscribers, at least one (``per_million = 0`` with ``minimum = 0`` turns them
    off)."""

    per_million: float = 5  # campaigns
    minimum: int = 1
    numbers: tuple[int, int] = (20, 60)
    calls_per_number: tuple[int, int] = (6, 15)
    answer_rate: float = 0.25
    start_hour: float = Field(default=9.0, description="working day start, local time")
    end_hour: float = 20.0


class SimBoxConfig(ActorConfig):
    """SIM boxes: several SIMs in one cell, sharing a few device IMEIs, no incoming calls."""

    per_million: float = 10
    sims: tuple[int, int] = (8, 32)
    sims_per_module: int = 4
    calls_per_sim: tuple[int, int] = (40, 150)
    answer_rate: float = 0.75


class SmsSpamConfig(ActorConfig):
    """SMS spam senders: templated texts to hundreds of distinct recipients."""

    per_million: float = 200
    sms_per_day: tuple[int, int] = (300, 2000)


class SimulationConfig(_Model):
    """The whole city. Deterministic: the same config and seed give the same files."""

    subscribers: int = Field(default=10_000, ge=100, description="the operator's subscribers")
    days: int = Field(default=1, ge=1, le=366)
    seed: int = 0
    start_date: date = Field(default=date(2026, 7, 8), description="first simulated local day")
    timezone: str = DEFAULT_TIMEZONE
    regions: tuple[str, ...] = (
        "成都",
        "绵阳",
        "德阳",
        "南充",
        "宜宾",
        "自贡",
        "乐山",
        "泸州",
        "达州",
        "内江",
    )
    region_weights: tuple[float, ...] = (40, 10, 8, 8, 7, 6, 6, 6, 5, 4)
    subscribers_per_cell: int = Field(default=300, ge=10)
    external_pool_per_subscriber: float = Field(
        default=0.5, gt=0, description="other networks' numbers the city talks to"
    )
    normal: NormalConfig = NormalConfig()
    courier: CourierConfig = CourierConfig()
    ride_hailing: RideHailingConfig = RideHailingConfig()
    sales_agent: SalesAgentConfig = SalesAgentConfig()
    service_line: ServiceLineConfig = ServiceLineConfig()
    sms_service_port: SmsServicePortConfig = SmsServicePortConfig()
    call_round: CallRoundConfig = CallRoundConfig()
    reminder_line: ReminderLineConfig = ReminderLineConfig()
    sales_team: SalesTeamConfig = SalesTeamConfig()
    notice_line: NoticeLineConfig = NoticeLineConfig()
    reminder_desk: ReminderDeskConfig = ReminderDeskConfig()
    school_round: SchoolRoundConfig = SchoolRoundConfig()
    relay_call: RelayCallConfig = RelayCallConfig()
    robocall: RobocallConfig = RobocallConfig()
    rotation: RotationConfig = RotationConfig()
    wangiri: WangiriConfig = WangiriConfig()
    simbox: SimBoxConfig = SimBoxConfig()
    sms_spam: SmsSpamConfig = SmsSpamConfig()
    spoofed_wangiri: SpoofedWangiriConfig = SpoofedWangiriConfig()
    cloud_trunk: CloudTrunkConfig = CloudTrunkConfig()

    @classmethod
    def load(cls, path: Path | None = None, **overrides: object) -> Self:
        """Defaults, then a TOML file (if any), then command-line ``overrides`` (None = unset).

        >>> SimulationConfig.load(subscribers=5)
        Traceback (most recent call last):
        ...
        callwarden.errors.ConfigError: options: subscribers: Input should be ... 100
        """
        data = load_toml(path) if path is not None else {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(validation_message(str(path or "options"), exc)) from None

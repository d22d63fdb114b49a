"""A call centre's outbound day (seed 004: one seat dials about 800 numbers a day), with the
consent and refusal registers and every violation planted as ground truth.

A business (a seaside property developer, category ``real_estate``) dials through two vendors,
each with its own registered lines. Seats work the calling hours (09:00-12:00, 14:00-20:00,
the callee's local time) through a list of people who agreed to be called, some of them abroad;
no person gets more than the policy's two calls a day. Some people refuse during a call and
are never called again; some refused once and later agreed again (they may be called). On top
of that honest day, violations are planted, each on a person of its own so that one rule is
broken per call: people with no consent, after a refusal heard on the other vendor's line,
with consent expired or withdrawn, outside the hours (a foreign number called in its night
too), a third call in a day, and calls from lines nobody registered.

Written as the files the outbound commands read: ``policy.toml``, ``consents.csv``,
``refusals.csv``, ``calls.csv`` and ``truth.csv`` (``call_id, code``: every planted violation).

>>> day = simulate_outbound_day(OutboundDayConfig(seats=2, calls_per_seat=200, planted=5))
>>> day.calls.height > 400, sorted(day.truth["code"].unique().to_list())[:2]
(True, ['consent_expired', 'consent_withdrawn'])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import phonenumbers
import polars as pl

from callwarden.config import DEFAULT_TIMEZONE

__all__ = ["OutboundDay", "OutboundDayConfig", "simulate_outbound_day", "write_outbound_day"]

ZONE = ZoneInfo(DEFAULT_TIMEZONE)
#: calling hours in seconds of the local day
WINDOWS = ((9 * 3600, 12 * 3600), (14 * 3600, 20 * 3600))
_MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "151", "158", "186", "187", "188")
_VENDORS = {"haiyun-cloud": "+86216123", "jinhu-callcenter": "+867558610"}


@dataclass(frozen=True)
class OutboundDayConfig:
    seats: int = 20
    calls_per_seat: int = 800
    #: violations planted of each kind
    planted: int = 30
    seed: int = 4
    day: date = date(2026, 12, 2)
    business: str = "seaview"


@dataclass(frozen=True)
class OutboundDay:
    config: OutboundDayConfig
    policy: str
    consents: pl.DataFrame
    refusals: pl.DataFrame
    calls: pl.DataFrame
    #: one row per planted violation: call_id, code
    truth: pl.DataFrame


def _policy(lines: list[str]) -> str:
    listed = ", ".join(f'"{line}"' for line in lines)
    return (
        'name = "海景房销售"\ncategory = "real_estate"\ntimezone = "Asia/Shanghai"\n'
        f"lines = [{listed}]\n"
        f"vendors = [{', '.join(f'{v!r}' for v in _VENDORS).replace(chr(39), chr(34))}]\n"
        '[hours]\nwindows = ["09:00-12:00", "14:00-20:00"]\n'
        "[[limits]]\ncalls = 2\ndays = 1\n"
    )


class _Numbers:
    """Distinct numbers, never handed out twice."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def mobile(self) -> str:
        while True:
            prefix = _MOBILE_PREFIXES[int(self.rng.integers(len(_MOBILE_PREFIXES)))]
            number = f"+86{prefix}{int(self.rng.integers(10**8)):08d}"
            if number not in self.used:
                self.used.add(number)
                return number

    def british(self) -> str:
        while True:
            number = f"+44798{int(self.rng.integers(10**7)):07d}"
            valid = phonenumbers.is_valid_number(phonenumbers.parse(number))
            if valid and number not in self.used:
                self.used.add(number)
                return number


def simulate_outbound_day(config: OutboundDayConfig) -> OutboundDay:  # noqa: PLR0912, PLR0915
    """The day's registers, calls and truth (same seed, same day)."""
    rng = np.random.default_rng(config.seed)
    numbers = _Numbers(rng)
    day0 = datetime.combine(config.day, datetime.min.time(), ZONE)
    lines = {v: [f"{p}{i:04d}" for i in range(4)] for v, p in _VENDORS.items()}
    rogue_lines = [f"+8617012{i:06d}" for i in range(3)]
    seats = [(f"S{i + 1:03d}", list(_VENDORS)[i % len(_VENDORS)]) for i in range(config.seats)]
    consents: list[dict[str, object]] = []
    refusals: list[dict[str, object]] = []
    calls: list[dict[str, object]] = []
    truth: list[tuple[str, str]] = []

    def local(seconds: float) -> datetime:
        return (day0 + timedelta(seconds=float(seconds))).astimezone(UTC)

    def inside() -> float:
        lo, hi = WINDOWS[int(rng.integers(2))]
        return float(rng.integers(lo, hi - 120))

    def consent(callee: str, *, days_ago: int, expires: datetime | None = None) -> None:
        granted = day0 - timedelta(days=days_ago, seconds=float(rng.integers(36_000)))
        consents.append(
            {
                "callee": callee,
                "granted_at": granted.astimezone(UTC),
                "expires_at": expires,
                "withdrawn_at": None,
                "evidence": f"REC-{len(consents) + 1:07d}",
                "channel": ("sales_office", "web_form", "hotline")[int(rng.integers(3))],
            }
        )

    def call(seat: tuple[str, str], callee: str, at: datetime, line: str | None = None) -> str:
        call_id = f"{config.business}-{len(calls) + 1:07d}"
        vendor = seat[1]
        chosen = line or lines[vendor][int(rng.integers(len(lines[vendor])))]
        calls.append(
            {
                "call_id": call_id,
                "business": config.business,
                "seat": seat[0],
                "vendor": vendor,
                "caller_line": chosen,
                "callee": callee,
                "start_time": at,
                "duration_s": int(rng.integers(0, 240)),
            }
        )
        return call_id

    def seat() -> tuple[str, str]:
        return seats[int(rng.integers(len(seats)))]

    # the honest day: each seat works through consented people, at most two calls each
    total = config.seats * config.calls_per_seat
    pool_size = max(total * 2 // 3, 10)
    pool = [numbers.mobile() if i % 50 else numbers.british() for i in range(pool_size)]
    for callee in pool:
        consent(callee, days_ago=int(rng.integers(1, 300)))
    # some refused long ago and agreed again later: they may be called
    for callee in pool[: max(config.planted, 1)]:
        refused = day0 - timedelta(days=400)
        refusals.append(_refusal(callee, refused, lines["haiyun-cloud"][0], "haiyun-cloud"))
    got: dict[str, int] = {}
    last: dict[str, tuple[datetime, str]] = {}
    for s in seats:
        for _ in range(config.calls_per_seat):
            for _try in range(20):
                callee = pool[int(rng.integers(len(pool)))]
                if got.get(callee, 0) < 2:
                    break
            else:
                continue
            got[callee] = got.get(callee, 0) + 1
            seconds = inside()
            if callee.startswith("+44"):  # 17:00-19:58 in Shanghai is 09:00-11:58 in London
                seconds = float(rng.integers(17 * 3600, 20 * 3600 - 120))
            at = local(seconds)
            call(s, callee, at)
            if callee not in last or last[callee][0] < at:
                last[callee] = (at, s[1])
    # "please do not call me again", heard on a person's last call of the day
    for callee in sorted(last):
        if rng.random() < 0.02:
            at, vendor = last[callee]
            refusals.append(_refusal(callee, at + timedelta(seconds=30), None, vendor))

    # planted violations, one rule each, on people of their own
    for _ in range(config.planted):
        truth.append((call(seat(), numbers.mobile(), local(inside())), "no_consent"))

        callee = numbers.mobile()
        consent(callee, days_ago=30)
        refusals.append(
            _refusal(callee, day0 - timedelta(days=3), lines["haiyun-cloud"][1], "haiyun-cloud")
        )
        jinhu = next(s for s in seats if s[1] == "jinhu-callcenter") if config.seats > 1 else seat()
        truth.append((call(jinhu, callee, local(inside())), "refused"))

        callee = numbers.mobile()
        consent(callee, days_ago=200, expires=(day0 - timedelta(days=10)).astimezone(UTC))
        truth.append((call(seat(), callee, local(inside())), "consent_expired"))

        callee = numbers.mobile()
        consent(callee, days_ago=90)
        consents.append(
            {
                "callee": callee,
                "granted_at": None,
                "expires_at": None,
                "withdrawn_at": (day0 - timedelta(days=2)).astimezone(UTC),
                "evidence": "",
                "channel": "sms_reply",
            }
        )
        truth.append((call(seat(), callee, local(inside())), "consent_withdrawn"))

        callee = numbers.mobile()
        consent(callee, days_ago=60)
        night = (7 * 3600 + 1800, 12 * 3600 + 1200, 21 * 3600 + 600, 23 * 3600)
        truth.append((call(seat(), callee, local(night[int(rng.integers(4))])), "outside_hours"))
        abroad = numbers.british()  # 10:00 in Shanghai is 02:00 in London
        consent(abroad, days_ago=60)
        truth.append((call(seat(), abroad, local(10 * 3600)), "outside_hours"))

        callee = numbers.mobile()
        consent(callee, days_ago=45)
        times = sorted(inside() for _ in range(3))
        for i, seconds in enumerate(times):
            call_id = call(seat(), callee, local(seconds + i))
            if i == 2:
                truth.append((call_id, "frequency"))

        callee = numbers.mobile()
        consent(callee, days_ago=20)
        rogue = rogue_lines[int(rng.integers(len(rogue_lines)))]
        truth.append((call(seat(), callee, local(inside()), rogue), "line_not_registered"))

    utc = pl.Datetime("us", "UTC")
    return OutboundDay(
        config,
        _policy([line for vendor_lines in lines.values() for line in vendor_lines]),
        pl.DataFrame(
            consents,
            schema={
                "callee": pl.Utf8,
                "granted_at": utc,
                "expires_at": utc,
                "withdrawn_at": utc,
                "evidence": pl.Utf8,
                "channel": pl.Utf8,
            },
        ),
        pl.DataFrame(
            refusals,
            schema={
                "callee": pl.Utf8,
                "refused_at": utc,
                "line": pl.Utf8,
                "vendor": pl.Utf8,
                "evidence": pl.Utf8,
            },
        ),
        pl.DataFrame(calls).with_columns(pl.col("start_time").cast(utc)).sort("start_time"),
        pl.DataFrame(truth, schema=["call_id", "code"], orient="row").sort("call_id", "code"),
    )


def _refusal(callee: str, at: datetime, line: str | None, vendor: str) -> dict[str, object]:
    return {
        "callee": callee,
        "refused_at": at.astimezone(UTC),
        "line": line,
        "vendor": vendor,
        "evidence": f"REF-{abs(hash((callee, at))) % 10**7:07d}",
    }


def write_outbound_day(day: OutboundDay, out: Path) -> dict[str, Path]:
    """The day's files in ``out``; their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "policy": out / "policy.toml",
        "consents": out / "consents.csv",
        "refusals": out / "refusals.csv",
        "calls": out / "calls.csv",
        "truth": out / "truth.csv",
    }
    paths["policy"].write_text(day.policy, encoding="utf-8")
    day.consents.write_csv(paths["consents"])
    day.refusals.write_csv(paths["refusals"])
    day.calls.write_csv(paths["calls"])
    day.truth.write_csv(paths["truth"])
    return paths

"""A hotline's incoming day (seed 003, the harassed 400 line), with the truth for every call.

Who calls an enterprise's 400 line: customers from every province (some of them key
customers, a few wrongly marked by the crowd, some from abroad), marketers (推销) from mobile
and landline pools, scammers on virtual-operator numbers, one-ring (响一声) bursts from abroad
at night, and spoofed numbers that nobody can own. Customers know the business code the IVR
asks for; the others do not.

Written as three files the screening commands read:

- ``calls.csv``: the canonical calls columns (``call_id, caller, callee, start_time,
  duration_s, ring_s``) plus ``truth`` (who really called), ``wanted`` (whether the hotline
  wants the call) and ``ivr_input`` (what the caller keys if asked for the code);
- ``marks.csv``: what the crowd has reported about these numbers (``msisdn,category,source``,
  for ``callwarden marks import``): most scammers, many marketers, some one-ring numbers, and a
  few honest customers marked wrongly;
- ``policy-current.toml`` and ``policy-new.toml``: a lenient policy and a stricter one, for
  ``callwarden screen dry-run``.

>>> from datetime import date
>>> day = simulate_hotline_day(HotlineDayConfig(calls=400, seed=3))
>>> day.calls.height, sorted(day.calls["truth"].unique().to_list())[:3]
(400, ['customer', 'foreign_customer', 'key_customer'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import phonenumbers
import polars as pl

__all__ = [
    "HotlineDay",
    "HotlineDayConfig",
    "new_policy",
    "simulate_hotline_day",
    "write_hotline_day",
]

#: who calls, and the share of the day's calls each makes
MIX: dict[str, float] = {
    "customer": 0.62,
    "key_customer": 0.06,
    "foreign_customer": 0.02,
    "marketer": 0.14,
    "scammer": 0.07,
    "one_ring": 0.05,
    "spoofed": 0.04,
}
WANTED = frozenset({"customer", "key_customer", "foreign_customer"})
_MOBILE: tuple[str, ...] = ("138", "139", "150", "151", "158", "159", "186", "187", "188")
_MOBILE += ("135", "136", "137", "183", "130", "131", "132", "155", "156", "185", "133", "153")
_VIRTUAL = ("170", "171", "162", "165", "167")
_LANDLINE = ("+8610", "+8621", "+86755", "+8620", "+86571", "+8628")
_MARKETING = ("marketing", "real_estate", "loans_finance", "insurance", "debt_collection")
#: Shanghai hours (weights) when each kind calls
_HOURS: dict[str, list[float]] = {
    "customer": [0, 0, 0, 0, 0, 0, 0, 1, 4, 9, 10, 9, 6, 8, 9, 9, 8, 6, 4, 3, 2, 1, 1, 0],
    "marketer": [0, 0, 0, 0, 0, 0, 0, 0, 2, 9, 10, 10, 4, 8, 10, 10, 9, 6, 2, 0, 0, 0, 0, 0],
    "scammer": [0, 0, 0, 0, 0, 0, 0, 1, 2, 6, 8, 8, 6, 8, 8, 8, 8, 8, 8, 8, 6, 4, 2, 1],
    "one_ring": [8, 9, 9, 8, 6, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 6, 8],
    "spoofed": [2, 2, 2, 2, 2, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 3, 2],
}


@dataclass(frozen=True)
class HotlineDayConfig:
    """How big a day, for which line, which date (in Shanghai), with which seed."""

    calls: int = 2000
    hotline: str = "+864001234567"
    day: date = date(2026, 12, 2)
    seed: int = 7
    #: the business code customers key at the IVR challenge
    code: str = "8"
    mix: dict[str, float] = field(default_factory=lambda: dict(MIX))


@dataclass
class HotlineDay:
    calls: pl.DataFrame
    marks: pl.DataFrame
    key_customers: list[str]
    config: HotlineDayConfig


def _mobiles(rng: np.random.Generator, n: int, prefixes: tuple[str, ...]) -> list[str]:
    heads = rng.choice(prefixes, n)
    tails = rng.integers(0, 100_000_000, n)
    return [f"+86{h}{t:08d}" for h, t in zip(heads, tails, strict=True)]


def _landlines(rng: np.random.Generator, n: int) -> list[str]:
    heads = rng.choice(_LANDLINE, n)
    tails = rng.integers(0, 10_000_000, n)
    return [f"{h}{rng.integers(2, 9)}{t:07d}" for h, t in zip(heads, tails, strict=True)]


def _valid(rng: np.random.Generator, head: str, digits: int, n: int) -> list[str]:
    """``n`` numbers ``head`` + ``digits`` random digits that phonenumbers calls valid."""
    out: list[str] = []
    while len(out) < n:
        number = f"{head}{int(rng.integers(0, 10**digits)):0{digits}d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            out.append(number)
    return out


def _pools(rng: np.random.Generator, counts: dict[str, int]) -> dict[str, list[str]]:
    """Each kind's numbers: customers call once or twice, marketers and scammers often."""
    n = counts
    foreign = _valid(rng, "+447911", 6, 6) + _valid(rng, "+8529", 7, 6) + _valid(rng, "+1212", 7, 6)
    spoofed = [f"+86123{x:08d}" for x in rng.integers(0, 10**8, 20)]  # unallocated
    spoofed += [f"+999{x:06d}" for x in rng.integers(0, 10**6, 10)]  # no such country
    spoofed += [f"+86138{x:04d}" for x in rng.integers(0, 10**4, 10)]  # too short
    spoofed += ["anonymous", "unknown", ""]
    marketers = _mobiles(rng, max(n["marketer"] // 4, 1), _MOBILE) + _landlines(
        rng, max(n["marketer"] // 8, 1)
    )
    return {
        "customer": _mobiles(rng, max(int(n["customer"] * 0.8), 1), _MOBILE),
        "key_customer": _mobiles(rng, max(n["key_customer"] // 3, 1), _MOBILE),
        "foreign_customer": foreign,
        "marketer": marketers,
        "scammer": _mobiles(rng, max(n["scammer"] // 3, 1), _VIRTUAL),
        "one_ring": [f"+2162{x:07d}" for x in rng.integers(0, 10**7, max(n["one_ring"] // 4, 1))],
        "spoofed": spoofed,
    }


def simulate_hotline_day(config: HotlineDayConfig) -> HotlineDay:
    """The day's calls with their truth, and the crowd's marks on the callers."""
    rng = np.random.default_rng(config.seed)
    total = sum(config.mix.values())
    kinds = list(config.mix)
    counts = dict(
        zip(
            kinds,
            rng.multinomial(config.calls, [config.mix[k] / total for k in kinds]),
            strict=True,
        )
    )
    counts = {k: int(v) for k, v in counts.items()}
    pools = _pools(rng, counts)
    midnight = datetime(config.day.year, config.day.month, config.day.day, tzinfo=UTC) - timedelta(
        hours=8
    )
    rows: list[dict[str, object]] = []
    for kind in kinds:
        weights = np.array(
            _HOURS.get(kind.replace("key_", "").replace("foreign_", ""), _HOURS["customer"]), float
        )
        hours = rng.choice(24, counts[kind], p=weights / weights.sum())
        callers = rng.choice(pools[kind], counts[kind])
        for hour, caller in zip(hours, callers, strict=True):
            at = midnight + timedelta(hours=int(hour), seconds=int(rng.integers(0, 3600)))
            rows.append({"kind": kind, "caller": str(caller), "start_time": at})
    rows.sort(key=lambda r: (r["start_time"], r["caller"]))
    calls = pl.DataFrame(
        {
            "call_id": [f"h{config.seed}-{i:06d}" for i in range(len(rows))],
            "caller": [r["caller"] for r in rows],
            "callee": [config.hotline] * len(rows),
            "start_time": pl.Series(
                [r["start_time"] for r in rows], dtype=pl.Datetime("us", "UTC")
            ),
            "truth": [r["kind"] for r in rows],
        }
    )
    calls = calls.with_columns(
        wanted=pl.col("truth").is_in(list(WANTED)),
        duration_s=pl.Series(_durations(rng, calls["truth"].to_list()), dtype=pl.Int32),
        ring_s=pl.Series(
            [
                int(rng.integers(1, 3)) if t == "one_ring" else int(rng.integers(3, 15))
                for t in calls["truth"]
            ],
            dtype=pl.Int32,
        ),
        ivr_input=pl.Series(_keyed(rng, calls["truth"].to_list(), config.code), dtype=pl.String),
    ).select(
        "call_id",
        "caller",
        "callee",
        "start_time",
        "duration_s",
        "ring_s",
        "truth",
        "wanted",
        "ivr_input",
    )
    return HotlineDay(calls, _marks(rng, pools), sorted(set(pools["key_customer"])), config)


def _durations(rng: np.random.Generator, truth: list[str]) -> list[int]:
    spans = {"customer": (60, 600), "marketer": (5, 90), "scammer": (10, 300), "spoofed": (0, 60)}
    out = []
    for t in truth:
        lo, hi = spans.get(t.replace("key_", "").replace("foreign_", ""), (0, 1))
        out.append(int(rng.integers(lo, hi)))
    return out


def _keyed(rng: np.random.Generator, truth: list[str], code: str) -> list[str]:
    """What each caller keys when asked: customers mostly the code, others a guess or nothing."""
    out = []
    for t in truth:
        if t in WANTED:
            out.append(code if rng.random() < 0.95 else str(rng.integers(0, 10)))
        elif t in ("marketer", "scammer") and rng.random() < 0.3:
            out.append(str(rng.integers(0, 10)))
        else:
            out.append("")
    return out


def _marks(rng: np.random.Generator, pools: dict[str, list[str]]) -> pl.DataFrame:
    """The crowd's reports: ``msisdn, category, source`` rows (one report a row)."""
    rows: list[tuple[str, str, str]] = []

    def reported(numbers: list[str], share: float, category: str | None, most: int) -> None:
        for number in sorted(set(numbers)):
            if rng.random() < share:
                cat = category or str(rng.choice(_MARKETING))
                rows.extend(
                    (number, cat, str(rng.choice(["complaint", "imported_list"])))
                    for _ in range(int(rng.integers(1, most + 1)))
                )

    reported(pools["scammer"], 0.75, "fraud", 4)
    reported(pools["marketer"], 0.6, None, 3)
    reported(pools["one_ring"], 0.5, "one_ring", 3)
    reported(pools["customer"], 0.02, "marketing", 2)  # honest callers marked wrongly
    reported(pools["key_customer"], 0.1, "marketing", 2)
    reported(pools["customer"], 0.03, "delivery", 1)
    return pl.DataFrame(rows, schema=["msisdn", "category", "source"], orient="row")


CURRENT_POLICY = """\
# The lenient policy in force: block strong fraud marks only.
name = "current"
[[bands]]
categories = ["fraud"]
min_score = 0.6
action = "block"
"""

NEW_POLICY = """\
# A stricter policy to try first with `callwarden screen dry-run`.
name = "stricter"
allow = [{allow}]

[[bands]]
categories = ["fraud", "one_ring"]
min_score = 0.5
action = "block"

[[bands]]
categories = ["fraud", "one_ring", "marketing", "real_estate", "loans_finance", "insurance",
              "debt_collection"]
min_score = 0.2
action = "challenge"

[challenge]
code = "{code}"
retries = 2

[[routes]]
queue = "south"
regions = ["广东", "广西", "海南"]

[[routes]]
queue = "international"
foreign = true

[hours]
open = "08:00-21:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat"]
"""


def write_hotline_day(day: HotlineDay, out: Path) -> dict[str, Path]:
    """The day's files in ``out``; their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "calls": out / "calls.csv",
        "marks": out / "marks.csv",
        "policy_current": out / "policy-current.toml",
        "policy_new": out / "policy-new.toml",
    }
    day.calls.write_csv(paths["calls"])
    day.marks.write_csv(paths["marks"])
    paths["policy_current"].write_text(CURRENT_POLICY, encoding="utf-8")
    paths["policy_new"].write_text(new_policy(day), encoding="utf-8")
    return paths


def new_policy(day: HotlineDay) -> str:
    """The stricter policy for ``day``: its key customers allowed, its business code asked."""
    allow = ", ".join(f'"{n}"' for n in day.key_customers)
    return NEW_POLICY.format(allow=allow, code=day.config.code)

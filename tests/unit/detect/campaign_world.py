"""A small city written apart from callwarden's simulator, to test the campaign pass on.

Its own people, numbers and distributions (not ``simulate/``'s parameters): people with a
personal address book who call some of it and hear back, call-centre campaigns that rotate
through many lines, each variant taking one cue away, and honest groups that share some cues
with a campaign (a sales team working a consented client list, bank notification lines, a
school's call round to parents, a hospital's appointment reminders, couriers, ride-hailing
drivers). Time is one local working day (UTC+8); durations are exponential or gamma, not
log-normal; the campaigns' lines make geometric numbers of calls.

``world(seed)`` gives ``(calls, subscribers, truth)``: ``truth`` has ``msisdn, kind, group``
with ``kind`` a campaign variant (``campaign:<variant>``) or a look-alike (``honest:<name>``)
or ``person``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

DAY0 = dt.datetime(2026, 9, 14, 16, tzinfo=dt.UTC)  # 00:00 local of 15 September
_S = 1_000_000

#: variant -> what it takes away from the plain campaign (each keeps two cues or more)
CAMPAIGN_VARIANTS = {
    "plain": {},
    "no_shared_list": {"retry": 0.0},  # every target dialled once: no shared callees
    "scattered_numbers": {"numbers": "scattered"},  # ordinary mobiles, no block, no 17x
    "landlines_one_city": {"numbers": "landline"},
    "own_cells": {"cell": "own"},  # no shared cell or trunk
    "unsynchronised": {"hours": "own"},  # each line its own hours
    "answered": {"answer": 0.75},
    "some_callbacks": {"callbacks": 0.06},
    "old_sims": {"age": "old"},
}
LOOK_ALIKES = ("sales_team", "bank_notices", "school_round", "hospital_reminders",
               "couriers", "ride_hailing")  # fmt: skip


@dataclass
class _World:
    rng: np.random.Generator
    calls: list[dict[str, object]] = field(default_factory=list)
    subs: list[dict[str, object]] = field(default_factory=list)
    truth: list[dict[str, object]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    n: int = 0

    def number(self, prefix: str, digits: int) -> str:
        while True:
            m = prefix + "".join(str(d) for d in self.rng.integers(0, 10, size=digits))
            if m not in self.used:
                self.used.add(m)
                return m

    def subscriber(self, m: str, *, kind: str, group: str, age_days: int, owner: str) -> None:
        self.subs.append(
            {"msisdn": m, "owner_birth_year": 1975 if owner == "individual" else None,
             "owner_type": owner, "activated_on": (DAY0 - dt.timedelta(days=age_days)).date(),
             "realname_status": "verified", "region": "成都", "whitelisted": False}
        )  # fmt: skip
        self.truth.append({"msisdn": m, "kind": kind, "group": group})

    def call(self, a: str, b: str, t_s: float, d: int, cell: str | None, imei: str | None) -> None:
        self.n += 1
        self.calls.append(
            {"call_id": f"w{self.n:07d}", "caller": a, "callee": b,
             "start_time": DAY0 + dt.timedelta(seconds=float(t_s)), "duration_s": int(d),
             "ring_s": 6 if d > 0 else 25, "caller_cell": cell, "caller_imei": imei}
        )  # fmt: skip


def _imei(rng: np.random.Generator) -> str:
    return "86" + "".join(str(d) for d in rng.integers(0, 10, size=13))


def _people(w: _World, count: int) -> list[str]:
    rng = w.rng
    people = [w.number(str(rng.choice(["+86139", "+86158", "+86186", "+86133"])), 8)
              for _ in range(count)]  # fmt: skip
    home = rng.integers(0, 400, size=count)
    for m in people:
        w.subscriber(m, kind="person", group="", age_days=int(rng.integers(200, 5000)),
                     owner="individual")  # fmt: skip
    imeis = [_imei(rng) for _ in people]
    for i, m in enumerate(people):
        book = rng.choice(count, size=25, replace=False)
        for _ in range(int(rng.poisson(4))):
            j = int(rng.choice(book))
            t = rng.uniform(8, 22) * 3600
            answered = rng.random() < 0.85
            d = int(rng.gamma(2.0, 60)) + 5 if answered else 0
            w.call(m, people[j], t, d, f"P{home[i]}", imeis[i])
            if rng.random() < 0.6:  # and hears back
                w.call(people[j], m, t + rng.uniform(60, 7200), int(rng.gamma(2.0, 50)) + 5,
                       f"P{home[j]}", imeis[j])  # fmt: skip
    return people


def _campaign(w: _World, people: list[str], variant: str, gid: int) -> None:
    rng = w.rng
    opts = CAMPAIGN_VARIANTS[variant]
    lines = int(rng.integers(15, 70))
    group = f"campaign:{variant}:{gid}"
    style = opts.get("numbers", "virtual")
    if style == "virtual":
        base = w.number(str(rng.choice(["+86170", "+86171", "+86167"])), 4)
        numbers = [f"{base}{k:04d}" for k in rng.choice(10_000, size=lines, replace=False)]
    elif style == "landline":
        numbers = [w.number("+8628", 8) for _ in range(lines)]
    else:
        numbers = [w.number(str(rng.choice(["+86135", "+86152", "+86182", "+86199"])), 8)
                   for _ in range(lines)]  # fmt: skip
    old = opts.get("age") == "old"
    for m in numbers:
        w.used.add(m)
        age = int(rng.integers(400, 3000)) if old else int(rng.integers(2, 60))
        w.subscriber(m, kind=f"campaign:{variant}", group=group, age_days=age,
                     owner="enterprise" if rng.random() < 0.3 else "individual")  # fmt: skip
    per_line = np.minimum(rng.geometric(1 / 9, size=lines) + 2, 40)
    total = int(per_line.sum())
    retry = float(opts.get("retry", 0.45))  # type: ignore[arg-type]
    fresh = rng.choice(len(people) + 3000, size=total, replace=False)
    targets = [people[i] if i < len(people) else f"+86150{i:08d}" for i in fresh]
    cell = f"CC{gid}" if opts.get("cell", "shared") == "shared" else None
    devices = [_imei(rng) for _ in range(max(1, lines // 4))]
    answer = float(opts.get("answer", 0.25))  # type: ignore[arg-type]
    back = float(opts.get("callbacks", 0.0))  # type: ignore[arg-type]
    own_hours = opts.get("hours") == "own"
    k = 0
    for li, m in enumerate(numbers):
        start, end = (rng.uniform(8, 16), 0.0) if own_hours else (9.5, 0.0)
        end = start + rng.uniform(1, 5) if own_hours else 17.5
        for t in np.sort(rng.uniform(start, end, size=int(per_line[li]))) * 3600:
            if k and rng.random() < retry:  # a target another line already dialled
                b = targets[int(rng.integers(0, k))]
            else:
                b = targets[k]
                k += 1
            d = int(rng.exponential(15)) + 2 if rng.random() < answer else 0
            c = cell if cell else f"X{int(rng.integers(0, 400))}"
            w.call(m, b, t, d, c, devices[li % len(devices)])
            if rng.random() < back:
                w.call(b, m, t + rng.uniform(60, 3000), int(rng.exponential(20)) + 3, None, None)


def _honest(w: _World, people: list[str], name: str, gid: int) -> None:
    rng = w.rng
    group = f"honest:{name}:{gid}"
    kind = f"honest:{name}"
    enterprise_block = name in ("sales_team", "bank_notices", "hospital_reminders")
    size = {"sales_team": 15, "bank_notices": 8, "school_round": 10, "hospital_reminders": 6,
            "couriers": 25, "ride_hailing": 20}[name]  # fmt: skip
    if enterprise_block:
        base = w.number("+86138", 4)
        numbers = [f"{base}{k:04d}" for k in rng.choice(10_000, size=size, replace=False)]
    else:
        numbers = [w.number("+86136", 8) for _ in range(size)]
    for m in numbers:
        w.used.add(m)
        w.subscriber(m, kind=kind, group=group, age_days=int(rng.integers(500, 4000)),
                     owner="enterprise" if enterprise_block else "individual")  # fmt: skip
    clients = list(rng.choice(people, size=min(len(people), 600), replace=False))
    for li, m in enumerate(numbers):
        imei, place = _imei(rng), f"H{gid}"
        if name == "sales_team":  # a consented client list worked together, clients call back
            calls, hours, answer, talk, back = 40, (9, 18), 0.6, (2.5, 60), 0.2
            pool = clients[:250]
        elif name == "bank_notices":  # automated notices to the bank's own customers
            calls, hours, answer, talk, back = 60, (9, 20), 0.9, (8.0, 3), 0.02
            pool = clients[li * 60 : (li + 1) * 60]
        elif name == "school_round":  # teachers ring the parents of their own class
            calls, hours, answer, talk, back = 25, (18, 21), 0.85, (2.0, 60), 0.25
            pool = clients[li * 30 : (li + 1) * 30]
        elif name == "hospital_reminders":  # tomorrow's appointments
            calls, hours, answer, talk, back = 45, (14, 17), 0.75, (3.0, 15), 0.12
            pool = clients[li * 50 : (li + 1) * 50]
        else:  # couriers and drivers: strangers, short answered calls, from the road
            calls, hours, answer, talk, back = (60, (8, 20), 0.85, (2.0, 15), 0.15)
            pool = list(rng.choice(people, size=80, replace=False))
            place = ""
        for t in np.sort(rng.uniform(*hours, size=calls)) * 3600:
            b = str(rng.choice(pool))
            d = int(rng.gamma(*talk)) + 3 if rng.random() < answer else 0
            cell = place or f"R{int(rng.integers(0, 400))}"
            w.call(m, b, t, d, cell, imei)
            if rng.random() < back:
                w.call(b, m, t + rng.uniform(120, 5400), int(rng.gamma(2.0, 40)) + 5, None, None)


def world(seed: int, *, people: int = 3000, campaigns: int = 1) -> tuple[
    pl.DataFrame, pl.DataFrame, pl.DataFrame
]:  # fmt: skip
    """The city: ``campaigns`` campaigns of every variant and one group of each look-alike."""
    w = _World(np.random.default_rng(seed))
    folk = _people(w, people)
    gid = 0
    for variant in CAMPAIGN_VARIANTS:
        for _ in range(campaigns):
            gid += 1
            _campaign(w, folk, variant, gid)
    for name in LOOK_ALIKES:
        gid += 1
        _honest(w, folk, name, gid)
    calls = pl.DataFrame(
        w.calls,
        schema={"call_id": pl.String, "caller": pl.String, "callee": pl.String,
                "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32,
                "ring_s": pl.Int32, "caller_cell": pl.String, "caller_imei": pl.String},
    ).sort("start_time", "call_id")  # fmt: skip
    subs = pl.DataFrame(w.subs).with_columns(pl.col("owner_birth_year").cast(pl.Int16))
    return calls, subs, pl.DataFrame(w.truth)

"""A third city written apart from callwarden's simulator and from the other two worlds.

Its behaviours come from DESIGN.md, the seed articles and what is publicly known about the
frauds, with parameters of its own. Two local days (UTC+8) of an operator's call records:

- **people** on the operator's mobiles, another carrier's mobiles and landlines (whose calls
  among themselves the operator never sees), each with an address book of family, friends and
  colleagues who answer or ring back; a daily rhythm with morning and evening peaks; log-normal
  talk, gamma ringing; a few calls to and from numbers abroad, service numbers (``95588``,
  ``12345``) and odd strings the records allow;
- **relay SIMs** (中转呼叫, seed 000): an owner's own phone that, besides its owner's life,
  dials strangers for a scammer talking on another phone: bursts at a person's pace, steady
  or jittered, quick or slow, by elderly, working-age and minor owners;
- **SIM boxes** (猫池 / GoIP): a dozen SIMs in one box, on few modules' devices or one device
  each, or in a moving car, calling strangers all day, nobody calling in;
- **auto-dialers** (群呼 / 外呼机器人): blasting, an AI voice that talks, scanning a range,
  and dialling slowly all day;
- **wangiri** (响一声): one ring to many, from abroad at night or slowly by day, from the
  operator's own SIM, from another carrier's number, or two or three rings; some victims ring
  back;
- **honest heavy callers**: couriers, ride-hailing drivers, insurance and property agents,
  an allow-listed customer-service landline, elderly people ringing their relatives, teachers
  ringing parents, a delivery station; and (:data:`LATER`) a business hall trying new SIMs in
  its own phone, wedding invitations, a courier whose recipients answer half the time.

``world(seed, people=3000, actors=1)`` gives ``(calls, subscribers, truth)``; ``truth`` has
``msisdn, kind, family`` with ``kind`` ``<family>:<variant>`` (``relay:steady_elderly``,
``honest:courier``) or ``person``, and ``family`` one of :data:`FAMILIES`, ``honest`` or
``person``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from .records_by_hand import CALL_SCHEMA

DAY0 = dt.datetime(2026, 11, 2, 16, tzinfo=dt.UTC)  # 00:00 local of Tuesday 3 November
DAYS = 2
FAMILIES = ("relay", "simbox", "robocall", "wangiri")
#: variant -> (how many per city, what sets it apart)
RELAY: dict[str, tuple[int, dict[str, Any]]] = {
    "steady_elderly": (4, {"born": (1938, 1952), "gap": (115.0, 0.08), "calls": (20, 45),
                           "sessions": 1, "start": (17.5, 19.5)}),
    "jittered_elderly": (4, {"born": (1938, 1952), "gap": (150.0, 0.6), "calls": (15, 35),
                             "sessions": 1, "start": (9.5, 19.0)}),
    "adult_part_time": (4, {"born": (1986, 1999), "gap": (85.0, 0.3), "calls": (15, 30),
                            "sessions": 2, "start": (13.0, 20.0)}),
    "adult_slow_jittered": (4, {"born": (1975, 1995), "gap": (260.0, 0.7), "calls": (10, 22),
                                "sessions": 2, "start": (10.0, 20.0)}),
    "minor_slow": (4, {"born": (2009, 2011), "gap": (380.0, 0.45), "calls": (10, 18),
                       "sessions": 1, "start": (15.5, 21.0)}),
}  # fmt: skip
SIMBOX: dict[str, tuple[int, dict[str, Any]]] = {
    "goip_modules": (1, {"sims": 16, "devices": 4, "cells": 1, "calls": (40, 80), "answer": 0.3}),
    "imei_per_sim": (1, {"sims": 8, "devices": 8, "cells": 1, "calls": (30, 60), "answer": 0.3}),
    "throttled_two_cells": (1, {"sims": 12, "devices": 6, "cells": 2, "calls": (12, 20),
                                "answer": 0.4}),
}  # fmt: skip
ROBOCALL: dict[str, tuple[int, dict[str, Any]]] = {
    "blaster": (2, {"gap": (25.0, 1.0), "answer": 0.15, "talk": (6.0, 0.5), "line": "mobile"}),
    "ai_voice_landline": (2, {"gap": (70.0, 0.3), "answer": 0.45, "talk": (35.0, 0.6),
                              "line": "landline"}),
    "range_scan": (2, {"gap": (40.0, 0.4), "answer": 0.2, "talk": (8.0, 0.6), "line": "mobile"}),
    "slow_drip": (2, {"gap": (330.0, 0.3), "answer": 0.2, "talk": (9.0, 0.6), "line": "mobile"}),
}  # fmt: skip
WANGIRI: dict[str, tuple[int, dict[str, Any]]] = {
    "foreign_night": (2, {"from": "foreign", "hours": (0.5, 3.0), "gap": (30.0, 0.5)}),
    "foreign_slow_day": (2, {"from": "foreign", "hours": (9.0, 18.0), "gap": (150.0, 0.6)}),
    "own_sim": (2, {"from": "own", "hours": (19.0, 22.0), "gap": (45.0, 0.5)}),
    "other_carrier": (2, {"from": "other", "hours": (10.0, 16.0), "gap": (60.0, 0.5)}),
}
HONEST = {"courier": 6, "ride_hailing": 6, "insurance_agent": 3, "property_agent": 3,
          "cs_landline": 2, "elderly_relatives": 4, "teacher": 3,
          "delivery_station": 2}  # fmt: skip
#: drawn after everyone's own life (so the actors above draw the same calls with or without
#: them): kind -> how many per city
LATER = {"simbox:car_box": 1, "wangiri:longer_ring": 2, "honest:hall_sim_tests": 1,
         "honest:wedding_invites": 3, "honest:courier_busy_day": 3}  # fmt: skip
VARIANTS: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {
    "relay": RELAY,
    "simbox": SIMBOX,
    "robocall": ROBOCALL,
    "wangiri": WANGIRI,
}

#: every kind of actor, fraud and honest, in the order of the tables above
FRAUD_KINDS = [f"{f}:{v}" for f, vs in VARIANTS.items() for v in vs] + [
    k for k in LATER if not k.startswith("honest:")
]
HONEST_KINDS = [f"honest:{h}" for h in HONEST] + [k for k in LATER if k.startswith("honest:")]

OWN = ("+86135", "+86137", "+86147", "+86150", "+86187", "+86198")  # the operator's ranges
OTHER = ("+86130", "+86131", "+86156", "+86133", "+86153", "+86189", "+86171")
#: numbers abroad as they are written there (Tunisia, Belarus, Kenya, Sierra Leone)
ABROAD = (("+21620", 6), ("+37529", 7), ("+2547", 8), ("+23276", 6))
AREAS = ("成都", "成都", "成都", "成都", "绵阳", "德阳", "乐山", "南充", "宜宾", "遂宁")
ODD = ("95588", "12345", "+8695588", "+8610086", "+85291234567", "+14155550123",
       "+6591234567", "00447700900123")  # fmt: skip
#: relative weight of each local hour for an ordinary person's calls
RHYTHM = np.array([0.15, 0.08, 0.04, 0.03, 0.04, 0.15, 0.5, 1.3, 2.4, 3.0, 3.0, 2.7,
                   2.3, 2.0, 2.3, 2.6, 2.7, 2.9, 3.1, 3.3, 3.0, 2.3, 1.3, 0.5])  # fmt: skip
RHYTHM = RHYTHM / RHYTHM.sum()


@dataclass
class _Person:
    msisdn: str
    own: bool
    born: int
    region: str
    home: str
    work: str
    imei: str
    book: list[int] = field(default_factory=list)
    close: int = 0  # the first ``close`` of the book are family


@dataclass
class _World:
    rng: np.random.Generator
    rows: list[tuple[str, str, float, int, int, str | None, str | None]] = field(
        default_factory=list
    )
    subs: dict[str, dict[str, object]] = field(default_factory=dict)
    truth: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    folk: list[_Person] = field(default_factory=list)
    starts: dict[str, float] = field(default_factory=dict)  # an owner's behaviour begins

    def began(self, m: str, t: float) -> None:
        self.starts[m] = min(self.starts.get(m, t), t)

    def number(self, prefixes: tuple[str, ...], digits: int = 8) -> str:
        while True:
            m = str(self.rng.choice(prefixes)) + "".join(
                str(d) for d in self.rng.integers(0, 10, size=digits)
            )
            if m not in self.used:
                self.used.add(m)
                return m

    def imei(self) -> str:
        return "35" + "".join(str(d) for d in self.rng.integers(0, 10, size=13))

    def subscriber(self, m: str, *, born: int | None, age_days: int, kind: str = "person",
                   owner: str = "individual", region: str = "成都", realname: str = "verified",
                   whitelisted: bool = False) -> None:  # fmt: skip
        self.subs[m] = {
            "msisdn": m, "owner_birth_year": born, "owner_type": owner,
            "activated_on": (DAY0 - dt.timedelta(days=age_days)).date(),
            "realname_status": realname, "region": region, "whitelisted": whitelisted,
        }  # fmt: skip
        self.truth[m] = kind

    def ring(self, answered: bool) -> int:
        if answered:
            return int(np.clip(self.rng.gamma(2.2, 2.5) + 1, 1, 30))
        u = self.rng.random()
        if u < 0.55:  # rang out
            return int(self.rng.uniform(25, 46))
        return int(self.rng.uniform(3, 13) if u < 0.85 else self.rng.uniform(13, 25))

    def talk(self, median: float, sigma: float) -> int:
        return max(1, int(self.rng.lognormal(np.log(median), sigma)))

    def call(self, a: str, b: str, t: float, d: int, ring: int | None = None,
             cell: str | None = None, imei: str | None = None) -> None:  # fmt: skip
        """One attempt at ``t`` seconds after DAY0; kept where the operator serves a side."""
        if a not in self.subs and b not in self.subs:
            return
        if a not in self.subs:  # another network's caller: no cell or device of ours
            cell = imei = None
        self.rows.append((a, b, t, d, self.ring(d > 0) if ring is None else ring, cell, imei))

    def person_call(self, p: _Person, b: str, t: float, d: int, ring: int | None = None) -> None:
        hour = (t % 86_400) / 3600
        self.call(p.msisdn, b, t, d, ring, p.work if 9 <= hour < 18 else p.home, p.imei)


def _clock(rng: np.random.Generator, day: int) -> float:
    return day * 86_400 + (int(rng.choice(24, p=RHYTHM)) + rng.random()) * 3600


def _people(w: _World, own: int) -> None:
    rng = w.rng
    other, lines = int(own * 0.35), int(own * 0.05)
    for k in range(own + other + lines):
        is_own, landline = k < own, k >= own + other
        region = str(rng.choice(AREAS))
        m = w.number(("+8628",) if landline else OWN if is_own else OTHER)
        age = int(
            rng.choice([15, 25, 35, 45, 55, 68, 80], p=[0.05, 0.2, 0.22, 0.2, 0.15, 0.12, 0.06])
        )
        born = 2026 - age - int(rng.integers(0, 10))
        cells = rng.integers(0, 600, size=2)
        p = _Person(m, is_own, born, region, f"L{cells[0]}", f"L{cells[1]}", w.imei())
        w.folk.append(p)
        if is_own:
            w.subscriber(m, born=born, age_days=int(rng.integers(90, 6000)), region=region)
    n = len(w.folk)
    by_area: dict[str, list[int]] = {}
    for i, p in enumerate(w.folk):
        by_area.setdefault(p.region, []).append(i)
    for i, p in enumerate(w.folk):
        kin = rng.choice(by_area[p.region], size=int(rng.integers(3, 9)))
        rest = rng.choice(n, size=int(rng.integers(8, 40)), replace=False)
        p.book = [int(j) for j in (*kin, *rest) if j != i]
        p.close = min(len(kin), len(p.book))


def _ordinary(w: _World, p: _Person, days: range, rate: float | None = None) -> None:
    """A person's days: their book, family most; unanswered calls often rung back."""
    rng = w.rng
    lam = rate if rate is not None else float(rng.gamma(1.6, 2.4))
    weights = np.array([4.0 if k < p.close else 1.0 for k in range(len(p.book))])
    weights /= weights.sum()
    for day in days:
        for _ in range(int(rng.poisson(lam))):
            q = w.folk[p.book[int(rng.choice(len(p.book), p=weights))]]
            t = _clock(rng, day)
            answered = rng.random() < 0.8
            d = w.talk(75, 1.0) if answered else 0
            w.person_call(p, q.msisdn, t, d)
            if not answered and rng.random() < 0.55:
                w.person_call(q, p.msisdn, t + rng.exponential(1200) + 60, w.talk(60, 0.9))
        if rng.random() < 0.06:  # a relative abroad, a bank, the hotline, an odd string
            b = str(rng.choice(ODD))
            w.person_call(p, b, _clock(rng, day), w.talk(90, 0.8) if rng.random() < 0.7 else 0)
        if rng.random() < 0.04:
            w.call(str(rng.choice(ODD[2:7])), p.msisdn, _clock(rng, day), w.talk(25, 0.5))


def _strangers(w: _World, p: _Person | None, size: int) -> list[_Person]:
    known = set(p.book) if p else set()
    picks = w.rng.choice(len(w.folk), size=min(len(w.folk), size + len(known) + 1), replace=False)
    return [w.folk[int(j)] for j in picks if int(j) not in known and w.folk[int(j)] is not p][:size]


def _pick(w: _World, born: tuple[int, int], taken: set[int]) -> _Person:
    """An own subscriber not yet given a role, with an owner born within ``born``."""
    rng = w.rng
    while True:
        i = int(rng.integers(0, len(w.folk)))
        p = w.folk[i]
        if p.own and i not in taken and not p.msisdn.startswith("+8628"):
            taken.add(i)
            p.born = int(rng.integers(born[0], born[1] + 1))
            w.subs[p.msisdn]["owner_birth_year"] = p.born
            return p


def _gaps(w: _World, median: float, sigma: float) -> float:
    return float(w.rng.lognormal(np.log(median), sigma))


def _relay(w: _World, variant: str, opts: dict[str, Any], taken: set[int]) -> None:
    """The owner's phone dials strangers for someone who talks on another phone."""
    rng = w.rng
    p = _pick(w, opts["born"], taken)
    w.truth[p.msisdn] = f"relay:{variant}"
    median, sigma = opts["gap"]
    lo, hi = opts["calls"]
    for s in range(int(opts["sessions"])):
        t = 86_400 + (rng.uniform(*opts["start"]) + 2.5 * s) * 3600
        for q in _strangers(w, p, int(rng.integers(lo, hi + 1))):
            answered = rng.random() < 0.32
            d = (w.talk(20, 0.6) if rng.random() < 0.6 else w.talk(150, 0.8)) if answered else 0
            ring = w.ring(answered)
            w.began(p.msisdn, t)
            w.person_call(p, q.msisdn, t, d, ring)
            if answered and rng.random() < 0.04:  # a victim rings the number back
                w.person_call(q, p.msisdn, t + rng.uniform(600, 7200), w.talk(40, 0.6))
            t += max(ring + d + rng.uniform(3, 9), _gaps(w, median, sigma))


def _simbox(w: _World, variant: str, opts: dict[str, Any]) -> None:
    """SIMs bought under others' names in one box; the box dials strangers all day."""
    rng = w.rng
    sims = [w.number(OWN) for _ in range(int(opts["sims"]))]
    devices = [w.imei() for _ in range(int(opts["devices"]))]
    cells = [f"B{int(rng.integers(0, 600))}" for _ in range(int(opts["cells"]))]
    lo, hi = opts["calls"]
    for k, m in enumerate(sims):
        w.subscriber(m, born=int(rng.integers(1960, 2003)), age_days=int(rng.integers(4, 45)),
                     kind=f"simbox:{variant}", region=str(rng.choice(AREAS)),
                     realname="verified" if rng.random() < 0.7 else "incomplete")  # fmt: skip
        n = int(rng.integers(lo, hi + 1))
        times = np.sort(86_400 + rng.uniform(9, 21, size=n) * 3600)
        for j, (t, q) in enumerate(zip(times, _strangers(w, None, n), strict=False)):
            # a SIM moves between the box's modules; a module's device is its IMEI
            dev = devices[(k + j // 10) % len(devices)] if len(devices) < len(sims) else devices[k]
            answered = rng.random() < float(opts["answer"])
            d = w.talk(35, 0.9) if answered else 0
            w.call(m, q.msisdn, float(t), d, cell=cells[j % len(cells)], imei=dev)
            if answered and rng.random() < 0.02:
                w.call(q.msisdn, m, float(t) + rng.uniform(300, 5400), 0)


def _robocall(w: _World, variant: str, opts: dict[str, Any]) -> None:
    rng = w.rng
    landline = opts["line"] == "landline"
    m = w.number(("+8628",) if landline else OWN)
    w.subscriber(m, born=None if landline else int(rng.integers(1965, 2000)),
                 age_days=int(rng.integers(20, 900)), kind=f"robocall:{variant}",
                 owner="enterprise" if landline else "individual")  # fmt: skip
    imei, cell = w.imei(), f"R{int(rng.integers(0, 600))}"
    median, sigma = opts["gap"]
    talk = opts["talk"]
    scan = variant == "range_scan"
    base, prefix = int(rng.integers(10_000_000, 90_000_000)), str(rng.choice(OWN))
    shifts = [(8.5, 20.5)] if variant == "slow_drip" else [(9.0, 12.0), (13.5, 17.5)]
    targets = itertools.cycle(_strangers(w, None, 1500))  # (a small city is dialled again)
    for a, b in shifts:
        t = 86_400 + a * 3600
        while t < 86_400 + b * 3600:
            if scan:  # a number range in order, a third of its numbers never given out
                base += int(rng.integers(1, 4))
                callee = f"{prefix}{base:08d}"
                if rng.random() < 0.35:
                    w.call(m, callee, t, 0, ring=0, cell=cell, imei=imei)
                    t += _gaps(w, median / 3, sigma)
                    continue
                answered = rng.random() < float(opts["answer"])
            else:
                callee = next(targets).msisdn
                answered = rng.random() < float(opts["answer"])
            d = w.talk(*talk) if answered else 0
            w.call(m, callee, t, d, cell=cell, imei=imei)
            t += max(d + 4, _gaps(w, median, sigma))


def _wangiri(w: _World, variant: str, opts: dict[str, Any]) -> None:
    """One ring and hang up; the few who ring back pay for it."""
    rng = w.rng
    source = opts["from"]
    if source == "foreign":
        prefix, digits = ABROAD[int(rng.integers(0, len(ABROAD)))]
        m = w.number((prefix,), digits)
        w.truth[m] = f"wangiri:{variant}"
        cell = imei = None
    elif source == "other":
        m = w.number(("+86170", "+86165"))
        w.truth[m] = f"wangiri:{variant}"
        cell = imei = None
    else:
        m = w.number(OWN)
        w.subscriber(m, born=int(rng.integers(1970, 2000)), age_days=int(rng.integers(3, 30)),
                     kind=f"wangiri:{variant}", realname="incomplete")  # fmt: skip
        cell, imei = f"W{int(rng.integers(0, 600))}", w.imei()
    median, sigma = opts["gap"]
    a, b = opts["hours"]
    t = 86_400 + a * 3600
    for q in _strangers(w, None, 2000):
        if t >= 86_400 + b * 3600:
            break
        w.call(m, q.msisdn, t, 0, ring=int(rng.integers(1, 3)), cell=cell, imei=imei)
        if rng.random() < 0.05:  # the missed call rung back (a premium line's long message)
            back = t + (rng.uniform(6, 10) * 3600 if a < 6 else rng.uniform(120, 7200))
            w.person_call(q, m, back, w.talk(70, 0.5))
        t += _gaps(w, median, sigma)


def _round(w: _World, p: _Person, callees: list[str], t: float, answer: float,
           talk: tuple[float, float], pause: tuple[float, float], back: float) -> None:  # fmt: skip
    """One call after another; those who missed it often ring back."""
    rng = w.rng
    w.began(p.msisdn, t)
    for b in callees:
        answered = rng.random() < answer
        d = w.talk(*talk) if answered else 0
        ring = w.ring(answered)
        w.person_call(p, b, t, d, ring)
        if not answered and rng.random() < back:
            w.call(b, p.msisdn, t + rng.exponential(1500) + 60, w.talk(40, 0.6))
        t += ring + d + rng.uniform(*pause)


def _honest(w: _World, name: str, taken: set[int]) -> None:
    rng = w.rng
    kind = f"honest:{name}"
    day = 86_400
    if name == "cs_landline":  # a customer-service line on the allow list
        m = w.number(("+8628",))
        w.subscriber(m, born=None, age_days=3000, kind=kind, owner="enterprise", whitelisted=True)
        p = _Person(m, True, 0, "成都", "S1", "S1", w.imei())
        for q in _strangers(w, None, int(rng.integers(150, 300))):
            t = day + rng.uniform(9, 18) * 3600
            w.call(q.msisdn, m, t, w.talk(180, 0.7) if rng.random() < 0.9 else 0)
            if rng.random() < 0.7:
                answered = rng.random() < 0.7
                w.person_call(p, q.msisdn, t + rng.uniform(600, 4 * 3600),
                              w.talk(150, 0.8) if answered else 0)  # fmt: skip
        return
    born = {"elderly_relatives": (1938, 1954), "teacher": (1975, 1996)}.get(name, (1970, 2000))
    p = _pick(w, born, taken)
    w.truth[p.msisdn] = kind
    if name == "elderly_relatives":  # a wedding, a funeral, a festival: everyone is rung
        extra = [i for i in rng.choice(len(w.folk), size=20) if w.folk[int(i)].region == p.region]
        p.book += [int(i) for i in extra]
        relatives = [w.folk[i].msisdn for i in dict.fromkeys(p.book)][:30]
        start = day + rng.uniform(8.5, 19) * 3600
        _round(w, p, relatives, start, 0.75, (float(rng.uniform(40, 120)), 0.7), (15, 120), 0.6)
    elif name == "teacher":
        parents = [q.msisdn for q in _strangers(w, p, int(rng.integers(35, 46)))]
        _round(w, p, parents, day + rng.uniform(19, 20) * 3600, 0.8, (80, 0.8), (10, 60), 0.5)
    elif name == "delivery_station":
        people = [q.msisdn for q in _strangers(w, p, int(rng.integers(120, 200)))]
        _round(w, p, people, day + 8.5 * 3600, 0.7, (18, 0.5), (5, 30), 0.35)
    elif name in ("courier", "ride_hailing"):
        n = int(rng.integers(60, 111)) if name == "courier" else int(rng.integers(15, 36))
        hours = (8.5, 19.0) if name == "courier" else (7.0, 23.0)
        for t, q in zip(np.sort(day + rng.uniform(*hours, size=n) * 3600),
                        _strangers(w, p, n), strict=False):  # fmt: skip
            p.work = p.home = f"L{int(rng.integers(0, 600))}"  # on the road
            _round(w, p, [q.msisdn], float(t), 0.85, (22, 0.6), (5, 10), 0.4)
            if name == "ride_hailing" and rng.random() < 0.4:  # the passenger rings too
                w.call(q.msisdn, p.msisdn, float(t) + rng.uniform(60, 600), w.talk(20, 0.5))
    else:  # insurance and property agents: a client list, worked through the day
        clients = [q.msisdn for q in _strangers(w, p, 300)]
        n = int(rng.integers(50, 81)) if name == "insurance_agent" else int(rng.integers(40, 71))
        talk = (70.0, 1.0) if name == "insurance_agent" else (60.0, 0.9)
        for t in np.sort(day + rng.uniform(9.5, 17.5, size=n) * 3600):
            _round(w, p, [str(rng.choice(clients))], float(t), 0.58, talk, (5, 10), 0.15)
        for _ in range(int(rng.integers(3, 12))):  # clients ring in
            w.call(str(rng.choice(clients)), p.msisdn, day + rng.uniform(9, 20) * 3600,
                   w.talk(90, 0.8))  # fmt: skip


def _later(w: _World, kind: str, taken: set[int]) -> None:
    if kind.startswith("honest:"):
        _later_honest(w, kind, taken)
        return
    rng = w.rng
    day = 86_400
    if kind == "simbox:car_box":  # a box in a car: two modules, eight SIMs, a new cell often
        sims = [w.number(OWN) for _ in range(8)]
        devices = [w.imei() for _ in range(2)]
        route = [f"V{int(c)}" for c in rng.integers(0, 600, size=40)]
        for k, m in enumerate(sims):
            w.subscriber(m, born=int(rng.integers(1965, 2002)), age_days=int(rng.integers(4, 45)),
                         kind=kind, region=str(rng.choice(AREAS)))  # fmt: skip
            n = int(rng.integers(30, 60))
            times = np.sort(day + rng.uniform(9, 20, size=n) * 3600)
            for t, q in zip(times, _strangers(w, None, n), strict=False):
                d = w.talk(35, 0.9) if rng.random() < 0.3 else 0
                cell = route[int((t - day) // 600) % len(route)]
                w.call(m, q.msisdn, float(t), d, cell=cell, imei=devices[k % 2])
    elif kind == "wangiri:longer_ring":  # two or three rings before hanging up
        prefix, digits = ABROAD[int(rng.integers(0, len(ABROAD)))]
        m = w.number((prefix,), digits)
        w.truth[m] = kind
        t = day + rng.uniform(1, 2) * 3600
        for q in _strangers(w, None, 200):
            w.call(m, q.msisdn, t, 0, ring=int(rng.integers(4, 8)))
            if rng.random() < 0.05:
                w.person_call(q, m, t + rng.uniform(6, 9) * 3600, w.talk(70, 0.5))
            t += _gaps(w, 35.0, 0.5)


def _later_honest(w: _World, kind: str, taken: set[int]) -> None:
    rng = w.rng
    day = 86_400
    if kind == "honest:hall_sim_tests":  # a business hall tries each new SIM in its phone
        imei, cell = w.imei(), f"H{int(rng.integers(0, 600))}"
        for t in np.sort(day + rng.uniform(9, 18, size=int(rng.integers(15, 26))) * 3600):
            m = w.number(OWN)
            w.subscriber(m, born=int(rng.integers(1950, 2006)), age_days=-1, kind=kind,
                         region=str(rng.choice(AREAS)))  # fmt: skip
            w.call(m, "+8610086", float(t), w.talk(20, 0.4), cell=cell, imei=imei)
            if rng.random() < 0.6:  # and rings the customer's family to give the number
                q = w.folk[int(rng.integers(0, len(w.folk)))]
                w.call(m, q.msisdn, float(t) + 60, w.talk(40, 0.6), cell=cell, imei=imei)
            own = w.imei()  # then the SIM goes home in the customer's phone
            for _ in range(int(rng.integers(1, 4))):
                q = w.folk[int(rng.integers(0, len(w.folk)))]
                w.call(m, q.msisdn, float(t) + rng.uniform(1, 6) * 3600, w.talk(60, 0.8),
                       cell=f"L{int(rng.integers(0, 600))}", imei=own)  # fmt: skip
    elif kind == "honest:wedding_invites":  # a working-age owner rings everyone to invite
        p = _pick(w, (1988, 1998), taken)
        w.truth[p.msisdn] = kind
        guests = [w.folk[i].msisdn for i in dict.fromkeys(p.book)][:25]
        guests += [q.msisdn for q in _strangers(w, p, 10)]  # colleagues' partners, old classmates
        _round(w, p, guests, day + rng.uniform(12, 20) * 3600, 0.7, (60, 0.7), (10, 60), 0.5)
    else:  # a courier on a weekday: recipients at work answer half the time
        p = _pick(w, (1975, 2000), taken)
        w.truth[p.msisdn] = kind
        n = int(rng.integers(80, 121))
        for t, q in zip(np.sort(day + rng.uniform(8.5, 19, size=n) * 3600),
                        _strangers(w, p, n), strict=False):  # fmt: skip
            p.work = p.home = f"L{int(rng.integers(0, 600))}"
            _round(w, p, [q.msisdn], float(t), 0.5, (18, 0.5), (5, 10), 0.5)


def world(
    seed: int, *, people: int = 3000, actors: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The city: ``people`` own subscribers (and others around them), ``actors`` times the
    count of every actor above.

    >>> calls, subs, truth = world(1, people=300)
    >>> sorted(set(truth["family"]))
    ['honest', 'person', 'relay', 'robocall', 'simbox', 'wangiri']
    """
    w = _World(np.random.default_rng(seed))
    _people(w, people)
    taken: set[int] = set()
    for family, variants in VARIANTS.items():
        for variant, (count, opts) in variants.items():
            for _ in range(count * actors):
                if family == "relay":
                    _relay(w, variant, opts, taken)
                elif family == "simbox":
                    _simbox(w, variant, opts)
                elif family == "robocall":
                    _robocall(w, variant, opts)
                else:
                    _wangiri(w, variant, opts)
    for name, count in HONEST.items():
        for _ in range(count * actors):
            _honest(w, name, taken)
    for p in w.folk:  # everyone's own life, actors' owners included
        _ordinary(w, p, range(DAYS))
    for kind, count in LATER.items():
        for _ in range(count * actors):
            _later(w, kind, taken)
    rows = sorted(w.rows, key=lambda r: r[2])
    calls = pl.DataFrame(
        [(f"f{k:07d}", a, b, DAY0 + dt.timedelta(seconds=t), d, ring, cell, imei)
         for k, (a, b, t, d, ring, cell, imei) in enumerate(rows)],
        schema=CALL_SCHEMA, orient="row",
    )  # fmt: skip
    subs = pl.DataFrame(list(w.subs.values())).with_columns(
        pl.col("owner_birth_year").cast(pl.Int16)
    )
    seen = set(calls["caller"]) | set(calls["callee"])
    starts = {m: DAY0 + dt.timedelta(seconds=t) for m, t in w.starts.items()}
    truth = pl.DataFrame(
        [(m, k, starts.get(m)) for m, k in w.truth.items() if m in seen]
        + [(p.msisdn, "person", None) for p in w.folk
           if p.msisdn not in w.truth and p.msisdn in seen],
        schema={"msisdn": pl.String, "kind": pl.String, "start": pl.Datetime("us", "UTC")},
        orient="row",
    ).unique("msisdn", keep="first")  # fmt: skip
    truth = truth.with_columns(family=pl.col("kind").str.split(":").list.first())
    return calls, subs, truth


#: the type a detector's reason points to; ``lines`` for lines found working together (a SIM
#: box's or a call centre's: the campaign pass and caller-ID rotation)
ATTRIBUTION = {"relay_call": "relay", "profile_mismatch": "relay", "simbox": "simbox",
               "autodialer": "robocall", "sequential_dialing": "robocall",
               "rotation": "lines", "campaign": "lines", "wangiri": "wangiri"}  # fmt: skip
LEVELS = {"watch": 1, "review": 2, "restrict": 3, "suspend": 4, "intercept": 5}


def outcomes(calls: pl.DataFrame, truth: pl.DataFrame, alerts: pl.DataFrame) -> pl.DataFrame:
    """Each number of ``truth`` with what scoring made of it: its highest ``level``
    (:data:`LEVELS`, 0 for none), the first alert at ``review`` or above (``review_at``), how
    many calls the number had made by then (``calls_by``: its owner's own included) and since
    its behaviour's ``start`` (``calls_into``: all its calls where it has no other life), the
    first reason's ``detector`` there (at its highest alert where it never reached review) and
    every reason's code."""
    a = alerts.with_columns(
        level=pl.col("decision").replace_strict(LEVELS, return_dtype=pl.Int64),
        detector=pl.col("reasons").list.first().struct.field("code"),
    ).sort("flagged_at")
    codes = a.select("msisdn", code=pl.col("reasons").list.eval(
        pl.element().struct.field("code"))).explode("code").group_by("msisdn").agg(
        codes=pl.col("code").unique().sort().str.join(","))  # fmt: skip
    top = a.group_by("msisdn").agg(
        pl.col("level").max(),
        review_at=pl.col("flagged_at").filter(pl.col("level") >= 2).first(),
        detector=pl.col("detector").filter(pl.col("level") >= 2).first().fill_null(
            pl.col("detector").sort_by("level").last()),
    )  # fmt: skip
    made = truth.join(top, on="msisdn", how="left").join(codes, on="msisdn", how="left")
    out = (
        calls.select("caller", "start_time")
        .join(made.select("msisdn", "review_at", "start"), left_on="caller", right_on="msisdn")
        .filter(pl.col("start_time") <= pl.col("review_at"))
    )
    by = out.group_by("caller").agg(
        calls_by=pl.len(),
        calls_into=(pl.col("start").is_null() | (pl.col("start_time") >= pl.col("start"))).sum(),
    )
    return made.join(by.rename({"caller": "msisdn"}), on="msisdn", how="left").with_columns(
        pl.col("level").fill_null(0)
    )

"""Honest groups: organisations whose several lines call together, laid out in the city.

A sales team's corporate SIMs, a bank's or a utility's notification lines, a hospital's
appointment desk, a school's class teachers: each shares with a call-centre campaign some of
what a view across numbers sees (numbers of one block, one place, the same hours, callees in
common) while its calls are honest work. Their traffic is in ``behaviour/legit.py``; this
module gives them their people and numbers, once per seed, from a random stream of their own
(an ordinary city, which has none, is unchanged).

* ``sales_team``: working-age people given corporate SIMs of one enterprise block (mobile
  numbers a few apart), all in the office's cell; the SIMs are for work alone, so they leave
  the social graph.
* ``notice_line``, ``reminder_desk``: landlines of one hundred-block of the city's area code
  behind a company's exchange (no cell, no handset), enterprise-owned, held for years.
* ``school_round``: class teachers (25-55) who live around their school; they keep their own
  mobiles and their lives.

``Population.group`` holds each group's id within its kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import phonenumbers
import polars as pl

from callwarden.simulate.config import SimulationConfig

__all__ = ["COMPANY_LINES", "GROUP_ACTORS", "CityArrays", "place_groups"]

#: the honest group actors, in the order they are laid out
GROUP_ACTORS = ("sales_team", "notice_line", "reminder_desk", "school_round")
#: those whose numbers are a company's lines on its exchange (landlines without cell or device)
COMPANY_LINES = ("notice_line", "reminder_desk")

# the operator's mobile prefixes a company's block may come from
_BLOCK_PREFIXES = np.array([135, 136, 137, 138, 139, 150, 151, 152, 158, 159, 182, 187, 188])
_CITY_AREA = 28  # the simulated city's own area code (Chengdu), as the other city landlines
_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN is not None and _CN.fixed_line is not None  # noqa: S101
_FIXED = f"^(?:{_CN.fixed_line.national_number_pattern})$"


@dataclass
class CityArrays:
    """The population's columns the groups are written into, in place (indexed by
    subscriber; ``free`` and ``age`` by person)."""

    actor: np.ndarray
    group: np.ndarray
    number: np.ndarray
    enterprise: np.ndarray
    birth_year: np.ndarray
    realname: np.ndarray
    activated_on: np.ndarray
    region: np.ndarray
    home_cell: np.ndarray
    work_cell: np.ndarray
    imei: np.ndarray
    age: np.ndarray
    free: np.ndarray


class _Taken:
    """The numbers in use: the city's as it was (sorted once) and the blocks given since."""

    def __init__(self, numbers: np.ndarray) -> None:
        self.sorted = np.sort(numbers)
        self.given: list[np.ndarray] = []

    def clash(self, numbers: np.ndarray) -> bool:
        pos = np.minimum(np.searchsorted(self.sorted, numbers), self.sorted.shape[0] - 1)
        return bool((self.sorted[pos] == numbers).any()) or any(
            np.isin(numbers, block).any() for block in self.given
        )

    def take(self, numbers: np.ndarray) -> np.ndarray:
        self.given.append(numbers)
        return numbers


def _mobile_block(rng: np.random.Generator, k: int, taken: _Taken) -> np.ndarray:
    """``k`` mobile numbers of one enterprise block: one prefix and four middle digits, the
    last four a few apart (SIMs issued to the company together), none already in use."""
    while True:
        prefix = int(rng.choice(_BLOCK_PREFIXES))
        middle = int(rng.integers(1000, 10_000))
        start = int(rng.integers(0, 10_000 - 4 * k))
        last = start + np.sort(rng.choice(4 * k, size=k, replace=False))
        numbers = 86 * 10**11 + prefix * 10**8 + middle * 10**4 + last.astype(np.int64)
        if not taken.clash(numbers):
            return taken.take(numbers)


def _landline_block(rng: np.random.Generator, k: int, taken: _Taken) -> np.ndarray:
    """``k`` landlines of one hundred-block of the city (``+86 28 8xxx xx00``-``99``), the
    company's extensions, valid in the numbering plan and none already in use."""
    while True:
        hundred = int(rng.integers(810_000, 900_000)) * 100
        local = hundred + np.sort(rng.choice(100, size=k, replace=False)).astype(np.int64)
        national = pl.Series(_CITY_AREA * 10**8 + local).cast(pl.String)
        numbers = (86 * 100 + _CITY_AREA) * 10**8 + local
        if national.str.contains(_FIXED).all() and not taken.clash(numbers):
            return taken.take(numbers)


def _nearest_free(
    wanted: np.ndarray, pos: np.ndarray, anchor: int, k: int, n_persons: int
) -> np.ndarray:
    """The ``k`` people of ``wanted`` (a mask by person) closest to ``anchor`` in community
    order (``pos``: each person's position), nearest first."""
    idx = np.flatnonzero(wanted)
    gap = np.abs(pos[idx] - anchor)
    gap = np.minimum(gap, n_persons - gap)  # the order wraps round
    if idx.shape[0] > k:  # (the k nearest, ties by index: no full sort of the city)
        near = gap <= np.partition(gap, k - 1)[k - 1]
        idx, gap = idx[near], gap[near]
    return idx[np.lexsort((idx, gap))[:k]]


def place_groups(
    config: SimulationConfig, codes: Mapping[str, int], city: CityArrays, persons: np.ndarray
) -> np.ndarray:
    """Lay the honest groups into ``city`` (in place) and return ``persons`` (people in
    community order) without the companies' lines, which have no life of their own."""
    counts = {name: getattr(config, name).count(config.subscribers) for name in GROUP_ACTORS}
    if not any(counts.values()):
        return persons
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x6A0C5]))
    n_persons = city.free.shape[0]
    pos = np.empty(n_persons, dtype=np.int64)
    pos[persons] = np.arange(n_persons)
    age = city.age[:n_persons]
    lines: list[np.ndarray] = []
    taken = _Taken(city.number)

    def normal() -> np.ndarray:
        return city.free & (city.actor[:n_persons] == codes["normal"])

    def take(name: str, gid: int, members: np.ndarray) -> None:
        city.free[members] = False
        city.actor[members] = codes[name]
        city.group[members] = gid

    def company(name: str, gid: int, members: np.ndarray, numbers: np.ndarray) -> None:
        take(name, gid, members)
        office = city.work_cell[members[0]]
        city.home_cell[members] = city.work_cell[members] = office
        city.region[members] = city.region[members[0]]
        city.number[members] = numbers
        city.enterprise[members] = True
        city.birth_year[members] = -1
        city.activated_on[members] = np.datetime64(config.start_date, "D") - rng.integers(
            365, 12 * 365, size=members.shape[0]
        ).astype("timedelta64[D]")
        lines.append(members)

    cfg_team = config.sales_team
    for gid in range(counts["sales_team"]):
        k = int(rng.integers(*cfg_team.agents, endpoint=True))
        pool = np.flatnonzero(normal() & (age >= 22) & (age <= 45))
        members = np.sort(rng.choice(pool, size=min(k, pool.shape[0]), replace=False))
        company("sales_team", gid, members, _mobile_block(rng, members.shape[0], taken))
        # corporate SIMs: registered to the company, a third without a named user
        city.realname[members] = np.where(rng.random(members.shape[0]) < 0.3, 3, 0)
    for name in COMPANY_LINES:
        bounds = config.notice_line.lines if name == "notice_line" else config.reminder_desk.lines
        for gid in range(counts[name]):
            k = int(rng.integers(*bounds, endpoint=True))
            pool = np.flatnonzero(normal())
            members = np.sort(rng.choice(pool, size=min(k, pool.shape[0]), replace=False))
            company(name, gid, members, _landline_block(rng, members.shape[0], taken))
            city.realname[members] = 0
            city.imei[members] = -1
    cfg_school = config.school_round
    for gid in range(counts["school_round"]):
        k = int(rng.integers(*cfg_school.teachers, endpoint=True))
        anchor = int(rng.integers(0, n_persons))
        teachers = _nearest_free(normal() & (age >= 25) & (age <= 55), pos, anchor, k, n_persons)
        take("school_round", gid, np.sort(teachers))
    if not lines:
        return persons
    gone = np.zeros(city.actor.shape[0], dtype=bool)
    gone[np.concatenate(lines)] = True
    return persons[~gone[persons]]

"""Honest groups in the simulated city: their members, numbers and places (``groups.py``) and
their calls (``behaviour/honest_groups.py``): sales teams on one shared client list, a bank's
notification lines, a hospital's appointment desk, a school's teachers on one evening."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.behaviour.honest_groups import team_list
from callwarden.simulate.config import (
    NoticeLineConfig,
    ReminderDeskConfig,
    SalesTeamConfig,
    SchoolRoundConfig,
)
from callwarden.simulate.groups import GROUP_ACTORS
from callwarden.simulate.population import build_population
from callwarden.simulate.scenarios import LOOK_ALIKES, SUITE_LOOK_ALIKES, VARIANTS

LOCAL = "Asia/Shanghai"
CONFIG = SimulationConfig(
    subscribers=5000,
    days=2,
    seed=13,
    sales_team=SalesTeamConfig(per_million=400),
    notice_line=NoticeLineConfig(per_million=200),
    reminder_desk=ReminderDeskConfig(per_million=200),
    school_round=SchoolRoundConfig(per_million=400),
)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("groups")
    simulate_city(CONFIG, out)
    return out


@pytest.fixture(scope="module")
def labels(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "labels")


@pytest.fixture(scope="module")
def calls(city: Path) -> pl.DataFrame:
    frame = pl.read_parquet(city / "calls", hive_partitioning=False)
    local = pl.col("start_time").dt.convert_time_zone(LOCAL)
    return frame.with_columns(hour=local.dt.hour() + local.dt.minute() / 60.0, day=local.dt.date())


@pytest.fixture(scope="module")
def subscribers(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "subscribers")


def _members(labels: pl.DataFrame, actor: str) -> dict[str, list[str]]:
    rows = labels.filter(pl.col("actor") == actor)
    return {g: rows.filter(pl.col("group_id") == g)["msisdn"].to_list() for g in
            rows["group_id"].unique().sort()}  # fmt: skip


def _made_by(calls: pl.DataFrame, numbers: list[str]) -> pl.DataFrame:
    return calls.filter(pl.col("caller").is_in(numbers))


def test_every_group_is_honest_counted_and_sized(labels: pl.DataFrame) -> None:
    bounds = {
        "sales_team": CONFIG.sales_team.agents,
        "notice_line": CONFIG.notice_line.lines,
        "reminder_desk": CONFIG.reminder_desk.lines,
        "school_round": CONFIG.school_round.teachers,
    }
    for actor in GROUP_ACTORS:
        groups = _members(labels, actor)
        assert len(groups) == getattr(CONFIG, actor).count(CONFIG.subscribers), actor
        for gid, numbers in groups.items():
            assert gid.startswith(f"{actor}-")
            assert bounds[actor][0] <= len(numbers) <= bounds[actor][1], (gid, len(numbers))
        got = labels.filter(pl.col("actor") == actor)
        assert set(got["label"]) == {"legit_heavy"}
        assert got["behaviour_start"].null_count() == got.height


def test_the_suite_holds_every_group_and_an_ordinary_city_none() -> None:
    assert set(GROUP_ACTORS) <= set(LOOK_ALIKES) and set(GROUP_ACTORS) <= set(SUITE_LOOK_ALIKES)
    plain = SimulationConfig(subscribers=3000, seed=7)
    assert all(getattr(plain, actor).count(3000) == 0 for actor in GROUP_ACTORS)
    suite = VARIANTS["relay_slow"].config(subscribers=3000, seed=7)
    assert all(getattr(suite, actor).count(3000) >= 1 for actor in GROUP_ACTORS)


def test_the_rest_of_the_city_is_what_the_seed_gave_without_them() -> None:
    quiet = build_population(SimulationConfig(subscribers=5000, seed=13))
    busy = build_population(CONFIG)
    others = ~np.isin(busy.actor, [busy.actor.max() - k for k in range(len(GROUP_ACTORS))])
    assert (~others).sum() > 0
    for column in ("number", "actor", "home_cell", "work_cell", "imei", "realname", "region"):
        assert np.array_equal(getattr(quiet, column)[others], getattr(busy, column)[others])
    again = build_population(CONFIG)
    assert np.array_equal(again.number, busy.number) and np.array_equal(again.group, busy.group)


def test_a_sales_team_is_one_block_one_office_one_shared_list(
    labels: pl.DataFrame, calls: pl.DataFrame, subscribers: pl.DataFrame
) -> None:
    pop = build_population(CONFIG)
    for gid, numbers in _members(labels, "sales_team").items():
        assert len({n[:10] for n in numbers}) == 1, numbers  # +86 prefix, four middle digits
        owners = subscribers.filter(pl.col("msisdn").is_in(numbers))
        assert set(owners["owner_type"]) == {"enterprise"}
        made = _made_by(calls, numbers)
        # office hours, a lunch break, one cell, each agent on a handset of their own
        hour = made["hour"].to_numpy()
        assert hour.min() >= 9.0 and hour.max() < 18.5
        assert made.filter((pl.col("hour") >= 12.25) & (pl.col("hour") < 13.5)).height < (
            0.05 * made.height
        )
        assert made["caller_cell"].n_unique() == 1
        assert made["caller_imei"].n_unique() == len(numbers)
        # one list for the team: every client on it, many tried by two agents
        team = int(gid.split("-")[1])
        listed = {f"+{n}" for n in team_list(pop, team, len(numbers)).tolist()}
        assert set(made["callee"]) <= listed
        agents = made.group_by("day", "callee").agg(pl.col("caller").n_unique().alias("k"))
        assert agents.filter(pl.col("k") >= 2).height >= 0.05 * agents.height
        # clients answer and ring back, and come round again the next day
        assert 0.4 < (made["duration_s"] > 0).mean() < 0.8  # type: ignore[operator]
        rang = calls.filter(pl.col("callee").is_in(numbers) & pl.col("caller").is_in(listed))
        assert rang.height >= 0.05 * made.height
        days = made.partition_by("day")
        assert len(days) == 2
        assert set(days[0]["callee"]) & set(days[1]["callee"])


def test_company_lines_are_a_block_of_landlines_paced_and_short(
    labels: pl.DataFrame, calls: pl.DataFrame, subscribers: pl.DataFrame
) -> None:
    for actor, first, last in (("notice_line", 9.0, 20.0), ("reminder_desk", 14.0, 18.0)):
        for numbers in _members(labels, actor).values():
            assert len({n[:-2] for n in numbers}) == 1, numbers  # one hundred-block
            assert all(n.startswith("+8628") for n in numbers)
            owners = subscribers.filter(pl.col("msisdn").is_in(numbers))
            assert set(owners["owner_type"]) == {"enterprise"}
            assert not owners["whitelisted"].any()
            made = _made_by(calls, numbers)
            assert made["caller_cell"].null_count() == made.height
            assert made["caller_imei"].null_count() == made.height
            hour = made["hour"].to_numpy()
            assert hour.min() >= first and hour.max() < last
            talk = made.filter(pl.col("duration_s") > 0)["duration_s"]
            assert talk.median() < 90  # type: ignore[operator]
            # strangers: hardly anyone called twice, but a missed one is tried from another line
            tried = made.group_by("day", "callee").agg(pl.col("caller").n_unique().alias("k"))
            assert tried.filter(pl.col("k") >= 2).height > 0
            assert tried.height > 0.55 * made.height  # three tries at most


def test_no_line_has_two_calls_at_once(labels: pl.DataFrame, calls: pl.DataFrame) -> None:
    for actor in ("sales_team", "notice_line", "reminder_desk"):
        numbers = labels.filter(pl.col("actor") == actor)["msisdn"]
        made = (
            calls.filter(pl.col("caller").is_in(numbers.implode()))
            .sort("caller", "start_time")
            .with_columns(
                end=pl.col("start_time")
                + pl.duration(seconds=pl.col("duration_s") + pl.col("ring_s"))
            )
        )
        overlap = made.filter(
            (pl.col("caller") == pl.col("caller").shift(1))
            & (pl.col("start_time") < pl.col("end").shift(1))
        )
        assert overlap.height == 0, (actor, overlap.head())


def test_a_school_rings_its_parents_the_same_evening(
    labels: pl.DataFrame, calls: pl.DataFrame, subscribers: pl.DataFrame
) -> None:
    for numbers in _members(labels, "school_round").values():
        owners = subscribers.filter(pl.col("msisdn").is_in(numbers))
        assert set(owners["owner_type"]) == {"individual"}
        age = 2026 - owners["owner_birth_year"]
        assert age.min() >= 25 and age.max() <= 55  # type: ignore[operator]
        evening = _made_by(calls, numbers).filter(pl.col("hour") >= 19.0)
        per_day = evening.group_by("day").agg(pl.col("caller").n_unique().alias("k"))
        assert per_day["k"].min() >= 0.8 * len(numbers)  # type: ignore[operator]
        first = evening.filter(pl.col("day") == evening["day"].min())
        assert 0.7 < (first["duration_s"] > 0).mean() < 0.95  # type: ignore[operator]
        # a family with children in two classes hears from two teachers, but few do
        teachers = first.group_by("callee").agg(pl.col("caller").n_unique().alias("k"))
        assert 0 < teachers.filter(pl.col("k") >= 2).height < 0.15 * teachers.height
        missed = set(first.filter(pl.col("duration_s") == 0)["callee"])
        back = calls.filter(pl.col("callee").is_in(numbers) & pl.col("caller").is_in(missed))
        assert back.height >= 0.2 * len(missed)

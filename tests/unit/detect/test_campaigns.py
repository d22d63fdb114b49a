"""The campaign pass on a city written apart from the simulator (``campaign_world.py``).

Every campaign variant keeps two cues or more and must be found (recall >= 0.95 per variant);
no honest group (a sales team with a consented list, bank notices, a school's call round,
hospital reminders, couriers, drivers) and no person may go above ``watch``.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from callwarden.decide.groups import group_rows
from callwarden.decide.policy import DecisionState, PolicyConfig, level_of
from callwarden.detect.campaign_steps import CampaignTracker, calls_of_traffic
from callwarden.detect.campaigns import CampaignGroup, group_of
from callwarden.detect.live import replay_alerts
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic

from .campaign_world import CAMPAIGN_VARIANTS, LOOK_ALIKES, world


@pytest.fixture(scope="module", params=[11, 12])
def scored(request: pytest.FixtureRequest) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    calls, subs, truth = world(request.param)
    alerts = score_records(Traffic(calls, None, subs)).alerts
    return calls, alerts, truth


def _levels(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    top = alerts.group_by("msisdn").agg(
        level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64).max()
    )
    return truth.join(top, on="msisdn", how="left").with_columns(pl.col("level").fill_null(0))


def test_every_campaign_variant_is_found(scored: tuple[pl.DataFrame, ...]) -> None:
    _, alerts, truth = scored
    levels = _levels(alerts, truth)
    for variant in CAMPAIGN_VARIANTS:
        lines = levels.filter(pl.col("kind") == f"campaign:{variant}")
        found = int((lines["level"] >= level_of("review")).sum())
        assert found / lines.height >= 0.95, (variant, found, lines.height)


def test_no_honest_group_or_person_goes_above_watch(scored: tuple[pl.DataFrame, ...]) -> None:
    _, alerts, truth = scored
    levels = _levels(alerts, truth)
    for name in (*LOOK_ALIKES, "person"):
        kind = name if name == "person" else f"honest:{name}"
        above = levels.filter((pl.col("kind") == kind) & (pl.col("level") > level_of("watch")))
        assert above.height == 0, (name, above["msisdn"].to_list())


def test_group_alerts_are_precise_and_name_their_group(scored: tuple[pl.DataFrame, ...]) -> None:
    _, alerts, truth = scored
    kinds = dict(zip(truth["msisdn"], truth["kind"], strict=True))
    groups = dict(zip(truth["msisdn"], truth["group"], strict=True))
    grouped = alerts.filter(pl.col("reasons").list.first().struct.field("code") == "campaign")
    assert grouped.height > 0
    right = sum(str(kinds.get(m, "")).startswith("campaign:") for m in grouped["msisdn"])
    assert right / grouped.height >= 0.99
    for reasons in grouped["reasons"].to_list()[:20]:
        evidence = json.loads(reasons[0]["evidence"])
        members = evidence["members"]
        assert len(members) >= 3
        assert f"与 {len(members) - 1} 个号码" in reasons[0]["text_zh"]
        assert f"with {len(members) - 1} other numbers" in reasons[0]["text_en"]
        assert group_of(reasons) == evidence["group_id"]
        # members are campaign lines (two campaigns of one city may be found as one group)
        assert all(str(groups.get(m, "")).startswith("campaign:") for m in members)


def test_the_stream_raises_the_same_group_alerts() -> None:
    calls, subs, _ = world(15, people=1500)
    batch = score_records(Traffic(calls, None, subs)).alerts
    assert (batch["reasons"].list.first().struct.field("code") == "campaign").any()
    for size in (997, 40_000):
        assert replay_alerts(Traffic(calls, None, subs), batch_size=size).equals(batch)


def test_group_ids_carry_over_from_checkpoint_to_checkpoint() -> None:
    calls, subs, truth = world(13)
    tracker = CampaignTracker(subs)
    c = calls_of_traffic(calls)
    hour = 3_600_000_000
    first = (int(c["t"].min()) // hour + 1) * hour  # type: ignore[operator]
    ids: dict[str, set[str]] = {}
    tracker.add(c)
    for at in range(first + 4 * hour, first + 10 * hour, hour):
        for g in tracker.checkpoint(at):
            true = truth.filter(pl.col("msisdn").is_in(g.members))["group"].mode()[0]
            ids.setdefault(true, set()).add(g.group_id)
    assert ids
    assert sum(len(v) == 1 for v in ids.values()) / len(ids) >= 0.8


def _group(score: float) -> CampaignGroup:
    members = [f"+86170000000{k:02d}" for k in range(6)]
    return CampaignGroup("campaign-t", members, 6, ["shared_callees", "no_inbound"], score, 0.0)


def test_the_policy_acts_on_a_group_with_its_caps_and_allow_list() -> None:
    state = DecisionState(PolicyConfig(daily_suspension_cap=2))
    allowed = {"+8617000000003"}
    rows = group_rows(state, [_group(0.97)], 1_789_000_000_000_000, allowed, "Asia/Shanghai")
    decisions = {r["msisdn"]: r["decision"] for r in rows}
    assert decisions["+8617000000003"] == "watch"  # allow list: the ceiling
    assert list(decisions.values()).count("suspend") == 2  # the daily cap
    assert list(decisions.values()).count("review") == 3  # the overflow goes to a person
    again = group_rows(state, [_group(0.97)], 1_789_000_000_000_000, allowed, "Asia/Shanghai")
    assert again == []  # decisions only rise


def test_a_group_below_watch_raises_nothing() -> None:
    state = DecisionState(PolicyConfig())
    assert group_rows(state, [_group(0.2)], 1_789_000_000_000_000, set(), "Asia/Shanghai") == []


def test_switched_off_the_pass_raises_no_group_alert() -> None:
    calls, subs, _ = world(14, people=800)
    policy = PolicyConfig.model_validate({"campaigns": {"enabled": False}})
    alerts = score_records(Traffic(calls, None, subs), policy).alerts
    codes = alerts["reasons"].list.first().struct.field("code")
    assert not (codes == "campaign").any()


def test_new_subscribers_who_cross_a_list_by_chance_are_no_members() -> None:
    """Six fresh lines dial one list with no calls in: a group. Beside them, new subscribers
    not called back yet, each of whom called a friend (twice) that a line also dialled: fresh,
    silent so far, one person in common. A SIM's age and silence tie nobody, and one callee in
    common is chance; they are no members."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # a morning, in µs
    minute = 60_000_000
    lines = [f"+861701234{k:04d}" for k in range(6)]
    targets = [f"+86139{k:08d}" for k in range(60)]
    # each line dials 20 of the 60, the lists overlapping
    rows = [
        (line, targets[(k * 7 + n) % 60], start + (k + 3 * n) * minute, 0)
        for k, line in enumerate(lines)
        for n in range(20)
    ]
    newcomers = [f"+86158{k:08d}" for k in range(4)]
    for k, person in enumerate(newcomers):
        rows.append((person, targets[k], start + 10 * minute, 5))  # a friend the lines dialled
        rows.append((person, targets[k], start + 40 * minute, 8))  # called again
        rows.append((person, f"+8613655500{k:03d}", start + (50 + k) * minute, 12))
        rows.append((person, f"+8618800000{k:03d}", start + 70 * minute, 3))
    calls = pl.DataFrame(
        rows, schema={"a": pl.String, "b": pl.String, "t": pl.Int64, "d": pl.Int64}, orient="row"
    ).with_columns(cell=pl.lit(None, pl.String), imei=pl.lit(None, pl.String))
    day = 86_400_000_000
    context = pl.DataFrame(
        {
            "msisdn": lines + newcomers,
            "activated_us": [start - 5 * day] * 6 + [start - 20 * day] * 4,
            "enterprise": [False] * 10,
        }
    )
    groups = find_campaigns(calls, context, start + 6 * 60 * minute)
    members = {m for g in groups for m in g.members}
    assert set(lines) <= members
    assert not members & set(newcomers)


def test_a_newcomer_sharing_friends_with_an_old_friend_is_no_member() -> None:
    """Six fresh lines dial one list with no calls in: a group. A new subscriber rings five
    relatives, as does an old friend of the family (a SIM of years), and one of them also got
    a line's call. The newcomer is fresh, silent and shares callees with someone the group
    touches, but not with its lines: one callee in common with them is chance. The newcomer is
    no member (the old friend never was: nothing about the line itself is like the group's)."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # a morning, in µs
    minute = 60_000_000
    day = 86_400_000_000
    lines = [f"+861701234{k:04d}" for k in range(6)]
    targets = [f"+86139{k:08d}" for k in range(60)]
    rows = [
        (line, targets[(k * 7 + n) % 60], start + (k + 3 * n) * minute, 0, None)
        for k, line in enumerate(lines)
        for n in range(20)
    ]
    relatives = [f"+8613655500{k:03d}" for k in range(5)] + [targets[0]]
    newcomer, old_friend = "+8615800000001", "+8613300000001"
    for k, person in enumerate((newcomer, old_friend)):
        rows += [
            (person, r, start + (30 * n + 7 * k) * minute, 25, None)
            for n, r in enumerate(relatives)
        ]
    calls = _placed_calls(rows)
    context = pl.DataFrame(
        {
            "msisdn": [*lines, newcomer, old_friend],
            "activated_us": [start - 5 * day] * 6 + [start - 20 * day, start - 2000 * day],
            "enterprise": [False] * 8,
        }
    )
    groups = find_campaigns(calls, context, start + 6 * 60 * minute)
    members = {m for g in groups for m in g.members}
    assert set(lines) <= members
    assert newcomer not in members and old_friend not in members


def test_a_working_day_everybody_keeps_ties_nobody_to_a_robocaller() -> None:
    """A robocaller dials 200 strangers from 09:00 to 18:00. Eight quiet people nobody called
    that day make their first call at nine and their last at six, as do forty others (who were
    called once or twice): the robocaller's hours are everybody's. Starting and stopping with
    it ties none of them to it, and there is no group to act on. Forty lines switched on at
    nine and off at six, calling nobody in common, are synchronised: those hours are theirs."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    day0 = 1_783_000_000_000_000  # µs, midnight
    minute = 60_000_000
    day = 86_400_000_000
    nine, six = day0 + 9 * 60 * minute, day0 + 18 * 60 * minute

    def day_of(a: str, n: int, first: int, k: int) -> list[tuple[object, ...]]:
        start, gap = nine + 2 * minute + k * 1_000_000, (six - nine - 7 * minute) // (n - 1)
        return [(a, f"+86139{first:04d}{k:02d}{i:03d}", start + i * gap, 0, None)
                for i in range(n)]  # fmt: skip

    dawn = [("+8613512345678", "+8613612345678", day0 + 6 * 60 * minute, 300, None)]

    robocaller = "+8613000000000"
    quiet = [f"+86158{k:04d}0001" for k in range(8)]  # (no two in one block)
    others = [f"+86159{k:04d}0001" for k in range(40)]
    rows = dawn + day_of(robocaller, 200, 0, 0)
    for k, a in enumerate(quiet):
        rows += day_of(a, 5, 1, k)
    for k, a in enumerate(others):
        rows += day_of(a, 6, 2, k)
        rows.append((f"+86135{k:08d}", a, nine + 30 * minute, 60, None))  # called once
    numbers = [robocaller, *quiet, *others]
    context = pl.DataFrame(
        {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
         "enterprise": [False] * len(numbers)}
    )  # fmt: skip
    at = day0 + 20 * 60 * minute
    review = PolicyConfig().review
    groups = find_campaigns(_placed_calls(rows), context, at)
    assert not any(g.score >= review and set(quiet) & set(g.members) for g in groups)
    # (in a town whose people call from morning to night, not only from nine to six: where
    # every number keeps nine to six, those hours are nobody's in particular)
    lines = [f"+86136{k:04d}0001" for k in range(40)]
    town, people = _crowd(200, day0, seed=5)
    rows = town + [r for k, a in enumerate(lines) for r in day_of(a, 6, 3, k)]
    numbers = lines + people
    context = pl.DataFrame(
        {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
         "enterprise": [False] * len(numbers)}
    )  # fmt: skip
    groups = find_campaigns(_placed_calls(rows), context, at)
    assert any("synchronised" in g.cues and len(g.members) >= 30 for g in groups)


def _crowd(
    count: int, day0: int, *, seed: int, calls: tuple[int, int] = (3, 6), prefix: str = "+86188"
) -> tuple[list[tuple[object, ...]], list[str]]:
    """Quiet people of a city (``count``, numbers ``prefix`` and eight digits): each rings a
    few strangers (``calls``: from, to exclusive) at random times from 07:00 to 23:00, short
    calls nobody returns; their rows for :func:`_placed_calls` and their numbers."""
    rng = np.random.default_rng(seed)
    hour = 3_600_000_000
    people = [f"{prefix}{k:08d}" for k in rng.choice(10**8, size=count, replace=False)]
    rows: list[tuple[object, ...]] = []
    for k, a in enumerate(people):
        n = int(rng.integers(*calls))
        for i, t in enumerate(np.sort(rng.uniform(7 * hour, 23 * hour, n)).astype(np.int64)):
            cell = f"T{int(rng.integers(0, 300))}"
            rows.append((a, f"+86187{k:06d}{i:02d}", day0 + int(t), 30, cell))
    return rows, people


def _placed_calls(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """The pass's calls from ``(caller, callee, µs, seconds, cell)`` rows, no device."""
    return pl.DataFrame(
        rows,
        schema={"a": pl.String, "b": pl.String, "t": pl.Int64, "d": pl.Int64, "cell": pl.String},
        orient="row",
    ).with_columns(imei=pl.lit(None, pl.String))


def test_another_networks_numbers_on_its_interconnect_trunk_are_no_group() -> None:
    """Five numbers of another network ring a few people each through the night and morning,
    starting and stopping in the same quarter hours: everything that network sends arrives on
    the one interconnect trunk, so the trunk ties nobody together. Five of the operator's own
    fresh lines on one cell, just as synchronised, are a group (and without a subscriber table
    the trunk counts as any place)."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # µs
    minute = 60_000_000
    day = 86_400_000_000

    def calls_of(callers: list[str], place: str) -> pl.DataFrame:
        rows = [
            (a, f"+86139{k:03d}{n:05d}", start + (n * 97 + k) * minute, 0, place)
            for k, a in enumerate(callers)
            for n in range(5)
        ]
        return _placed_calls(rows)

    others = [f"+86133{k:08d}" for k in range(0, 5000000, 1000000)]
    at = start + 8 * 60 * minute
    empty = pl.DataFrame(
        schema={"msisdn": pl.String, "activated_us": pl.Int64, "enterprise": pl.Boolean}
    )
    own = pl.DataFrame(
        {"msisdn": ["+8613800000000"], "activated_us": [start - 900 * day], "enterprise": [False]}
    )
    assert not find_campaigns(calls_of(others, "IC-CT-01"), own, at)
    lines = [f"+86170{k:08d}" for k in range(0, 5000000, 1000000)]
    mine = pl.DataFrame(
        {"msisdn": lines, "activated_us": [start - 5 * day] * 5, "enterprise": [False] * 5}
    )
    assert find_campaigns(calls_of(lines, "C1"), mine, at)
    assert find_campaigns(calls_of(others, "IC-CT-01"), empty, at)


def test_subscribers_without_an_activation_date_are_still_the_operators_own() -> None:
    """Five of the operator's own lines far apart in its numbering, on one cell, none called
    back, working the same hours: a group by the place and the silence. A subscriber table
    without activation dates still says they are the operator's own, so the same group is
    found (not called fresh: nothing says when they were sold)."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # µs
    minute = 60_000_000
    lines = [f"+86138{k:08d}" for k in range(1234567, 80000000, 17654321)]
    calls = _placed_calls(
        [
            (a, f"+86139{k:03d}{n:05d}", start + (n * 97 + k) * minute, 0, "C1")
            for k, a in enumerate(lines)
            for n in range(8)
        ]
    )
    dated = pl.DataFrame(
        {"msisdn": lines, "activated_us": [start - 900 * 86_400_000_000] * 5,
         "enterprise": [False] * 5}
    )  # fmt: skip
    undated = dated.with_columns(activated_us=pl.lit(None, pl.Int64))
    at = start + 14 * 60 * minute
    found = [find_campaigns(calls, subs, at) for subs in (dated, undated)]
    assert [[(g.members, g.cues) for g in f] for f in found] == [
        [(lines, ["shared_cell", "no_inbound"])]
    ] * 2


def test_a_few_dozen_calls_are_no_campaign_to_act_on() -> None:
    """Five neighbours' numbers (one block, one cell, quiet on the same hours) that each ring a
    few people between morning and evening look like one group by every cue but volume: 20
    calls in a day stay a watch. The same lines dialling 30 people each are a campaign."""
    from callwarden.detect.campaigns import CampaignConfig, find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # µs, a morning
    minute = 60_000_000
    day = 86_400_000_000
    lines = [f"+861380000{k:04d}" for k in range(5)]

    def calls_of(per_line: int) -> pl.DataFrame:
        gap = 480 // (per_line - 1)  # from the first call to the last: eight hours
        rows = [
            (a, f"+86139{k:03d}{n:05d}", start + (n * gap + k) * minute, 0, "C7")
            for k, a in enumerate(lines)
            for n in range(per_line)
        ]
        return _placed_calls(rows)

    context = pl.DataFrame(
        {"msisdn": lines, "activated_us": [start - 900 * day] * 5, "enterprise": [False] * 5}
    )
    at = start + 10 * 60 * minute
    review = PolicyConfig().review
    few = find_campaigns(calls_of(4), context, at)
    assert few and all(g.score < review for g in few)  # found, named, at watch
    many = find_campaigns(calls_of(30), context, at)
    assert many and max(g.score for g in many) >= review
    # the floor is the policy file's to set
    unfloored = find_campaigns(calls_of(4), context, at, CampaignConfig(min_group_calls=0))
    assert max(g.score for g in unfloored) >= review


def test_a_quiet_neighbour_on_the_lines_hours_is_no_member() -> None:
    """Five fresh lines on one cell dial 30 people each between morning and evening; two fresh
    subscribers on the same cell, quiet on the same hours, ring 4 people each: their hours,
    cell and age match, their pace does not. The lines are the group; the neighbours are not."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start = 1_783_000_000_000_000  # µs, a morning
    minute = 60_000_000
    day = 86_400_000_000
    lines = [f"+86170{k:08d}" for k in range(0, 5000000, 1000000)]
    people = ["+8615800000001", "+8615800000002"]

    def rows(callers: list[str], minutes: list[int], first: int) -> list[tuple[object, ...]]:
        return [
            (a, f"+86139{first + k:03d}{n:05d}", start + (m + k) * minute, 0, "C7")
            for k, a in enumerate(callers)
            for n, m in enumerate(minutes)
        ]

    # the lines: every 16 minutes from 0 to 464; the neighbours at 0, 150, 300 and 464
    calls = _placed_calls(
        rows(lines, list(range(0, 480, 16)), 0) + rows(people, [0, 150, 300, 464], 100)
    )
    context = pl.DataFrame(
        {
            "msisdn": lines + people,
            "activated_us": [start - 5 * day] * 7,
            "enterprise": [False] * 7,
        }
    )
    groups = find_campaigns(calls, context, start + 10 * 60 * minute)
    members = {m for g in groups for m in g.members}
    assert set(lines) <= members
    assert not members & set(people)


def test_a_failure_in_the_pass_thread_surfaces_where_its_groups_are_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch pass finds its groups in a thread of its own: an error there is raised in
    the scoring thread, not lost with the thread."""

    def broken(self: CampaignTracker, at_us: int, window: object = None) -> list[CampaignGroup]:
        raise ValueError("broken window")

    monkeypatch.setattr(CampaignTracker, "found_at", broken)
    calls, subs, _ = world(14, people=800)
    with pytest.raises(RuntimeError, match="campaign pass stopped") as caught:
        score_records(Traffic(calls, None, subs))
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_shift_stands_out_in_a_city_its_neighbours_hours_do_not() -> None:
    """Three robocallers work one shift (200 calls each, 09:00 to 18:00) in a city of 3,000
    quiet people who ring three to five strangers at any hour; eight of those people happen to
    make their first call at nine and their last at six, and nobody called them that day.
    Among 3,000 people with a handful of calls, dozens start and stop in any two quarter hours
    by chance: those hours tie the eight to nobody, while 200 calls on them tie the lines. The
    eight are no members of any group (each would be, with two cues, on its hours alone)."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    day0 = 1_783_000_000_000_000  # µs, midnight
    minute = 60_000_000
    day = 86_400_000_000
    nine, six = day0 + 9 * 60 * minute, day0 + 18 * 60 * minute

    def shift(a: str, n: int, tag: int) -> list[tuple[object, ...]]:
        gap = (six - nine - 7 * minute) // (n - 1)
        return [(a, f"+86139{tag:04d}{i:04d}", nine + 2 * minute + i * gap, 0, f"S{tag}")
                for i in range(n)]  # fmt: skip

    rows, crowd = _crowd(3000, day0, seed=7)
    lines = [f"+8613{k}00000000" for k in range(1, 4)]
    quiet = [f"+86158{k:04d}0001" for k in range(8)]
    for k, a in enumerate(lines):
        rows += shift(a, 200, k)
    for k, a in enumerate(quiet):
        rows += shift(a, 5, 100 + k)
    numbers = [*lines, *quiet, *crowd]
    context = pl.DataFrame(
        {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
         "enterprise": [False] * len(numbers)}
    )  # fmt: skip
    groups = find_campaigns(_placed_calls(rows), context, day0 + 20 * 60 * minute)
    members = {m for g in groups for m in g.members}
    assert not members & set(quiet)
    assert set(lines) <= members


def test_a_small_rotation_with_two_cues_is_found_in_a_city() -> None:
    """Twelve lines of ordinary mobile numbers (old SIMs, each on its own cell, no shared
    device) work a list of 60 people from 09:30 to 17:30, twelve calls a line, and a stranger
    rings each line once: two cues, a shared callee list and one shift, in a city of 3,000
    quiet people. Twelve calls on the shift's hours beat chance among the city's numbers that
    busy; the campaign is found and reviewed, every line a member."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    day0 = 1_783_000_000_000_000  # µs, midnight
    hour = 3_600_000_000
    day = 24 * hour
    rng = np.random.default_rng(3)
    rows, crowd = _crowd(3000, day0, seed=11)
    lines = [f"+86135{k:08d}" for k in rng.choice(10**8, size=12, replace=False)]
    targets = [f"+86150{k:08d}" for k in range(60)]
    for k, a in enumerate(lines):
        times = np.linspace(9.5 * hour, 17.5 * hour, 12).astype(np.int64) + k * 60_000_000
        for t, b in zip(times, rng.choice(targets, size=12, replace=False), strict=True):
            rows.append((a, str(b), day0 + int(t), 0, f"L{k}"))
        rows.append((f"+86189{k:08d}", a, day0 + 12 * hour, 40, "X"))  # a stranger rings it
    numbers = [*lines, *crowd]
    context = pl.DataFrame(
        {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
         "enterprise": [False] * len(numbers)}
    )  # fmt: skip
    groups = find_campaigns(_placed_calls(rows), context, day0 + 20 * hour)
    found = [g for g in groups if set(lines) <= set(g.members)]
    assert found
    assert sorted(found[0].cues) == ["shared_callees", "synchronised"]
    assert found[0].score >= PolicyConfig().review


def test_a_citys_area_code_ties_nobody_where_its_landlines_are_many() -> None:
    """Two landline robocallers of Chengdu (area code 28) dial 300 strangers each from 09:00
    to 18:00; four quiet Chengdu landlines that nobody called make their first call at nine
    and their last at six, in a city of 3,000 quiet mobiles and 400 quiet Chengdu landlines.
    The code is the city's: the group's numbers are a handful of the window's 400 with it, so
    it ties the four to nobody (they would be members by it). Twelve landlines of a small
    town's code, which no other dialling number has, dialling from ten to four, are adjacent."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    day0 = 1_783_000_000_000_000  # µs, midnight
    minute = 60_000_000
    day = 86_400_000_000
    nine, six = day0 + 9 * 60 * minute, day0 + 18 * 60 * minute

    def shift(a: str, n: int, tag: int, hours: tuple[int, int] = (nine, six)) -> list[
        tuple[object, ...]
    ]:  # fmt: skip
        gap = (hours[1] - hours[0] - 7 * minute) // (n - 1)
        return [(a, f"+86139{tag:04d}{i:04d}", hours[0] + 2 * minute + i * gap, 0, f"S{tag}")
                for i in range(n)]  # fmt: skip

    rows, crowd = _crowd(3000, day0, seed=13)
    more, landlines = _crowd(400, day0, seed=17, prefix="+8628")
    robocallers = ["+862860000001", "+862870000001"]
    quiet = [f"+8628{k}1000001" for k in range(4, 8)]
    rows += more
    for k, a in enumerate(robocallers):
        rows += shift(a, 300, k)
    for k, a in enumerate(quiet):
        rows += shift(a, 5, 100 + k)
    numbers = [*robocallers, *quiet, *crowd, *landlines]
    context = pl.DataFrame(
        {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
         "enterprise": [False] * len(numbers)}
    )  # fmt: skip
    at = day0 + 20 * 60 * minute
    groups = find_campaigns(_placed_calls(rows), context, at)
    assert not {m for g in groups for m in g.members} & set(quiet)
    assert not any("adjacent_numbers" in g.cues for g in groups)
    town = [f"+86838{k:02d}00001" for k in range(12)]  # (one code, twelve blocks)
    ten, four = nine + 60 * minute, six - 120 * minute
    rows += [r for k, a in enumerate(town) for r in shift(a, 30, 200 + k, (ten, four))]
    context = pl.concat([context, context.head(12).with_columns(msisdn=pl.Series(town))])
    groups = find_campaigns(_placed_calls(rows), context, at)
    assert any(set(town) <= set(g.members) and "adjacent_numbers" in g.cues for g in groups)


def test_lines_starting_a_minute_either_side_of_a_quarter_hour_are_synchronised() -> None:
    """Eight lines of one shift (old mobile SIMs far apart in the numbering, each on its own
    cell, each ringing its own 30 strangers, nobody calling them) start around nine and stop
    around six, each a minute before or a minute after the hour, in a town of 200 quiet people
    who ring a few strangers at any hour. The lines are within two minutes of one another at
    both ends: they start and stop together, though no more than two of them start and stop in
    the same quarter hours of the clock. They are one group, every line a member, reviewed.
    Lines whose hours lie twenty minutes apart, one after another, are not tied to one another
    by them."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    day0 = 1_783_036_800_000_000  # µs, a midnight (UTC): nine o'clock is a quarter hour's edge
    minute = 60_000_000
    day = 86_400_000_000
    nine, six = day0 + 9 * 60 * minute, day0 + 18 * 60 * minute
    lines = [f"+86135{k:02d}{k * 7 % 10}34567" for k in range(8)]  # (eight blocks)

    def shift(a: str, k: int, first: int, last: int) -> list[tuple[object, ...]]:
        gap = (last - first) // 29
        return [(a, f"+86139{k:04d}{i:04d}", first + i * gap, 0, f"S{k}") for i in range(30)]

    def town(offsets: list[tuple[int, int]]) -> list[CampaignGroup]:
        rows, people = _crowd(200, day0, seed=5)
        for k, (a, (early, late)) in enumerate(zip(lines, offsets, strict=True)):
            rows += shift(a, k, nine + early * minute, six + late * minute)
        numbers = lines + people
        context = pl.DataFrame(
            {"msisdn": numbers, "activated_us": [day0 - 900 * day] * len(numbers),
             "enterprise": [False] * len(numbers)}
        )  # fmt: skip
        return find_campaigns(_placed_calls(rows), context, day0 + 20 * 60 * minute)

    # a minute either side of nine and of six: two lines on each of the four pairs of cells
    jittered = [(-1 if k % 2 else 1, -1 if k // 2 % 2 else 1) for k in range(8)]
    groups = town(jittered)
    found = [g for g in groups if set(lines) <= set(g.members)]
    assert found and "synchronised" in found[0].cues
    assert found[0].score >= PolicyConfig().review
    # one line after another, twenty minutes apart at both ends: no two in one group
    apart = [(20 * k, 20 * k) for k in range(8)]
    assert all(len(set(g.members) & set(lines)) <= 1 for g in town(apart))

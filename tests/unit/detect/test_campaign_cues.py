"""The cues of all components at once read the same figures as group by group."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from callwarden.detect.campaign_cues import _Groups, _modes


@pytest.mark.parametrize("seed", range(5))
def test_group_medians_are_numpy_medians_group_by_group(seed: int) -> None:
    rng = np.random.default_rng(seed)
    group = np.sort(rng.integers(0, 30, 400))
    values = rng.integers(1_780_000_000_000_000, 1_790_000_000_000_000, 400)
    valid = rng.random(400) < 0.7
    groups = _Groups(group)
    got, got_valid = groups.median(values), groups.median(values.astype(float), valid)
    for k, g in enumerate(groups.keys):
        assert got[k] == np.median(values[group == g])
        mine = values[(group == g) & valid].astype(float)
        assert np.isnan(got_valid[k]) if mine.size == 0 else got_valid[k] == np.median(mine)


def test_a_mode_is_the_most_frequent_value_and_the_smallest_of_equals() -> None:
    frame = pl.DataFrame(
        {
            "g": [0, 0, 0, 0, 1, 1, 1, 2],
            "cell": ["c9", "c2", "c9", "c2", None, "c5", None, None],
        }
    )
    modes = _modes(frame, "cell").sort("g")
    assert modes.rows() == [(0, "c2", 2), (1, "c5", 1)]


@pytest.mark.parametrize("seed", range(3))
def test_synchronised_pairs_are_every_grid_pair_with_a_second_piece_of_evidence(
    seed: int,
) -> None:
    """The pairs on one cell of the start/stop grid (cells above the cap left out), and the
    pairs of timed numbers whose first and last calls lie within a quarter hour of each
    other's, in any cells: those of them with a second piece of evidence, and no other."""
    from callwarden.detect.campaigns import _synchronised_pairs  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    n, quarter = 300, 900

    def pick(values: list[object]) -> list[object]:
        return [values[k] for k in rng.integers(0, len(values), n)]

    # hours: a few busy cells, many scattered ones, every number a few minutes off its cell's
    spots = [(36, 72), (37, 72), (36, 71)] + [(k, 60 + k % 7) for k in range(3, 40)]
    at = rng.integers(0, len(spots), n)
    first = np.array([spots[k][0] for k in at]) * quarter + rng.integers(0, quarter, n)
    last = np.array([spots[k][1] for k in at]) * quarter + rng.integers(0, quarter, n)
    attrs = pl.DataFrame(
        {
            "i": np.arange(n),
            "imei": pick(["d1", "d2", None, None, None]),
            "cell": pick(["c1", "c2", "c3", None]),
            "block": pick(["+86170000001", "+86170000002", "+86170000003"]),
            "area": pick(["10", "21", None, None]),
            "virtual": pick([True, False]),
            "first": first,
            "last": last,
            "qf": first // quarter,
            "ql": last // quarter,
            "timed": pick([True, False, False, False]),
            "none": pick([True, False, False]),
            "fresh": pick([True, False, False]),
        },
        schema_overrides={"i": pl.Int64, "first": pl.Int64, "last": pl.Int64},
    )
    got = {tuple(r) for frame in _synchronised_pairs(attrs, quarter, cap=60) for r in frame.rows()}
    row = {r["i"]: r for r in attrs.iter_rows(named=True)}
    size = attrs.group_by("qf", "ql").len()
    small = {(a, b) for a, b, k in size.rows() if k <= 60}

    def second(a: dict[str, object], b: dict[str, object]) -> bool:
        same = any(a[k] is not None and a[k] == b[k] for k in ("imei", "cell", "block", "area"))
        return same or any(a[k] and b[k] for k in ("virtual", "none", "fresh"))

    def tied(i: int, j: int) -> bool:
        cell = (row[i]["qf"], row[i]["ql"])
        if cell == (row[j]["qf"], row[j]["ql"]) and cell in small:
            return True
        near = abs(first[i] - first[j]) <= quarter and abs(last[i] - last[j]) <= quarter
        return bool(row[i]["timed"] and row[j]["timed"] and near)

    want = {(i, j) for i in range(n) for j in range(i + 1, n)
            if tied(i, j) and second(row[i], row[j])}  # fmt: skip
    assert want
    # (both kinds are there: pairs on one cell and timed pairs on neighbouring cells)
    assert any((row[i]["qf"], row[i]["ql"]) != (row[j]["qf"], row[j]["ql"]) for i, j in want)
    assert got == want


def test_a_groups_honesty_is_its_members_own_work() -> None:
    """A bank's four notification lines (enterprise landlines held for years, short notices
    nobody returns) and a courier that only touches their component: the lines are
    established honest work whether the courier is there or not. A campaign's five lines that
    nobody calls back stay as dishonest beside two people whose friends ring them back."""
    from callwarden.detect.campaign_cues import honesty  # noqa: PLC0415

    groups = _Groups(np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]))
    col = {
        "calls": np.array([80, 90, 70, 85, 12, 40, 40, 40, 40, 40, 6, 5], float),
        "answered": np.array([50, 60, 40, 55, 8, 10, 12, 9, 11, 10, 6, 5], float),
        "talk": np.array([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 5, 4], float),
        "callbacks": np.array([1, 0, 2, 1, 3, 0, 0, 0, 0, 0, 30, 30], float),
        "callees": np.array([75, 85, 66, 80, 12, 40, 40, 40, 40, 40, 5, 5], float),
        "repeat": np.zeros(12),
    }
    age = np.array([2000, 2000, 1500, 1800, 40, 3, 3, 3, 3, 3, 900, 1200], float)
    aged = np.ones(12, bool)
    enterprise = np.array([True] * 4 + [False] * 8)
    member = np.array([True] * 4 + [False] + [True] * 5 + [False] * 2)
    whole = honesty(groups, col, age, aged, enterprise)
    mine = honesty(groups, col, age, aged, enterprise, member)
    assert whole[0] < 0.6 <= mine[0]  # the courier no longer vetoes the bank's lines
    assert mine[1] < whole[1]  # nor do the people lend the campaign their call-backs
    assert mine[1] == 0.0
    # a group without members is read over all its rows
    none = honesty(groups, col, age, aged, enterprise, np.zeros(12, bool))
    assert np.array_equal(none, whole)


def test_a_banks_block_of_lines_beside_a_campaign_is_judged_on_its_own_work() -> None:
    """Six lines of one block of a city's landlines ring 60 of the same 200 people each (a
    campaign's list); a bank's five notice lines, one block of established enterprise
    landlines of the same city on the operator's trunk, ring 80 people each of a city of 400,
    so they share many callees with the campaign by chance and show its two cues (shared
    callees, one area code) themselves. The bank's block is honest by its own work and is no
    part of the group; the campaign is found as before, its lines alone."""
    from callwarden.detect.campaigns import find_campaigns  # noqa: PLC0415

    start, minute, day = 1_783_000_000_000_000, 60_000_000, 86_400_000_000
    rng = np.random.default_rng(5)
    people = [f"+86139{k:08d}" for k in range(0, 40_001_200, 100_003)]
    lines = [f"+86288123{k:03d}" for k in (105, 131, 157, 170, 188, 196)]
    bank = [f"+86288555{k:03d}" for k in (110, 123, 137, 150, 164)]
    rows: list[tuple[str, str, int, int, str]] = []

    def ring(a: str, callees: np.ndarray, t0: int, gap: float, answer: float, cell: str) -> None:
        for n, c in enumerate(callees.tolist()):
            d = int(rng.integers(5, 40)) if rng.random() < answer else 0
            rows.append((a, people[c], t0 + int(n * gap), d, cell))

    for k, a in enumerate(lines):
        ring(a, rng.choice(200, 60, replace=False), start + (540 + 7 * k) * minute, 7 * minute,
             0.4, f"C{k}")  # fmt: skip
    for k, a in enumerate(bank):
        ring(a, rng.choice(400, 80, replace=False), start + (480 + 13 * k) * minute,
             6.5 * minute, 0.65, "IMS-SC-01")  # fmt: skip
    for a in lines + bank:  # a few people ring every line back
        rows += [(people[int(rng.integers(200, 400))], a, start + (720 + 3 * n) * minute, 30, "C9")
                 for n in range(4)]  # fmt: skip
    calls = pl.DataFrame(
        rows,
        schema={"a": pl.String, "b": pl.String, "t": pl.Int64, "d": pl.Int64, "cell": pl.String},
        orient="row",
    ).with_columns(imei=pl.lit(None, pl.String))
    subs = pl.DataFrame(
        {"msisdn": lines + bank, "activated_us": [start - 200 * day] * 6 + [start - 2000 * day] * 5,
         "enterprise": [False] * 6 + [True] * 5}
    )  # fmt: skip
    (group,) = find_campaigns(calls, subs, start + 1200 * minute)
    assert group.members == lines and group.linked == 11
    assert group.cues == ["shared_callees", "adjacent_numbers"] and group.score == 0.65

"""The campaign pass's rolling window equals the same figures read from the window's calls."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.campaign_steps import BatchCampaigns, CampaignTracker, calls_of_traffic
from callwarden.detect.campaign_window import CallWindow, _Part, slice_seconds
from callwarden.detect.scoring import EventScorer
from callwarden.features.engines.base import Traffic

from .campaign_world import world

HOUR = 3_600_000_000


def _calls(seed: int, n: int = 4000) -> pl.DataFrame:
    """Calls among a few dozen numbers over two days: pairs repeat, people call back, some
    cells and devices are missing."""
    rng = np.random.default_rng(seed)
    people = [f"+86138000{k:05d}" for k in range(40)]
    a = rng.integers(0, 40, n)
    b = (a + rng.integers(1, 12, n)) % 40  # a neighbourhood: pairs repeat, both ways
    cells = np.array(["c1", "c2", "c3", None], dtype=object)
    devices = np.array(["i1", "i2", None], dtype=object)
    return pl.DataFrame(
        {
            "a": [people[k] for k in a],
            "b": [people[k] for k in b],
            "t": rng.integers(0, 48 * HOUR, n),
            "d": rng.choice([0, 0, 5, 30, 90, 400], n),
            "cell": pl.Series(cells[rng.integers(0, 4, n)].tolist(), dtype=pl.String),
            "imei": pl.Series(devices[rng.integers(0, 3, n)].tolist(), dtype=pl.String),
        },
        schema_overrides={"t": pl.Int64, "d": pl.Int64},
    )


def _expected(calls: pl.DataFrame, talk_s: int) -> pl.DataFrame:
    """Per number, the figures straight from the calls (the pass's definitions)."""
    out = calls.group_by("a").agg(
        calls=pl.len(),
        talk=(pl.col("d") >= talk_s).sum(),
        answered=(pl.col("d") > 0).sum(),
        callees=pl.col("b").n_unique(),
        repeat=pl.col("b").is_duplicated().sum(),
        first=pl.col("t").min(),
        last=pl.col("t").max(),
        cell=pl.col("cell").drop_nulls().mode().sort().first(),
        imei=pl.col("imei").drop_nulls().mode().sort().first(),
    )
    inbound = calls.group_by("b").agg(inbound=pl.len(), callers=pl.col("a").n_unique())
    pairs = calls.select("a", "b").unique()
    back = (
        pairs.join(pairs.select(a="b", b="a"), on=["a", "b"], how="semi")
        .group_by("a")
        .agg(back=pl.len())
    )
    return (
        out.join(inbound.rename({"b": "a"}), on="a", how="left")
        .join(back, on="a", how="left")
        .with_columns(pl.col("inbound", "callers", "back").fill_null(0))
        .sort("a")
    )


def _read(window: CallWindow, numbers: list[str]) -> pl.DataFrame:
    codes = window.numbers.encode(pl.Series(numbers))
    order = np.argsort(codes)
    codes = codes[order]
    fig = {k: v[codes] for k, v in window.fig.items() if k not in ("inbound", "callers")}
    side = window.callers(codes)
    return (
        pl.DataFrame({"a": window.numbers.decode(codes), **fig})
        .with_columns(side.select("first", "last", "cell", "imei"))
        .join(
            pl.DataFrame(
                {
                    "a": window.numbers.decode(codes),
                    "inbound": window.fig["inbound"][codes],
                    "callers": window.fig["callers"][codes],
                }
            ),
            on="a",
        )
        .sort("a")
    )


@pytest.mark.parametrize(("seed", "forget_at"), [(1, 10**9), (2, 10**9), (3, 0), (4, 0)])
def test_rolling_figures_equal_the_window_read_again(seed: int, forget_at: int) -> None:
    """(``forget_at=0``: pairs no call holds any more are dropped at every move.)"""
    calls = _calls(seed)
    window = CallWindow(3600, talk_s=60)
    window.forget_at = forget_at
    # in batches, out of order: each batch summed into its slices, once
    shuffled = calls.sample(fraction=1.0, shuffle=True, seed=seed)
    for lo in range(0, shuffled.height, 700):
        window.add(shuffled.slice(lo, 700))
    for at in [*range(6 * HOUR, 48 * HOUR, 5 * HOUR), 60 * HOUR, 70 * HOUR]:
        window.move_to(at - 24 * HOUR, at)
        inside = calls.filter((pl.col("t") >= at - 24 * HOUR) & (pl.col("t") < at))
        want = _expected(inside, 60)
        got = _read(window, want["a"].to_list()).select(want.columns)
        assert got.equals(want.cast(got.schema)), at  # type: ignore[arg-type]
        assert window.first_time() == inside["t"].min()
        if inside.height == 0:
            continue
        a, b, n = window.pairs_of(window.numbers.encode(pl.Series(want["a"][:5])))
        pairs = pl.DataFrame(
            {"a": window.numbers.decode(a), "b": window.numbers.decode(b), "n": n}
        ).sort("a", "b")
        direct = (
            inside.filter(pl.col("a").is_in(want["a"][:5].implode()))
            .group_by("a", "b")
            .agg(n=pl.len().cast(pl.Int64))
            .sort("a", "b")
        )
        assert pairs.equals(direct)


def test_calls_added_late_count_once_their_slice_is_in_the_window() -> None:
    calls = _calls(4, 600)
    window = CallWindow(3600, talk_s=60)
    early, late = calls.filter(pl.col("t") < 20 * HOUR), calls.filter(pl.col("t") >= 20 * HOUR)
    window.add(early.slice(0, 200))
    window.move_to(0, 24 * HOUR)
    window.add(late)
    window.add(early.slice(200))  # late records of slices already in the window
    window.move_to(2 * HOUR, 26 * HOUR)
    inside = calls.filter((pl.col("t") >= 2 * HOUR) & (pl.col("t") < 26 * HOUR))
    assert int(window.fig["calls"].sum()) == inside.height
    assert int(window.pair_n.sum()) == inside.height


def test_the_slice_divides_the_step_and_the_window() -> None:
    assert slice_seconds(3600, 86_400) == 3600
    assert slice_seconds(1800, 7200) == 1800
    assert slice_seconds(900, 1000) == 100


def test_the_same_groups_whatever_the_batches() -> None:
    """The tracker's groups do not depend on how the calls come: at once, or in shuffled
    batches, some before their time (a record later than the checkpoint it arrives before)."""
    calls, subs, _ = world(13)
    c = calls_of_traffic(calls)
    first = (int(c["t"].min()) // HOUR + 1) * HOUR  # type: ignore[operator]
    whole, batched = CampaignTracker(subs), CampaignTracker(subs)
    whole.add(c)
    seen: list[list[tuple[str, list[str], list[str], float]]] = [[], []]
    edge = int(c["t"].min())  # type: ignore[arg-type]
    for at in range(first + 4 * HOUR, first + 12 * HOUR, HOUR):
        due = c.filter((pl.col("t") >= edge) & (pl.col("t") < at + HOUR // 2))
        edge = at + HOUR // 2
        due = due.sample(fraction=1.0, shuffle=True, seed=at % 1000)
        for lo in range(0, due.height, 333):
            batched.add(due.slice(lo, 333))
        for k, tracker in enumerate((whole, batched)):
            seen[k] += [(g.group_id, g.members, g.cues, g.score) for g in tracker.checkpoint(at)]
    assert seen[0]
    assert seen[0] == seen[1]


def test_pairs_forgotten_and_met_again_count_as_new() -> None:
    """A stream that drops the pairs no call holds any more, then meets them again the next
    day, reads the same figures as the calls themselves."""
    calls = _calls(5)
    window = CallWindow(3600, talk_s=60)
    window.forget_at = 0
    window.add(calls.filter(pl.col("t") < 24 * HOUR))
    window.move_to(0, 24 * HOUR)
    window.move_to(24 * HOUR, 48 * HOUR)  # the first day's pairs are all dropped
    assert window.pair_a.shape[0] == 0
    window.add(calls.filter(pl.col("t") >= 24 * HOUR))
    window.move_to(24 * HOUR, 48 * HOUR)
    inside = calls.filter(pl.col("t") >= 24 * HOUR)
    want = _expected(inside, 60)
    got = _read(window, want["a"].to_list()).select(want.columns)
    assert got.equals(want.cast(got.schema))  # type: ignore[arg-type]


def _as_keys(calls: pl.DataFrame) -> pl.DataFrame:
    """The calls with caller and callee as integer keys (E.164 digits), not texts."""
    return calls.select(
        a_key=pl.col("a").str.slice(1).cast(pl.Int64),
        b_key=pl.col("b").str.slice(1).cast(pl.Int64),
        t="t",
        d="d",
        cell="cell",
        imei="imei",
    )


@pytest.mark.parametrize("keys_first", [True, False])
def test_numbers_as_integer_keys_read_as_their_texts(keys_first: bool) -> None:
    """Batches of calls whose numbers come as texts or as integer keys, in either order,
    read the same figures as the texts alone."""
    calls = _calls(6)
    window = CallWindow(3600, talk_s=60)
    for k, lo in enumerate(range(0, calls.height, 1000)):
        batch = calls.slice(lo, 1000)
        window.add(_as_keys(batch) if (k % 2 == 0) == keys_first else batch)
    window.move_to(0, 24 * HOUR)
    inside = calls.filter(pl.col("t") < 24 * HOUR)
    want = _expected(inside, 60)
    got = _read(window, want["a"].to_list()).select(want.columns)
    assert got.equals(want.cast(got.schema))  # type: ignore[arg-type]


def test_the_same_groups_from_integer_keys_as_from_texts() -> None:
    """Batch scoring hands the pass integer keys (numbers, devices); the groups are those
    of the texts."""
    calls, subs, _ = world(13)
    texts, keys = calls_of_traffic(calls), calls_of_traffic(calls, keys=True)
    assert {"a_key", "b_key", "imei_key"} <= set(keys.columns)
    first = (int(texts["t"].min()) // HOUR + 1) * HOUR  # type: ignore[operator]
    seen: list[list[tuple[str, list[str], list[str], float]]] = [[], []]
    trackers = (CampaignTracker(subs), CampaignTracker(subs))
    for tracker, calls_as in zip(trackers, (texts, keys), strict=True):
        tracker.add(calls_as)
    for at in range(first + 4 * HOUR, first + 12 * HOUR, HOUR):
        for k, tracker in enumerate(trackers):
            seen[k] += [(g.group_id, g.members, g.cues, g.score) for g in tracker.checkpoint(at)]
    assert seen[0]
    assert seen[0] == seen[1]


@pytest.mark.parametrize("spread", [1, 10**6])
def test_calls_in_time_order_are_summed_by_their_slices_rows(spread: int) -> None:
    """Calls in time order (as batch scoring hands them over: each slice a range of rows)
    read the figures of the calls, as calls in any order do (each slice found by counting);
    so do calls whose slices lie too far apart to count (``spread``: hours apart)."""
    calls = _calls(7).with_columns(pl.col("t") // HOUR * HOUR * spread + pl.col("t") % HOUR)
    window = CallWindow(3600, talk_s=60)
    window.add(_as_keys(calls.sort("t")))
    for hour in (12, 30, 48):
        at = hour * HOUR * spread
        window.move_to(at - 24 * HOUR * spread, at)
        inside = calls.filter((pl.col("t") >= at - 24 * HOUR * spread) & (pl.col("t") < at))
        want = _expected(inside, 60)
        got = _read(window, want["a"].to_list()).select(want.columns)
        assert got.equals(want.cast(got.schema)), at  # type: ignore[arg-type]
    # a part per slice, its callers in order (as the reads want), its rows theirs
    for parts in window.parts.values():
        assert len(parts) == 1
        assert (np.diff(parts[0].caller) > 0).all()
        assert (np.diff(parts[0].row_at) > 0).all()
        assert parts[0].row_at[-1] == parts[0].row_cell.shape[0]
    keys = (window.pair_a.astype(np.int64) << 32) | window.pair_b
    assert (np.diff(keys[window._ids]) > 0).all()  # (the pairs' keys sorted, distinct)


_TEXTS = st.sampled_from(["z9", "a1", "m5", "b", "c10", "c2", None])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 6 * HOUR - 1), _TEXTS,
                  _TEXTS),
        min_size=1, max_size=200,
    ),
    st.integers(1, 3),
    st.integers(0, 5),
    st.integers(1, 6),
)  # fmt: skip
@example([(0, 1, 10, None, None), (1, 0, HOUR, None, None)], 1, 0, 2)  # no cell nor device
@example(  # every caller's devices tied
    [(0, 1, 10, None, "z9"), (0, 1, 20, "m5", "b"), (1, 0, 30, "c2", "c10"),
     (1, 0, 40, None, "a1")],
    1, 0, 1,
)  # fmt: skip
def test_callers_read_from_the_slices_equal_the_window_read_again(
    rows: list[tuple[int, int, int, str | None, str | None]], batches: int, lo: int, hours: int
) -> None:
    """A caller's first and last call and most used cell and device (the smallest text of
    equals), read from the window's slices, are those of its calls in the window; a number
    without calls in the window reads none. Cells and devices come in any order, so their
    codes are not in the order of their texts."""
    calls = pl.DataFrame(
        {
            "a": [f"+8613800000{r[0]:03d}" for r in rows],
            "b": [f"+8613900000{r[1]:03d}" for r in rows],
            "t": [r[2] for r in rows],
            "d": [30] * len(rows),
            "cell": [r[3] for r in rows],
            "imei": [r[4] for r in rows],
        },
        schema_overrides={"t": pl.Int64, "d": pl.Int64, "cell": pl.String, "imei": pl.String},
    )
    window = CallWindow(3600, talk_s=60)
    size = -(-calls.height // batches)
    for k in range(0, calls.height, size):
        window.add(calls.slice(k, size))
    window.move_to(lo * HOUR, (lo + hours) * HOUR)
    inside = calls.filter((pl.col("t") >= lo * HOUR) & (pl.col("t") < (lo + hours) * HOUR))
    want = inside.group_by("a").agg(
        first=pl.col("t").min(),
        last=pl.col("t").max(),
        cell=pl.col("cell").drop_nulls().mode().sort().first(),
        imei=pl.col("imei").drop_nulls().mode().sort().first(),
    )
    numbers = window.numbers.strings  # callers and callees, in the window or not
    codes = np.arange(numbers.len(), dtype=np.int64)
    got = window.callers(codes).with_columns(a=numbers)
    expected = (
        pl.DataFrame({"a": numbers})
        .join(want, on="a", how="left", maintain_order="left")
        .select("a", "first", "last", "cell", "imei")
    )
    assert got.select(expected.columns).equals(expected)
    # the calls are gathered into room sized by the running calls; where those were not the
    # slices' calls, they are counted in the slices instead
    window.fig["calls"] += 1
    again = window.callers(codes).with_columns(a=numbers)
    assert again.select(expected.columns).equals(expected)


def test_pairs_left_idle_by_a_slice_that_goes_are_forgotten_after_a_count_found_none() -> None:
    """The idle pairs are counted again once a slice goes: a count that found none while the
    later slices held their pairs does not keep the pairs the first day leaves idle."""
    day1 = _calls(8).filter(pl.col("t") < 24 * HOUR)
    day2 = (
        _calls(9)
        .filter(pl.col("t") >= 24 * HOUR)
        .with_columns(pl.col("a", "b").str.replace("+86138", "+86139", literal=True))
    )  # other people
    window = CallWindow(3600, talk_s=60)
    window.forget_at = 0
    window.add(pl.concat([day1, day2]))  # both days at once: the second's pairs held by it
    window.move_to(0, 24 * HOUR)  # (none idle)
    window.move_to(0, 25 * HOUR)
    assert window.pair_a.shape[0] == pl.concat([day1, day2]).select("a", "b").n_unique()
    window.move_to(24 * HOUR, 48 * HOUR)
    assert window.pair_a.shape[0] == day2.select("a", "b").n_unique()
    want = _expected(day2, 60)
    got = _read(window, want["a"].to_list()).select(want.columns)
    assert got.equals(want.cast(got.schema))  # type: ignore[arg-type]


def test_a_checkpoint_that_kept_each_calls_caller_reads_the_same_callers() -> None:
    """A window pickled when its slices kept each call's caller (``row_a``), not where each
    caller's calls start, loads and reads the same first and last calls, cells and devices."""
    calls = _calls(11, 900)
    window = CallWindow(3600, talk_s=60)
    window.add(calls)
    window.move_to(4 * HOUR, 28 * HOUR)
    codes = np.arange(len(window.numbers), dtype=np.int64)
    want = window.callers(codes)
    for parts in window.parts.values():
        for k, part in enumerate(parts):
            old = _Part.__new__(_Part)
            old.__dict__.update({n: v for n, v in part.__dict__.items() if n != "row_at"})
            old.__dict__["row_a"] = np.repeat(part.caller, np.diff(part.row_at))
            parts[k] = pickle.loads(pickle.dumps(old))  # noqa: S301  (our own bytes)
            assert "row_a" not in parts[k].__dict__
            assert np.array_equal(parts[k].row_at, part.row_at)
    assert window.callers(codes).equals(want)
    assert pickle.loads(pickle.dumps(window)).callers(codes).equals(want)  # noqa: S301


def test_a_checkpoint_from_before_served_reads_the_operators_own_as_it_did() -> None:
    """A window pickled before it kept which numbers are the subscribers' (``served``) loads
    with them read as then: the numbers with an activation date."""
    day = 86_400_000_000
    context = pl.DataFrame(
        {"msisdn": ["+8613800000001", "+8613800000003"], "activated_us": [5 * day, None],
         "enterprise": [False, True]}
    )  # fmt: skip
    window = CallWindow(3600, talk_s=60, context=context)
    window.add(_calls(3, 200))
    numbers = window.numbers.decode(np.arange(len(window.numbers), dtype=np.int64)).to_list()
    assert {"+8613800000001", "+8613800000003"} <= set(numbers)
    assert window.served.tolist() == [n in context["msisdn"].to_list() for n in numbers]
    old = CallWindow.__new__(CallWindow)
    old.__dict__.update({k: v for k, v in window.__dict__.items() if k != "served"})
    loaded = pickle.loads(pickle.dumps(old))  # noqa: S301  (our own bytes)
    assert loaded.served.tolist() == [n == "+8613800000001" for n in numbers]


def test_a_twin_moves_on_its_own_and_reads_what_its_origin_reads() -> None:
    """A twin (batch scoring's second thread of checkpoints) moved to every other checkpoint
    reads at each the figures, pairs and callers the window read at it; the window moved
    past it meanwhile is not changed by it; neither takes calls any more."""
    calls = _calls(8)
    window = CallWindow(3600, talk_s=60)
    window.add(_as_keys(calls))
    window.move_to(0, 4 * HOUR)
    twin = window.twin()
    codes = np.arange(len(window.numbers))
    for hi in range(5 * HOUR, 30 * HOUR, 2 * HOUR):
        window.move_to(hi - 24 * HOUR, hi)  # (ahead of the twin by one checkpoint)
        before = {k: v.copy() for k, v in window.fig.items()}
        twin.move_to(hi - 24 * HOUR - HOUR, hi - HOUR)
        assert all(np.array_equal(window.fig[k], v) for k, v in before.items())
        alone = CallWindow(3600, talk_s=60)
        alone.add(_as_keys(calls))
        alone.move_to(hi - 25 * HOUR, hi - HOUR)
        for k, v in alone.fig.items():
            assert np.array_equal(twin.fig[k], v), k
        got, want = twin.pairs_of(codes), alone.pairs_of(codes)
        assert all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))
        assert twin.callers(codes).equals(alone.callers(codes))
    for w in (window, twin):
        with pytest.raises(RuntimeError, match="takes no more calls"):
            w.add(_as_keys(calls.head(5)))


def test_twins_that_start_from_each_others_figures_read_what_a_window_alone_reads() -> None:
    """Batch scoring's two windows take the checkpoints in turn, each starting from the
    figures of the other (a checkpoint ahead) instead of adding the slices it missed: at
    each, as slices enter and leave, the figures, pairs and callers of a window moved there
    alone; the window copied from is not changed."""
    calls = _calls(9)
    window = CallWindow(3600, talk_s=60)
    window.add(_as_keys(calls))
    window.move_to(0, 4 * HOUR)
    windows = (window, window.twin())
    codes = np.arange(len(window.numbers))
    for k, hi in enumerate(range(5 * HOUR, 40 * HOUR, HOUR)):
        mine, other = windows[k % 2], windows[1 - k % 2]
        before = {key: v.copy() for key, v in other.fig.items()}
        mine.caught_up(other)
        mine.move_to(hi - 24 * HOUR, hi)
        assert all(np.array_equal(other.fig[key], v) for key, v in before.items())
        alone = CallWindow(3600, talk_s=60)
        alone.add(_as_keys(calls))
        alone.move_to(hi - 24 * HOUR, hi)
        for key, v in alone.fig.items():
            assert np.array_equal(mine.fig[key][: len(v)], v[: len(mine.fig[key])]), key
        got, want = mine.pairs_of(codes), alone.pairs_of(codes)
        assert all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))
        assert mine.callers(codes).equals(alone.callers(codes))
        assert mine.first_time() == alone.first_time()


def test_batch_checkpoints_in_two_threads_give_the_trackers_groups() -> None:
    """Batch scoring finds the checkpoints after the first in two threads once groups are
    asked for; the groups and their ids are the tracker's, checkpoint after checkpoint in
    one thread."""
    calls, subs, _ = world(13)
    batch = BatchCampaigns(Traffic(calls, None, subs), PolicyConfig(), EventScorer(PolicyConfig()))
    tracker = CampaignTracker(subs)
    tracker.add(calls_of_traffic(calls, keys=True))
    assert len(batch.checkpoints()) >= 4
    seen: list[list[list[tuple[object, ...]]]] = [[], []]
    for at in batch.checkpoints():
        for k, groups in enumerate((batch._groups(at), tracker.checkpoint(at))):
            seen[k].append([(g.group_id, g.members, g.cues, g.score, g.figures) for g in groups])
    assert any(seen[0])
    assert seen[0] == seen[1]
    assert batch._other is not None  # (the second thread took part)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_pair_knows_the_pair_the_other_way_round(seed: int) -> None:
    """The first calls' pairs (found as keys shared both ways) and the pairs of later batches
    (looked up by their reverse keys) know the pair the other way round, a number that called
    itself its own pair."""
    rng = np.random.default_rng(seed)
    people = [f"+86138000{k:05d}" for k in range(30)]
    window = CallWindow(3600, talk_s=60)
    for n in (300, 200, 100):
        a, b = rng.integers(0, 30, n), rng.integers(0, 30, n)
        window.add(
            pl.DataFrame(
                {
                    "a": [people[k] for k in a],
                    "b": [people[k] for k in b],
                    "t": rng.integers(0, 4 * HOUR, n),
                    "d": rng.integers(0, 100, n),
                    "cell": ["c"] * n,
                    "imei": ["i"] * n,
                }
            )
        )
        id_of = {
            (int(x), int(y)): k
            for k, (x, y) in enumerate(zip(window.pair_a, window.pair_b, strict=True))
        }
        pairs = zip(window.pair_a, window.pair_b, strict=True)
        want = [id_of.get((int(y), int(x)), -1) for x, y in pairs]
        assert window._rev.tolist() == want


def test_pairs_of_callers_read_again_after_the_keys_change() -> None:
    """Each caller's pairs are found from where its pairs start among the keys, found again
    once new pairs come or idle ones go (and not kept in a checkpoint)."""
    calls = _calls(11)
    window = CallWindow(3600, talk_s=60)
    window.forget_at = 1
    for hour in (12, 24, 36, 48):
        window.add(calls.filter((pl.col("t") >= (hour - 12) * HOUR) & (pl.col("t") < hour * HOUR)))
        window.move_to((hour - 6) * HOUR, hour * HOUR)
        inside = calls.filter((pl.col("t") >= (hour - 6) * HOUR) & (pl.col("t") < hour * HOUR))
        want = inside.group_by("a", "b").agg(n=pl.len()).sort("a", "b")
        for seen in (window, pickle.loads(pickle.dumps(window))):  # noqa: S301  (our own)
            assert "_starts" not in seen.__getstate__()
            codes = np.unique(seen.numbers.encode(want["a"].unique()))
            a, b, n = seen.pairs_of(codes)
            got = pl.DataFrame(
                {"a": seen.numbers.decode(a), "b": seen.numbers.decode(b), "n": n}
            ).sort("a", "b")
            assert got.equals(want.cast(got.schema)), hour  # type: ignore[arg-type]


def test_where_each_callers_pairs_start_is_searchsorted() -> None:
    from callwarden.detect.campaign_kernels import caller_starts  # noqa: PLC0415

    rng = np.random.default_rng(5)
    keys = np.unique(rng.integers(0, 30, 400) * (1 << 32) + rng.integers(0, 30, 400))
    out = np.empty(41, np.int64)
    caller_starts(keys, 40, out)
    assert out.tolist() == np.searchsorted(keys, np.arange(41) << 32).tolist()


@pytest.mark.parametrize("radix_from", [1, 1 << 30])
def test_a_slices_calls_by_pair_counted_or_sorted_read_the_same_figures(
    radix_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(Large slices are put in the order of their pairs by counting, small ones by a sort.)"""
    import callwarden.detect.campaign_window as cw  # noqa: PLC0415

    monkeypatch.setattr(cw, "_RADIX_FROM", radix_from)
    calls = _calls(13)
    window = CallWindow(3600, talk_s=60)
    window.add(_as_keys(calls.sort("t")))
    window.move_to(12 * HOUR, 36 * HOUR)
    inside = calls.filter((pl.col("t") >= 12 * HOUR) & (pl.col("t") < 36 * HOUR))
    want = _expected(inside, 60)
    got = _read(window, want["a"].to_list()).select(want.columns)
    assert got.equals(want.cast(got.schema))  # type: ignore[arg-type]

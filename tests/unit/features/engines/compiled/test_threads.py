"""Passes cut into pieces for threads give exactly the one-thread result."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.scoring import score_records
from callwarden.errors import ConfigError
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.engines.compiled import threads
from callwarden.features.engines.compiled.crossing import with_crossing_signals
from callwarden.features.engines.compiled.hashtable import IntSet
from callwarden.features.engines.compiled.textcodes import whole_numbers
from callwarden.features.engines.compiled.threads import ranges, run_all, run_ranges, thread_count
from callwarden.records import codes as codes_module


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 4), max_size=60).map(sorted),
    st.integers(1, 6),
    st.integers(1, 10),
)
def test_ranges_cover_every_row_once_and_never_cut_a_group(
    keys: list[int], pieces: int, least: int
) -> None:
    groups = np.array(keys, np.int64)
    got = ranges(groups.shape[0], groups, pieces=pieces, least=least)
    assert len(got) <= pieces
    covered = [i for a, b in got for i in range(a, b)]
    assert covered == list(range(groups.shape[0]))
    assert all(a < b for a, b in got) or groups.shape[0] == 0
    for a, _ in got[1:]:
        assert groups[a] != groups[a - 1]  # each piece starts a group
    if len(got) > 1:
        assert all(b - a >= 1 for a, b in got)


def test_a_cut_inside_a_long_group_moves_to_its_end() -> None:
    groups = np.r_[np.zeros(1, np.int64), np.ones(9000, np.int64), np.full(999, 2)]
    assert ranges(10_000, groups, pieces=2, least=1) == [(0, 9001), (9001, 10_000)]
    assert ranges(10_000, np.ones(10_000, np.int64), pieces=4, least=1) == [(0, 10_000)]


def test_run_all_keeps_the_order_and_raises_a_task_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALLWARDEN_THREADS", "2")
    assert run_all(lambda: "a", lambda: "b", lambda: "c") == ["a", "b", "c"]

    def fails() -> str:
        raise ValueError("in a pool thread")

    with pytest.raises(ValueError, match="in a pool thread"):
        run_all(lambda: "a", fails)


def test_nested_run_all_in_a_pool_thread_runs_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task that itself asks for threads does not wait on the pool it occupies."""
    monkeypatch.setenv("CALLWARDEN_THREADS", "2")

    def inner() -> list[str]:
        here = threading.current_thread().name
        return run_all(lambda: here, lambda: threading.current_thread().name)

    _, (pool_thread, second_task) = run_all(lambda: ("caller", "caller"), inner)
    assert pool_thread.startswith("callwarden-batch")
    assert second_task == pool_thread  # the inner tasks ran in that one pool thread


def test_a_forked_child_gets_a_pool_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a fork the parent's pool threads are gone; the child must not wait on them."""
    monkeypatch.setenv("CALLWARDEN_THREADS", "2")
    assert run_all(lambda: 1, lambda: 2) == [1, 2]  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the tasks ran
        code = 3
        try:
            signal.alarm(20)  # (a hang ends the child, not the test run)
            code = 0 if run_all(lambda: 1, lambda: 2) == [1, 2] else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_thread_count_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWARDEN_THREADS", "3")
    assert thread_count() == 3
    monkeypatch.setenv("CALLWARDEN_THREADS", "many")
    with pytest.raises(ConfigError, match="CALLWARDEN_THREADS"):
        thread_count()
    monkeypatch.delenv("CALLWARDEN_THREADS")
    assert thread_count() >= 1


def test_run_ranges_gives_each_piece_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWARDEN_THREADS", "4")
    out = np.zeros(1000, np.int64)

    def work(a: int, b: int) -> int:
        out[a:b] += 1
        return b - a

    assert sum(run_ranges(work, ranges(1000, least=10))) == 1000
    assert (out == 1).all()


def test_number_parsing_in_pieces_equals_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = pl.Series([f"+86138{i:08d}" if i % 7 else None for i in range(5000)] + ["+12a", "x"])
    monkeypatch.setenv("CALLWARDEN_THREADS", "1")
    one = whole_numbers(texts, "+")
    monkeypatch.setenv("CALLWARDEN_THREADS", "3")
    monkeypatch.setattr(threads, "LEAST_ROWS", 100)
    many = whole_numbers(texts, "+")
    assert many[1] == one[1] == 2
    assert np.array_equal(many[0], one[0])
    # the offsets path (Arrow large strings, where a column is not string views) too
    monkeypatch.setattr(codes_module, "_views", lambda values: None)
    offsets = whole_numbers(texts, "+")
    assert offsets[1] == 2
    assert np.array_equal(offsets[0], one[0])


@pytest.fixture(scope="module")
def city(small_city: Callable[[int], dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    return small_city(8)


def test_features_and_alerts_in_pieces_equal_one_thread(
    city: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every threaded pass (parsing, crossing, event columns, signals, window sums) cut into
    many small pieces gives the one-thread features and alerts, bit for bit."""
    calls, sms, subs = city["calls"], city["sms"], city["subscribers"]
    labels = city["labels"]
    known = labels.filter(~pl.col("label").is_in(["normal", "legit_heavy"]))["msisdn"].head(20)
    monkeypatch.setenv("CALLWARDEN_THREADS", "1")
    crossed_one = with_crossing_signals(calls, known)
    features_one = feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs, known=known))
    alerts_one = score_records(Traffic(calls, sms, subs), PolicyConfig()).alerts
    known_one = score_records(Traffic(calls, sms, subs, known=known), PolicyConfig()).alerts
    monkeypatch.setenv("CALLWARDEN_THREADS", "5")
    monkeypatch.setattr(threads, "LEAST_ROWS", 97)
    assert len(ranges(calls.height)) == 5
    assert crossed_one["_shared_victim"].sum() > 0
    assert with_crossing_signals(calls, known).equals(crossed_one)
    features_many = feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs, known=known))
    assert features_many.equals(features_one)
    assert alerts_one.height > 0
    assert score_records(Traffic(calls, sms, subs), PolicyConfig()).alerts.equals(alerts_one)
    assert score_records(Traffic(calls, sms, subs, known=known), PolicyConfig()).alerts.equals(
        known_one
    )


@settings(deadline=None)
@given(
    st.lists(st.integers(-3, 40), max_size=300),
    st.lists(st.integers(0, 40), max_size=30),
)
def test_a_compiled_set_in_pieces_equals_numpy_isin(values: list[int], members: list[int]) -> None:
    got_values = np.array(values, np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CALLWARDEN_THREADS", "3")
        patch.setattr(threads, "LEAST_ROWS", 7)
        got = IntSet(np.array(members, np.int64)).contains(got_values)
    assert np.array_equal(got, np.isin(got_values, np.array(members, np.int64)))


def test_a_compiled_set_refuses_negative_members() -> None:
    with pytest.raises(ValueError, match="negative"):
        IntSet(np.array([3, -1]))

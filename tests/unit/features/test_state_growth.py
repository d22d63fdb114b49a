"""State arrays grow into memory prepared ahead of need, with the same contents as before.

The spares only move where the work of mapping fresh memory happens (a background thread);
what the engine holds after growing must be exactly what growing in place gave.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.features.engines.compiled.hashtable import (
    EMPTY,
    NONE,
    SPARE_MIN_BYTES,
    SPARES,
    Spares,
    Table,
    get,
    prepare_next,
    put,
    resized,
)


class Owner:
    """Anything that can be referred to weakly owns spares."""


def wait_ready(spares: Spares, owner: Owner, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with spares._lock:
            if name in spares._ready.get(owner, {}):
                return
        time.sleep(0.01)
    raise AssertionError(f"the spare {name} was not prepared")


def test_a_prepared_spare_is_taken_filled_and_only_for_its_shape() -> None:
    spares, owner = Spares(), Owner()
    rows = SPARE_MIN_BYTES // 8 + 10
    spares.prepare(owner, "t", (rows,), np.int64, NONE)
    wait_ready(spares, owner, "t")
    with spares._lock:
        prepared = spares._ready[owner]["t"]
    got = spares.take(owner, "t", (rows,), np.int64, NONE)
    assert got is prepared and (got == NONE).all()
    # nothing is left: the next take of that name makes a new array
    again = spares.take(owner, "t", (rows,), np.int64, NONE)
    assert again is not prepared and (again == NONE).all()
    # a spare of another shape is not used (nor kept)
    spares.prepare(owner, "t", (rows,), np.int64, NONE)
    wait_ready(spares, owner, "t")
    other = spares.take(owner, "t", (rows + 1,), np.int64, NONE)
    assert other.shape == (rows + 1,) and (other == NONE).all()
    assert "t" not in spares._ready.get(owner, {})


def test_small_arrays_are_not_prepared_and_spares_go_with_their_owner() -> None:
    spares, owner = Spares(), Owner()
    spares.prepare(owner, "small", (16,), np.int64, 0)
    assert not spares._pending.get(owner) and not spares._ready.get(owner)
    spares.prepare(owner, "big", (SPARE_MIN_BYTES,), np.uint8, 7)
    wait_ready(spares, owner, "big")
    del owner
    assert len(spares._ready) == 0  # (a weak reference: the owner's spares went with it)


def test_resized_keeps_the_rows_and_fills_the_rest_alike_with_or_without_a_spare() -> None:
    spares_owner = Owner()
    a = np.arange(3 * SPARE_MIN_BYTES // 8, dtype=np.float64).reshape(-1, 3)
    plain = resized(a, a.shape[0] * 2, np.nan)
    prepare_next(a, a.shape[0], np.nan, spares_owner, "sums")  # (full: prepare the next size)
    wait_ready(SPARES, spares_owner, "sums")
    size = SPARES._ready[spares_owner]["sums"].shape[0]
    grown = resized(a, size, np.nan, spares_owner, "sums")
    assert np.array_equal(grown[: a.shape[0]], a)
    assert np.isnan(grown[a.shape[0] :]).all()
    assert np.array_equal(plain[: a.shape[0]], a) and np.isnan(plain[a.shape[0] :]).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=3000), st.integers(1, 500))
def test_a_table_grown_through_spares_answers_as_one_grown_in_place(
    keys: list[int], step: int
) -> None:
    table = Table()
    expected: dict[int, int] = {}
    for start in range(0, len(keys), step):
        chunk = keys[start : start + step]
        table.reserve(len(chunk))
        for k in chunk:
            put(*table.arrays(), k, start)
            expected[k] = start
    assert int(table.meta[0]) == len(expected)
    assert 2 * len(expected) <= table.keys.shape[0]
    for k, v in expected.items():
        assert get(table.keys, table.vals, k) == v
    assert get(table.keys, table.vals, 2**62 + 1) == NONE
    assert (table.keys == EMPTY).sum() == table.keys.shape[0] - len(expected)


def test_a_big_table_grows_into_its_prepared_arrays_and_keeps_every_entry() -> None:
    table = Table()
    rng = np.random.default_rng(3)
    keys = rng.choice(2**62, 300_000, replace=False)
    used_spare = False
    for start in range(0, keys.shape[0], 10_000):
        with SPARES._lock:
            ready = SPARES._ready.get(table, {}).get("keys")
        table.reserve(10_000)
        used_spare |= ready is not None and table.keys is ready
        for k in keys[start : start + 10_000].tolist():
            put(*table.arrays(), k, k % 1000)
        time.sleep(0.05)  # (the background thread's turn)
    assert used_spare, "no growth took its prepared arrays"
    assert int(table.meta[0]) == keys.shape[0]
    assert all(get(table.keys, table.vals, k) == k % 1000 for k in keys[::97].tolist())


def test_spares_stay_within_their_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    spares, owner = Spares(), Owner()
    rows = SPARE_MIN_BYTES // 8
    monkeypatch.setattr(
        "callwarden.features.engines.compiled.hashtable.SPARE_BUDGET_BYTES", 3 * SPARE_MIN_BYTES
    )
    for name in ("a", "b", "c", "d"):
        spares.prepare(owner, name, (rows,), np.int64, 0)
    for name in ("a", "b", "c"):
        wait_ready(spares, owner, name)
    assert "d" not in spares._ready.get(owner, {}) and not spares._pending.get(owner)
    spares.take(owner, "a", (rows,), np.int64, 0)  # room again
    spares.prepare(owner, "d", (rows,), np.int64, 0)
    wait_ready(spares, owner, "d")

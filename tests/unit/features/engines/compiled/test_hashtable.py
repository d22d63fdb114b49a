"""State arrays and hash tables grow with the same contents as before."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.features.engines.compiled.hashtable import (
    EMPTY,
    NONE,
    Table,
    get,
    grow,
    put,
    resized,
)


def test_resized_keeps_the_rows_and_fills_the_rest() -> None:
    a = np.arange(30, dtype=np.float64).reshape(-1, 3)
    grown = resized(a, grow(a.shape[0], a.shape[0] + 1), np.nan)
    assert grown.shape[0] > a.shape[0] and grown.shape[1] == 3
    assert np.array_equal(grown[: a.shape[0]], a)
    assert np.isnan(grown[a.shape[0] :]).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 2**62), min_size=1, max_size=3000), st.integers(1, 500))
def test_a_grown_table_answers_every_key_it_was_given(keys: list[int], step: int) -> None:
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


def test_a_table_keeps_only_entries_after_keep_after_when_it_grows() -> None:
    table = Table()
    table.reserve(600)
    for k in range(600):
        put(*table.arrays(), k, k)
    table.reserve(600, keep_after=299)  # (1,200 live keys would need 2,400 slots: it grows)
    assert int(table.meta[0]) == 300
    assert get(table.keys, table.vals, 299) == NONE and get(table.keys, table.vals, 300) == 300

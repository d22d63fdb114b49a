"""Keys: derived keys never change between versions; duplicates are found across chunks."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.records.keys import SeenKeys, derive_keys


def test_a_derived_call_id_is_pinned() -> None:
    # Call ids end up in files, alerts and cases: changing the derivation would give the same
    # call a new id on re-ingest. This value must never change.
    call = pl.DataFrame(
        {
            "caller": ["+8613812345678"],
            "callee": ["+8613912345678"],
            "start_time": pl.Series([datetime(2026, 7, 8, 10, tzinfo=UTC)]).cast(
                pl.Datetime("us", "UTC")
            ),
            "duration_s": pl.Series([30], dtype=pl.Int32),
        }
    )
    keys = derive_keys(call, ["caller", "callee", "start_time", "duration_s"])
    assert keys.to_list() == ["ca1918388bd135beb8ca5955f99059bb"]


def test_a_null_is_not_the_same_as_an_empty_text() -> None:
    frame = pl.DataFrame({"a": ["x", "x"], "b": [None, ""]})
    first, second = derive_keys(frame, ["a", "b"]).to_list()
    assert first != second


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), max_size=40), max_size=12))
def test_seen_keys_agree_with_a_dict(chunks: list[list[int]]) -> None:
    seen = SeenKeys()
    model: dict[str, int] = {}
    position = 0
    for chunk in chunks:
        keys = [f"k{v}" for v in chunk]
        positions = list(range(position, position + len(keys)))
        position += len(keys) + 3  # positions need only increase
        got = seen.check(pl.Series(keys, dtype=pl.String), pl.Series(positions)).to_list()
        expected = []
        for key, pos in zip(keys, positions, strict=True):
            expected.append(model.get(key))
            model.setdefault(key, pos)
        assert got == expected
    assert seen.count == len(model)


def test_keys_sharing_the_high_half_of_their_fingerprint_are_kept_apart() -> None:
    # Forced collision of the high 64 bits: the low half must still tell the keys apart.
    seen = SeenKeys()
    # Private methods: such a collision cannot be produced through real keys.
    seen._add(
        np.array([7, 7, 7], dtype=np.uint64),
        np.array([1, 2, 3], dtype=np.uint64),
        np.array([10, 20, 30], dtype=np.int64),
    )
    found = seen._lookup(
        np.array([7, 7, 7, 8], dtype=np.uint64), np.array([3, 2, 4, 1], dtype=np.uint64)
    )
    assert found.tolist() == [30, 20, -1, -1]

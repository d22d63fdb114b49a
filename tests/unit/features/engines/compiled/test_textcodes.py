"""Texts become codes one to one, whether they spell whole numbers or not."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.features.engines.compiled.textcodes import Codebook


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.from_regex(r"\+?0?[0-9]{1,20}", fullmatch=True),
                st.sampled_from(["+123", "+0123", "123", "-123", " 123", "+", "", "+1 23"]),
                st.text(max_size=6),
            ),
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["+", ""]),
)
def test_codes_are_one_to_one_across_batches(batches: list[list[str | None]], prefix: str) -> None:
    book = Codebook(prefix)
    seen: dict[str, int] = {}
    new_seen: list[str] = []
    for batch in batches:
        codes, new = book.encode_series(pl.Series(batch, dtype=pl.String))
        new_seen += new
        for text, code in zip(batch, codes.tolist(), strict=True):
            if text is None:
                assert code == -1
                continue
            assert seen.setdefault(text, code) == code  # the same text, the same code
    assert len(set(seen.values())) == len(seen)  # different texts, different codes
    assert sorted(new_seen) == sorted(seen) and len(book) == len(seen)
    assert [seen[t] for t in new_seen] == list(range(len(seen)))  # new texts in code order

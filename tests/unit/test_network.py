"""Whether a number can be anyone's, for a whole column at once: the answers of
``is_valid_number`` (phonenumbers one number at a time), whatever the numbers; a subscriber
table kept compact answers as the plain set."""

from __future__ import annotations

import random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.network import NumberSet, ServedNumbers, is_valid_number, valid_numbers

_HOME = st.builds(
    lambda head, tail: f"+86{head}{tail}",
    st.integers(0, 999).map(str),
    st.text(alphabet="0123456789", min_size=0, max_size=12),
)
_ANY = st.one_of(
    _HOME,
    st.from_regex(r"\+[0-9]{1,18}", fullmatch=True),
    st.text(max_size=20),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ANY, min_size=1, max_size=40))
def test_a_column_gets_the_one_by_one_answers(numbers: list[str | None]) -> None:
    got = valid_numbers(pl.Series(numbers, dtype=pl.String)).tolist()
    assert got == [bool(n) and is_valid_number(n) for n in numbers]


def test_every_chinese_range_and_length_gets_the_one_by_one_answers() -> None:
    """Every national prefix of up to three digits, each length a Chinese number may have
    (mobiles, landlines, service and toll-free lines, carrier codes, the impossible ones)."""
    rng = random.Random(7)
    numbers = [
        f"+86{head}{''.join(rng.choices('0123456789', k=size - len(str(head))))}"
        for head in range(1, 1000)
        for size in range(5, 14)
        if size > len(str(head))
        for _ in range(3)
    ]
    got = valid_numbers(pl.Series(numbers)).tolist()
    want = [is_valid_number(n) for n in numbers]
    assert sum(want) > 1000  # (both valid and invalid numbers in play)
    assert got == want


_TEXTS = st.one_of(
    st.from_regex(r"\+[1-9][0-9]{0,19}", fullmatch=True),  # E.164 and too long to be one
    st.from_regex(r"\+0[0-9]{0,5}", fullmatch=True),  # a leading zero spells no key
    st.text(max_size=8),  # hashed identifiers, spaces, signs, nothing at all
)


@settings(deadline=None)  # (the first example loads the compiled parser)
@given(st.lists(_TEXTS, max_size=40), st.lists(_TEXTS, max_size=20))
def test_a_compact_subscriber_table_serves_exactly_its_numbers(
    table: list[str], asked: list[str]
) -> None:
    # a million subscribers are kept as sorted integers, not Python strings: the same
    # answer as the plain set for every text, odd ones included
    served = ServedNumbers.from_numbers(pl.Series(table, dtype=pl.String))
    plain = ServedNumbers.from_numbers(table)
    assert isinstance(served.numbers, NumberSet)
    assert len(served.numbers) == len(set(table))  # each number once, however often listed
    for number in [*asked, *table, *(t + "0" for t in table)]:
        assert served.serves(number) == plain.serves(number), number

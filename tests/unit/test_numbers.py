"""Number normalisation, classification and masking."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.errors import NumberFormatError
from callwarden.numbers import (
    NumberKind,
    classify,
    mask,
    normalise,
    normalise_series,
    try_normalise,
)


@pytest.mark.parametrize(
    ("raw", "e164", "kind"),
    [
        ("13812345678", "+8613812345678", NumberKind.MOBILE),
        ("+86 138 1234 5678", "+8613812345678", NumberKind.MOBILE),
        ("0086-138-1234-5678", "+8613812345678", NumberKind.MOBILE),
        ("8613812345678", "+8613812345678", NumberKind.MOBILE),
        ("19212345678", "+8619212345678", NumberKind.MOBILE),
        ("17012345678", "+8617012345678", NumberKind.VIRTUAL_MOBILE),
        ("17112345678", "+8617112345678", NumberKind.VIRTUAL_MOBILE),
        ("16512345678", "+8616512345678", NumberKind.VIRTUAL_MOBILE),
        ("16712345678", "+8616712345678", NumberKind.VIRTUAL_MOBILE),
        ("16212345678", "+8616212345678", NumberKind.VIRTUAL_MOBILE),
        ("010-62345678", "+861062345678", NumberKind.LANDLINE),
        ("(028) 8612 3456", "+862886123456", NumberKind.LANDLINE),
        ("02161234567", "+862161234567", NumberKind.LANDLINE),
        ("400-812-3456", "+864008123456", NumberKind.ENTERPRISE),
        ("800 812 3456", "+868008123456", NumberKind.ENTERPRISE),
        ("95588", "+8695588", NumberKind.SERVICE),
        ("+86 95555", "+8695555", NumberKind.SERVICE),
        ("10086", "+8610086", NumberKind.SERVICE),
        ("12321", "+8612321", NumberKind.SERVICE),
        ("1065502010086", "+861065502010086", NumberKind.SERVICE),
        ("+1 202 555 0123", "+12025550123", NumberKind.INTERNATIONAL),
        ("+44 7911 123456", "+447911123456", NumberKind.INTERNATIONAL),
        ("00447911123456", "+447911123456", NumberKind.INTERNATIONAL),
        ("+216 20 123 456", "+21620123456", NumberKind.INTERNATIONAL),
    ],
)
def test_normalise_and_classify(raw: str, e164: str, kind: NumberKind) -> None:
    assert normalise(raw) == e164
    assert classify(e164) is kind


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "abc", "123", "1381234567", "138123456789", "+86 999", "++--", "12345678901"],
)
def test_garbage_is_rejected_with_a_reason(garbage: str) -> None:
    e164, reason = try_normalise(garbage)
    assert e164 is None
    assert reason
    with pytest.raises(NumberFormatError):
        normalise(garbage)


def test_mask_keeps_only_prefix_and_suffix() -> None:
    assert mask("+8613812345678") == "138****5678"
    assert mask("+862886123456") == "288****3456"
    assert mask("+447911123456") == "+44 791****3456"
    assert "12345" not in mask("+8613812345678")


def test_series_matches_scalar_on_a_mixed_column() -> None:
    raw = ["13812345678", "+8613812345678", "010-62345678", "95588", "bad", None, "+447911123456"]
    e164, reason = normalise_series(pl.Series(raw, dtype=pl.String))
    for value, got, why in zip(raw, e164.to_list(), reason.to_list(), strict=True):
        if value is None:
            assert got is None
            assert why == "missing"
        else:
            assert (got, why) == try_normalise(value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A(\+86|86|0086)?1[3-9]\d{9}\Z"),
            st.from_regex(r"\A0?(10|2\d|[3-9]\d\d)\d{7,8}\Z"),
            st.text(max_size=16),
        ),
        max_size=30,
    )
)
def test_vectorised_normalisation_agrees_with_phonenumbers(values: list[str]) -> None:
    e164, reason = normalise_series(pl.Series(values, dtype=pl.String))
    for value, got, why in zip(values, e164.to_list(), reason.to_list(), strict=True):
        expected = try_normalise(value)
        assert (got, why) == expected, value

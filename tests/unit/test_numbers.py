"""Number normalisation, classification and masking."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.errors import NumberFormatError
from callwarden.network import is_valid_number
from callwarden.numbers import (
    STORED_PATTERN,
    NumberKind,
    classify,
    mask,
    normalise,
    normalise_series,
    presented_number,
    presented_series,
    try_normalise,
)
from callwarden.records.schema import NUMBER_FLAGS


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


# Presented numbers: what a call shows is kept (with a flag when nobody can own it) unless it
# cannot be a number at all. None of these come from the simulator.
@pytest.mark.parametrize(
    ("raw", "stored", "flag"),
    [
        # spoofed foreign caller IDs seen in the field
        ("+371573613369", "+371573613369", "impossible"),  # Latvia: 8 digits, not 9
        ("+960180379979", "+960180379979", "impossible"),  # Maldives: 7 digits
        ("+675385453106", "+675385453106", "impossible"),
        ("+252959790022", "+252959790022", "unallocated"),  # right length, no such range
        ("00371573613369", "+371573613369", "impossible"),  # written with the 00 prefix
        # foreign valid numbers
        ("+44 7911 123456", "+447911123456", None),
        ("+1 202 555 0123", "+12025550123", None),
        ("+216 20 123 456", "+21620123456", None),
        # foreign invalid: a country code nobody has, a number one digit short
        ("+999123456", "+999123456", "malformed"),
        ("+44 7911 12345", "+44791112345", "unallocated"),
        # other domestic carriers and the virtual operators' (MVNO) ranges
        ("13012345678", "+8613012345678", None),
        ("18912345678", "+8618912345678", None),
        ("19212345678", "+8619212345678", None),
        ("17012345678", "+8617012345678", None),
        ("17112345678", "+8617112345678", None),
        ("16512345678", "+8616512345678", None),
        # short service numbers
        ("95588", "+8695588", None),
        ("10086", "+8610086", None),
        ("12321", "+8612321", None),
        ("+86 95588", "+8695588", None),
        # national numbers with and without the trunk 0
        ("010-62345678", "+861062345678", None),
        ("1062345678", "+861062345678", None),
        ("02886123456", "+862886123456", None),
        ("2886123456", "+862886123456", None),
        ("12345678901", "+8612345678901", "unallocated"),  # 11 digits, no 12x mobile range
        ("1381234567", "+861381234567", "unallocated"),  # a mobile one digit short
        ("123", "+86123", "impossible"),
        # full-width and other scripts' digits
        ("１３８１２３４５６７８", "+8613812345678", None),
        ("＋３７１５７３６１３３６９", "+371573613369", "impossible"),
        ("٠١٣٨١٢٣٤٥٦٧٨", "+8613812345678", None),
    ],
)
def test_presented_numbers_are_kept_with_their_flag(
    raw: str, stored: str, flag: str | None
) -> None:
    assert presented_number(raw) == (stored, flag, None)
    # The flag agrees with what decisions are based on: a flagged number is one nobody owns.
    assert is_valid_number(stored) is (flag is None)
    assert flag is None or flag in NUMBER_FLAGS


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a phone number"),
        ("--", "not a phone number"),
        ("+", "not a phone number"),
        ("++--", "not a phone number"),
        ("abc123", "not a phone number"),  # letters among the digits: not a presented number
        ("138abc5678", "not a phone number"),
        ("12", "too short"),
        ("+1", "too short"),
        ("0", "too short"),
        ("+0123456", "no country code"),
        ("+4479111234567890123", "too long"),
    ],
)
def test_values_that_cannot_be_numbers_are_refused(raw: str, why: str) -> None:
    stored, flag, reason = presented_number(raw)
    assert (stored, flag) == (None, None)
    assert reason is not None and why in reason


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=24),
            st.from_regex(r"\A\+?[0-9０-９ \-]{0,22}\Z"),
            st.from_regex(r"\A(\+86|86|0086)?1[3-9]\d{9}\Z"),
            st.from_regex(r"\A\+86[0-9]{5,14}\Z"),  # stored landlines take a fast path
            st.from_regex(r"\A\+86(10|2[0-9]|[3-9][0-9]{2})[0-9]{7,8}\Z"),
        ),
        max_size=20,
    )
)
def test_any_text_is_kept_in_the_stored_form_or_refused_with_a_reason(values: list[str]) -> None:
    stored, flag, reason = presented_series(pl.Series(values, dtype=pl.String))
    for value, s, f, why in zip(values, stored, flag, reason, strict=True):
        assert (s, f, why) == presented_number(value), value
        if s is None:
            assert why and f is None
        else:
            assert re.fullmatch(STORED_PATTERN, s), (value, s)
            assert why is None
            assert f is None or f in NUMBER_FLAGS
            # a number ingest accepted before is stored as it was
            before = try_normalise(value)[0]
            assert before is None or before == s


def test_full_width_digits_of_a_service_number_are_stored_as_ascii() -> None:
    # found by the property above: the service-number path kept a full-width digit
    assert try_normalise("9500０") == ("+8695000", None)
    assert presented_number("９５５８８") == ("+8695588", None, None)

"""The calls' keys, parsed once: only exact spellings of whole numbers get one."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from callwarden.records.codes import whole_numbers, with_call_keys

#: whole E.164 numbers mostly, now and then one that spells no key
_NUMBERS = st.one_of(
    st.integers(10**9, 10**14).map(lambda n: f"+{n}"),
    st.sampled_from(["+086123", "anonymous"]),
)
_DEVICES = st.one_of(
    st.none(), st.integers(10**14, 10**15 - 1).map(str), st.just("35-209900-176148-1")
)


def _calls(
    callers: list[str | None], callees: list[str | None], imeis: list[str | None]
) -> pl.DataFrame:
    return pl.DataFrame(
        {"caller": callers, "callee": callees, "caller_imei": imeis},
        schema={"caller": pl.String, "callee": pl.String, "caller_imei": pl.String},
    )


def test_numbers_and_devices_that_spell_whole_numbers_get_their_keys() -> None:
    calls = _calls(
        ["+8613800000001", "+21620123456"],
        ["+862886123456", "+8613800000001"],
        ["490154203237518", None],
    )
    got = with_call_keys(calls)
    assert got["_caller_code"].to_list() == [8613800000001, 21620123456]
    assert got["_callee_code"].to_list() == [862886123456, 8613800000001]
    assert got["_imei_code"].to_list() == [490154203237518, -1]


def test_a_number_that_spells_no_key_leaves_both_number_columns_out() -> None:
    # a hashed export's identifier, a leading zero after the plus, a space, a missing callee:
    # any one of them and the readers code the texts themselves (both sides, or they would
    # disagree on which number is which)
    for odd in ["5e1272273e041e82", "+086123", "+86 138", None, "anonymous", ""]:
        got = with_call_keys(_calls(["+8613800000001"], [odd], ["490154203237518"]))
        assert "_caller_code" not in got.columns, odd
        assert "_callee_code" not in got.columns, odd
        assert got["_imei_code"].to_list() == [490154203237518]


def test_a_device_that_is_no_whole_number_leaves_the_device_column_out() -> None:
    got = with_call_keys(_calls(["+8613800000001"], ["+8613800000002"], ["35-209900-176148-1"]))
    assert "_imei_code" not in got.columns
    assert got["_caller_code"].to_list() == [8613800000001]


def test_keys_already_there_are_kept_and_an_empty_frame_is_left_alone() -> None:
    calls = _calls(["+8613800000001"], ["+8613800000002"], [None]).with_columns(
        _imei_code=pl.lit(7, pl.Int64)
    )
    assert with_call_keys(calls)["_imei_code"].to_list() == [7]
    empty = calls.clear()
    assert with_call_keys(empty).columns == empty.columns


@given(st.lists(st.tuples(_NUMBERS, _NUMBERS, _DEVICES), min_size=1, max_size=30))
def test_keys_read_in_halves_are_those_of_the_whole_column(
    rows: list[tuple[str, str, str | None]],
) -> None:
    # each column is parsed in two halves on two threads: a key, a null or an odd text in
    # either half counts as in one pass over the column
    calls = _calls(*(list(column) for column in zip(*rows, strict=True)))
    got = with_call_keys(calls)
    numbers = [whole_numbers(calls[c], "+") for c in ("caller", "callee")]
    keyed = all(not bad and bool((codes > 0).all()) for codes, bad in numbers)
    for (codes, _), key in zip(numbers, ("_caller_code", "_callee_code"), strict=True):
        assert (key in got.columns) == keyed
        if keyed:
            assert got[key].to_list() == codes.tolist()
    devices, odd = whole_numbers(calls["caller_imei"])
    assert ("_imei_code" in got.columns) == (not odd)
    if not odd:
        assert got["_imei_code"].to_list() == devices.tolist()

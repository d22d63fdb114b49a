"""The calls' keys, parsed once: only exact spellings of whole numbers get one."""

from __future__ import annotations

import polars as pl

from callwarden.records.codes import with_call_keys


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

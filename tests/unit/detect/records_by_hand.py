"""Records written by hand for the detection tests (not by the simulator): the calls' columns
and a subscriber table, shared by ``area_world.py`` and ``test_numbers_from_outside.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

CALL_SCHEMA = {
    "call_id": pl.String, "caller": pl.String, "callee": pl.String,
    "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32, "ring_s": pl.Int32,
    "caller_cell": pl.String, "caller_imei": pl.String,
}  # fmt: skip


def subscriber_table(
    numbers: Sequence[str], regions: Sequence[str], born: Sequence[int], activated_on: dt.date
) -> pl.DataFrame:
    """Verified individual subscribers, none whitelisted: each number with its region and its
    owner's year of birth."""
    n = len(numbers)
    return pl.DataFrame(
        {
            "msisdn": list(numbers),
            "owner_birth_year": list(born),
            "owner_type": ["individual"] * n,
            "activated_on": [activated_on] * n,
            "realname_status": ["verified"] * n,
            "region": list(regions),
            "whitelisted": [False] * n,
        },
        schema_overrides={"owner_birth_year": pl.Int16},
    )

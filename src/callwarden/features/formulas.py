"""The formulas that turn window sums and profiles into features, shared by every engine.

>>> out = features_from_sums({k: np.array([0.0]) for k in window_sum_names()},
...                          {"imei_sims": np.array([0.0])})
>>> out["out_calls_1h"].tolist()
[0.0]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from callwarden.features.spec import (
    FEATURES,
    HOME_PREFIX,
    LANDLINE_PATTERN,
    VIRTUAL_PATTERN,
    Agg,
    window_signals,
)
from callwarden.network import valid_numbers

__all__ = [
    "e164_digits",
    "features_from_sums",
    "fixed_offset_ms",
    "invalid_flags",
    "number_flags",
    "profile_features",
    "range_flags",
    "window_sum_names",
]


def window_sum_names() -> list[str]:
    """Every ``signal@window`` sum the features need."""
    return [f"{s}@{w}" for w, names in window_signals().items() for s in sorted(names)]


def features_from_sums(
    sums: dict[str, np.ndarray],
    last: dict[str, np.ndarray],
    names: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every windowed feature (or those of ``names``) from the window sums
    (``signal@window``) and the LAST signals.

    The one formula of each aggregation, shared by the batch and the incremental engine.
    """
    values: dict[str, np.ndarray] = {}
    chosen = FEATURES.values() if names is None else [FEATURES[n] for n in names]
    for f in chosen:
        if f.agg is Agg.STATIC:
            continue
        if f.agg is Agg.LAST:
            values[f.name] = last[str(f.signal)]
            continue
        num = sums[f"{f.signal}@{f.window}"]
        den = sums.get(f"{f.over}@{f.window}")
        if f.agg is Agg.SUM:
            values[f.name] = num
        elif f.agg in (Agg.SHARE, Agg.MEAN):
            assert den is not None  # noqa: S101  (the spec gives every share a denominator)
            values[f.name] = _share(num, den)
        elif f.agg is Agg.RATIO:
            assert den is not None  # noqa: S101
            values[f.name] = num / (den + 1.0)
        elif f.agg is Agg.CV:
            assert den is not None  # noqa: S101
            mean = _share(num, den)
            var = _share(sums[f"{f.signal}_sq@{f.window}"], den)
            var -= mean * mean
            np.maximum(var, 0.0, out=var)
            np.sqrt(var, out=var)
            values[f.name] = np.divide(var, mean, out=np.zeros_like(var), where=mean > 0)
    return values


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, 0 where ``den`` is not positive."""
    return np.divide(num, den, out=np.zeros(num.shape), where=den > 0)


def invalid_flags(numbers: Sequence[str | None] | pl.Series) -> np.ndarray:
    """``is_invalid_number``: 1.0 where nobody can own the number (``network.valid_numbers``,
    the answers of ``is_valid_number`` for a whole column; a null reads as the empty text, as
    in the compiled flags), else 0.0. Every engine asks this one function.

    >>> invalid_flags(["+8613812345678", "+371573613369", "+8695588", "", None]).tolist()
    [0.0, 1.0, 0.0, 1.0, 1.0]
    """
    column = numbers if isinstance(numbers, pl.Series) else pl.Series(numbers, dtype=pl.String)
    return (~valid_numbers(column)).astype(np.float64)


def number_flags(numbers: pl.Series) -> dict[str, np.ndarray]:
    """Static features read off the number itself (range, country, whether it is valid)."""
    frame = pl.DataFrame({"msisdn": numbers.cast(pl.String)})
    ranges = _ranges(pl.col("msisdn"))
    flags = frame.select(
        is_international=(~pl.col("msisdn").str.starts_with(HOME_PREFIX)).cast(pl.Float64),
        **{name: flag.cast(pl.Float64) for name, flag in ranges.items()},
    )
    out = {c: flags[c].to_numpy() for c in flags.columns}
    out["is_invalid_number"] = invalid_flags(frame["msisdn"])
    return out


def range_flags(numbers: pl.Series) -> dict[str, np.ndarray]:
    """``is_virtual`` and ``is_landline`` of :func:`number_flags` alone (as booleans), without
    the validity check that costs the most.

    >>> flags = range_flags(pl.Series(["+8617012345678", "+861012345678", "+8613800000001"]))
    >>> flags["is_virtual"].tolist(), flags["is_landline"].tolist()
    ([True, False, False], [False, True, False])
    """
    flags = pl.DataFrame({"msisdn": numbers.cast(pl.String)}).select(**_ranges(pl.col("msisdn")))
    return {c: flags[c].fill_null(False).to_numpy() for c in flags.columns}


def _ranges(msisdn: pl.Expr) -> dict[str, pl.Expr]:
    home = msisdn.str.starts_with(HOME_PREFIX)
    national = msisdn.str.slice(len(HOME_PREFIX))
    return {
        "is_virtual": home & national.str.contains(VIRTUAL_PATTERN),
        "is_landline": home & national.str.contains(LANDLINE_PATTERN),
    }


_E164_DIGITS = r"^\+[0-9]{1,18}$"


def e164_digits(numbers: pl.Series) -> np.ndarray:
    """E.164 digits as int64 (``+8613800000001`` -> 8613800000001), -1 for anything else."""
    text = numbers.cast(pl.String)
    got = pl.select(
        pl.when(pl.lit(text).str.contains(_E164_DIGITS))
        .then(pl.lit(text).str.slice(1).cast(pl.Int64, strict=False))
        .otherwise(-1)
    ).to_series()
    return got.fill_null(-1).to_numpy()


def profile_features(
    t_ms: np.ndarray, act_ms: np.ndarray, birth: np.ndarray
) -> dict[str, np.ndarray]:
    """Static features from the subscriber's profile at each event: days since activation
    and the owner's age (NaN where unknown)."""
    year = 1970 + t_ms / (365.2425 * 86_400_000.0)
    return {
        "new_sim_days": np.where(np.isnan(act_ms), np.nan, (t_ms - act_ms) / 86_400_000.0),
        "owner_age": np.floor(year) - birth,
    }


def fixed_offset_ms(zone: ZoneInfo, lo_ms: int, hi_ms: int) -> int | None:
    """The zone's UTC offset in ms when it is the same from ``lo_ms`` to ``hi_ms`` (less than a
    day apart; no zone changes offset twice in a day), else None (then ask the time zone
    database per event)."""
    if hi_ms - lo_ms >= 86_400_000:
        return None
    offsets = {dt.datetime.fromtimestamp(x / 1000, zone).utcoffset() for x in (lo_ms, hi_ms)}
    if len(offsets) != 1:
        return None
    off = offsets.pop()
    return None if off is None else off // dt.timedelta(milliseconds=1)

"""The policy stepped over many events at once decides as stepping them one by one; its
settings take only the values it knows."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from callwarden.decide.policy import (
    LEVEL,
    DecisionState,
    PolicyConfig,
    ReviewNeed,
    _dense,
    level_of,
)
from callwarden.errors import ConfigError
from callwarden.network import ServedNumbers
from callwarden.records.schema import DECISIONS

NUMBERS = ["+8613800000001", "+8613800000002", "+8613800000003", "+8613900000009",
           "+8613012345678", "+371573613369"]  # fmt: skip
#: the last two are another carrier's and a spoofed one: intercepted, never suspended
DAYS = ["2026-07-08", "2026-07-09"]


@st.composite
def policies(draw: st.DrawFn) -> PolicyConfig:
    cuts = sorted(draw(st.lists(st.sampled_from([0.2, 0.4, 0.6, 0.8, 0.95]), min_size=4,
                                max_size=4)))  # fmt: skip
    return PolicyConfig(
        watch=cuts[0], review=cuts[1], restrict=cuts[2], suspend=cuts[3],
        daily_suspension_cap=draw(st.integers(0, 3)),
        allow_list_ceiling=draw(st.sampled_from(list(LEVEL))),
    )  # fmt: skip


event = st.tuples(
    st.sampled_from(NUMBERS),
    st.sampled_from(DAYS),
    st.sampled_from([0.0, 0.3, 0.5, 0.7, 0.85, 0.95, 0.99, float("nan")]),
    st.booleans(),
)


@settings(deadline=None, max_examples=200)
@given(
    policies(),
    st.lists(event, max_size=40),
    st.lists(event, max_size=40),
    st.sampled_from([None, ServedNumbers()]),
)
def test_step_many_equals_one_by_one(
    policy: PolicyConfig,
    first: list[tuple[str, str, float, bool]],
    then: list[tuple[str, str, float, bool]],
    served: ServedNumbers | None,
) -> None:
    one, many = DecisionState(policy, served), DecisionState(policy, served)
    for batch in (first, then):  # (two batches: the state carries over, as in the stream)
        want = [one.step(m, day=d, score=s, allowed=a) for m, d, s, a in batch]
        got = many.step_many(
            [m for m, *_ in batch], [d for _, d, *_ in batch],
            np.array([s for *_, s, _ in batch]), np.array([a for *_, a in batch], bool),
        )  # fmt: skip
        assert [level_of(w) for w in want] == got.tolist()
        assert many.current == one.current
        assert many.suspended_on == one.suspended_on
        if served is not None:
            off_net = [w for (m, *_), w in zip(batch, want, strict=True) if m in NUMBERS[-2:]]
            assert not {"restrict", "suspend"} & set(off_net)


def test_off_net_numbers_are_intercepted_without_using_the_cap() -> None:
    state = DecisionState(PolicyConfig(daily_suspension_cap=1), ServedNumbers())
    day = "2026-07-08"
    assert state.step("+8613012345678", day=day, score=0.85, allowed=False) == "intercept"
    assert state.step("+8613012345678", day=day, score=0.99, allowed=False) is None
    assert state.step("+447911123456", day=day, score=0.99, allowed=False) == "intercept"
    assert state.step("+8613800000001", day=day, score=0.99, allowed=False) == "suspend"
    assert state.step("+8613800000002", day=day, score=0.99, allowed=False) == "review"  # cap
    assert state.step("+8613800000003", day=day, score=0.7, allowed=False) == "review"


def test_model_review_needs_takes_none_or_a_decision(tmp_path: Path) -> None:
    assert get_args(ReviewNeed) == ("none", *DECISIONS)
    for need in get_args(ReviewNeed):
        (tmp_path / "policy.toml").write_text(f'model_review_needs = "{need}"\n')
        assert PolicyConfig.load(tmp_path / "policy.toml").model_review_needs == need
    with pytest.raises(ValidationError, match="model_review_needs") as err:
        PolicyConfig(model_review_needs="always")  # type: ignore[arg-type]
    assert "'none', 'watch', 'review', 'restrict' or 'suspend'" in str(err.value)
    (tmp_path / "policy.toml").write_text('model_review_needs = "Watch"\n')
    with pytest.raises(ConfigError, match="model_review_needs") as bad:
        PolicyConfig.load(tmp_path / "policy.toml")
    assert str(tmp_path / "policy.toml") in str(bad.value) and "'suspend'" in str(bad.value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["+8613800000001", "+8613800000002", "+861", "", "号码", "a"]))
       | st.lists(st.text(max_size=4)))  # fmt: skip
def test_dense_codes_rank_the_texts_in_sorted_order(values: list[str]) -> None:
    """The numbers' and days' dense codes of a policy step: each text's rank among the
    distinct texts, sorted as polars sorts them (by their UTF-8 bytes)."""
    import polars as pl  # noqa: PLC0415

    codes, names = _dense(values)
    series = pl.Series(values, dtype=pl.String)
    assert names == series.unique().sort().to_list()
    if values:
        assert codes.tolist() == (series.rank("dense") - 1).cast(pl.Int64).to_list()
    assert codes.dtype == np.int64 and codes.shape == (len(values),)

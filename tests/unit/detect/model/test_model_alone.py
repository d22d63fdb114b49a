"""A learned score alone never raises a decision above ``review`` without rule evidence, and
above ``watch`` without a detector's ``watch`` at the same event.

The model here is deliberately harmful: trained to call the city's honest heavy callers fraud,
it scores them near 1. The detectors see nothing wrong with them, so the policy must hold them
at ``watch`` (at ``review`` with ``model_review_needs="none"``); with the ceiling lifted and no
such need, the same model restricts or suspends them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from callwarden.decide.policy import LEVEL, PolicyConfig, level_of
from callwarden.detect.model import FeatureTable, train_model
from callwarden.detect.model.events import EventModel
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.spec import FEATURES

from .conftest import FAST

CityFrames = dict[str, pl.DataFrame]
TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def city(small_city: Callable[[int], CityFrames]) -> CityFrames:
    return small_city(11)


@pytest.fixture(scope="module")
def heavy(city: CityFrames) -> set[str]:
    labels = city["labels"]
    numbers = set(labels.filter(pl.col("label") == "legit_heavy")["msisdn"].to_list())
    assert len(numbers) >= 5, "the small city should hold a few honest heavy callers"
    return numbers


@pytest.fixture(scope="module")
def harmful_model(city: CityFrames, heavy: set[str]) -> EventModel:
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    frame = feature_frame(load_engine("compiled")(), traffic)
    per_number = frame.group_by("msisdn", maintain_order=True).agg(
        [pl.col(f.name).max() if not f.static else pl.col(f.name).last()
         for f in FEATURES.values()]
    ).with_columns(heavy=pl.col("msisdn").is_in(list(heavy)).cast(pl.Int8))  # fmt: skip
    table = FeatureTable.from_frame(
        per_number, id_column="msisdn", label_column="heavy", features=list(FEATURES)
    )
    return EventModel(train_model(table, params=FAST, cv_folds=2, seed=0))


def _highest(alerts: pl.DataFrame, numbers: set[str]) -> dict[str, int]:
    mine = alerts.filter(pl.col("msisdn").is_in(list(numbers)))
    out: dict[str, int] = {}
    for msisdn, decision in zip(mine["msisdn"], mine["decision"], strict=True):
        out[msisdn] = max(out.get(msisdn, 0), level_of(decision))
    return out


def test_model_alone_stops_at_review_for_honest_heavy_callers(
    city: CityFrames, heavy: set[str], harmful_model: EventModel
) -> None:
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    rules_only = _highest(score_records(traffic, PolicyConfig()).alerts, heavy)
    assert all(level < LEVEL["review"] for level in rules_only.values()), rules_only

    lifted = PolicyConfig(model_alone_ceiling="suspend", model_review_needs="none")
    unsafe = _highest(score_records(traffic, lifted, model=harmful_model).alerts, heavy)
    assert any(level >= LEVEL["restrict"] for level in unsafe.values()), unsafe

    unbacked = PolicyConfig(model_review_needs="none")
    safe = _highest(score_records(traffic, unbacked, model=harmful_model).alerts, heavy)
    assert safe, "the harmful model should still put honest heavy callers under review"
    assert max(safe.values()) == LEVEL["review"], safe

    # by default a review needs a detector's watch beside the model; here there is none
    watched = _highest(score_records(traffic, PolicyConfig(), model=harmful_model).alerts, heavy)
    assert watched, "the harmful model should still put honest heavy callers on watch"
    assert max(watched.values()) <= LEVEL["watch"], watched


def test_rule_evidence_lets_the_model_raise_the_decision() -> None:
    policy = PolicyConfig()
    rules = np.array([0.0, 0.3, 0.45, 0.6, 0.0])
    model = np.array([0.99, 0.99, 0.99, 0.99, 0.5])
    combined = policy.combine_model(rules, model)
    # no detector at watch: the model alone watches; a detector's watch beside it: review;
    # a detector's review: the model's score decides
    assert [policy.decision_for(float(s)) for s in combined] == [
        "watch",
        "watch",
        "review",
        "suspend",
        "watch",
    ]
    unbacked = PolicyConfig(model_review_needs="none")
    assert [unbacked.decision_for(float(s)) for s in unbacked.combine_model(rules, model)] == [
        "review",
        "review",
        "review",
        "suspend",
        "watch",
    ]
    with pytest.raises(ValueError, match="model_alone_ceiling"):
        PolicyConfig(model_alone_ceiling="block")
    with pytest.raises(ValueError, match="model_review_needs"):
        PolicyConfig(model_review_needs="always")

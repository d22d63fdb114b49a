"""Training the call-record model at events: the rows are the rows scoring reads, each number
weighs one, and cross-validation never lets one number's rows score each other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.detect.model import load_model
from callwarden.detect.model.at_events import EventRows, event_rows, train_at_events
from callwarden.detect.model.events import EventModel, number_table_of_slices, peak_inputs
from callwarden.errors import ConfigError
from callwarden.features.engines.base import EventFeatures, Traffic
from callwarden.features.engines.compiled.batch import event_feature_slices
from callwarden.features.spec import FEATURES

from .conftest import FAST

CityFrames = dict[str, pl.DataFrame]
TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def city(small_city: Callable[[int], CityFrames]) -> CityFrames:
    return small_city(11)


def _slices(city: CityFrames, most: int = 3_000) -> list[EventFeatures]:
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    return list(event_feature_slices(traffic, most=most)[1])


@pytest.fixture(scope="module")
def rows(city: CityFrames) -> EventRows:
    return event_rows(_slices(city), city["labels"], per_number=6)


def test_rows_are_the_model_inputs_at_sampled_events_and_each_number_weighs_one(
    city: CityFrames, rows: EventRows
) -> None:
    peaks = number_table_of_slices(_slices(city), city["labels"])
    assert rows.numbers == peaks.ids  # numbers in the order of their first event
    assert peaks.y is not None and np.array_equal(rows.y, peaks.y)
    counts = np.bincount(rows.number)
    assert counts.max() == 6 and counts.min() >= 1
    assert np.allclose(np.bincount(rows.number, weights=rows.weight), 1.0)
    # every number's last event is among its rows, and its row there is the day's-end peak
    X = rows.table.X.to_numpy()
    last = np.r_[np.flatnonzero(np.diff(rows.number)), rows.number.shape[0] - 1]
    assert np.array_equal(X[last], peaks.X.to_numpy(), equal_nan=True)
    # and a heavy caller's first event is there too, as scoring reads it
    slices = _slices(city)
    piece = slices[0]
    inputs = peak_inputs(piece.values, piece.num, list(FEATURES))
    first_number = piece.numbers(np.array([0]))[0]
    mine = np.flatnonzero(np.array([i.rsplit("@", 1)[0] for i in rows.table.ids]) == first_number)
    assert rows.table.ids[mine[0]] == f"{first_number}@0"
    assert np.array_equal(X[mine[0]], inputs[0], equal_nan=True)


def test_slicing_does_not_change_the_rows(city: CityFrames, rows: EventRows) -> None:
    other = event_rows(_slices(city, most=1_000_000), city["labels"], per_number=6)
    assert other.table.ids == rows.table.ids
    assert other.table.X.equals(rows.table.X)


def test_trained_at_events_scores_by_number_and_saves(
    city: CityFrames, rows: EventRows, tmp_path: Path
) -> None:
    model = train_at_events(rows, params=FAST, cv_folds=2, seed=0)
    cv = model.metrics["cv"]
    # folds hold numbers, not rows: a held-out number is scored once, at its highest row
    assert sum(f["rows"] for f in cv["folds"]) == len(rows.numbers)
    assert model.metrics["rows"] == len(rows.numbers)
    assert model.metrics["training_rows"]["rows"] == rows.table.X.height
    assert cv["mean"]["auc"]["mean"] > 0.9
    model.save(tmp_path / "m")
    again = EventModel(load_model(tmp_path / "m"))
    X = rows.table.X.to_numpy()
    assert np.allclose(again.scores(X), EventModel(model).scores(X))


def test_per_number_must_be_positive(city: CityFrames) -> None:
    with pytest.raises(ConfigError, match="per_number"):
        event_rows(_slices(city), city["labels"], per_number=0)

"""The learned scorer on call records: features by slices of numbers, scored at every event.

Scoring with a model computes every number's features, a slice of numbers at a time, so that
memory holds one slice. These tests hold the sliced path to a plain one-frame reference: the
feature engine's frame in record order, polars' running maximum per number, the model over
every row, the detectors, and the policy stepping through the candidates in record order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from callwarden.cli.app import app
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import alerts_from_rows
from callwarden.detect.callee_areas import CalleeAreas
from callwarden.detect.campaigns import CampaignConfig
from callwarden.detect.live import replay_alerts
from callwarden.detect.model import FeatureTable, load_model, train_file_order, train_model
from callwarden.detect.model.events import (
    HONEST_LABELS,
    EventModel,
    RunningPeaks,
    number_table_of_slices,
    peak_inputs,
)
from callwarden.detect.scoring import (
    EventScorer,
    FeatureArrays,
    allowed_numbers,
    detector_scores,
    score_records,
    served_numbers,
)
from callwarden.detect.sms_content import SmsContent
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.engines.compiled import batch as embedded
from callwarden.features.engines.compiled.batch import event_feature_slices
from callwarden.features.spec import FEATURES
from callwarden.records.batch import record_batch
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.stream.engine import StreamEngine
from callwarden.stream.snapshot import Checkpointer, read_state

from .conftest import FAST

CityFrames = dict[str, pl.DataFrame]
TZ = "Asia/Shanghai"


def number_table(features: pl.DataFrame, labels: pl.DataFrame) -> FeatureTable:
    """The reference: one row per acting number from the whole record-order frame, with
    polars (behavioural features at their peak, static ones at the last event)."""
    per_number = features.group_by("msisdn", maintain_order=True).agg(
        [pl.col(f.name).max() if not f.static else pl.col(f.name).last()
         for f in FEATURES.values()]
    ).join(labels.select("msisdn", "label"), on="msisdn", how="left").with_columns(
        fraud=(~pl.col("label").fill_null("normal").is_in(HONEST_LABELS)).cast(pl.Int8)
    )  # fmt: skip
    return FeatureTable.from_frame(
        per_number.drop("label"), id_column="msisdn", label_column="fraud", features=list(FEATURES)
    )


def running_max(features: pl.DataFrame) -> pl.DataFrame:
    """The reference: each behavioural feature's highest value so far for its number, with
    polars (rows in record order)."""
    behavioural = [f.name for f in FEATURES.values() if not f.static]
    return features.with_columns(pl.col(behavioural).cum_max().over("msisdn"))


@pytest.fixture(scope="module")
def city(small_city: Callable[[int], CityFrames]) -> CityFrames:
    return small_city(11)


@pytest.fixture(scope="module")
def frame(city: CityFrames) -> pl.DataFrame:
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    return feature_frame(load_engine("compiled")(), traffic)


@pytest.fixture(scope="module")
def event_model(city: CityFrames, frame: pl.DataFrame) -> EventModel:
    table = number_table(frame, city["labels"])
    return EventModel(train_model(table, params=FAST, cv_folds=2, seed=0))


@pytest.fixture(scope="module")
def ensemble_model(city: CityFrames, frame: pl.DataFrame) -> EventModel:
    """Three LightGBM seeds by the file-order protocol: a model directory of format 2."""
    table = number_table(frame, city["labels"])
    return EventModel(train_file_order(table, params=FAST, seeds=3, cv_folds=0))


def test_slices_hold_every_number_whole_and_the_rows_of_one_pass(city: CityFrames) -> None:
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    whole = embedded.event_features(traffic)
    total, slices = event_feature_slices(traffic, most=5_000)
    pieces = list(slices)
    assert total == len(pieces) > 3
    numbers = [set(p.num.tolist()) for p in pieces]
    assert sum(len(n) for n in numbers) == len(set().union(*numbers))  # no number cut
    assert np.array_equal(np.concatenate([p.seq for p in pieces]), whole.seq)
    assert np.array_equal(np.concatenate([p.time_us for p in pieces]), whole.time_us)
    for name, values in whole.values.items():
        joined = np.concatenate([p.values[name] for p in pieces])
        assert np.array_equal(joined, values, equal_nan=True), name


def test_number_table_from_slices_equals_the_one_from_the_frame(
    city: CityFrames, frame: pl.DataFrame
) -> None:
    expected = number_table(frame, city["labels"])
    _, slices = event_feature_slices(
        Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ), most=3_000
    )
    got = number_table_of_slices(slices, city["labels"])
    assert got.ids == expected.ids
    assert got.X.equals(expected.X)
    assert expected.y is not None and got.y is not None
    assert np.array_equal(got.y, expected.y)
    assert 0 < int(got.y.sum()) < len(got.ids)


def _one_frame_reference(
    city: CityFrames, frame: pl.DataFrame, model: EventModel, policy: PolicyConfig
) -> pl.DataFrame:
    """Every event in one record-order frame, scored whole: what slicing must reproduce."""
    X = running_max(frame).select(model.model.feature_names).to_numpy().astype(np.float64)
    arrays = FeatureArrays.of(frame)
    content = SmsContent.of_sms(city["sms"])  # what the texts say, as score_records reads it
    content.fill(arrays.values, arrays.kind == "sms", arrays.times_us(), arrays.numbers)
    # and where the callees live, as it reads that (the relay rules' cue)
    areas = CalleeAreas.of_records(city["calls"], city["subscribers"])
    areas.fill(arrays.values, arrays.kind == "call", arrays.times_us(), arrays.numbers)
    scores = detector_scores(arrays)
    combined = policy.combine_model(
        np.max(np.vstack(list(scores.values())), axis=0), model.scores(X)
    )
    idx = np.flatnonzero(combined >= policy.watch)  # (the frame is in record order)
    subscribers = city["subscribers"]
    scorer = EventScorer(
        policy, allowed_numbers(subscribers), timezone=TZ, served=served_numbers(subscribers)
    )
    scorer.content = content
    scorer.areas = areas.areas
    rows = scorer.step(arrays, idx, scores, combined, lambda i: model.reasons(X[i]))
    return alerts_from_rows(rows)


@pytest.mark.parametrize("slice_events", [2_000, 1_000_000])
def test_scoring_with_a_model_by_slices_equals_scoring_one_frame(
    city: CityFrames,
    frame: pl.DataFrame,
    event_model: EventModel,
    slice_events: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a low watch level and a tight daily cap: many candidates, and the cap spans slices (the
    # reference has no campaign pass: that pass reads no model and has its own tests)
    policy = PolicyConfig(
        watch=0.3, daily_suspension_cap=2, campaigns=CampaignConfig(enabled=False)
    )
    expected = _one_frame_reference(city, frame, event_model, policy)
    monkeypatch.setattr(embedded, "SLICE_EVENTS", slice_events)
    heard: list[tuple[str, int, int]] = []
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    got = score_records(
        traffic, policy, model=event_model, progress=lambda *heard_now: heard.append(heard_now)
    )
    assert got.alerts.equals(expected)
    slices = len(heard) - 2  # (the cross-number signals first, the policy last)
    assert (slices > 10) == (slice_events == 2_000)
    assert [done for _, done, _ in heard[1:]] == list(range(slices + 1))
    assert got.events == frame.height
    codes = {r["code"] for reasons in got.alerts["reasons"].to_list() for r in reasons}
    assert any(c.startswith("model:") for c in codes), codes  # the model raised some alerts
    assert (got.alerts["decision"] == "suspend").sum() <= 2  # the cap held across slices


def test_the_model_reads_the_peak_so_far_at_each_event(frame: pl.DataFrame) -> None:
    names = ["out_calls_1h", "gap_cv_1h", "owner_age", "new_sim_days"]
    order = np.argsort(frame["msisdn"].to_numpy(), kind="stable")  # numbers together
    sorted_frame = frame[order]
    values = {n: sorted_frame[n].to_numpy() for n in names}
    groups = np.unique(sorted_frame["msisdn"].to_numpy(), return_inverse=True)[1]
    got = peak_inputs(values, groups, names)
    expected = running_max(sorted_frame).select(names).to_numpy()
    assert np.array_equal(got, expected, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(st.just(float("nan")), st.floats(-5, 5, allow_nan=False)),
        ),
        max_size=40,
    )
)
def test_running_maximum_passes_over_missing_values_as_polars_does(
    rows: list[tuple[int, float]],
) -> None:
    rows = sorted(rows, key=lambda r: r[0])  # (stable: record order within a number)
    groups = np.array([g for g, _ in rows], np.int64)
    values = np.array([v for _, v in rows], np.float64)
    got = peak_inputs({"out_calls_1h": values}, groups, ["out_calls_1h"])[:, 0]
    expected = (
        pl.DataFrame({"g": groups, "x": values}, schema={"g": pl.Int64, "x": pl.Float64})
        .select(pl.col("x").cum_max().over("g"))
        .to_series()
        .to_numpy()
    )
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("batch_size", [1_000, 7_919])
def test_live_scoring_with_a_model_equals_batch(
    city: CityFrames, event_model: EventModel, batch_size: int
) -> None:
    """The stream's path: records in batches of any size, the model's running peaks carried
    from batch to batch, gives the batch alerts, the model's own included."""
    policy = PolicyConfig(watch=0.3, daily_suspension_cap=2)
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    expected = score_records(traffic, policy, model=event_model).alerts
    got = replay_alerts(traffic, policy, batch_size=batch_size, model=event_model)
    assert got.equals(expected)
    codes = {r["code"] for reasons in got["reasons"].to_list() for r in reasons}
    assert any(c.startswith("model:") for c in codes), codes


def test_running_peaks_across_batches_equal_peaks_of_the_whole(frame: pl.DataFrame) -> None:
    names = ["out_calls_1h", "gap_cv_1h", "owner_age", "new_sim_days"]
    peaks = RunningPeaks(names)
    numbers = frame["msisdn"].to_list()
    got = np.vstack(
        [
            peaks.update(numbers[a : a + 333], {n: frame[n].to_numpy()[a : a + 333] for n in names})
            for a in range(0, frame.height, 333)
        ]
    )
    expected = running_max(frame).select(names).to_numpy()
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("kind", ["event_model", "ensemble_model"])
def test_stream_and_score_with_a_model_give_the_same_alerts(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """``callwarden stream --model`` (records through the stream engine) and ``callwarden
    score --model`` on the same city folder: the same alerts, for one LightGBM model and for
    an ensemble of seeds."""
    event_model: EventModel = request.getfixturevalue(kind)
    city = tmp_path / "city"
    simulate_city(SimulationConfig(subscribers=1200, seed=21), city)
    model_dir = event_model.model.save(tmp_path / "model")
    assert len(load_model(model_dir).boosters) == len(event_model.model.boosters)
    policy = tmp_path / "policy.toml"
    policy.write_text("watch = 0.3\n", encoding="utf-8")
    runner = CliRunner()
    common = ["--model", str(model_dir), "--policy", str(policy)]
    scored = runner.invoke(app, ["score", str(city), *common, "--out", str(tmp_path / "a.parquet")])
    assert scored.exit_code == 0, scored.output
    streamed = runner.invoke(
        app, ["stream", "--from-file", str(city), *common, "--out", str(tmp_path / "b.parquet")]
    )
    assert streamed.exit_code == 0, streamed.output
    want = pl.read_parquet(tmp_path / "a.parquet")
    assert want.height > 20
    assert pl.read_parquet(tmp_path / "b.parquet").equals(want)
    codes = {r["code"] for reasons in want["reasons"].to_list() for r in reasons}
    assert any(c.startswith("model:") for c in codes), codes


def test_a_checkpoint_of_a_stream_with_a_model_restores_the_same_alerts(
    city: CityFrames, event_model: EventModel, tmp_path: Path
) -> None:
    """The model and each number's running peaks travel in the stream's checkpoint: a state
    restored half-way gives the alerts the running one gives, and those of batch scoring."""
    policy = PolicyConfig(watch=0.3)
    traffic = Traffic(city["calls"], city["sms"], city["subscribers"], timezone=TZ)
    want = score_records(traffic, policy, model=event_model).alerts
    batch = record_batch(city["calls"], city["sms"])
    cut = batch.height // 2
    engine = StreamEngine(city["subscribers"], policy, TZ, model=event_model)
    alerts = engine.push_frame(batch.slice(0, cut))
    writer = Checkpointer(tmp_path / "ckpt")

    async def checkpoint() -> None:
        while not writer.start(engine):
            await asyncio.wait_for(writer.wait(), timeout=120)
        await asyncio.wait_for(writer.wait(), timeout=120)

    asyncio.run(checkpoint())
    restored = read_state(tmp_path / "ckpt")
    assert isinstance(restored, StreamEngine)
    rest = batch.slice(cut)
    expected = engine.push_frame(rest) + engine.flush()
    got = restored.push_frame(rest) + restored.flush()
    assert got == expected
    assert alerts_from_rows(alerts + got).equals(want)

"""Batch scoring is the stream replayed: same features, same alerts, for any record sequence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callwarden.detect.replay import replay_alerts
from callwarden.detect.scoring import score_records
from callwarden.features import embedded
from callwarden.features.embedded import compute_features
from callwarden.features.formulas import e164_digits, number_flags
from callwarden.features.incremental import IncrementalFeatures, record_batch
from callwarden.features.online import OnlineFeatures, replay_order
from callwarden.features.spec import FEATURES
from callwarden.features.textcodes import number_flags_compiled
from callwarden.simulate import SimulationConfig, simulate_city

T0 = dt.datetime(2026, 7, 8, 9, tzinfo=dt.UTC)
NUMBERS = [f"+86138000000{k:02d}" for k in range(12)] + ["+21620123456", "+862886123456"]
OPAQUE = "5e1272273e041e82"  # hashed exports (the Sichuan data) mix with E.164 in one file


@st.composite
def traffic(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bursty little worlds: a few numbers, calls seconds to hours apart, ties included."""
    n = draw(st.integers(min_value=1, max_value=60))
    offsets = sorted(draw(st.lists(st.integers(0, 30 * 3_600_000), min_size=n, max_size=n)))
    if draw(st.booleans()) and n > 2:  # equal timestamps happen in real CDRs
        offsets[1] = offsets[0]
    pick = st.sampled_from(NUMBERS + ([OPAQUE] if draw(st.booleans()) else []))
    calls = pl.DataFrame(
        {
            "call_id": [f"c{k:04d}" for k in range(n)],
            "caller": [draw(pick) for _ in range(n)],
            "callee": [draw(pick) for _ in range(n)],
            "start_time": [T0 + dt.timedelta(milliseconds=o) for o in offsets],
            "duration_s": [draw(st.sampled_from([0, 0, 3, 40, 300])) for _ in range(n)],
            "ring_s": [draw(st.sampled_from([None, 1, 2, 8, 30])) for _ in range(n)],
            "caller_cell": [draw(st.sampled_from([None, "C1", "C2"])) for _ in range(n)],
            "caller_imei": [draw(st.sampled_from([None, "I1", "I2", "I3"])) for _ in range(n)],
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32,
                          "start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    if draw(st.booleans()):  # caller flags from ingest (absent in older files: no flag)
        flag = st.sampled_from([None, None, "trunk_mismatch", "cloud_trunk_mobile", "impossible"])
        calls = calls.with_columns(
            caller_flag=pl.Series([draw(flag) for _ in range(n)], dtype=pl.String)
        )
    m = draw(st.integers(min_value=0, max_value=30))
    sms_offsets = sorted(draw(st.lists(st.integers(0, 30 * 3_600_000), min_size=m, max_size=m)))
    sms = pl.DataFrame(
        {
            "sms_id": [f"s{k:04d}" for k in range(m)],
            "sender": [draw(pick) for _ in range(m)],
            "recipient": [draw(pick) for _ in range(m)],
            "sent_time": [T0 + dt.timedelta(milliseconds=o) for o in sms_offsets],
            "length": [20] * m,
            "content": [None] * m,
        },
        schema_overrides={"length": pl.Int32, "content": pl.String,
                          "sent_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    return calls, sms


def _online(
    calls: pl.DataFrame,
    sms: pl.DataFrame,
    subs: pl.DataFrame | None,
    known: pl.Series | None = None,
) -> pl.DataFrame:
    on = OnlineFeatures(subs, known=known)
    rows = [on.call(r) if kind == "call" else on.sms(r) for kind, r in replay_order(calls, sms)]
    return pl.DataFrame(rows)


def _assert_same_features(batch: pl.DataFrame, online: pl.DataFrame) -> None:
    assert batch.height == online.height
    for col in online.columns:
        a, b = batch[col].to_numpy(), online[col].to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        assert same.all(), (col, a[~same][:3], b[~same][:3])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic(), st.lists(st.sampled_from(NUMBERS), max_size=4))
def test_features_of_any_sequence_equal_the_replayed_stream(
    world: tuple[pl.DataFrame, pl.DataFrame], known_list: list[str]
) -> None:
    calls, sms = world
    known = pl.Series(known_list, dtype=pl.String) if known_list else None
    batch, _, _ = compute_features(calls, sms, known=known)
    _assert_same_features(batch, _online(calls, sms, None, known))


def _in_batches(
    engine: IncrementalFeatures, records: pl.DataFrame, sizes: list[int]
) -> pl.DataFrame:
    parts, start, k = [], 0, 0
    while start < records.height:
        parts.append(engine.process(records.slice(start, sizes[k % len(sizes)])))
        start += sizes[k % len(sizes)]
        k += 1
    return pl.concat(parts) if parts else engine.process(records)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    traffic(),
    st.lists(st.sampled_from(NUMBERS), max_size=4),
    st.lists(st.integers(1, 25), min_size=1, max_size=8),
)
def test_features_in_any_batches_equal_the_batch_engine(
    world: tuple[pl.DataFrame, pl.DataFrame], known_list: list[str], sizes: list[int]
) -> None:
    """The stream hands the incremental engine batches of any size: the cuts change nothing."""
    calls, sms = world
    known = pl.Series(known_list, dtype=pl.String) if known_list else None
    batch, _, _ = compute_features(calls, sms, known=known)
    online = _in_batches(IncrementalFeatures(known=known), record_batch(calls, sms), sizes)
    assert online["msisdn"].to_list() == batch["msisdn"].to_list()
    _assert_same_features(batch.select(list(FEATURES)), online.select(list(FEATURES)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic(), st.lists(st.sampled_from([*NUMBERS, OPAQUE, "+8613999999999"]), max_size=5))
def test_features_of_chosen_numbers_equal_their_rows_of_all(
    world: tuple[pl.DataFrame, pl.DataFrame], chosen: list[str]
) -> None:
    """Triage computes features for some numbers only: the same rows, bit for bit."""
    calls, sms = world
    only = pl.Series(chosen, dtype=pl.String)
    some, _, _ = compute_features(calls, sms, only=only)
    every, _, _ = compute_features(calls, sms)
    assert some.equals(every.filter(pl.col("msisdn").is_in(only.implode())))


def _keyed(features: pl.DataFrame, calls: pl.DataFrame, sms: pl.DataFrame | None) -> pl.DataFrame:
    """Features with the id of the record each row is the event of."""
    call_ids = calls["call_id"].to_list()
    sms_ids = sms["sms_id"].to_list() if sms is not None else []
    ids = [(sms_ids if kind == "sms" else call_ids)[r]
           for kind, r in zip(features["kind"], features["record"], strict=True)]  # fmt: skip
    return features.with_columns(id=pl.Series(ids, dtype=pl.String))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic(), st.data(), st.lists(st.sampled_from(NUMBERS), max_size=4))
def test_spoofed_presentations_change_no_one_s_own_features(
    world: tuple[pl.DataFrame, pl.DataFrame], data: st.DataObject, known_list: list[str]
) -> None:
    """A call presenting a number through a trunk that could not carry it is not that
    number's call: take every such call away and every feature of every remaining event is
    the same, but the presented numbers' ``spoofed_*`` and their callees' incoming counts
    (the callee did receive a call). Batch and stream alike."""
    calls, sms = world
    flag = st.sampled_from([None, "trunk_mismatch", "cloud_trunk_mobile", "impossible"])
    calls = calls.with_columns(
        caller_flag=pl.Series([data.draw(flag) for _ in range(calls.height)], dtype=pl.String)
    )
    known = pl.Series(known_list, dtype=pl.String) if known_list else None
    with_them, ordered, ordered_sms = compute_features(calls, sms, known=known)
    spoofed = pl.col("caller_flag").is_in(["trunk_mismatch", "cloud_trunk_mobile"])
    own_calls = calls.filter(~spoofed.fill_null(value=False))
    without, ordered_own, ordered_sms_own = compute_features(own_calls, sms, known=known)
    same = [f for f in FEATURES if not f.startswith("spoofed_")
            and f not in ("in_calls_24h", "in_out_ratio_24h")]  # fmt: skip
    kept = _keyed(with_them, ordered, ordered_sms).join(
        _keyed(without, ordered_own, ordered_sms_own).select("id", "kind"), on=["id", "kind"],
        how="semi", maintain_order="left",
    )  # fmt: skip
    assert kept.height == without.height
    _assert_same_features(kept.select(same), without.select(same))
    stream = _in_batches(IncrementalFeatures(known=known), record_batch(calls, sms), [3, 17])
    _assert_same_features(with_them.select(list(FEATURES)), stream.select(list(FEATURES)))


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eqcity")
    simulate_city(SimulationConfig(subscribers=1500, seed=21, days=2), out)
    return out


def test_alerts_of_a_simulated_city_equal_the_replayed_stream(small_city: Path) -> None:
    calls = pl.read_parquet(small_city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(small_city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(small_city / "subscribers")
    batch = score_records(calls, sms, subs).alerts
    stream = replay_alerts(calls, sms, subs)
    assert batch.height > 0
    assert batch.equals(stream)


def test_features_of_a_two_day_city_in_batches_equal_the_batch_engine(small_city: Path) -> None:
    """Two days, so state leaves the windows, storage is reused and old pairs are dropped."""
    calls = pl.read_parquet(small_city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(small_city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(small_city / "subscribers")
    batch, _, _ = compute_features(calls, sms, subs)
    engine = IncrementalFeatures(subs)
    online = _in_batches(engine, record_batch(calls, sms), [777, 5000, 1, 20_000])
    _assert_same_features(batch.select(list(FEATURES)), online.select(list(FEATURES)))
    assert engine.acting.meta[1] > 0  # events that left the day's window were freed for reuse


def test_a_known_fraud_list_changes_batch_and_stream_alike(small_city: Path) -> None:
    """Knowing part of a rotation campaign: batch, no-triage and stream agree, and knowing
    it flags no honest number that was not flagged anyway."""
    calls = pl.read_parquet(small_city / "calls", hive_partitioning=False)
    subs = pl.read_parquet(small_city / "subscribers")
    labels = pl.read_parquet(small_city / "labels")
    ring = labels.filter(pl.col("actor") == "robocall_rotation").sort("msisdn")
    known = ring["msisdn"].head(ring.height // 2)
    batch = score_records(calls, None, subs, known=known).alerts
    assert batch.equals(score_records(calls, None, subs, known=known, triage=False).alerts)
    assert batch.equals(replay_alerts(calls, None, subs, known=known))

    def honest_flagged(alerts: pl.DataFrame) -> set[str]:
        flagged = alerts.filter(pl.col("decision") != "watch").join(labels, on="msisdn")
        return set(flagged.filter(pl.col("label").is_in(["normal", "legit_heavy"]))["msisdn"])

    assert honest_flagged(batch) <= honest_flagged(score_records(calls, None, subs).alerts)


@pytest.mark.parametrize("slice_events", [2_000, 1_000_000])
def test_triage_changes_nothing_but_the_work(
    small_city: Path, slice_events: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = pl.read_parquet(small_city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(small_city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(small_city / "subscribers")
    triaged = score_records(calls, sms, subs)
    # without triage every number is scored, a slice of numbers at a time
    monkeypatch.setattr(embedded, "SLICE_EVENTS", slice_events)
    full = score_records(calls, sms, subs, triage=False)
    assert triaged.events < full.events
    assert triaged.alerts.equals(full.alerts)


def test_a_prefix_of_the_records_gives_a_prefix_of_the_alerts(small_city: Path) -> None:
    """Causality: nothing after an event changes what was decided at it."""
    calls = pl.read_parquet(small_city / "calls", hive_partitioning=False).sort("start_time")
    subs = pl.read_parquet(small_city / "subscribers")
    full = score_records(calls, None, subs).alerts
    cut = calls["start_time"][calls.height // 2]
    early = score_records(calls.filter(pl.col("start_time") <= cut), None, subs).alerts
    assert early.equals(full.filter(pl.col("flagged_at") <= cut))


def test_a_day_of_sms_only_scores_alike_in_batch_and_stream() -> None:
    """No calls at all (an SMS-only feed): the batch engine used to index empty call arrays."""
    n = 40
    sms = pl.DataFrame(
        {"sms_id": [f"s{k}" for k in range(n)], "sender": ["+8613800000001"] * n,
         "recipient": [f"+86139{k:08d}" for k in range(n)],
         "sent_time": [T0 + dt.timedelta(seconds=5 * k) for k in range(n)],
         "length": [10] * n, "content": [None] * n},
        schema_overrides={"content": pl.String, "sent_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    calls, _ = _empty_calls()
    batch = score_records(calls, sms, None).alerts
    assert batch["decision"].to_list()[-1] == "suspend"
    assert batch.equals(replay_alerts(calls, sms, None))


def _empty_calls() -> tuple[pl.DataFrame, None]:
    schema = {"call_id": pl.String, "caller": pl.String, "callee": pl.String,
              "start_time": pl.Datetime("us", "UTC"), "duration_s": pl.Int32,
              "ring_s": pl.Int32, "caller_cell": pl.String, "caller_imei": pl.String}  # fmt: skip
    return pl.DataFrame(schema=schema), None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\+86(1[0-9]{10}|[0-9]{2,11})", fullmatch=True),
            st.from_regex(r"\+[0-9]{1,20}", fullmatch=True),
            st.text(max_size=22),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_number_flags_compiled_equal_the_column_form(numbers: list[str]) -> None:
    """The incremental engine reads new numbers' bytes in compiled code, the batch engine whole
    columns with polars: the same digits and flags."""
    digits, flags = number_flags_compiled(numbers)
    column = pl.Series(numbers, dtype=pl.String)
    assert digits.tolist() == e164_digits(column).tolist()
    for name, values in number_flags(column).items():
        assert flags[name].tolist() == values.tolist(), name

"""Spoofed presentations (改号 / 网络云呼): calls presenting a real number through a foreign or
cloud trunk are counted as such, detected, and intercepted, never held against the number's
owner: they are not its own calls in any behavioural feature, and they bring no restriction,
no suspension and no share of the daily suspension cap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from callwarden.decide.policy import DecisionState, PolicyConfig
from callwarden.detect.base import DETECTORS
from callwarden.detect.live import replay_alerts
from callwarden.detect.scoring import detector_scores, impersonated, score_records
from callwarden.features.engines.base import Traffic, feature_frame, load_engine
from callwarden.features.engines.compiled.live import IncrementalFeatures
from callwarden.features.engines.compiled.triage import candidates
from callwarden.features.gate import passes_gate
from callwarden.features.spec import FEATURES
from callwarden.records.batch import record_batch
from callwarden.stream.codec import decode, decode_arrow, decode_batch, encode, encode_arrow

T0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
OWN = "+8613800000001"
OTHER_OWN = "+8613800000002"


def _features(
    calls: pl.DataFrame,
    sms: pl.DataFrame | None = None,
    subs: pl.DataFrame | None = None,
    known: pl.Series | None = None,
) -> pl.DataFrame:
    """The batch features of the compiled engine, in record order."""
    return feature_frame(load_engine("compiled")(), Traffic(calls, sms, subs, known=known))


def _calls(rows: list[tuple[str, str, int, int, str | None]]) -> pl.DataFrame:
    """Calls from ``(caller, callee, minutes after T0, duration_s, caller_flag)``."""
    return pl.DataFrame(
        {
            "call_id": [f"c{k:04d}" for k in range(len(rows))],
            "caller": [r[0] for r in rows],
            "callee": [r[1] for r in rows],
            "start_time": [T0 + dt.timedelta(minutes=r[2]) for r in rows],
            "duration_s": [r[3] for r in rows],
            "ring_s": [8] * len(rows),
            "caller_cell": ["C1"] * len(rows),
            "caller_imei": [None] * len(rows),
            "caller_flag": [r[4] for r in rows],
        },
        schema_overrides={"duration_s": pl.Int32, "ring_s": pl.Int32, "caller_imei": pl.String,
                          "caller_flag": pl.String, "start_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip


def _subscribers(*numbers: str, born: int = 1980) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "msisdn": list(numbers),
            "owner_birth_year": [born] * len(numbers),
            "owner_type": ["individual"] * len(numbers),
            "activated_on": [dt.date(2019, 3, 1)] * len(numbers),
            "realname_status": ["verified"] * len(numbers),
            "region": ["510100"] * len(numbers),
            "whitelisted": [False] * len(numbers),
        },
        schema_overrides={"owner_birth_year": pl.Int16},
    )


def _own_day_with_a_spoofed_burst(flag: str | None = "cloud_trunk_mobile") -> pl.DataFrame:
    """The subscriber's own few answered calls, and in between 20 unanswered calls two
    minutes apart to 20 strangers presenting the subscriber's number through a cloud trunk."""
    own = [(OWN, f"+861390000{k:04d}", m, 95, None) for k, m in enumerate((0, 50, 200, 330))]
    spoofed = [(OWN, f"+861370000{k:04d}", 60 + 2 * k, 0, flag) for k in range(20)]
    return _calls(sorted(own + spoofed, key=lambda r: r[2]))


def test_the_signal_counts_flagged_calls_only() -> None:
    calls = _calls(
        [(OWN, "+8613900000001", 0, 30, None), (OWN, "+8613900000002", 1, 30, "trunk_mismatch"),
         (OWN, "+8613900000002", 2, 30, "cloud_trunk_mobile"),
         (OWN, "+8613900000003", 3, 30, "impossible"),
         (OWN, "+8613900000004", 4, 30, "cloud_trunk_mobile")]
    )  # fmt: skip
    features = _features(calls)
    # the second call to ...0002 is flagged but not a new callee; "impossible" is not a trunk flag
    assert features["spoofed_calls_1h"].to_list() == [0.0, 1.0, 2.0, 2.0, 3.0]
    assert features["spoofed_callees_1h"].to_list() == [0.0, 1.0, 1.0, 1.0, 2.0]
    # the flagged calls are not the number's own: two own calls (the first, the "impossible")
    assert features["out_calls_1h"].to_list() == [1.0, 1.0, 1.0, 2.0, 2.0]
    assert features["uniq_callees_1h"].to_list() == [1.0, 1.0, 1.0, 2.0, 2.0]
    stream = IncrementalFeatures().process(record_batch(calls))
    assert stream.select(list(FEATURES)).equals(features.select(list(FEATURES)))


def test_an_absent_or_empty_flag_column_is_no_flag() -> None:
    calls = _own_day_with_a_spoofed_burst()
    flagged = _features(calls)
    for unflagged in (calls.drop("caller_flag"), calls.with_columns(caller_flag=None)):
        batch = _features(unflagged)
        assert batch["spoofed_calls_1h"].sum() == 0
        stream = IncrementalFeatures().process(record_batch(unflagged))
        assert stream["spoofed_calls_1h"].sum() == 0
        # without flags every call is the number's own
        assert batch["out_calls_24h"].max() == 24
        assert flagged["out_calls_24h"].max() == 4
        assert stream.select(list(FEATURES)).equals(batch.select(list(FEATURES)))


def test_a_spoofed_presentation_changes_none_of_the_owner_s_own_features() -> None:
    """At the owner's own calls every feature but the spoofed ones is what it would be had
    nobody presented the number; at the presentations, what it was at the last own call
    (bar the windows moving on)."""
    calls = _own_day_with_a_spoofed_burst()
    with_burst = _features(calls)
    alone = _features(calls.filter(pl.col("caller_flag").is_null()))
    own = [c for c in FEATURES if not c.startswith("spoofed_")]
    mine = record_batch(calls)["flag"].gather(with_burst["seq"]).is_null()
    assert with_burst.filter(mine).select(own).equals(alone.select(own))
    # during the burst: one own call in the hour (the 50th minute), nothing more
    burst = with_burst.filter(~mine)
    assert burst["out_calls_24h"].unique().to_list() == [2.0]
    assert burst["short_or_unanswered_share_1h"].max() == 0.0
    assert burst["spoofed_calls_1h"].max() == 20


def test_stream_features_equal_batch_with_flags() -> None:
    calls = _own_day_with_a_spoofed_burst("trunk_mismatch")
    batch = _features(calls)
    engine = IncrementalFeatures()
    records = record_batch(calls)
    stream = pl.concat([engine.process(records.slice(a, 5)) for a in range(0, records.height, 5)])
    for name in ("spoofed_calls_1h", "spoofed_callees_1h", "out_calls_1h"):
        assert stream[name].equals(batch[name]), name
    assert batch["spoofed_callees_1h"].max() == 20


def test_the_detector_needs_a_burst_to_different_people() -> None:
    det = DETECTORS.get("spoofed_presentation")
    callees = np.array([0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 30.0])
    scores = det.score({"spoofed_callees_1h": callees, "spoofed_calls_1h": callees})
    assert scores.tolist() == [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    gate = passes_gate(
        {name: np.zeros(1) for name in ("out_calls_1h", "out_calls_24h", "sms_out_1h",
         "imsis_per_imei", "shared_victims_24h", "known_contacts_24h", "new_sim_days",
         "is_international", "is_invalid_number")}
        | {"owner_age": np.array([40.0]), "spoofed_calls_1h": np.array([3.0])}
    )  # fmt: skip
    assert gate.tolist() == [True]


def test_its_reason_says_the_number_is_impersonated_and_blocked() -> None:
    reason = DETECTORS.get("spoofed_presentation").explain(
        {"spoofed_calls_1h": 9.0, "spoofed_callees_1h": 8.0}
    )
    assert "9 " in reason.text_zh and "8 " in reason.text_zh
    assert "冒用" in reason.text_zh and "拦截" in reason.text_zh
    assert "impersonated" in reason.text_en and "blocked" in reason.text_en
    assert "9 calls" in reason.text_en and "8 different numbers" in reason.text_en


def test_triage_finds_numbers_presented_on_flagged_calls() -> None:
    calls = _own_day_with_a_spoofed_burst()
    assert OWN in candidates(Traffic(calls, None, _subscribers(OWN))).to_list()
    # three flagged calls in two clock hours are enough, two are not
    few = _calls([(OTHER_OWN, f"+86137{k:08d}", 10 * k, 0, "trunk_mismatch") for k in range(3)])
    assert candidates(Traffic(few)).to_list() == [OTHER_OWN]
    assert candidates(Traffic(few.head(2))).len() == 0


def test_an_own_number_presented_by_someone_else_is_intercepted_not_suspended() -> None:
    subs = _subscribers(OWN)
    calls = _own_day_with_a_spoofed_burst()
    alerts = score_records(Traffic(calls, None, subs)).alerts
    assert alerts["msisdn"].unique().to_list() == [OWN]
    assert set(alerts["decision"]) <= {"watch", "review", "intercept"}
    assert alerts["decision"][-1] == "intercept"
    top = alerts["reasons"].list.first().struct.field("code")
    assert top[-1] == "spoofed_presentation"
    # the same calls without the trunk flags read as the subscriber's own machine dialling
    unflagged = score_records(Traffic(calls.drop("caller_flag"), None, subs)).alerts
    assert {"restrict", "suspend"} & set(unflagged["decision"])


def test_the_stream_replay_decides_as_batch_with_flags() -> None:
    subs = _subscribers(OWN, OTHER_OWN)
    calls = pl.concat(
        [
            _own_day_with_a_spoofed_burst(),
            _calls([(OTHER_OWN, f"+86136{k:08d}", 400 + 3 * k, 0, "trunk_mismatch")
                    for k in range(8)]).with_columns(call_id=pl.format("d{}", "call_id")),
        ]
    )  # fmt: skip
    batch = score_records(Traffic(calls, None, subs)).alerts
    for size in (1, 7, 1000):
        assert replay_alerts(Traffic(calls, None, subs), batch_size=size).equals(batch)
    assert set(batch.filter(pl.col("decision") == "intercept")["msisdn"]) == {OWN, OTHER_OWN}


def test_interceptions_of_own_numbers_take_nothing_from_the_suspension_cap() -> None:
    state = DecisionState(PolicyConfig(daily_suspension_cap=1))
    day = "2026-07-08"
    assert state.step(OWN, day=day, score=0.99, allowed=False, impersonated=True) == "intercept"
    assert state.step(OTHER_OWN, day=day, score=0.99, allowed=False) == "suspend"
    levels = state.step_many(
        ["+8613800000003", "+8613800000004"], [day, day], np.array([0.99, 0.99]),
        np.zeros(2, bool), np.array([True, False]),
    )  # fmt: skip
    assert levels.tolist() == [5, 2]  # intercepted; the cap (1) is spent: review


@pytest.mark.parametrize(
    ("spoof", "other", "driven"),
    [(1.0, 0.9, True), (1.0, 1.0, True), (0.5, 1.0, False), (0.0, 0.0, False)],
)
def test_impersonation_drives_only_when_it_is_the_top_score(
    spoof: float, other: float, driven: bool
) -> None:
    scores = {"spoofed_presentation": np.array([spoof]), "autodialer": np.array([other])}
    combined = np.maximum(scores["spoofed_presentation"], scores["autodialer"])
    got = impersonated(scores, combined, np.array([0]))
    assert got is not None and got.tolist() == [driven]


def test_the_wire_carries_the_caller_flag_and_trunk() -> None:
    call = {
        "call_id": "c1", "caller": OWN, "callee": "+8613900000001",
        "start_time": T0, "duration_s": 0, "ring_s": None, "caller_cell": None,
        "caller_imei": None, "caller_flag": "cloud_trunk_mobile", "trunk": "CLOUD-7",
    }  # fmt: skip
    assert decode(encode("call", call)) == ("call", call)
    plain = {k: v for k, v in call.items() if k not in ("caller_flag", "trunk")}
    assert decode(encode("call", plain)) == ("call", plain)  # older records read back as they were
    frame, bad = decode_batch([encode("call", call), encode("call", plain)])
    assert not bad and frame["flag"].to_list() == ["cloud_trunk_mobile", None]
    assert frame["trunk"].to_list() == ["CLOUD-7", None]
    arrow, bad = decode_arrow(encode_arrow(frame))
    assert not bad and arrow.equals(frame)
    # an Arrow body from a producer without the columns: no flags
    older = encode_arrow(frame.drop("flag", "trunk").with_columns(flag=None, trunk=None))
    assert decode_arrow(older)[0]["flag"].null_count() == 2


def _elderly_day_with_a_long_burst(flag: str | None) -> pl.DataFrame:
    """An elderly subscriber's ordinary day (answered calls to a few family numbers, some of
    them calling back), and from 10:30 three hours of calls every two minutes, unanswered or
    cut off within seconds, presented through a cloud trunk: first redialling three
    neighbouring numbers for 24 minutes, then working through a range of strangers (machine
    dialling, range scanning, a relay's rhythm). The owner's own calls go on before, during
    and after it."""
    family = [f"+861390000{k:04d}" for k in range(4)]
    own = [(OWN, family[k % 4], m, 120 + 7 * k, None)
           for k, m in enumerate((0, 25, 70, 140, 200, 260, 330, 400, 480))]  # fmt: skip
    back = [(family[k], OWN, m, 60, None) for k, m in ((0, 5), (1, 150), (2, 410))]
    callees = [f"+861370{k % 3:06d}" for k in range(12)] + [f"+861370{k:06d}" for k in range(3, 81)]
    burst = [(OWN, who, 30 + 2 * k, 3 * (k % 3 == 0), flag) for k, who in enumerate(callees)]
    return _calls(sorted(own + back + burst, key=lambda r: r[2]))


def test_a_long_spoofed_burst_never_restricts_an_honest_elderly_owner() -> None:
    """The owner is 78 (the relay rule needs only five steady calls), the burst looks like
    machine dialling for three hours, and the owner's own calls come before, during and after
    it: at no moment is the owner restricted or suspended, and no detector that judges the
    owner's behaviour scores at all, so the policy's tie rule is not what protects it (while
    the burst redials three numbers the impersonation scores only 0.25: had its calls been
    counted as the owner's, range scanning would have out-scored it and suspended the owner
    before the impersonation was clear)."""
    subs = _subscribers(OWN, born=1948)
    calls = _elderly_day_with_a_long_burst("cloud_trunk_mobile")
    features = _features(calls, None, subs)
    scores = detector_scores(features)
    mine = features["msisdn"] == OWN
    for name, values in scores.items():
        if name != "spoofed_presentation":
            assert values[mine.to_numpy()].max() == 0.0, name
    alerts = score_records(Traffic(calls, None, subs)).alerts.filter(pl.col("msisdn") == OWN)
    assert alerts["decision"].to_list() == ["watch", "review", "intercept"]
    assert replay_alerts(Traffic(calls, None, subs), batch_size=7).equals(
        score_records(Traffic(calls, None, subs)).alerts
    )
    # the same calls as the owner's own: the owner is restricted or suspended
    unflagged = score_records(Traffic(_elderly_day_with_a_long_burst(None), None, subs)).alerts
    assert {"restrict", "suspend"} & set(unflagged.filter(pl.col("msisdn") == OWN)["decision"])

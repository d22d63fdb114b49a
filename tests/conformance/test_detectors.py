"""Every registered detector passes these checks for free (the house conformance suite).

- it reads only features the spec defines;
- scores are in [0, 1] for any feature values (NaN included) and deterministic;
- its reason has both languages, the zh text in Chinese, and JSON evidence;
- batch scoring equals replaying the records one by one (see test_batch_equals_live.py).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.detect import rules as _rules  # noqa: F401
from callwarden.detect.base import DETECTORS, Detector
from callwarden.features.gate import GATE
from callwarden.features.spec import FEATURES, RECORD_FEATURES

#: what a detector may read: the engines' features and those detection fills in from records
READABLE = {**FEATURES, **RECORD_FEATURES}

DETECTOR_NAMES = DETECTORS.names()
values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.just(float("nan")),
    st.integers(min_value=0, max_value=500).map(float),
)


def test_the_built_in_detectors_are_registered() -> None:
    assert set(DETECTOR_NAMES) >= {
        "relay_call", "autodialer", "rotation", "wangiri", "simbox", "sequential_dialing",
        "sms_burst", "profile_mismatch", "known_fraud_contact", "spoofed_caller_id",
        "spoofed_presentation",
    }  # fmt: skip


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_reads_only_defined_features(name: str) -> None:
    det = DETECTORS.get(name)
    assert set(det.features) <= set(READABLE)
    assert det.kind in ("call", "sms")
    assert det.targets


@pytest.mark.parametrize("name", DETECTOR_NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_scores_are_probabilities_and_deterministic(name: str, data: st.DataObject) -> None:
    det: Detector = DETECTORS.get(name)
    n = data.draw(st.integers(min_value=1, max_value=8))
    arrays = {
        f: np.array(data.draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
        for f in READABLE
    }
    first = np.nan_to_num(det.score(arrays), nan=0.0)
    again = np.nan_to_num(det.score({k: v.copy() for k, v in arrays.items()}), nan=0.0)
    assert first.shape == (n,)
    assert ((first >= 0) & (first <= 1)).all()
    assert np.array_equal(first, again)


@st.composite
def below_the_gate(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """Consistent feature values for an event that fails every triage condition."""
    n1h = draw(st.integers(0, GATE.busy_calls_1h - 1))
    age = draw(st.one_of(st.just(float("nan")), st.integers(5, 100).map(float)))
    international = draw(st.sampled_from([0.0, 1.0]))
    invalid = draw(st.sampled_from([0.0, 1.0]))
    unusual = not math.isnan(age) and (age > GATE.unusual_age_over or age < GATE.unusual_age_under)
    if unusual or international:
        n1h = min(n1h, GATE.unusual_calls_1h - 1)
    if invalid:
        n1h = min(n1h, GATE.invalid_calls_1h - 1)
    n15 = draw(st.integers(0, n1h))
    n24 = draw(st.integers(n1h, 2000))
    days = draw(st.one_of(st.just(float("nan")), st.floats(0, 9000)))
    if not math.isnan(days) and days < GATE.new_sim_days:
        n24 = min(n24, GATE.new_sim_calls_24h - 1)
        n1h, n15 = min(n1h, n24), min(n15, n24)
    # calls presenting the number through a foreign or cloud trunk are some of its calls
    spoofed = draw(st.integers(0, min(n1h, GATE.spoofed_calls_1h - 1)))
    row = {f: draw(st.floats(0, 1e4)) for f in FEATURES}
    row.update({f: draw(st.floats(0, 1)) for f in RECORD_FEATURES})  # (probabilities)
    for share in [f for f in FEATURES if "share" in f or "score" in f or f.startswith("is_")]:
        row[share] = draw(st.floats(0, 1))
    row.update(
        out_calls_15m=n15, out_calls_1h=n1h, out_calls_24h=n24,
        uniq_callees_15m=draw(st.integers(0, n15)), uniq_callees_1h=draw(st.integers(0, n1h)),
        owner_age=age, is_international=international, new_sim_days=days,
        is_invalid_number=invalid,
        spoofed_calls_1h=spoofed, spoofed_callees_1h=draw(st.integers(0, spoofed)),
        sms_out_1h=draw(st.integers(0, GATE.sms_1h - 1)),
        imsis_per_imei=draw(st.integers(0, GATE.sims_per_device - 1)),
        shared_victims_24h=draw(st.integers(0, GATE.known_signals_24h - 1)),
        known_contacts_24h=draw(st.integers(0, GATE.known_signals_24h - 1)),
    )  # fmt: skip
    return {k: np.array([float(v)]) for k, v in row.items()}


@pytest.mark.parametrize("name", DETECTOR_NAMES)
@settings(max_examples=150, deadline=None)
@given(features=below_the_gate())
def test_detectors_stay_silent_below_the_triage_gate(
    name: str, features: dict[str, np.ndarray]
) -> None:
    """Triage skips numbers that fail the gate: no detector may fire for them."""
    assert DETECTORS.get(name).score(features)[0] == 0.0


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_explains_itself_in_both_languages(name: str) -> None:
    det: Detector = DETECTORS.get(name)
    row = {f: 7.0 for f in READABLE}
    row["owner_age"] = 78.0
    reason = det.explain(row)
    assert reason.code == name
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason.text_zh)
    assert reason.text_en.isascii() and reason.text_en
    assert isinstance(json.loads(reason.as_record()["evidence"]), dict)
    unknown = det.explain({**row, "owner_age": float("nan"), "new_sim_days": float("nan")})
    assert not re.search(r"\bnan\b", unknown.text_en.lower())

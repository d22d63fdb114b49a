"""Every registered detector passes these checks for free (the house conformance suite).

- it reads only features the spec defines;
- scores are in [0, 1] for any feature values (NaN included) and deterministic;
- its reason has both languages, the zh text in Chinese, and JSON evidence;
- batch scoring equals replaying the records one by one (see test_batch_equals_stream.py).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.detect import rules as _rules  # noqa: F401
from callwarden.detect.base import DETECTORS, Detector
from callwarden.features.spec import FEATURES

DETECTOR_NAMES = DETECTORS.names()
values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.just(float("nan")),
    st.integers(min_value=0, max_value=500).map(float),
)


def test_the_built_in_detectors_are_registered() -> None:
    assert set(DETECTOR_NAMES) >= {
        "relay_call", "autodialer", "rotation", "wangiri", "simbox", "sequential_dialing",
        "sms_burst", "profile_mismatch",
    }  # fmt: skip


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_reads_only_defined_features(name: str) -> None:
    det = DETECTORS.get(name)
    assert set(det.features) <= set(FEATURES)
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
        for f in FEATURES
    }
    first = np.nan_to_num(det.score(arrays), nan=0.0)
    again = np.nan_to_num(det.score({k: v.copy() for k, v in arrays.items()}), nan=0.0)
    assert first.shape == (n,)
    assert ((first >= 0) & (first <= 1)).all()
    assert np.array_equal(first, again)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_explains_itself_in_both_languages(name: str) -> None:
    det: Detector = DETECTORS.get(name)
    row = {f: 7.0 for f in FEATURES}
    row["owner_age"] = 78.0
    reason = det.explain(row)
    assert reason.code == name
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason.text_zh)
    assert reason.text_en.isascii() and reason.text_en
    assert isinstance(json.loads(reason.as_record()["evidence"]), dict)
    unknown = det.explain({**row, "owner_age": float("nan"), "new_sim_days": float("nan")})
    assert not re.search(r"\bnan\b", unknown.text_en.lower())

"""The readers of records (``detect/record_features.py``): one contract, one list, and the
list is the record features of the spec."""

from __future__ import annotations

import numpy as np

from callwarden.detect.call_content import CallContent
from callwarden.detect.callee_areas import AREA, CalleeAreas
from callwarden.detect.record_features import FILLERS, RecordFeatures, fill_records
from callwarden.detect.sms_content import SmsContent
from callwarden.features.spec import RECORD_FEATURES


def test_the_fillers_set_the_record_features_of_the_spec() -> None:
    assert [name for filler in FILLERS for name in filler.features] == list(RECORD_FEATURES)


def _empty() -> list[RecordFeatures]:
    return [SmsContent.of_sms(None), CallContent(), CalleeAreas(None)]


def test_every_filler_sets_its_features_at_every_event() -> None:
    is_sms = np.array([True, False, False])
    values = {"sms_out_1h": np.full(3, 50.0), "out_calls_1h": np.full(3, 50.0)}
    fill_records(_empty(), values, is_sms, np.zeros(3, np.int64), lambda idx: ["+86138"] * len(idx))
    for name in RECORD_FEATURES:
        want = -1.0 if name == AREA else 0.0
        assert values[name].tolist() == [want] * 3, name


def test_features_an_engine_computed_are_left_alone_where_asked() -> None:
    values = {name: np.full(2, 0.5) for name in RECORD_FEATURES}
    values |= {"sms_out_1h": np.zeros(2), "out_calls_1h": np.zeros(2)}
    at = (values, np.array([True, False]), np.zeros(2, np.int64), lambda idx: ["+86138"] * len(idx))
    fill_records(_empty(), *at, missing_only=True)
    assert all(values[name].tolist() == [0.5, 0.5] for name in RECORD_FEATURES)
    fill_records([None, *_empty()], *at)
    assert values["sms_content_risk"].tolist() == [0.0, 0.0]

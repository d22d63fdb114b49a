"""Adversarial variants: each changes its one cue, and a scored variant city reads back as
recall per variant and look-alikes flagged above watch."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from callwarden.decide.policy import PolicyConfig
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic
from callwarden.simulate.city import simulate_city
from callwarden.simulate.config import SimulationConfig
from callwarden.simulate.scenarios import LOOK_ALIKES, SUITE_LOOK_ALIKES, VARIANTS, variant_report


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_variant_changes_only_its_own_section(name: str) -> None:
    variant = VARIANTS[name]
    base = SimulationConfig(subscribers=3000, seed=5)
    city = variant.config(subscribers=3000, seed=5)
    changed = {
        section
        for section in SimulationConfig.model_fields
        if getattr(city, section) != getattr(base, section)
    }
    assert changed == set(variant.overrides) | set(SUITE_LOOK_ALIKES), changed
    section = next(iter(variant.overrides))
    for key, value in variant.overrides[section].items():
        assert getattr(getattr(city, section), key) == value


def test_a_small_variant_city_is_scored_per_variant_and_look_alike(tmp_path: Path) -> None:
    variant = VARIANTS["relay_slow"]
    simulate_city(variant.config(subscribers=3000, seed=7), tmp_path)
    frames = {
        name: pl.read_parquet(tmp_path / name / "**" / "*.parquet")
        for name in ("calls", "sms", "subscribers", "labels")
    }
    relays = frames["labels"].filter(pl.col("label") == "relay_call")
    assert relays.height >= 3
    traffic = Traffic(
        frames["calls"], frames["sms"], frames["subscribers"], timezone="Asia/Shanghai"
    )
    alerts = score_records(traffic, PolicyConfig()).alerts
    report = variant_report(alerts, frames["labels"], variant)
    assert report["numbers"] == relays.height
    flagged = set(alerts.filter(pl.col("decision") != "watch")["msisdn"].to_list())
    assert report["found"] == len(flagged & set(relays["msisdn"].to_list()))
    assert set(report["look_alikes"]) == set(LOOK_ALIKES)
    couriers = frames["labels"].filter(pl.col("actor") == "courier")
    assert report["look_alikes"]["courier"]["numbers"] == couriers.height > 0

"""Texts written from callwarden's own templates: each reads as its class to the shipped model,
and the simulated city's spam senders and notification ports carry them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.content import default_model, load_corpus
from callwarden.content.templates import FRAUD_LABELS, TEMPLATES, compose
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.config import SmsSpamConfig


@pytest.mark.parametrize("label", sorted(TEMPLATES))
def test_composed_texts_read_as_their_class_and_are_new(label: str) -> None:
    rng = np.random.default_rng(3)
    texts = [compose(label, rng) for _ in range(200)]
    assert all("{" not in t and "}" not in t for t in texts)
    assert len(set(texts)) > 150  # varied, as a campaign is
    _, corpus = load_corpus()
    assert not set(texts) & set(corpus)  # not the texts the default model was trained on
    read = Counter(default_model().score_texts(texts).label.tolist())
    assert read[label] >= 0.85 * len(texts), read


def test_an_unknown_slot_is_an_error() -> None:
    from callwarden.content.templates import _fill  # noqa: PLC0415

    with pytest.raises(KeyError):
        _fill("nothing", np.random.default_rng(0))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    spam = SmsSpamConfig(per_million=2000, sms_per_day=(20, 40))  # a few senders, short days
    simulate_city(SimulationConfig(subscribers=3000, days=2, seed=5, sms_spam=spam), out)
    return out


def test_spam_senders_send_scams_and_ports_send_notifications(city: Path) -> None:
    sms = pl.read_parquet(sorted((city / "sms").rglob("*.parquet")), hive_partitioning=False)
    labels = pl.read_parquet(city / "labels")

    def texts_of(actor: str) -> list[str]:
        senders = labels.filter(pl.col("actor") == actor)["msisdn"]
        sent = sms.filter(pl.col("sender").is_in(senders.implode())).drop_nulls("content")
        return sent["content"].unique().to_list()

    spam, ports = texts_of("sms_spam"), texts_of("sms_service_port")
    assert spam and ports
    model = default_model()
    spam_read = Counter(model.score_texts(spam).label.tolist())
    assert spam_read["normal"] <= 0.15 * len(spam), spam_read
    assert set(spam_read) - {"normal"} <= set(FRAUD_LABELS)
    assert len(set(spam_read) - {"normal"}) >= 2  # several kinds of scam, not one template
    ports_read = Counter(model.score_texts(ports).label.tolist())
    assert ports_read["normal"] == len(ports), ports_read

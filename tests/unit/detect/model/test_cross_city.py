"""The learned scorer across cities, small: trained on one simulated city, its review cut chosen
on a second, scored on a third (another seed, another size) and on an adversarial variant city
that holds the honest look-alikes, through the whole pipeline, rules alone and with the model.
The model must not hurt honest subscribers: with it, no honest number goes above ``watch`` that
the rules alone left at or below it, and precision does not fall.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from callwarden.detect.model import ModelParams, TrainedModel
from callwarden.detect.model.cities import score_city, train_on_city
from callwarden.detect.model.events import EventModel
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.scenarios import VARIANTS

FAST = ModelParams(n_estimators=60, num_leaves=15, threshold_folds=2)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cities")
    simulate_city(SimulationConfig(subscribers=2500, seed=11), root / "A")
    simulate_city(SimulationConfig(subscribers=2000, seed=5), root / "H")
    simulate_city(SimulationConfig(subscribers=3500, seed=23), root / "B")
    simulate_city(VARIANTS["rotation_few_calls"].config(subscribers=2500, seed=7), root / "V")
    model = train_on_city(root / "A", FAST, cv_folds=2, holdout=root / "H")
    assert "review_cut" in model.metrics["model_alone"]
    return [score_city(model, root / "B"), score_city(model, root / "V")]


def test_trained_on_one_city_the_model_raises_no_honest_number_of_another(
    reports: list[dict[str, Any]],
) -> None:
    for r in reports:
        rules, with_model = r["rules"], r["with_model"]
        assert with_model["by_model_alone"] == 0, r["city"]
        assert with_model["honest_above_watch"] == rules["honest_above_watch"], r["city"]
        assert with_model["legit_heavy_above_watch"] == rules["legit_heavy_above_watch"]
        assert with_model["precision"] >= rules["precision"], r["city"]
        assert with_model["recall"] >= rules["recall"], r["city"]
        assert sum(v["numbers"] for v in with_model["look_alikes"].values()) > 0


def test_a_review_cut_lands_on_review_and_keeps_the_order(model: TrainedModel) -> None:
    X = np.linspace(0.0, 80.0, 4 * 200).reshape(200, 4)  # (the synthetic table's four columns)
    raw = model.predict(X)
    cut = float(np.quantile(raw, 0.7))
    model.metrics["model_alone"] = {"review_cut": cut}
    try:
        scored = EventModel(model, review=0.65).scores(X)
    finally:
        del model.metrics["model_alone"]
    assert np.array_equal(np.argsort(scored, kind="stable"), np.argsort(raw, kind="stable"))
    assert (scored[raw < cut] < 0.65).all() and (scored[raw >= cut] >= 0.65).all()
    assert (scored >= 0).all() and (scored <= 1).all()
    # an honest number at the top of the held-out city: the cut is above 1, the model alone
    # stays below review
    model.metrics["model_alone"] = {"review_cut": float(np.nextafter(1.0, 2.0))}
    try:
        assert (EventModel(model, review=0.65).scores(X) < 0.65).all()
    finally:
        del model.metrics["model_alone"]

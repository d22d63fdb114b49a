"""Is the learned scorer safe on a city it was not trained on? Train on one, score others.

:func:`train_on_city` trains the call-record model on one city folder (canonical records with
``labels/``); :func:`score_city` scores another city through the whole pipeline
(``score_records``: detectors, model, policy with its ``model_alone_ceiling``) with and without
the model, side by side, and reads the result against the city's ground truth:

* ``precision`` / ``recall``: numbers at ``review`` or above (``evaluate_alerts``);
* ``honest_above_watch``: honest numbers (``normal`` and ``legit_heavy``) raised above
  ``watch``, and ``legit_heavy_above_watch`` among them (couriers, drivers, sales teams, service
  lines, SMS service ports: the look-alikes);
* ``by_model_alone``: of those, the ones whose highest alert has only the model's reasons;
* ``look_alikes``: per look-alike actor, numbers above ``watch``;
* what the model adds: ``fraud_above_review`` (fraud numbers restricted, suspended or
  intercepted), ``model_watch_fraud`` / ``model_watch_honest`` (numbers whose highest alert
  is a ``watch`` on the model's reasons alone) and, beside the rules alone
  (:func:`score_city_ways`), ``fraud_review_earlier``: fraud numbers that reached ``review``
  sooner than with the rules alone (or that the rules never brought there), with the median
  lead in minutes of the first kind.

The targets (issue: a model trained on one city and scored on another keeps precision >= 0.99
and raises no look-alike above ``watch``) are read from these figures by the benchmark
(``benchmarks/bench_model_cities.py``) and its small version in the tests.

>>> report = score_city(model, Path("city-b"))  # doctest: +SKIP
>>> report["with_model"]["legit_heavy_above_watch"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from callwarden.decide.policy import PolicyConfig, level_of
from callwarden.detect.evaluate import evaluate_alerts
from callwarden.detect.model.artifact import TrainedModel
from callwarden.detect.model.at_events import DEFAULT_PER_NUMBER, event_rows, train_at_events
from callwarden.detect.model.events import (
    FEATURE_LABELS,
    EventModel,
    held_out_review_cut,
    number_table_of_slices,
)
from callwarden.detect.model.params import ModelParams
from callwarden.detect.model.train import train_model
from callwarden.detect.scoring import score_records
from callwarden.features.engines.base import Traffic, load_engine
from callwarden.records.load import load_records
from callwarden.simulate.scenarios import LOOK_ALIKES

__all__ = [
    "read_alerts_against_truth",
    "score_city",
    "score_city_ways",
    "set_review_cut",
    "train_on_city",
]

HONEST = ("normal", "legit_heavy")


def _traffic(city: Path) -> Traffic:
    sms = load_records(city, "sms", allow_empty=True) if (city / "sms").is_dir() else None
    return Traffic(load_records(city, "calls"), sms, load_records(city, "subscribers"))


def train_on_city(
    city: Path,
    params: ModelParams | None = None,
    *,
    cv_folds: int = 3,
    seed: int = 0,
    holdout: Path | None = None,
    rows: Literal["events", "peaks"] = "events",
    per_number: int = DEFAULT_PER_NUMBER,
) -> TrainedModel:
    """The call-record model of ``callwarden model train CITY``, trained on one city's records
    and labels: on rows taken at up to ``per_number`` events of each number, as scoring reads
    them (``rows="events"``, :mod:`~callwarden.detect.model.at_events`), or on one row per
    number, each behavioural feature at its peak over the day (``"peaks"``, what was trained
    before, kept for comparison); with ``holdout`` (another labelled city), the model alone's
    review cut chosen there (:func:`set_review_cut`)."""
    _, slices = load_engine("compiled")().features(_traffic(city))
    labels = load_records(city, "labels")
    if rows == "events":
        model = train_at_events(
            event_rows(slices, labels, per_number=per_number),
            params=params, cv_folds=cv_folds, seed=seed, feature_labels=FEATURE_LABELS,
        )  # fmt: skip
    else:
        model = train_model(
            number_table_of_slices(slices, labels),
            params=params, cv_folds=cv_folds, seed=seed, feature_labels=FEATURE_LABELS,
        )  # fmt: skip
    if holdout is not None:
        set_review_cut(model, holdout)
    return model


def set_review_cut(model: TrainedModel, holdout: Path) -> dict[str, Any]:
    """Choose the model alone's review cut on ``holdout``, a labelled city the model was not
    trained on (``held_out_review_cut``), and record it in the model's metrics
    (``model_alone``), which ``metrics.json`` keeps and scoring reads."""
    _, slices = load_engine("compiled")().features(_traffic(holdout))
    found: dict[str, Any] = dict(
        held_out_review_cut(model, slices, load_records(holdout, "labels"))
    )
    found["chosen_on"] = str(holdout)
    found["method"] = (
        "just above the highest score any honest number (normal, legit_heavy, unlabelled) "
        "reached at any of its events in the held-out city"
    )
    model.metrics["model_alone"] = found
    return found


def read_alerts_against_truth(alerts: pl.DataFrame, labels: pl.DataFrame) -> dict[str, Any]:
    """Precision, recall and the honest numbers raised above ``watch`` (see the module notes)."""
    ev = evaluate_alerts(alerts, labels)
    watch = level_of("watch")
    top = alerts.with_columns(
        level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64),
        model_only=pl.col("reasons")
        .list.eval(pl.element().struct.field("code").str.starts_with("model:"))
        .list.all(),
    )
    highest = (
        top.sort("level", "flagged_at")
        .group_by("msisdn")
        .agg(pl.col("level").last(), pl.col("model_only").last())
    )
    truth = labels.select("msisdn", "label", "actor").join(highest, on="msisdn", how="full",
                                                           coalesce=True)  # fmt: skip
    truth = truth.with_columns(
        pl.col("label").fill_null("normal"),
        pl.col("level").fill_null(0),
        pl.col("model_only").fill_null(value=False),
    )
    honest = pl.col("label").is_in(HONEST)
    raised = truth.filter(honest & (pl.col("level") > watch))
    watched = truth.filter((pl.col("level") == watch) & pl.col("model_only"))
    return {
        "precision": ev.precision,
        "recall": ev.recall,
        "flagged": ev.flagged,
        "honest_above_watch": raised.height,
        "legit_heavy_above_watch": int((raised["label"] == "legit_heavy").sum()),
        "by_model_alone": int(raised["model_only"].sum()),
        "fraud_above_review": truth.filter(~honest & (pl.col("level") > level_of("review"))).height,
        "model_watch_fraud": watched.filter(~honest).height,
        "model_watch_honest": watched.filter(honest).height,
        "look_alikes": {
            actor: {
                "numbers": int((truth["actor"] == actor).sum()),
                "above_watch": int((raised["actor"] == actor).sum()),
            }
            for actor in LOOK_ALIKES
        },
    }


def score_city(
    model: TrainedModel, city: Path, policy: PolicyConfig | None = None
) -> dict[str, Any]:
    """One city scored with the rules alone and with the model, read against its labels."""
    policy = policy or PolicyConfig()
    return score_city_ways(
        city, {"rules": (None, policy), "with_model": (EventModel(model), policy)}
    )


def score_city_ways(
    city: Path, ways: dict[str, tuple[EventModel | None, PolicyConfig]]
) -> dict[str, Any]:
    """One city scored each way of ``ways`` (a name: a model or none, and a policy), each read
    against its labels under its name."""
    traffic = _traffic(city)
    labels = load_records(city, "labels")
    report: dict[str, Any] = {
        "city": city.name,
        "subscribers": int(traffic.subscribers.height) if traffic.subscribers is not None else 0,
    }
    firsts: dict[str, pl.DataFrame] = {}
    for name, (model, policy) in ways.items():
        alerts = score_records(traffic, policy, model=model).alerts
        report[name] = read_alerts_against_truth(alerts, labels)
        firsts[name] = _first_review(alerts, labels)
    if "rules" in firsts:
        for name, first in firsts.items():
            report[name].update(_earlier(first, firsts["rules"]))
    return report


def _first_review(alerts: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Each fraud number's first alert at ``review`` or above: when."""
    fraud = labels.filter(~pl.col("label").is_in(HONEST)).select("msisdn")
    review = level_of("review")
    return (
        alerts.filter(pl.col("decision").map_elements(level_of, return_dtype=pl.Int64) >= review)
        .join(fraud, on="msisdn", how="semi")
        .group_by("msisdn")
        .agg(pl.col("flagged_at").min())
    )


def _earlier(first: pl.DataFrame, rules: pl.DataFrame) -> dict[str, Any]:
    """How many fraud numbers reached ``review`` earlier than with the rules alone (or that the
    rules never brought there), and the median lead in minutes of those the rules did."""
    both = first.join(rules, on="msisdn", how="left", suffix="_rules")
    lead = both.select(
        ((pl.col("flagged_at_rules") - pl.col("flagged_at")).dt.total_seconds() / 60.0).alias("m")
    )["m"]
    ahead = lead.filter(lead > 0).to_numpy()
    return {
        "fraud_review_earlier": int(ahead.shape[0]) + int(lead.null_count()),
        "fraud_review_lead_median_min": round(float(np.median(ahead)), 1) if ahead.size else 0.0,
    }

"""Adversarial scenarios: named simulator variants that each disguise one cue of a fraud type.

Written from the behaviour the seed articles and public reports describe, not from the
detectors: relay SIMs (手机口/GOIP 人头卡) that dial slower or with human-looking gaps once
operators catch on to fixed rhythms; call-centre campaigns that rotate through many lines so
that no number repeats and each stays small ("现在骚扰电话号码都不带重样的"), on one city's
landlines, or with scripts good enough that people answer; SIM boxes spread over many modules.
Each variant is a set of overrides of :class:`~callwarden.simulate.config.SimulationConfig`;
the city is otherwise the ordinary one, so its honest look-alikes (couriers, ride-hailing
drivers, sales teams, service lines, SMS service ports) are scored beside the variant.

:func:`variant_report` reads a scored variant: recall of the variant's fraud type (numbers at
``review`` or above) and, per look-alike actor, how many numbers went above ``watch``.

>>> VARIANTS["rotation_few_calls"].config(subscribers=2000, seed=3).rotation.calls_per_number
(4, 8)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from callwarden.decide.policy import level_of
from callwarden.errors import ConfigError
from callwarden.simulate.config import SimulationConfig

__all__ = [
    "LOOK_ALIKES",
    "SCENARIO_FILE",
    "SUITE_LOOK_ALIKES",
    "VARIANTS",
    "Variant",
    "read_scenario",
    "variant_report",
    "variant_tables",
    "write_scenario",
]

#: Written into a variant city's folder by ``callwarden simulate --variant``; read by evaluate.
SCENARIO_FILE = "scenario.json"

#: The honest actors whose traffic looks like fraud in one way or another (labelled legit_heavy).
LOOK_ALIKES = (
    "courier",
    "ride_hailing",
    "sales_agent",
    "service_line",
    "sms_service_port",
    "call_round",
    "reminder_line",
    "sales_team",
    "notice_line",
    "reminder_desk",
    "school_round",
)
#: Look-alikes an ordinary city does not hold, added to every variant's city (per million
#: subscribers; groups per million for the last four): a teacher's or a retired volunteer's
#: call round, a hospital's or a bank's reminder line off the allow list, and honest groups
#: whose lines call together (simulate/groups.py): sales teams working one shared list of
#: consenting clients, a bank's notification lines, a hospital's appointment desk, a school's
#: class teachers ringing parents the same evening.
SUITE_LOOK_ALIKES: dict[str, float] = {
    "call_round": 3000.0,
    "reminder_line": 1000.0,
    "sales_team": 100.0,
    "notice_line": 50.0,
    "reminder_desk": 50.0,
    "school_round": 100.0,
}


@dataclass(frozen=True)
class Variant:
    """One adversarial scenario: which fraud type, which cue it disguises, and how.

    ``overrides`` maps a section of the simulation config (``relay_call``, ``rotation``, ...)
    to the fields it changes; ``boost`` multiplies that section's ``per_million`` so a small
    city holds enough of the variant's numbers to measure recall on.
    """

    name: str
    label: str
    cue: str
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    boost: float = 1.0

    def config(self, *, subscribers: int, seed: int = 0) -> SimulationConfig:
        """The city of this variant."""
        return self.apply(SimulationConfig(subscribers=subscribers, seed=seed))

    def apply(self, base: SimulationConfig) -> SimulationConfig:
        """``base`` with this variant's overrides (and boost) applied, and the suite's own
        look-alikes (:data:`SUITE_LOOK_ALIKES`) where ``base`` has none."""
        sections: dict[str, Any] = {}
        for section, per_million in SUITE_LOOK_ALIKES.items():
            current = getattr(base, section)
            if current.per_million == 0:
                sections[section] = current.model_copy(update={"per_million": per_million})
        for section, changes in self.overrides.items():
            current = getattr(base, section)
            update = dict(changes)
            update["per_million"] = current.per_million * self.boost
            sections[section] = current.model_copy(update=update)
        return base.model_copy(update=sections)


def _variants(*items: Variant) -> dict[str, Variant]:
    return {v.name: v for v in items}


#: The named variants (add more in this one place).
VARIANTS: dict[str, Variant] = _variants(
    Variant(
        "relay_slow",
        "relay_call",
        "rhythm: every relay dials at 2.5-5 minute gaps, not every two minutes",
        {"relay_call": {"slow_share": 1.0}},
        boost=4.0,
    ),
    Variant(
        "relay_jittered",
        "relay_call",
        "regularity: gaps jittered by a minute either way, like a person redialling",
        {"relay_call": {"gap_jitter_s": 60.0}},
        boost=4.0,
    ),
    Variant(
        "relay_short_bursts",
        "relay_call",
        "volume: a burst of 5-12 calls, then the SIM is swapped",
        {"relay_call": {"burst_calls": (5, 12)}},
        boost=4.0,
    ),
    Variant(
        "rotation_few_calls",
        "robocall_rotation",
        "volume per number: 4-8 calls a line, far more lines",
        {"rotation": {"calls_per_number": (4, 8), "numbers": (60, 120)}},
        boost=40.0,
    ),
    Variant(
        "rotation_landlines",
        "robocall_rotation",
        "range: every line a landline of one city, none on virtual ranges",
        {"rotation": {"landline_share": 1.0}},
        boost=40.0,
    ),
    Variant(
        "rotation_answered",
        "robocall_rotation",
        "answer rate: a script good enough that most people answer",
        {"rotation": {"answer_rate": 0.7}},
        boost=40.0,
    ),
    Variant(
        "rotation_no_shared_list",
        "robocall_rotation",
        "shared callees: every target dialled once, never retried from another line",
        {"rotation": {"calls_per_target": 1.0}},
        boost=40.0,
    ),
    Variant(
        "rotation_few_landlines",
        "robocall_rotation",
        "volume and range together: 4-8 calls a line, every line a landline",
        {"rotation": {"calls_per_number": (4, 8), "numbers": (60, 120), "landline_share": 1.0}},
        boost=40.0,
    ),
    Variant(
        "simbox_spread",
        "simbox",
        "concentration: one SIM per module, fewer calls on each SIM",
        {"simbox": {"sims_per_module": 1, "calls_per_sim": (15, 40)}},
        boost=4.0,
    ),
    Variant(
        "wangiri_slow",
        "wangiri",
        "volume: 40-120 one-ring calls a day per number",
        {"wangiri": {"calls_per_day": (40, 120)}},
        boost=4.0,
    ),
)


def variant_report(alerts: pl.DataFrame, labels: pl.DataFrame, variant: Variant) -> dict[str, Any]:
    """Recall of the variant's fraud type and look-alikes flagged above ``watch``.

    ``alerts``: ``msisdn, decision`` (one row per rise); ``labels``: the city's ground truth
    with ``msisdn, label, actor``. A fraud number counts as found at ``review`` or above, as
    ``callwarden evaluate`` counts it.
    """
    highest = (
        alerts.select(
            "msisdn",
            level=pl.col("decision").map_elements(level_of, return_dtype=pl.Int64),
        )
        .group_by("msisdn")
        .agg(pl.col("level").max())
    )
    truth = labels.join(highest, on="msisdn", how="left").with_columns(pl.col("level").fill_null(0))
    targets = truth.filter(pl.col("label") == variant.label)
    found = int((targets["level"] >= level_of("review")).sum())
    look_alikes: dict[str, dict[str, int]] = {}
    for actor in LOOK_ALIKES:
        group = truth.filter(pl.col("actor") == actor)
        look_alikes[actor] = {
            "numbers": group.height,
            "above_watch": int((group["level"] > level_of("watch")).sum()),
        }
    return {
        "variant": variant.name,
        "label": variant.label,
        "cue": variant.cue,
        "numbers": targets.height,
        "found": found,
        "recall": round(found / targets.height, 4) if targets.height else None,
        "look_alikes": look_alikes,
    }


def write_scenario(city: Path, variant: Variant) -> Path:
    """Record which variant a simulated city is, in ``city/scenario.json``."""
    path = city / SCENARIO_FILE
    body = {"variant": variant.name, "label": variant.label, "cue": variant.cue}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_scenario(city: Path) -> Variant | None:
    """The variant a city folder was simulated as, or None for an ordinary city."""
    path = city / SCENARIO_FILE
    if not path.is_file():
        return None
    try:
        name = json.loads(path.read_text(encoding="utf-8"))["variant"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a scenario file ({exc})") from exc
    if name not in VARIANTS:
        raise ConfigError(f"{path}: unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    return VARIANTS[name]


def variant_tables(report: dict[str, Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The report as two tables: the variant's recall, and look-alikes above watch."""
    recall = pl.DataFrame(
        {
            "variant": [report["variant"]],
            "type": [report["label"]],
            "cue disguised": [report["cue"]],
            "numbers": [report["numbers"]],
            "found (review+)": [report["found"]],
            "recall": [report["recall"]],
        }
    )
    look = report["look_alikes"]
    alikes = pl.DataFrame(
        {
            "look-alike": list(look),
            "numbers": [v["numbers"] for v in look.values()],
            "above watch": [v["above_watch"] for v in look.values()],
        }
    )
    return recall, alikes

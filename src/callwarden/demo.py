"""The main job on the embedded default: simulate a city's day, ingest, score, evaluate, open cases.

Later stages (detect, decide, open cases) join here as they are built, so ``make run`` always
shows the whole loop as far as it goes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from callwarden.cases.db import open_database
from callwarden.cases.from_files import IntakeCounts, alerts_from_frame
from callwarden.cases.queries import summary
from callwarden.cases.service import CaseService
from callwarden.config import Settings
from callwarden.decide.policy import PolicyConfig
from callwarden.detect.alerts_io import write_alerts
from callwarden.detect.evaluate import Evaluation, evaluate_alerts
from callwarden.detect.scoring import ScoreResult, score_records
from callwarden.features.engines.base import Traffic
from callwarden.records.ingest import IngestReport, ingest
from callwarden.records.load import load_records
from callwarden.records.mapping import load_mapping
from callwarden.screen.day import ScreenedDay, screen_day
from callwarden.simulate import SimulationConfig, SimulationResult, simulate_city
from callwarden.simulate.hotline import HotlineDayConfig, new_policy, simulate_hotline_day
from callwarden.simulate.summary import actor_summary

__all__ = ["DemoResult", "run_demo"]

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    simulation: SimulationResult
    ingest: list[IngestReport] = field(default_factory=list)
    actors: pl.DataFrame = field(default_factory=pl.DataFrame)
    score: ScoreResult | None = None
    evaluation: Evaluation | None = None
    #: counts from the case database (cases by state and kind, notices queued, ...)
    cases: dict[str, Any] = field(default_factory=dict)
    #: a hotline's incoming day screened against the marks (seed 003)
    hotline: ScreenedDay | None = None


def _ingest_progress(progress: Progress | None, record: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(f"ingest {record}", done, total)


def run_demo(
    workdir: Path,
    config: SimulationConfig,
    settings: Settings | None = None,
    progress: Progress | None = None,
    policy: PolicyConfig | None = None,
) -> DemoResult:
    """Simulate into ``workdir/raw``, ingest into ``workdir/data``, score, evaluate.

    The simulator already writes canonical Parquet; ingesting it anyway runs every row
    through validation, so the demo shows the same path an operator's export takes.
    """
    settings = settings or Settings()
    raw, data = workdir / "raw", workdir / "data"
    for folder in (raw, data):
        if folder.exists():
            shutil.rmtree(folder)
    sim = simulate_city(config, raw, progress=progress)
    result = DemoResult(simulation=sim)
    for record in ("subscribers", "labels", "calls", "sms"):
        if not (raw / record).exists():
            continue
        report = ingest(
            raw / record,
            load_mapping(record),
            data,
            settings=settings,
            progress=_ingest_progress(progress, record),
        )
        result.ingest.append(report)
    result.actors = actor_summary(data)
    if progress:
        progress("score", 0, 0)
    calls = load_records(data, "calls")
    sms = load_records(data, "sms", allow_empty=True) if (data / "sms").exists() else None
    subscribers = load_records(data, "subscribers")
    result.score = score_records(
        Traffic(calls, sms, subscribers, timezone=settings.timezone),
        policy or PolicyConfig(),
        progress=(lambda step, done, total: progress(f"score: {step}", done, total))
        if progress
        else None,
    )
    write_alerts(result.score.alerts, workdir / "alerts.parquet")
    result.evaluation = evaluate_alerts(
        result.score.alerts, load_records(data, "labels"), calls, sms
    )
    if progress:
        progress("open cases", 0, 0)
    result.cases = open_cases(result.score.alerts, subscribers, workdir / "cases.db")
    if progress:
        progress("screen a hotline day", 0, 0)
    result.hotline = screen_hotline(workdir / "cases.db", config.seed)
    return result


def screen_hotline(path: Path, seed: int, calls: int = 1500) -> ScreenedDay:
    """A 400 line's day screened in the demo's case database (its calls written beside it)."""
    day = simulate_hotline_day(HotlineDayConfig(calls=calls, seed=seed))
    day.calls.write_csv(path.with_name("hotline-calls.csv"))
    db = open_database(str(path))
    try:
        return screen_day(db, day, new_policy(day))
    finally:
        db.engine.dispose()


def open_cases(alerts: pl.DataFrame, subscribers: pl.DataFrame, path: Path) -> dict[str, Any]:
    """A fresh case database for the day's alerts (what ``callwarden cases open`` does)."""
    path.unlink(missing_ok=True)
    db = open_database(str(path))
    service = CaseService(db)
    inputs, rejected = alerts_from_frame(alerts, subscribers)
    intake = IntakeCounts.of(service.intake(inputs), rejected)
    with db.reads() as s:
        counts = summary(s)
    db.engine.dispose()
    return counts | {"intake": intake.line()}

"""The main job: the simulator's own output passes ingest untouched, and detection is scored."""

from __future__ import annotations

from pathlib import Path

from callwarden.demo import run_demo
from callwarden.simulate import SimulationConfig


def test_demo_loses_nothing_and_evaluates(tmp_path: Path) -> None:
    result = run_demo(tmp_path, SimulationConfig(subscribers=8000, seed=5))
    assert {r.record for r in result.ingest} == {"subscribers", "labels", "calls", "sms"}
    for report in result.ingest:
        assert report.quarantined == 0, (report.record, report.reasons)
        assert report.read == report.accepted > 0
    assert result.evaluation is not None
    assert result.evaluation.recall > 0.9
    assert result.evaluation.fpr_normal < 0.001
    assert (tmp_path / "alerts.parquet").exists()

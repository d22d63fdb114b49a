"""``simulate --variant`` then ``score`` then ``evaluate``: recall of the variant and the
look-alikes above watch are printed, from a small city."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.unit.cli.runner import run as cli_run


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return cli_run(*args, columns=200)


def test_variant_city_is_evaluated_per_variant(tmp_path: Path) -> None:
    city = tmp_path / "city"
    done = run(
        "simulate", "--subscribers", "3000", "--seed", "4", "--variant", "rotation_landlines",
        "--out", str(city),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((city / "scenario.json").read_text())["variant"] == "rotation_landlines"
    alerts = tmp_path / "alerts.parquet"
    done = run("score", str(city), "--subscribers", str(city), "--out", str(alerts))
    assert done.returncode == 0, done.stderr
    done = run("evaluate", str(alerts), "--truth", str(city))
    assert done.returncode == 0, done.stderr
    assert "adversarial variant" in done.stdout and "rotation_landlines" in done.stdout
    assert "look-alikes above watch" in done.stdout and "ride_hailing" in done.stdout


def test_an_unknown_variant_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    done = run("simulate", "--variant", "nope", "--out", str(tmp_path / "x"))
    assert done.returncode != 0
    assert "relay_slow" in done.stdout + done.stderr

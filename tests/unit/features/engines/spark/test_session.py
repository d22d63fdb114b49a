"""The Spark engine's edges, without starting Spark: missing pieces get one clear message."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callwarden.cli.app import app
from callwarden.errors import ConfigError
from callwarden.features.engines.spark import session as spark_session
from callwarden.features.engines.spark.session import SparkMissingError, require_spark


def test_a_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name)
    )
    with pytest.raises(SparkMissingError, match=r"pip install 'callwarden\[spark\]'"):
        require_spark()
    result = CliRunner().invoke(app, ["score", "calls", "--out", "a.parquet", "--engine", "spark"])
    assert isinstance(result.exception, SparkMissingError)


def test_a_missing_java_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_session.shutil, "which", lambda _: None)
    with pytest.raises(SparkMissingError, match="apt-get install -y openjdk-17-jre-headless"):
        require_spark()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--stream"], "--stream runs on Spark"),
        (["--subscribers", "s3a://cdr/subscribers"], "need --engine spark"),
        (["--engine", "spark", "--conf", "executors"], "expected KEY=VALUE"),
    ],
)
def test_options_that_need_another_engine_say_so(
    args: list[str], problem: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["score", str(tmp_path), "--out", str(tmp_path / "a.parquet"), *args]
    )
    assert isinstance(result.exception, ConfigError)
    assert problem in str(result.exception)

"""One SparkSession for every Spark test (starting the JVM is the slow part)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """Real PySpark in local mode, sized for small test data."""
    from callwarden.features.engines.spark.session import spark_session  # noqa: PLC0415

    session = spark_session(
        "local[2]",
        app_name="callwarden-tests",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            # One JVM serves every Spark test of the run: at the default 1 GB heap, a run's
            # later streaming tests spent their time in full collections, and one lost Spark's
            # scheduler thread and hung (the heap 82% full after 60 full collections)
            "spark.driver.memory": "2g",
            # Compiling whole-stage code for these wide plans takes longer than running them
            # on test-sized data.
            "spark.sql.codegen.wholeStage": "false",
        },
    )
    yield session
    session.stop()
